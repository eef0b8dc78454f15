#pragma once
// Refusing, with a clear message, work that must not happen while a stream is being captured
// into a CUDA graph. cudaMalloc and cuSPARSE handle / descriptor creation are not allowed in a
// capture: they fail and invalidate it (in global mode, LibTorch's default, whatever stream the
// call is on), and the error then surfaces far away, at capture end. The lazy first-use paths
// (a new SpMM width k, the first CUDA apply of a SparseOperator) check first and throw instead;
// prepare() them, or run the step once, before capturing.
#include <cuda_runtime_api.h>

#include <string>

namespace dtpinn::kernels {

/// Why `what` may not run now, or "" when it may; `query` and `status` are what
/// cudaStreamIsCapturing returned for the caller's stream. A capturing (or invalidated) stream
/// is refused, and so is cudaErrorStreamCaptureImplicit (the legacy stream while another
/// stream captures); any other query error is left to the allocation to report. Host only.
std::string capture_refusal(cudaError_t query, cudaStreamCaptureStatus status,
                            const std::string& what);

/// Throws std::runtime_error(capture_refusal(...)) when `stream` is being captured.
void refuse_during_capture(cudaStream_t stream, const std::string& what);

}  // namespace dtpinn::kernels
