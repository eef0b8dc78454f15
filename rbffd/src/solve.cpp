// The classical sparse RBF-FD solve: [L; B] stacked and equilibrated here, solved by
// sparse_solve.hpp, checked here.
#include <dtpinn/rbffd/csr_block.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/solve.hpp>
#include <dtpinn/rbffd/sparse_solve.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace dtpinn::rbffd {

namespace {

// The pure Neumann system: the n equilibrated rows with a last unknown lambda (the source's
// constant, in the first l_rows rows: s_i (L u)_i - s_i lambda = s_i f_i) and a last row that
// pins u at node 0 (the mean is set after the solve: constants are in [L; B]'s null space).
CsrMatrix bordered(const CsrMatrix& a, std::int32_t l_rows, const Eigen::VectorXd& scale) {
  const std::int32_t n = a.rows;
  CsrBuilder out(n + 1, n + 1);
  out.add(0, 0, a);
  for (std::int32_t r = 0; r < l_rows; ++r) out.add_entry(r, n, -scale[r]);
  out.add_entry(n, 0, 1.0);
  return out.build();
}

SparseBackend backend_of(LinearSolver solver) {
  switch (solver) {
    case LinearSolver::direct:
      return SparseBackend::sparse_lu;
    case LinearSolver::iterative:
      return SparseBackend::bicgstab_ilut;
    case LinearSolver::automatic:
      break;
  }
  return SparseBackend::automatic;
}

void check_options(const SolveOptions& options, Eigen::Index n) {
  if (!(options.iterative_tolerance > 0.0) || options.max_iterations < 1 ||
      !(options.ilut_drop_tolerance >= 0.0) || options.ilut_fill_factor < 1)
    throw std::invalid_argument(
        "solve: iterative_tolerance, max_iterations, ilut_fill_factor must be > 0 and "
        "ilut_drop_tolerance >= 0");
  if (!(options.max_relative_residual > 0.0))
    throw std::invalid_argument("solve: max_relative_residual must be > 0");
  if (options.fix_mean &&
      (options.mean_nodes < 1 || options.mean_nodes > n || !std::isfinite(options.mean_value)))
    throw std::invalid_argument(fmt::format("solve: fix_mean over {} of {} unknowns, mean {}",
                                            options.mean_nodes, n, options.mean_value));
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
  check_options(options, L.cols);
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
  CsrMatrix a = vstack(top_rows(L, l_rows), B);
  const Eigen::VectorXd scale = equilibrate_rows(a, [l_rows](std::int32_t r) {
    return fmt::format("of [L; B] ({} row {})", r < l_rows ? "L" : "B",
                       r < l_rows ? r : r - l_rows);
  });
  Eigen::VectorXd rhs(n);
  rhs << f.head(l_rows), g;
  rhs = rhs.cwiseProduct(scale);
  const double rhs_norm = rhs.cwiseAbs().maxCoeff();

  // The equilibrated residual D (A x - b) (with the source's shift).
  auto residual_of = [&](const Eigen::VectorXd& x) {
    Eigen::VectorXd r = multiply(a, x) - rhs;
    if (options.fix_mean) r.head(l_rows) -= result.source_shift * scale.head(l_rows);
    return r;
  };
  auto relative = [&](const Eigen::VectorXd& r) {
    const double rn = r.cwiseAbs().maxCoeff();
    return rhs_norm > 0.0 ? rn / rhs_norm : (rn == 0.0 ? 0.0 : HUGE_VAL);
  };

  // The linear algebra is sparse_solve.hpp's; the check below is this solve's own (max-norm of
  // the equilibrated residual, shift included), so the backend's 2-norm check only guards
  // against garbage.
  SparseSolveOptions sparse;
  sparse.backend = options.fix_mean ? SparseBackend::sparse_lu : backend_of(options.linear_solver);
  sparse.iterative_min_size = options.iterative_min_size;
  sparse.iterative_tolerance = options.iterative_tolerance;
  sparse.max_iterations = options.max_iterations;
  sparse.ilut_drop_tolerance = options.ilut_drop_tolerance;
  sparse.ilut_fill_factor = options.ilut_fill_factor;
  sparse.max_relative_residual = std::max(options.max_relative_residual, 1e-6);
  Eigen::VectorXd u;
  try {
    if (options.fix_mean) {
      Eigen::VectorXd rhs1(n + 1);
      rhs1 << rhs, 0.0;
      const SparseSolveResult v = solve_sparse(bordered(a, l_rows, scale), rhs1, sparse);
      u = v.x.head(n);
      result.source_shift = v.x[n];
      // The constants solve the homogeneous system: set the mean over the collocation nodes.
      u.array() += options.mean_value - u.head(options.mean_nodes).mean();
      result.method = v.method + ", mean fixed";
    } else {
      const SparseSolveResult v = solve_sparse(a, rhs, sparse);
      u = v.x;
      result.method = v.method;
      result.iterations = v.iterations;
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(
        fmt::format("solve: {}: the RBF-FD system is singular or too ill-conditioned", e.what()));
  }
  if (!u.allFinite() || !std::isfinite(result.source_shift))
    throw std::runtime_error("solve: the solution is not finite");

  result.residual = relative(residual_of(u));
  if (!(result.residual <= options.max_relative_residual))
    throw std::runtime_error(fmt::format(
        "solve: the linear solve ended with relative residual {:.2e} (above {:.0e}; {}): the "
        "RBF-FD system is singular or too ill-conditioned to trust its solution; check the node "
        "set and the boundary conditions",
        result.residual, options.max_relative_residual, result.method));
  result.u = std::move(u);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace dtpinn::rbffd
