#pragma once
// Assembly of a sparse matrix from blocks: the coupled system of several fields, where block
// (i, j) holds the derivative of equation i with respect to field j, a sum of operators scaled
// row by row (sum_k diag(c_ijk) Op_k), and the boundary rows of each field.
//
// Layout is the caller's: a block is placed by its first row and first column in the result.
// Entries added at the same position are summed; explicit zeros are kept (so that a Newton
// Jacobian keeps one sparsity pattern across iterations, whatever its values).
// Not thread-safe (one builder per thread); build() is const and may run repeatedly.
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace dtpinn::rbffd {

class CsrBuilder {
 public:
  /// An empty rows x cols matrix (both >= 0).
  CsrBuilder(std::int32_t rows, std::int32_t cols);

  /// Adds scale * diag(row_scale) * a(first_row : first_row + n_rows, :) with its top-left corner
  /// at (row0, col0): row first_row + r of `a` goes to row row0 + r, column c to col0 + c.
  /// n_rows < 0 means every row from first_row on. row_scale: empty, or n_rows values (one
  /// factor per added row, e.g. a coefficient field sampled at the row's node). Throws
  /// std::invalid_argument when the block does not fit or the sizes disagree.
  void add(std::int32_t row0, std::int32_t col0, const CsrMatrix& a, double scale = 1.0,
           std::int32_t first_row = 0, std::int32_t n_rows = -1,
           const Eigen::VectorXd& row_scale = Eigen::VectorXd());

  /// Adds d(k) at (row0 + k, col0 + k), k < d.size() (a Jacobian's pointwise term).
  void add_diagonal(std::int32_t row0, std::int32_t col0, const Eigen::VectorXd& d);

  /// Adds v at (row, col).
  void add_entry(std::int32_t row, std::int32_t col, double v);

  /// The matrix: columns sorted within each row, duplicates summed.
  CsrMatrix build() const;

  std::int32_t rows() const { return rows_; }
  std::int32_t cols() const { return cols_; }

 private:
  struct Entry {
    std::int32_t row, col;
    double value;
  };
  std::int32_t rows_, cols_;
  std::vector<Entry> entries_;
};

}  // namespace dtpinn::rbffd
