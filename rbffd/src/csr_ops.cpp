// Small CSR utilities (see csr_ops.hpp).
#include <dtpinn/rbffd/csr_ops.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dtpinn::rbffd {

Eigen::VectorXd multiply(const CsrMatrix& a, const Eigen::VectorXd& x) {
  if (x.size() != a.cols)
    throw std::invalid_argument(
        fmt::format("rbffd: multiply: vector has {} entries, matrix {} columns", x.size(), a.cols));
  Eigen::VectorXd y(a.rows);
#pragma omp parallel for schedule(static)
  for (std::int32_t r = 0; r < a.rows; ++r) {
    double s = 0.0;
    for (std::int32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k)
      s += a.values[k] * x[a.col_idx[k]];
    y[r] = s;
  }
  return y;
}

CsrMatrix transpose(const CsrMatrix& a) {
  CsrMatrix t;
  t.rows = a.cols;
  t.cols = a.rows;
  t.row_ptr.assign(static_cast<std::size_t>(t.rows) + 1, 0);
  for (std::int32_t c : a.col_idx) ++t.row_ptr[c + 1];
  for (std::int32_t r = 0; r < t.rows; ++r) t.row_ptr[r + 1] += t.row_ptr[r];
  t.col_idx.resize(a.col_idx.size());
  t.values.resize(a.values.size());
  std::vector<std::int32_t> next(t.row_ptr.begin(), t.row_ptr.end() - 1);
  // Rows of A in increasing order, so each row of A^T receives increasing column indices.
  for (std::int32_t r = 0; r < a.rows; ++r)
    for (std::int32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
      const std::int32_t dst = next[a.col_idx[k]]++;
      t.col_idx[dst] = r;
      t.values[dst] = a.values[k];
    }
  return t;
}

CsrMatrix vstack(const CsrMatrix& a, const CsrMatrix& b) {
  if (a.cols != b.cols)
    throw std::invalid_argument(
        fmt::format("rbffd: vstack: {} and {} columns differ", a.cols, b.cols));
  CsrMatrix m;
  m.rows = a.rows + b.rows;
  m.cols = a.cols;
  m.row_ptr = a.row_ptr;
  if (m.row_ptr.empty()) m.row_ptr.push_back(0);
  const std::int32_t offset = m.row_ptr.back();
  for (std::size_t r = 1; r < b.row_ptr.size(); ++r) m.row_ptr.push_back(offset + b.row_ptr[r]);
  m.col_idx = a.col_idx;
  m.col_idx.insert(m.col_idx.end(), b.col_idx.begin(), b.col_idx.end());
  m.values = a.values;
  m.values.insert(m.values.end(), b.values.begin(), b.values.end());
  return m;
}

CsrMatrix top_rows(const CsrMatrix& a, std::int32_t rows) {
  if (rows < 0 || rows > a.rows)
    throw std::invalid_argument(fmt::format("rbffd: top_rows: {} of {} rows", rows, a.rows));
  CsrMatrix m;
  m.rows = rows;
  m.cols = a.cols;
  m.row_ptr.assign(a.row_ptr.begin(), a.row_ptr.begin() + rows + 1);
  m.col_idx.assign(a.col_idx.begin(), a.col_idx.begin() + m.row_ptr.back());
  m.values.assign(a.values.begin(), a.values.begin() + m.row_ptr.back());
  return m;
}

void check_csr(const CsrMatrix& a) {
  if (a.rows < 0 || a.cols < 0) throw std::invalid_argument("rbffd: CSR with negative shape");
  if (a.row_ptr.size() != static_cast<std::size_t>(a.rows) + 1 || a.row_ptr[0] != 0)
    throw std::invalid_argument("rbffd: CSR row_ptr has the wrong size or start");
  if (a.col_idx.size() != a.values.size() ||
      static_cast<std::size_t>(a.row_ptr.back()) != a.values.size())
    throw std::invalid_argument("rbffd: CSR nnz inconsistent");
  for (std::int32_t r = 0; r < a.rows; ++r) {
    if (a.row_ptr[r + 1] < a.row_ptr[r])
      throw std::invalid_argument(fmt::format("rbffd: CSR row_ptr decreases at row {}", r));
    for (std::int32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
      if (a.col_idx[k] < 0 || a.col_idx[k] >= a.cols)
        throw std::invalid_argument(fmt::format("rbffd: CSR column out of range in row {}", r));
      if (k > a.row_ptr[r] && a.col_idx[k] <= a.col_idx[k - 1])
        throw std::invalid_argument(fmt::format("rbffd: CSR columns unsorted in row {}", r));
      if (!std::isfinite(a.values[k]))
        throw std::invalid_argument(fmt::format("rbffd: CSR value not finite in row {}", r));
    }
  }
}

Eigen::MatrixXd to_dense(const CsrMatrix& a) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(a.rows, a.cols);
  for (std::int32_t r = 0; r < a.rows; ++r)
    for (std::int32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k)
      m(r, a.col_idx[k]) += a.values[k];
  return m;
}

Eigen::VectorXd equilibrate_rows(CsrMatrix& a,
                                 const std::function<std::string(std::int32_t)>& where) {
  Eigen::VectorXd scale(a.rows);
  for (std::int32_t r = 0; r < a.rows; ++r) {
    double biggest = 0.0;
    for (std::int32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k)
      biggest = std::max(biggest, std::abs(a.values[k]));
    if (!(biggest > 0.0) || !std::isfinite(biggest))
      throw std::runtime_error(fmt::format("solve: row {} {} is {}: the system is singular", r,
                                           where(r), biggest > 0.0 ? "not finite" : "zero"));
    scale[r] = 1.0 / biggest;
    for (std::int32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) a.values[k] *= scale[r];
  }
  return scale;
}

}  // namespace dtpinn::rbffd
