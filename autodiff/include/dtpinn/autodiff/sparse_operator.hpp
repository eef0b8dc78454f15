#pragma once
// A sparse RBF-FD operator (L or B) living on a device as LibTorch tensors, with its explicit
// transpose, applied by SpMV inside autograd: forward A u, backward A^T g (paper, appendix A.2).
// The transpose is stored, never formed on the fly: transpose-SpMV of a CSR matrix is slow.
//
// Shapes: A is rows x cols; u is [cols] or [cols, k] (k columns, e.g. the heat equation's time
// slices, one SpMV-with-many-vectors call); the result is [rows] or [rows, k]. dtype and device
// of u must match the operator's (fp64 by default; fp32 for ablations).
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <ATen/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <memory>

namespace dtpinn::autodiff {

/// CSR arrays as tensors on one device: row_ptr [rows + 1] and col_idx [nnz] int32, values
/// [nnz] in the operator's dtype.
struct CsrTensors {
  at::Tensor row_ptr;
  at::Tensor col_idx;
  at::Tensor values;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

class SparseOperator {
 public:
  /// Uploads A and A^T ("the precompute stage ends with CSR on the device").
  SparseOperator(const rbffd::CsrMatrix& a, const c10::TensorOptions& options);
  ~SparseOperator();
  SparseOperator(SparseOperator&&) noexcept;
  SparseOperator& operator=(SparseOperator&&) noexcept;

  std::int64_t rows() const { return a_.rows; }
  std::int64_t cols() const { return a_.cols; }
  std::int64_t nnz() const { return a_.values.numel(); }
  c10::Device device() const { return a_.values.device(); }
  c10::ScalarType dtype() const { return a_.values.scalar_type(); }
  const CsrTensors& matrix() const { return a_; }
  const CsrTensors& transpose() const { return at_; }

  /// y = A u, not recorded by autograd.
  at::Tensor multiply(const at::Tensor& u) const;
  /// y = A^T g, not recorded by autograd.
  at::Tensor multiply_transpose(const at::Tensor& g) const;
  /// y = A u, differentiable in u (the custom autograd function); backward is A^T grad.
  at::Tensor apply(const at::Tensor& u) const;
  /// Makes now, outside any CUDA graph capture, what the first CUDA apply to u [cols] (k = 0) or
  /// [cols, k] would make: cuSPARSE handles and descriptors, the work buffers of A and A^T for
  /// this k, the fused residual's buffer. A first use inside a capture throws
  /// std::runtime_error instead. No-op for a CPU operator; k < 0 throws std::invalid_argument.
  void prepare(std::int64_t k = 0) const;

  /// Backend state (cuSPARSE descriptors and work buffers, created once on first CUDA use).
  struct Backend;

 private:
  CsrTensors a_;
  CsrTensors at_;
  std::shared_ptr<Backend> backend_;
};

}  // namespace dtpinn::autodiff
