// c10d process groups: TCPStore rendezvous + ProcessGroupGloo (CPU) / ProcessGroupNCCL (CUDA).
//
// Build note: torch's ProcessGroupGloo.hpp includes gloo headers that the PyPI wheel does not
// ship; this file is compiled against Debian's libgloo-dev headers (USE_C10D_GLOO defined by
// cmake/DtpinnDistributed.cmake) and links only libtorch_cpu (which contains gloo). Only the
// c10d API is used here: the static device factory, Options (a vector of shared_ptr and an int)
// and the ProcessGroupGloo constructor, collectives through the Backend vtable; no gloo type is
// touched other than through a shared_ptr, so the gloo snapshot of the headers does not matter.
#include <dtpinn/core/distributed/communicator.hpp>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <ATen/ATen.h>
#include <c10/util/Logging.h>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace dtpinn::core {

// nccl_group.cpp: a ProcessGroupNCCL when built with it, else throws.
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int size, double timeout_seconds);

namespace {

int env_int(const char* name, int fallback, bool* found = nullptr) {
  const char* v = std::getenv(name);
  if (found) *found = v != nullptr && *v != '\0';
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > 1000000)
    throw std::runtime_error(
        fmt::format("distributed: environment variable {}={} is not a "
                    "non-negative integer",
                    name, v));
  return static_cast<int>(x);
}

/// Ends the process with one line if the rendezvous has not finished by the deadline: a
/// TCPStore client talking to a port where something else listens can block past its own
/// timeout, and nothing can cancel it. The line goes where `dtpinn`'s main puts errors.
class RendezvousWatchdog {
 public:
  RendezvousWatchdog(double seconds, std::string line) : line_(std::move(line)) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock<std::mutex> lock(mutex_);
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1e3));
      if (cv_.wait_until(lock, deadline, [this] { return done_; })) return;
      fire();
    });
  }
  ~RendezvousWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  RendezvousWatchdog(const RendezvousWatchdog&) = delete;
  RendezvousWatchdog& operator=(const RendezvousWatchdog&) = delete;

 private:
  [[noreturn]] void fire() const {
    const char* dir = std::getenv("DTPINN_ERROR_DIR");
    const char* rank = std::getenv("RANK");
    bool written = false;
    if (dir && *dir && rank && *rank) {
      std::ofstream f(std::string(dir) + "/rank" + rank + ".txt", std::ios::app);
      written = static_cast<bool>(f << line_ << '\n' << std::flush);
    }
    if (!written) (void)!::write(2, (line_ + "\n").c_str(), line_.size() + 1);
    ::_exit(1);
  }
  std::string line_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv e;
  bool has_rank = false, has_size = false;
  // torchrun / our launcher, then Open MPI, then SLURM.
  const char* names[3][3] = {
      {"RANK", "WORLD_SIZE", "LOCAL_RANK"},
      {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"},
      {"SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"}};
  for (const auto& n : names) {
    e.rank = env_int(n[0], 0, &has_rank);
    e.world_size = env_int(n[1], 1, &has_size);
    if (has_rank && has_size) {
      e.local_rank = env_int(n[2], e.rank);
      break;
    }
  }
  e.present = has_rank && has_size;
  if (!e.present) {
    e.rank = 0;
    e.world_size = 1;
    e.local_rank = 0;
  }
  if (e.world_size < 1 || e.rank >= e.world_size)
    throw std::runtime_error(
        fmt::format("distributed: rank {} is not below world size {}", e.rank, e.world_size));
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", 29500);
  if (e.master_port < 1 || e.master_port > 65535)
    throw std::runtime_error(
        fmt::format("distributed: MASTER_PORT={} is not a TCP port", e.master_port));
  return e;
}

struct Communicator::Impl {
  int rank = 0, size = 1;
  std::string backend = "none";
  c10::Device device = c10::kCPU;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> group;
};

Communicator::Communicator() : impl_(std::make_unique<Impl>()) {}

Communicator::Communicator(const DistributedEnv& env, Backend backend, c10::Device device,
                           double timeout_seconds)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.rank = env.rank;
  s.size = env.world_size;
  s.device = device;
  const Backend kind =
      backend == Backend::automatic ? (device.is_cuda() ? Backend::nccl : Backend::gloo) : backend;
  if (kind == Backend::gloo && device.is_cuda())
    throw std::runtime_error(
        "distributed: the gloo backend here reduces CPU tensors only; "
        "use --backend nccl (or auto) with --device cuda");
  s.backend = to_string(kind);
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1e3));
  const std::string failed = fmt::format(
      "distributed: rank {} of {} could not join the {} group at {}:{} within {:g} s", env.rank,
      env.world_size, to_string(kind), env.master_addr, env.master_port, timeout_seconds);
  RendezvousWatchdog watchdog(
      timeout_seconds,
      "dtpinn train: error: " + failed +
          (env.rank == 0
               ? " (the other ranks did not come)"
               : " (no dtpinn rank 0 answered there: is MASTER_ADDR:MASTER_PORT right?)"));
  // c10d logs every retry, with a stack trace, to stderr: this rank reports the failure as one
  // line instead (below, or the watchdog).
  struct QuietC10Log {
    int saved = FLAGS_caffe2_log_level;
    QuietC10Log() { FLAGS_caffe2_log_level = 3; }
    ~QuietC10Log() { FLAGS_caffe2_log_level = saved; }
  } quiet;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    so.isServer = env.rank == 0;
    so.numWorkers = static_cast<std::size_t>(env.world_size);
    so.waitWorkers = true;
    // The store gives up before the watchdog (it counts whole seconds: 1.2 s early, or at 0.4
    // of a short timeout), so that an ordinary timeout is an exception (the caller's one
    // line) and the watchdog only ends a rendezvous that blocks.
    so.timeout = std::chrono::milliseconds(
        static_cast<std::int64_t>(std::max(timeout_seconds - 1.2, 0.4 * timeout_seconds) * 1e3));
    s.store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    if (kind == Backend::gloo) {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      // Loopback for a single host, else the address that reaches the master's network.
      opts->devices.push_back(env.master_addr == "127.0.0.1" || env.master_addr == "localhost"
                                  ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                  : c10d::ProcessGroupGloo::createDefaultDevice());
      opts->threads = 1;
      s.group =
          c10::make_intrusive<c10d::ProcessGroupGloo>(s.store, env.rank, env.world_size, opts);
    } else {
      s.group = make_nccl_backend(s.store, env.rank, env.world_size, timeout_seconds);
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw std::runtime_error(failed + ": " + what);
  }
}

Communicator::~Communicator() = default;
Communicator::Communicator(Communicator&&) noexcept = default;
Communicator& Communicator::operator=(Communicator&&) noexcept = default;

int Communicator::rank() const {
  return impl_->rank;
}
int Communicator::size() const {
  return impl_->size;
}
const std::string& Communicator::backend() const {
  return impl_->backend;
}

bool Communicator::uses_nccl() const {
  return impl_->backend == to_string(Backend::nccl);
}

void Communicator::allreduce_sum(at::Tensor& t) {
  if (!impl_->group) return;
  std::vector<at::Tensor> v{t};
  try {
    impl_->group->allreduce(v)->wait();
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw std::runtime_error(
        fmt::format("distributed: rank {}: allreduce failed (another rank died or timed out): {}",
                    impl_->rank, what));
  }
}

double Communicator::allreduce_sum(double v) {
  if (!impl_->group) return v;
  auto t = at::full({1}, v, at::TensorOptions().dtype(at::kDouble).device(impl_->device));
  allreduce_sum(t);
  return t.cpu().item<double>();
}

void Communicator::barrier() {
  if (!impl_->group) return;
  // A tiny allreduce: works on both backends without device bookkeeping.
  allreduce_sum(0.0);
}

}  // namespace dtpinn::core
