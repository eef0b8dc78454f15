#pragma once
// The classical RBF-FD solution of the Poisson problem, the reference every PINN result is
// checked against:
//   linear:     L u = f on interior + boundary nodes,           B u = g on boundary nodes
//   nonlinear:  L u - exp(u) = f (Lap u = exp(u) + f, Newton),  B u = g
// With ghost nodes [L; B] is square ((Ni + 2Nb) x (Ni + 2Nb)); without ghosts the PDE rows of
// the boundary nodes are dropped (L's first Ni rows with B, square (Ni + Nb)). Sparse direct
// solve (Eigen SparseLU, COLAMD ordering).
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <Eigen/Core>

namespace dtpinn::rbffd {

struct SolveOptions {
  bool nonlinear = false;    ///< Lap u = exp(u) + f
  double tolerance = 1e-12;  ///< Newton: stop when max|du| <= tolerance * (1 + max|u|)
  int max_newton = 50;
};

struct SolveResult {
  Eigen::VectorXd u;          ///< N values (all nodes, ghosts included), node order
  double residual = 0.0;      ///< max-norm residual of the solved system / max(1, max|rhs|)
  int newton_iterations = 0;  ///< 0 for the linear solve
  bool used_boundary_pde_rows = true;  ///< false when the PDE rows of boundary nodes were dropped
  double seconds = 0.0;
};

/// L: (Ni + Nb) x N, B: Nb x N (operators.hpp), f: Ni + Nb values (node order), g: Nb values.
/// Throws std::invalid_argument on shape mismatch and std::runtime_error if the matrix is
/// singular or Newton does not converge.
SolveResult solve_poisson(const CsrMatrix& L, const CsrMatrix& B, const Eigen::VectorXd& f,
                          const Eigen::VectorXd& g, const SolveOptions& options = {});

}  // namespace dtpinn::rbffd
