// SIGINT / SIGTERM handlers that only raise a flag (see interrupt.hpp).
#include <dtpinn/lab/interrupt.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace dtpinn::lab {

namespace {

// The handler only touches these lock-free atomics (async-signal-safe).
std::atomic<int> g_first_signal{0};
std::atomic<int> g_signal_count{0};
std::atomic<bool> g_exit_on_second{true};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int sig) {
  int none = 0;
  g_first_signal.compare_exchange_strong(none, sig);
  if (g_signal_count.fetch_add(1) >= 1 && g_exit_on_second.load()) {
    const char msg[] = "dtpinn: second interrupt: stopped at once, nothing more written\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(128 + sig);
  }
}

}  // namespace

void install_interrupt_handlers(bool exit_on_second) {
  g_exit_on_second.store(exit_on_second);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking wait returns EINTR and sees the flag
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int interrupt_signal() {
  return g_first_signal.load();
}

int interrupt_count() {
  return g_signal_count.load();
}

void request_interrupt(int signal) {
  if (signal == 0) {
    g_first_signal.store(0);
    g_signal_count.store(0);
    return;
  }
  int none = 0;
  g_first_signal.compare_exchange_strong(none, signal);
  g_signal_count.fetch_add(1);
}

}  // namespace dtpinn::lab
