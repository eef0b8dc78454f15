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
std::shared_ptr<CudaSpmvState> make_cuda_state(const CsrTensors& a, const CsrTensors& at);
/// out = A u (transpose = false) or A^T u (transpose = true) on LibTorch's current CUDA
/// stream; no host synchronisation.
void spmv_cuda(CudaSpmvState& state, bool transpose, const at::Tensor& u, at::Tensor& out);
#endif

}  // namespace dtpinn::autodiff::detail
