#pragma once
// Capture of a whole step (forward + backward + optimizer update, or an L-BFGS closure) in a
// CUDA graph, replayed with one launch: removes PyTorch's per-kernel launch overhead, which
// dominates DT-PINN training at the paper's sizes (shared/PERFORMANCE.md).
//
// Rules for the captured `step` (CUDA graphs replay fixed kernels on fixed addresses):
//   - no host synchronisation inside it: no .item(), .cpu(), printing of device tensors;
//   - its inputs and outputs are tensors allocated before capture and updated in place
//     (copy_ new data into them between replays); zero gradients in place
//     (zero_grad(set_to_none = false)), never by dropping them;
//   - the same shapes every replay; any allocation it makes comes from the graph's private pool;
//   - nothing made on first use inside it: the warm-up steps make cuSPARSE handles and buffers
//     (or SparseOperator::prepare does); a first use inside the capture throws.
// Compiles with or without CUDA; without it every method throws std::runtime_error.
#include <functional>
#include <memory>
#include <stdexcept>

namespace dtpinn::autodiff {

/// True when dtpinn was built with CUDA and LibTorch sees a CUDA device.
bool cuda_graphs_available();

class CudaGraphStep {
 public:
  /// `warmup_iterations` eager runs on a side stream precede the capture (they create cuBLAS /
  /// cuSPARSE handles, work buffers and autograd state, none of which may happen in capture).
  explicit CudaGraphStep(std::function<void()> step, int warmup_iterations = 3);
  ~CudaGraphStep();
  CudaGraphStep(const CudaGraphStep&) = delete;
  CudaGraphStep& operator=(const CudaGraphStep&) = delete;

  /// On a side stream ordered after the current stream's work: runs `step` warmup_iterations
  /// times eagerly, captures one more call, and replays it once; the current stream then waits.
  /// So capture() has the effect of warmup_iterations + 1 steps (warm-up steps are real steps).
  void capture();
  /// capture() without its final replay: the effect of warmup_iterations steps only (the
  /// captured call is recorded, not run). For callers that count steps one by one
  /// (DeviceLbfgs::run with one iteration per call would otherwise never capture).
  void warm_up_and_capture();
  /// Launches the captured graph on LibTorch's current CUDA stream: the effect of one step
  /// (captures first if needed, see capture()).
  void replay();
  /// Runs `step` eagerly (the graphs-off path, same semantics).
  void run_eager();
  bool captured() const;
  /// Drops the graph (e.g. after shapes changed); the next replay() captures again.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

#ifndef DTPINN_HAVE_CUDA
struct CudaGraphStep::Impl {};
inline bool cuda_graphs_available() {
  return false;
}
inline CudaGraphStep::CudaGraphStep(std::function<void()>, int) {
  throw std::runtime_error("CudaGraphStep: dtpinn was built without CUDA");
}
inline CudaGraphStep::~CudaGraphStep() = default;
inline void CudaGraphStep::capture() {
  throw std::runtime_error("CudaGraphStep: built without CUDA");
}
inline void CudaGraphStep::warm_up_and_capture() {
  throw std::runtime_error("CudaGraphStep: built without CUDA");
}
inline void CudaGraphStep::replay() {
  throw std::runtime_error("CudaGraphStep: built without CUDA");
}
inline void CudaGraphStep::run_eager() {
  throw std::runtime_error("CudaGraphStep: built without CUDA");
}
inline bool CudaGraphStep::captured() const {
  return false;
}
inline void CudaGraphStep::reset() {}
#endif

}  // namespace dtpinn::autodiff
