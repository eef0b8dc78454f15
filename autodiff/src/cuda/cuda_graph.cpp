// CudaGraphStep on LibTorch's CUDAGraph: warm-up and capture on a side stream from the pool
// (capture is not allowed on the legacy default stream), then replay on the current stream.
#include <dtpinn/autodiff/cuda_graph.hpp>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>

#include <string>

namespace dtpinn::autodiff {

bool cuda_graphs_available() {
  return at::cuda::is_available();
}

struct CudaGraphStep::Impl {
  std::function<void()> step;
  int warmup = 3;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};

CudaGraphStep::CudaGraphStep(std::function<void()> step, int warmup_iterations)
    : impl_(std::make_unique<Impl>()) {
  if (!step) throw std::invalid_argument("CudaGraphStep: empty step function");
  if (warmup_iterations < 1) {
    throw std::invalid_argument(
        "CudaGraphStep: warmup_iterations = " + std::to_string(warmup_iterations) +
        " (at least 1: nothing may be created in capture)");
  }
  impl_->step = std::move(step);
  impl_->warmup = warmup_iterations;
}

CudaGraphStep::~CudaGraphStep() = default;

void CudaGraphStep::capture() {
  warm_up_and_capture();
  // The captured call only recorded work: run it once so capture() acts like one step.
  impl_->graph->replay();
}

void CudaGraphStep::warm_up_and_capture() {
  if (!cuda_graphs_available()) {
    throw std::runtime_error("CudaGraphStep: no CUDA device visible to LibTorch");
  }
  Impl& m = *impl_;
  const auto current = at::cuda::getCurrentCUDAStream();
  auto side = at::cuda::getStreamFromPool(false, current.device_index());
  at::cuda::CUDAEvent ready;
  ready.record(current);
  ready.block(side);
  {
    const c10::cuda::CUDAStreamGuard guard(side);
    for (int i = 0; i < m.warmup; ++i) m.step();
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    graph->capture_begin();
    try {
      m.step();
    } catch (...) {
      try {
        graph->capture_end();  // leave the stream out of capture mode before rethrowing
      } catch (...) {
      }
      throw;
    }
    graph->capture_end();
    m.graph = std::move(graph);
  }
  at::cuda::CUDAEvent done;
  done.record(side);
  done.block(current);
}

void CudaGraphStep::replay() {
  if (!impl_->graph) {
    capture();
    return;
  }
  impl_->graph->replay();
}

void CudaGraphStep::run_eager() {
  impl_->step();
}

bool CudaGraphStep::captured() const {
  return impl_->graph != nullptr;
}

void CudaGraphStep::reset() {
  impl_->graph.reset();
}

}  // namespace dtpinn::autodiff
