#pragma once
// Process groups for distributed training, on LibTorch's own c10d: rendezvous through a
// c10d::TCPStore (rank 0 hosts it), collectives through c10d::ProcessGroupGloo on CPU or
// c10d::ProcessGroupNCCL on CUDA (when this build has it). No home-made transport.
//
// Environment (as torchrun, mpirun wrappers or SLURM scripts set it; read by from_environment):
//   RANK, WORLD_SIZE, LOCAL_RANK (defaults to RANK), MASTER_ADDR (default 127.0.0.1),
//   MASTER_PORT (default 29500). OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK and SLURM_PROCID/NTASKS/
//   LOCALID are accepted when RANK/WORLD_SIZE are absent.
// Timeouts: the store and the process group give up after `timeout_seconds` (a rank that never
// arrives, or dies, ends the run with a std::runtime_error naming the rank and the address
// instead of a hang).
#include <dtpinn/core/problem/options.hpp>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

struct RunConfig;

/// The process group's backend: automatic picks gloo on cpu and nccl on cuda.
enum class Backend { automatic, gloo, nccl };
template <>
constexpr auto option_table<Backend>() {
  return std::array{OptionName<Backend>{"auto", Backend::automatic},
                    OptionName<Backend>{"gloo", Backend::gloo},
                    OptionName<Backend>{"nccl", Backend::nccl}};
}

/// Options of `dtpinn train --nproc K` and of the process group.
struct DistributedOptions {
  int nproc = 1;  ///< local processes the launcher starts
  Backend backend = Backend::automatic;
  std::string master_addr = "127.0.0.1";  ///< launcher: rendezvous address
  int master_port = 0;                    ///< launcher: 0 picks a free port
  double timeout_seconds = 60.0;          ///< store, process group and launcher grace period
  double wall_limit_seconds = 0.0;        ///< launcher: kill every rank after this; 0 = none
  /// Heat: groups of time slices; the world is (world / time_parts) space parts x time_parts.
  int time_parts = 1;
};

/// Where this process sits in the job (from the environment).
struct DistributedEnv {
  bool present = false;  ///< a launcher set RANK/WORLD_SIZE (or an MPI/SLURM equivalent)
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  /// Reads the variables above; throws std::runtime_error naming a malformed variable.
  static DistributedEnv from_environment();
};

/// A process group over all ranks. Collectives are blocking and must be called in the same
/// order on every rank. World size 1 without a launcher needs no store (allreduce is a no-op),
/// but a world of size 1 from a launcher goes through the real backend.
class Communicator {
 public:
  /// A single process, no backend (allreduce and barrier do nothing).
  Communicator();
  /// Joins the group described by `env` with `backend` for tensors on `device`. Throws
  /// std::runtime_error (one line) when the rendezvous does not complete within `timeout_seconds`
  /// or the backend is not available in this build.
  Communicator(const DistributedEnv& env, Backend backend, c10::Device device,
               double timeout_seconds);
  ~Communicator();
  Communicator(Communicator&&) noexcept;
  Communicator& operator=(Communicator&&) noexcept;

  int rank() const;
  int size() const;
  const std::string& backend() const;  ///< "none", "gloo" or "nccl" (for reports)
  /// True for an NCCL group, whose collectives can be captured in a CUDA graph.
  bool uses_nccl() const;

  /// t <- sum over ranks of t, in place (contiguous tensor on the group's device). The result
  /// is bitwise identical on every rank.
  void allreduce_sum(at::Tensor& t);
  /// Sum of one double over ranks (via a one-element tensor).
  double allreduce_sum(double v);
  void barrier();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// True when this build has the NCCL backend (ProcessGroupNCCL) compiled in.
bool nccl_available();

}  // namespace dtpinn::core
