#pragma once
// How much memory a run configuration asks for, estimated from its keys before anything is
// allocated, and the refusal of a configuration that cannot fit: the sizes that scale memory
// (domain.n, domain.test_n, rbffd.order, model.width, model.depth, problem.nt, train.history,
// train.optimizer = gauss_newton) are checked against the memory the machine can give (which the
// program measures and passes in: the engine does not probe the machine). train.max_iter scales
// time, not memory (an L-BFGS history holds at most train.history pairs, however many iterations
// run); the time budget and interrupts hold inside an epoch of any length (trainer.hpp).
//
// The estimate is deliberately a lower bound of the peak (the larger terms only, with the
// constants measured on this engine's CPU path): a run it refuses cannot fit, a run it accepts
// may still be tight. LibTorch-free.
#include <dtpinn/core/problem/config.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dtpinn::core {

/// One part of the estimate: what it holds, its bytes, and the keys that scale it.
struct MemoryPart {
  std::string what;               ///< "the node sets", "the RBF-FD operators", ...
  double bytes = 0;               ///< estimated bytes (a double: sizes may overflow 64 bits)
  std::vector<std::string> keys;  ///< the config keys it grows with
};

struct MemoryEstimate {
  std::vector<MemoryPart> parts;
  double total() const;
  /// The largest part.
  const MemoryPart& largest() const;
};

/// The estimate for `config` (the dimension from domain.shape; 3D for an imported file).
MemoryEstimate estimate_memory(const RunConfig& config);

/// Network parameters of `config`'s model (weights and biases), as a double.
double parameter_count(const RunConfig& config);

/// Throws std::runtime_error (one line) when the estimate exceeds `available_bytes` (> 0; 0
/// skips the check), naming the key that grew the largest part most against its default:
///   "model.width = 100000: the run needs about 7.5 TB of memory (the network's parameters and
///    optimiser state: 7.4 TB), more than the 21 GB available on this machine"
void check_memory(const RunConfig& config, double available_bytes);

/// "7.5 TB", "21 GB", "512 MB": bytes in powers of 1024, two or three significant digits.
std::string format_bytes(double bytes);

}  // namespace dtpinn::core
