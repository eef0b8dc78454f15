// The classical sparse RBF-FD solve. CSR -> Eigen sparse conversion is private to this file
// (the public sparse format of rbffd/ stays CsrMatrix).
#include <dtpinn/rbffd/solve.hpp>

#include <fmt/format.h>
#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include <chrono>
#include <stdexcept>
#include <vector>

namespace dtpinn::rbffd {

namespace {

using SpMat = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;

// [L(0:l_rows); B] as an Eigen sparse matrix.
SpMat stack(const CsrMatrix& L, std::int32_t l_rows, const CsrMatrix& B) {
  std::vector<Eigen::Triplet<double, int>> t;
  t.reserve(static_cast<std::size_t>(L.row_ptr[l_rows] + B.nnz()));
  for (std::int32_t r = 0; r < l_rows; ++r)
    for (std::int32_t k = L.row_ptr[r]; k < L.row_ptr[r + 1]; ++k)
      t.emplace_back(r, L.col_idx[k], L.values[k]);
  for (std::int32_t r = 0; r < B.rows; ++r)
    for (std::int32_t k = B.row_ptr[r]; k < B.row_ptr[r + 1]; ++k)
      t.emplace_back(l_rows + r, B.col_idx[k], B.values[k]);
  SpMat a(l_rows + B.rows, L.cols);
  a.setFromTriplets(t.begin(), t.end());
  a.makeCompressed();
  return a;
}

}  // namespace

SolveResult solve_poisson(const CsrMatrix& L, const CsrMatrix& B, const Eigen::VectorXd& f,
                          const Eigen::VectorXd& g, const SolveOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (L.cols != B.cols)
    throw std::invalid_argument(fmt::format("solve: L has {} columns, B {}", L.cols, B.cols));
  if (f.size() != L.rows || g.size() != B.rows)
    throw std::invalid_argument(fmt::format("solve: f has {} values (L rows {}), g {} (B rows {})",
                                            f.size(), L.rows, g.size(), B.rows));
  if (!f.allFinite() || !g.allFinite())
    throw std::invalid_argument("solve: right-hand side is not finite");
  if (!(options.iterative_tolerance > 0.0) || options.max_iterations < 1 ||
      !(options.ilut_drop_tolerance >= 0.0) || options.ilut_fill_factor < 1)
    throw std::invalid_argument(
        "solve: iterative_tolerance, max_iterations, ilut_fill_factor must be > 0 and "
        "ilut_drop_tolerance >= 0");
  SolveResult result;
  std::int32_t l_rows = L.rows;
  if (L.rows + B.rows != L.cols) {
    // No ghost nodes: keep the PDE on interior nodes only (the first Ni = N - Nb rows).
    if (L.rows != L.cols || B.rows > L.rows)
      throw std::invalid_argument(fmt::format("solve: [L; B] is {} x {} and cannot be made square",
                                              L.rows + B.rows, L.cols));
    l_rows = L.cols - B.rows;
    result.used_boundary_pde_rows = false;
  }
  const Eigen::Index n = L.cols;
  Eigen::VectorXd rhs(n);
  rhs << f.head(l_rows), g;
  const double rhs_scale = std::max(1.0, rhs.cwiseAbs().maxCoeff());

  const SpMat a = stack(L, l_rows, B);
  Eigen::VectorXd u;
  const bool try_iterative =
      options.linear_solver == LinearSolver::iterative ||
      (options.linear_solver == LinearSolver::automatic && n >= options.iterative_min_size);
  std::string fallback_reason;
  if (try_iterative) {
    Eigen::BiCGSTAB<SpMat, Eigen::IncompleteLUT<double, int>> it;
    it.preconditioner().setDroptol(options.ilut_drop_tolerance);
    it.preconditioner().setFillfactor(options.ilut_fill_factor);
    it.setTolerance(options.iterative_tolerance);
    it.setMaxIterations(options.max_iterations);
    it.compute(a);
    if (it.info() == Eigen::Success) {
      u = it.solve(rhs);
      if (it.info() == Eigen::Success && u.allFinite()) {
        result.iterations = static_cast<int>(it.iterations());
        result.method = fmt::format("BiCGSTAB + ILUT ({} iterations)", result.iterations);
      } else {
        fallback_reason =
            fmt::format("BiCGSTAB did not converge in {} iterations (residual {:.2e})",
                        it.iterations(), it.error());
        u.resize(0);
      }
    } else {
      fallback_reason = "the incomplete LU failed";
    }
  }
  if (u.size() == 0) {
    Eigen::SparseLU<SpMat, Eigen::COLAMDOrdering<int>> lu;
    lu.analyzePattern(a);
    lu.factorize(a);
    if (lu.info() != Eigen::Success)
      throw std::runtime_error(fmt::format(
          "solve: sparse LU failed ({}): the RBF-FD system is singular", lu.lastErrorMessage()));
    u = lu.solve(rhs);
    result.method = fallback_reason.empty() ? std::string("SparseLU (COLAMD)")
                                            : "SparseLU (COLAMD) after " + fallback_reason;
  }
  if (!u.allFinite()) throw std::runtime_error("solve: the solution is not finite");

  result.residual = (a * u - rhs).cwiseAbs().maxCoeff() / rhs_scale;
  result.u = std::move(u);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace dtpinn::rbffd
