#pragma once
// Private: the SpMV back ends behind SparseOperator. CPU: a multi-threaded CSR kernel here.
// CUDA: cuSPARSE through kernels/ (src/cuda/), compiled when nvcc is found.
#include <dtpinn/autodiff/sparse_operator.hpp>

namespace dtpinn::autodiff::detail {

/// out = A u on the CPU; u [cols] or [cols, k] contiguous, out preallocated [rows] / [rows, k].
void spmv_cpu(const CsrTensors& a, const at::Tensor& u, at::Tensor& out);

#ifdef DTPINN_HAVE_CUDA
/// Per-operator cuSPARSE state: descriptors of A and A^T and work buffers, made once.
struct CudaSpmvState;
/// Throws std::runtime_error when LibTorch's current stream is capturing (handles cannot be made).
std::shared_ptr<CudaSpmvState> make_cuda_state(const CsrTensors& a, const CsrTensors& at);
/// Allocates now what the first apply of u [cols] (k = 0) or [cols, k] would: the work buffers of
/// A and A^T for this k and the fused residual's partial sums. Outside any capture.
void prepare_cuda(CudaSpmvState& state, std::int64_t k);
/// out = A u (transpose = false) or A^T u (transpose = true) on LibTorch's current CUDA
/// stream; no host synchronisation.
void spmv_cuda(CudaSpmvState& state, bool transpose, const at::Tensor& u, at::Tensor& out);
/// Addition (gpu): the fused DT-PINN residual in one pass over A (kernels::FusedResidual), on
/// the current stream, no host sync: r = A u - f (f undefined: f = 0) and out = scale * sum(r^2)
/// written into the 0-dim tensor `out`. u [cols] or [cols, k]; f and r [rows] or [rows, k]; all
/// contiguous, the operator's dtype and device. r is what backward needs: d out/du =
/// 2 scale A^T r. The first call allocates a small partial-sum buffer (prepare_cuda or warm up
/// before a capture; inside one it throws std::runtime_error).
void residual_sq_cuda(CudaSpmvState& state, const at::Tensor& u, const at::Tensor& f, at::Tensor& r,
                      at::Tensor& out, double scale);
#endif

}  // namespace dtpinn::autodiff::detail
