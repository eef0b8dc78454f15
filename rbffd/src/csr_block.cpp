// Block assembly of sparse matrices (csr_block.hpp).
#include <dtpinn/rbffd/csr_block.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace dtpinn::rbffd {

CsrBuilder::CsrBuilder(std::int32_t rows, std::int32_t cols) : rows_(rows), cols_(cols) {
  if (rows < 0 || cols < 0)
    throw std::invalid_argument(fmt::format("CsrBuilder: {} x {} matrix", rows, cols));
}

void CsrBuilder::add(std::int32_t row0, std::int32_t col0, const CsrMatrix& a, double scale,
                     std::int32_t first_row, std::int32_t n_rows,
                     const Eigen::VectorXd& row_scale) {
  if (n_rows < 0) n_rows = a.rows - first_row;
  if (first_row < 0 || n_rows < 0 || first_row + n_rows > a.rows)
    throw std::invalid_argument(fmt::format("CsrBuilder: rows [{}, {}) of a {}-row block",
                                            first_row, first_row + n_rows, a.rows));
  if (row0 < 0 || col0 < 0 || row0 + n_rows > rows_ || col0 + a.cols > cols_)
    throw std::invalid_argument(
        fmt::format("CsrBuilder: a {} x {} block at ({}, {}) does not fit {} x {}", n_rows, a.cols,
                    row0, col0, rows_, cols_));
  if (row_scale.size() != 0 && row_scale.size() != n_rows)
    throw std::invalid_argument(
        fmt::format("CsrBuilder: {} row factors for {} rows", row_scale.size(), n_rows));
  entries_.reserve(entries_.size() +
                   static_cast<std::size_t>(a.row_ptr[first_row + n_rows] - a.row_ptr[first_row]));
  for (std::int32_t r = 0; r < n_rows; ++r) {
    const double s = row_scale.size() ? scale * row_scale[r] : scale;
    for (std::int32_t k = a.row_ptr[first_row + r]; k < a.row_ptr[first_row + r + 1]; ++k)
      entries_.push_back({row0 + r, col0 + a.col_idx[k], s * a.values[k]});
  }
}

void CsrBuilder::add_diagonal(std::int32_t row0, std::int32_t col0, const Eigen::VectorXd& d) {
  const auto n = static_cast<std::int32_t>(d.size());
  if (row0 < 0 || col0 < 0 || row0 + n > rows_ || col0 + n > cols_)
    throw std::invalid_argument(
        fmt::format("CsrBuilder: a diagonal of {} at ({}, {}) does not fit {} x {}", n, row0, col0,
                    rows_, cols_));
  for (std::int32_t k = 0; k < n; ++k) entries_.push_back({row0 + k, col0 + k, d[k]});
}

void CsrBuilder::add_entry(std::int32_t row, std::int32_t col, double v) {
  if (row < 0 || col < 0 || row >= rows_ || col >= cols_)
    throw std::invalid_argument(
        fmt::format("CsrBuilder: entry ({}, {}) outside {} x {}", row, col, rows_, cols_));
  entries_.push_back({row, col, v});
}

CsrMatrix CsrBuilder::build() const {
  // Bucket by row (counting sort), then sort and merge each row's columns.
  CsrMatrix m;
  m.rows = rows_;
  m.cols = cols_;
  std::vector<std::int64_t> start(static_cast<std::size_t>(rows_) + 1, 0);
  for (const Entry& e : entries_) ++start[static_cast<std::size_t>(e.row) + 1];
  for (std::int32_t r = 0; r < rows_; ++r) start[r + 1] += start[r];
  std::vector<std::pair<std::int32_t, double>> bucket(entries_.size());
  {
    std::vector<std::int64_t> next(start.begin(), start.end() - 1);
    for (const Entry& e : entries_) bucket[next[e.row]++] = {e.col, e.value};
  }
  m.row_ptr.assign(static_cast<std::size_t>(rows_) + 1, 0);
  m.col_idx.reserve(entries_.size());
  m.values.reserve(entries_.size());
  for (std::int32_t r = 0; r < rows_; ++r) {
    // Stable: duplicates are summed in the order they were added.
    std::stable_sort(bucket.begin() + start[r], bucket.begin() + start[r + 1],
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::int64_t k = start[r]; k < start[r + 1]; ++k) {
      if (!m.col_idx.empty() && static_cast<std::int64_t>(m.col_idx.size()) > m.row_ptr[r] &&
          m.col_idx.back() == bucket[k].first)
        m.values.back() += bucket[k].second;
      else {
        m.col_idx.push_back(bucket[k].first);
        m.values.push_back(bucket[k].second);
      }
    }
    if (m.col_idx.size() >= static_cast<std::size_t>(INT32_MAX))
      throw std::invalid_argument("CsrBuilder: the nonzeros do not fit 32-bit indices");
    m.row_ptr[r + 1] = static_cast<std::int32_t>(m.col_idx.size());
  }
  return m;
}

}  // namespace dtpinn::rbffd
