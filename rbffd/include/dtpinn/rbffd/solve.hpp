#pragma once
// The classical RBF-FD linear solve, the reference every PINN result is checked against:
//   L u = f on interior + boundary nodes,   B u = g on boundary nodes
// With ghost nodes [L; B] is square ((Ni + 2Nb) x (Ni + 2Nb)); without ghosts the PDE rows of
// the boundary nodes are dropped (L's first Ni rows with B, square (Ni + Nb)). A nonlinear
// equation is solved by core::solve_equation (core/problem/solve.hpp), whose Newton steps are
// this solve with the Jacobian in place of L.
//
// Linear solvers: Eigen SparseLU (COLAMD ordering), or BiCGSTAB preconditioned by an incomplete
// LU with threshold (Eigen IncompleteLUT). RBF-FD matrices have n = 20..120 entries per row and
// their LU fills in badly (3D ball, N = 4089, p = 3: 4.8e6 nonzeros in L + U, 1.2e3 per row),
// so the direct solve costs seconds where the preconditioned iteration (5..250 iterations to a
// relative residual of 1e-13) costs a fraction of that. `automatic` takes the iteration for
// systems of at least `iterative_min_size` unknowns and falls back to SparseLU if it does not
// converge.
//
// Scaling: every row of [L; B] and its right-hand side is divided by the row's largest
// magnitude before the solve (row equilibration), so the solve does not depend on the units of
// the coordinates (L's rows scale like 1/h^2, B's like alpha/h + beta) nor on alpha, beta.
//
// Every solve checks itself: the relative residual of the equilibrated system,
//   max_i |D(A u - b)|_i / max_i |D b|_i   (D the row scaling),
// above SolveOptions::max_relative_residual (1e-8) is an error naming it (a singular or
// hopelessly ill-conditioned system), never a result; so is a solution that is not finite.
//
// Pure Neumann (SolveOptions::fix_mean): [L; B] then has the constants in its null space, and the
// solve is made unique by the value of the mean of u over the collocation nodes; the data's
// incompatibility (the discrete form of: the integral of f differs from the boundary flux) is
// taken up by a constant added to f, reported as SolveResult::source_shift.
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <Eigen/Core>
#include <string>

namespace dtpinn::rbffd {

enum class LinearSolver {
  automatic,  ///< BiCGSTAB + ILUT for N >= iterative_min_size (LU fallback), else SparseLU
  direct,     ///< Eigen SparseLU, COLAMD ordering
  iterative,  ///< BiCGSTAB + ILUT; falls back to SparseLU if it does not converge
};

struct SolveOptions {
  /// core::solve_equation's Newton loop: stop when max|du| <= tolerance * (1 + max|u|), or
  /// fail after max_newton steps.
  double tolerance = 1e-12;
  int max_newton = 50;
  LinearSolver linear_solver = LinearSolver::automatic;
  long iterative_min_size = 2000;      ///< automatic: smallest N solved iteratively
  double iterative_tolerance = 1e-13;  ///< BiCGSTAB: stop at |A u - b|_2 <= tol |b|_2
  int max_iterations = 2000;           ///< BiCGSTAB iterations before the LU fallback
  double ilut_drop_tolerance = 1e-2;   ///< ILUT: drop entries below this (relative to the row)
  int ilut_fill_factor = 3;            ///< ILUT: keep at most fill * nnz(row) entries per row
  /// The largest relative residual (above) a solve may end with; above it the solve throws.
  double max_relative_residual = 1e-8;
  /// Pure Neumann: fix the mean of u over the first `mean_nodes` unknowns (the collocation
  /// nodes, ghosts excluded) to `mean_value`, and solve L u = f + lambda, B u = g for u and the
  /// constant lambda (linear solves only; the matrix is solved by SparseLU).
  bool fix_mean = false;
  long mean_nodes = 0;
  double mean_value = 0.0;
};

struct SolveResult {
  Eigen::VectorXd u;      ///< N values (all nodes, ghosts included), node order
  double residual = 0.0;  ///< relative residual of the equilibrated system (above)
  /// fix_mean: lambda, the constant the source needed (L u = f + lambda).
  double source_shift = 0.0;
  int newton_iterations = 0;  ///< core::solve_equation's Newton steps (0 for a linear equation)
  bool used_boundary_pde_rows = true;  ///< false when the PDE rows of boundary nodes were dropped
  double seconds = 0.0;
  std::string method;  ///< the solver used: "SparseLU (COLAMD)", "BiCGSTAB + ILUT (K iterations)",
                       ///< "SparseLU (COLAMD) after BiCGSTAB failed: ..."
  int iterations = 0;  ///< BiCGSTAB iterations (0 for the direct solve)
};

/// L: (Ni + Nb) x N, B: Nb x N (operators.hpp), f: Ni + Nb values (node order), g: Nb values.
/// Throws std::invalid_argument on shape mismatch or bad options and std::runtime_error if the
/// matrix is singular (a zero row, a failed factorisation, or a relative residual above
/// max_relative_residual) or the solution is not finite.
SolveResult solve_poisson(const CsrMatrix& L, const CsrMatrix& B, const Eigen::VectorXd& f,
                          const Eigen::VectorXd& g, const SolveOptions& options = {});

}  // namespace dtpinn::rbffd
