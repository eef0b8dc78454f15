#pragma once
// A CSR matrix living in device memory, described by raw pointers (the caller owns the memory:
// LibTorch tensors, cudaMalloc'd arrays...). Shapes: rows x cols, row_ptr [rows + 1] and
// col_idx [nnz] int32 (0-based, sorted within a row), values [nnz] fp64 or fp32.
#include <cstdint>

namespace dtpinn::kernels {

enum class DataType { fp64, fp32 };
/// Layout of a dense k-column block: row_major is LibTorch's contiguous [n, k] (element (i, j)
/// at i * k + j); col_major is element (i, j) at j * n + i. No padding in either.
enum class DenseLayout { row_major, col_major };

inline std::int64_t element_size(DataType t) {
  return t == DataType::fp64 ? 8 : 4;
}

struct CsrView {
  const std::int32_t* row_ptr = nullptr;  ///< device, rows + 1 entries
  const std::int32_t* col_idx = nullptr;  ///< device, nnz entries
  const void* values = nullptr;           ///< device, nnz entries of dtype
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t nnz = 0;
  DataType dtype = DataType::fp64;
};

/// Host-side checks only (no device access): non-null pointers (unless nnz == 0 for col_idx and
/// values), non-negative sizes that fit int32. Throws std::invalid_argument naming the field.
void validate(const CsrView& a);

}  // namespace dtpinn::kernels
