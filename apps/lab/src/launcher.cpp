// Local launcher: fork/exec K copies of a command with the torchrun variables set, wait for
// them, and end the others when one fails (no hang, one line per failure).
#include <dtpinn/lab/interrupt.hpp>
#include <dtpinn/lab/launcher.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dtpinn::lab {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("distributed: cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  if (port <= 0) throw std::runtime_error("distributed: no free TCP port on 127.0.0.1");
  return port;
}

namespace {

/// The environment of every child: ours minus the variables the launcher sets, plus `extra`.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  const char* ours[] = {
      "RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT="};
  std::vector<std::string> base;
  for (char** e = environ; *e; ++e) {
    bool skip = false;
    for (const char* o : ours) skip = skip || std::strncmp(*e, o, std::strlen(o)) == 0;
    if (!skip) base.emplace_back(*e);
  }
  for (const auto& e : extra) base.push_back(e);
  return base;
}

/// fork + exec of rank r..n-1 with the torchrun variables; on a failed fork the ranks already
/// started are killed and reaped.
std::vector<pid_t> spawn_ranks(const std::vector<std::string>& argv,
                               const std::vector<std::string>& base,
                               const core::DistributedOptions& options, int port) {
  const int n = options.nproc;
  std::vector<pid_t> pids(n, -1);
  for (int r = 0; r < n; ++r) {
    std::vector<std::string> env = base;
    env.push_back(fmt::format("RANK={}", r));
    env.push_back(fmt::format("WORLD_SIZE={}", n));
    env.push_back(fmt::format("LOCAL_RANK={}", r));
    env.push_back(fmt::format("LOCAL_WORLD_SIZE={}", n));
    env.push_back(fmt::format("MASTER_ADDR={}", options.master_addr));
    env.push_back(fmt::format("MASTER_PORT={}", port));
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
      for (int q = 0; q < r; ++q) ::kill(pids[q], SIGKILL);
      for (int q = 0; q < r; ++q) ::waitpid(pids[q], nullptr, 0);
      throw std::runtime_error(fmt::format("distributed: fork failed: {}", std::strerror(errno)));
    }
    if (pid == 0) {
      // Own process group: a Ctrl-C in the terminal reaches the launcher only, which forwards
      // it once (a rank seeing it twice would stop at once). If the launcher dies, SIGTERM.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() == 1) ::_exit(143);
      ::execve(cargv[0], cargv.data(), cenv.data());
      // Only async-signal-safe calls after fork.
      const char msg[] = "distributed: exec of the worker failed\n";
      (void)!::write(2, msg, sizeof(msg) - 1);
      ::_exit(127);
    }
    pids[r] = pid;
  }

  return pids;
}

/// Waits for every rank; after the first failure (or the wall limit) stops the others, SIGTERM
/// then SIGKILL after a grace period. Returns the first failure's code (0: all succeeded).
int wait_for_ranks(std::vector<pid_t>& pids, const core::DistributedOptions& options,
                   std::ostream& log) {
  const int n = static_cast<int>(pids.size());
  int first_code = 0, running = n;
  bool terminating = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  const bool limited = options.wall_limit_seconds > 0;
  const auto wall_end =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(
                                             (limited ? options.wall_limit_seconds : 0.0) * 1e3));
  bool collecting = false;
  auto collect_end = std::chrono::steady_clock::time_point::max();
  int forwarded = 0;  // the signal passed on to the ranks (install_interrupt_handlers)
  bool hard = false;
  while (running > 0) {
    int status = 0;
    // SIGINT / SIGTERM to the launcher: passed on to every rank once (rank 0 then writes the
    // interrupted run); a second one kills them.
    if (const int sig = interrupt_signal(); sig != 0 && forwarded == 0) {
      forwarded = sig;
      for (int q = 0; q < n; ++q)
        if (pids[q] > 0) ::kill(pids[q], sig);
    }
    if (forwarded != 0 && !hard && interrupt_count() >= 2) {
      hard = true;
      for (int q = 0; q < n; ++q)
        if (pids[q] > 0) ::kill(pids[q], SIGKILL);
    }
    if (limited && !terminating && std::chrono::steady_clock::now() > wall_end) {
      log << fmt::format("distributed: the run exceeded {:g} s; stopping all ranks\n",
                         options.wall_limit_seconds);
      first_code = 124;
      terminating = true;
      for (int q = 0; q < n; ++q)
        if (pids[q] > 0) ::kill(pids[q], SIGKILL);
    }
    // A rank that dies makes its peers fail at their next collective, and a peer may be reaped
    // first: after the first failure, collect the exits of a short window before stopping the
    // others, so the log names every rank that failed on its own.
    if (collecting && std::chrono::steady_clock::now() > collect_end) {
      collecting = false;
      terminating = true;
      for (int q = 0; q < n; ++q)
        if (pids[q] > 0) ::kill(pids[q], SIGTERM);
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(
                     static_cast<int>(std::min(options.timeout_seconds, 10.0) * 1e3));
    }
    const pid_t pid =
        ::waitpid(-1, &status, (terminating || collecting || limited || forwarded) ? WNOHANG : 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pid == 0) {  // nobody exited yet; escalate after the grace period
      if (terminating && std::chrono::steady_clock::now() > deadline) {
        for (int q = 0; q < n; ++q)
          if (pids[q] > 0) ::kill(pids[q], SIGKILL);
        deadline = std::chrono::steady_clock::time_point::max();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    int rank = -1;
    for (int q = 0; q < n; ++q)
      if (pids[q] == pid) rank = q;
    if (rank < 0) continue;  // not ours
    pids[rank] = -1;
    --running;
    int code = 0;
    if (WIFEXITED(status))
      code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
      code = 128 + WTERMSIG(status);
    if (forwarded != 0) {
      if (code != 0 && code != 128 + forwarded && !hard && first_code == 0) first_code = code;
      continue;  // interrupted: the ranks stop on their own; no failure lines
    }
    if (code != 0 && !terminating) {
      if (!collecting) first_code = code;
      log << (WIFSIGNALED(status)
                  ? fmt::format("distributed: rank {} of {} was killed by signal {} ({}); "
                                "stopping the other ranks\n",
                                rank, n, WTERMSIG(status), strsignal(WTERMSIG(status)))
                  : fmt::format("distributed: rank {} of {} failed with exit code {}; stopping "
                                "the other ranks\n",
                                rank, n, code));
      if (!collecting) {
        collecting = true;
        collect_end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
    }
  }
  return forwarded != 0 ? 128 + forwarded : first_code;
}

}  // namespace

int launch_local(const std::vector<std::string>& argv, const core::DistributedOptions& options,
                 std::ostream& log, const std::vector<std::string>& extra_env) {
  if (argv.empty()) throw std::invalid_argument("launch_local: empty command");
  if (options.nproc < 1 || options.nproc > 1024)
    throw std::invalid_argument(fmt::format("--nproc {}: expected 1..1024", options.nproc));
  const int port = options.master_port > 0 ? options.master_port : free_port();
  auto pids = spawn_ranks(argv, child_environment(extra_env), options, port);
  return wait_for_ranks(pids, options, log);
}

}  // namespace dtpinn::lab
