#pragma once
// The classical RBF-FD solution of a problem's steady equation (problem/equation.hpp), the
// reference the PINNs are checked against when there is no exact solution:
//   R(u, lap(u), u_x, u_y, u_z; x, f) = 0 at the Ni + Nb collocation rows,  B u = g  (Nb rows)
// with lap(u) = L u, u_x = Dx u, ... A linear R is one sparse solve of
//   [sum_k diag(dR/dF_k) Op_k ; B] u = [-R(0) ; g]      (F_k the fields, Op_k their operators)
// and a nonlinear one Newton's method on the same system with the Jacobian from the symbolic
// derivatives dR/dF_k at the iterate (from u = 0). A time-dependent R (with c u_t, c constant)
// is stepped by BDF2 (the first step implicit Euler) from u0, each level the same solve with
// u_t = (3 u - 4 u^n + u^(n-1)) / (2 dt). LibTorch-free; rbffd::solve_poisson does the linear
// algebra.
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/rbffd/csr_matrix.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <Eigen/Core>

#include <functional>
#include <vector>

namespace dtpinn::core {

/// Pure Neumann (Problem::fixes_mean): the largest constant, relative to the data's size
/// (max|f|, max|g| / R with R the node set's radius), the source may be off by before the solve
/// refuses the data as incompatible (the integral of f differs from the boundary flux).
/// Compatible manufactured data measure the discretisation's own imbalance: 5e-4 on the unit
/// disk at N = 200, p = 2, 1.4e-7 at N = 2000, p = 4; data off by 1% are refused.
inline constexpr double kMaxIncompatibility = 1e-2;

/// True when the equation needs the gradient operators (it uses u_x, u_y or u_z).
bool uses_gradient(const Equation& equation);

/// Solves the problem's steady equation on `nodes` (with ghosts): L and, when the equation uses
/// them, D = {Dx, Dy[, Dz]}, all (Ni + Nb) x N; B (Nb x N) and g (Nb) of its boundary
/// conditions. Pure Neumann: the mean rule fixes the constant (problem.hpp); the result's
/// source_shift is the constant f was off by. Throws std::runtime_error for a time-dependent
/// equation, a singular system (relative residual above options.max_relative_residual), a value
/// that is not finite, Newton not converging (naming the iteration and the update), or pure
/// Neumann data off by more than kMaxIncompatibility.
rbffd::SolveResult solve_equation(const Problem& problem, const nodegen::NodeSet& nodes,
                                  const rbffd::CsrMatrix& L, const std::vector<rbffd::CsrMatrix>& D,
                                  const rbffd::CsrMatrix& B, const Eigen::VectorXd& g,
                                  const rbffd::SolveOptions& options = {});

/// A time-dependent equation from u0 at t = 0 through `times` (ascending, times[0] = 0), with
/// `substeps` BDF2 steps per interval; g(t): the boundary data (Nb) at time t. Returns u at the
/// Ni + Nb collocation nodes, one column per time (column 0 = u0). Throws as solve_equation.
Eigen::MatrixXd solve_in_time(const Problem& problem, const nodegen::NodeSet& nodes,
                              const rbffd::CsrMatrix& L, const std::vector<rbffd::CsrMatrix>& D,
                              const rbffd::CsrMatrix& B,
                              const std::function<Eigen::VectorXd(double)>& g,
                              const std::vector<double>& times, int substeps,
                              const rbffd::SolveOptions& options = {});

}  // namespace dtpinn::core
