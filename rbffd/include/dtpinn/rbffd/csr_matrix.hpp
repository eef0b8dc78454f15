#pragma once
// Compressed sparse row matrix, fp64 values, 32-bit indices: the one sparse format that leaves
// rbffd/. Column indices are sorted within each row. Conversion to Eigen sparse and to LibTorch
// tensors lives outside rbffd/ (core/, autodiff/).
#include <cstdint>
#include <vector>

namespace dtpinn::rbffd {

struct CsrMatrix {
  std::int32_t rows = 0;
  std::int32_t cols = 0;
  std::vector<std::int32_t> row_ptr;  ///< rows + 1 entries, row_ptr[0] = 0
  std::vector<std::int32_t> col_idx;  ///< nnz entries
  std::vector<double> values;         ///< nnz entries

  std::int64_t nnz() const { return static_cast<std::int64_t>(values.size()); }
};

}  // namespace dtpinn::rbffd
