#pragma once
// y = A x and Y = A X through cuSPARSE's generic API (cusparseSpMV / cusparseSpMM), with the
// matrix descriptor made once per operator and the dense descriptors and work buffers made once
// per (k, layout) and cached. Each apply runs on the caller's stream, never synchronises the
// host and never allocates after the first call for a given shape (call prepare() before a CUDA
// graph capture so that no allocation happens during capture; a first use of a shape inside a
// capture throws std::runtime_error rather than invalidating it).
//
// The transpose A^T is not applied by this class: store A^T as its own CSR matrix (transpose
// SpMV of a CSR matrix is slow) and give it its own CsrOperator.
// Not thread-safe: one operator is used from one host thread at a time, and on one stream at a
// time (its cached work buffer is shared by all applies; use one operator per concurrent stream).
#include <dtpinn/kernels/csr.hpp>

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace dtpinn::kernels {

class CsrOperator {
 public:
  /// Creates a cuSPARSE handle and the CSR descriptor on the current device. The arrays in `a`
  /// must stay valid for the operator's lifetime. Throws std::invalid_argument on a bad view,
  /// CudaError on a CUDA/cuSPARSE failure (e.g. no device).
  explicit CsrOperator(const CsrView& a);
  /// The same, sharing `share_handle_of`'s cuSPARSE handle (one handle for many operators, e.g.
  /// hundreds of copies of A in a benchmark); operators sharing a handle must be used from one
  /// host thread. The handle lives as long as any operator holding it.
  CsrOperator(const CsrView& a, const CsrOperator& share_handle_of);
  ~CsrOperator();
  CsrOperator(CsrOperator&&) noexcept;
  CsrOperator& operator=(CsrOperator&&) noexcept;
  CsrOperator(const CsrOperator&) = delete;
  CsrOperator& operator=(const CsrOperator&) = delete;

  const CsrView& view() const;

  /// y = alpha A x + beta y; x [cols], y [rows], device pointers of the operator's dtype.
  /// With beta == 0, y need not be initialised.
  void spmv(const void* x, void* y, cudaStream_t stream, double alpha = 1.0, double beta = 0.0);
  /// Y = alpha A X + beta Y; X [cols, k], Y [rows, k] in `layout` (k >= 1).
  void spmm(const void* x, void* y, std::int64_t k, DenseLayout layout, cudaStream_t stream,
            double alpha = 1.0, double beta = 0.0);
  /// Creates the descriptors and work buffer for k columns (k == 0: the SpMV path) now; call it
  /// outside any CUDA graph capture.
  void prepare(std::int64_t k, DenseLayout layout = DenseLayout::row_major);
  /// Bytes of cuSPARSE work buffers held (all cached shapes).
  std::size_t workspace_bytes() const;

 private:
  CsrOperator(const CsrView& a, const CsrOperator* share);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dtpinn::kernels
