#pragma once
// Hand-written CSR kernels (no cuSPARSE): a row-per-(sub)warp SpMV to compare with cuSPARSE,
// and the fused residual of the DT-PINN loss, r = A u - f and sum(r^2), in one pass over A.
// All take the caller's stream, never synchronise the host and never allocate: they can be
// captured in a CUDA graph.
#include <dtpinn/kernels/csr.hpp>

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace dtpinn::kernels {

/// y = A x; x [cols], y [rows]. One group of 8, 16 or 32 lanes per row (chosen from the mean
/// row length), coalesced loads of col_idx/values, shuffle reduction.
void csr_spmv(const CsrView& a, const void* x, void* y, cudaStream_t stream);

/// Fused residual + square + reduce for the loss term mean((A u - f)^2):
///   r = A u - f            (written: autograd's backward needs it: dL/du = 2 scale A^T r)
///   *out = scale * sum(r^2) (one device scalar; scale = 1 / (rows * k) gives the mean)
/// u [cols, k], f and r [rows, k], all row-major (LibTorch contiguous); f may be null (f = 0).
/// Deterministic: fixed block partials reduced in a fixed order, no atomics.
class FusedResidual {
 public:
  /// Allocates the partial-sum buffer (cudaMalloc) for matrices with `rows` rows.
  FusedResidual(std::int64_t rows, DataType dtype);
  ~FusedResidual();
  FusedResidual(FusedResidual&&) noexcept;
  FusedResidual& operator=(FusedResidual&&) noexcept;
  FusedResidual(const FusedResidual&) = delete;
  FusedResidual& operator=(const FusedResidual&) = delete;

  void run(const CsrView& a, const void* u, const void* f, void* r, void* out, std::int64_t k,
           double scale, cudaStream_t stream) const;
  int blocks() const { return blocks_; }

 private:
  std::int64_t rows_ = 0;
  DataType dtype_ = DataType::fp64;
  int blocks_ = 0;
  void* partials_ = nullptr;
};

}  // namespace dtpinn::kernels
