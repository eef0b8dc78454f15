// Capture guard for the lazy allocation paths; see capture.hpp.
#include <dtpinn/kernels/capture.hpp>

#include <stdexcept>

namespace dtpinn::kernels {

std::string capture_refusal(cudaError_t query, cudaStreamCaptureStatus status,
                            const std::string& what) {
  const bool capturing = query == cudaErrorStreamCaptureImplicit ||
                         (query == cudaSuccess && status != cudaStreamCaptureStatusNone);
  if (!capturing) return {};
  return what +
         " would allocate device memory while its stream is being captured into a CUDA graph, "
         "which invalidates the capture: prepare it (CsrOperator::prepare, "
         "SparseOperator::prepare) or run the step once before capturing";
}

void refuse_during_capture(cudaStream_t stream, const std::string& what) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  const cudaError_t query = cudaStreamIsCapturing(stream, &status);
  // Any other error (no driver, an earlier launch's failure) is not ours to judge: it stays
  // the runtime's last error, and the caller's next checked CUDA call reports it.
  const std::string why = capture_refusal(query, status, what);
  if (!why.empty()) throw std::runtime_error(why);
}

}  // namespace dtpinn::kernels
