#pragma once
// Sparse linear systems A x = b with A in CSR (csr_matrix.hpp): the classical solve of one field
// (solve.hpp) and of a coupled system of F fields, one sparse system of the stacked unknowns
// (csr_block.hpp builds it). Square systems go to an LU or a preconditioned iteration;
// rectangular or rank-deficient ones to SuiteSparseQR (sparse least squares).
//
// Backends (SparseBackend):
//   sparse_lu      Eigen SparseLU, COLAMD ordering (square)
//   bicgstab_ilut  Eigen BiCGSTAB preconditioned by IncompleteLUT (square); falls back to
//                  SparseLU when it does not converge
//   umfpack        SuiteSparse UMFPACK multifrontal LU (square)
//   spqr           SuiteSparseQR multifrontal rank-revealing QR: any shape; min |A x - b|_2 for
//                  tall or rank-deficient A, a solution of A x = b for wide A (LeastSquares)
// The default (automatic) is chosen by measurement (bench/bench_sparse_solvers, results in
// bench/results/<machine>/sparse_solvers.md): BiCGSTAB + ILUT was the fastest on every square
// system measured, scalar [L; B] (disk p = 4 and 5, ball p = 4: 2.5x to 37x faster than
// SparseLU) and coupled Stokes-type (1x to 2.7x), though the coupled ones need 800..1400
// iterations and at h = 0.07 did not converge in 2000 (the SparseLU fallback then solves them).
// UMFPACK (Debian's reference BLAS) is within 1.25x of SparseLU on the coupled systems, slower
// on the 2D scalar ones and faster on the 3D ball; SPQR costs 4x to 37x the fastest square
// backend, so it is the choice only for rectangular or rank-deficient systems. For the repeated
// solves of Newton's method, with one sparsity pattern, a SparseSolver with sparse_lu reuses its
// ordering.
//
// Every solve checks itself: SparseSolveResult carries the relative residual of the returned
// x, recomputed from A, and (least squares) the optimality residual |A^T r| / (|A|_F |r|); a
// result beyond SparseSolveOptions::max_relative_residual is an error, never returned.
//
// Fields without a boundary condition (a pressure): give them no ghost unknowns. Their
// operators come from the node set without ghosts (operators.hpp), so that every field
// contributes as many unknowns as rows (Ni + 2 Nb with a condition, Ni + Nb without) and the
// coupled system is square. A pressure defined up to a constant (pure Dirichlet velocity)
// leaves that square system singular by one: solve it with spqr (rank n - 1 detected, the
// constant fixed by the basic solution), or border it (one mean-pressure equation and one
// unknown added to the continuity rows) and use any backend. Ghost unknowns for such a field
// leave Nb unknowns without an equation; measured in tests/rbffd/test_coupled_solve.cpp and
// the docs: their values are arbitrary and the velocity does not converge.
//
// Thread-safety: a SparseSolver is not thread-safe; distinct solvers may run concurrently.
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <Eigen/Core>
#include <memory>
#include <optional>
#include <string>

namespace dtpinn::rbffd {

enum class SparseBackend {
  /// The measured default: square systems of at least iterative_min_size unknowns go to
  /// bicgstab_ilut (SparseLU fallback), smaller ones to sparse_lu; any other shape to spqr.
  automatic,
  sparse_lu,
  bicgstab_ilut,
  umfpack,
  spqr,
};

/// "auto", "sparselu", "bicgstab", "umfpack", "spqr" (options and logs).
const char* to_string(SparseBackend backend);
/// The backend named `name` (as to_string writes it); empty for any other string.
std::optional<SparseBackend> sparse_backend_from_name(const std::string& name);

/// What spqr returns when A x = b has many solutions (wide or rank-deficient A).
enum class LeastSquares {
  basic,     ///< x = E (R \ Q^T b): the n - rank free unknowns (picked by the QR) are zero
  min_norm,  ///< the solution of least 2-norm (a second QR, of A^T; wide full-rank A only)
};

struct SparseSolveOptions {
  SparseBackend backend = SparseBackend::automatic;
  long iterative_min_size = 2000;  ///< automatic: smallest square system solved iteratively
  LeastSquares least_squares = LeastSquares::basic;
  /// SPQR: columns of 2-norm <= tolerance count as dependent (rank detection); < 0: SPQR's
  /// default, 20 (m + n) eps max_j |A_j|_2.
  double rank_tolerance = -1.0;
  double iterative_tolerance = 1e-13;  ///< BiCGSTAB: stop at |A x - b|_2 <= tol |b|_2
  int max_iterations = 2000;           ///< BiCGSTAB iterations before the SparseLU fallback
  double ilut_drop_tolerance = 1e-2;   ///< ILUT: drop entries below this (relative to the row)
  int ilut_fill_factor = 3;            ///< ILUT: keep at most fill * nnz(row) entries per row
  /// A solve whose relative residual exceeds this is an error (std::runtime_error); for spqr
  /// an inconsistent least-squares system is accepted when its optimality residual is below it.
  double max_relative_residual = 1e-6;
};

struct SparseSolveResult {
  Eigen::VectorXd x;               ///< A.cols values
  double relative_residual = 0.0;  ///< |A x - b|_2 / |b|_2 (|A x|_2 if b = 0)
  /// Least squares (spqr): |A^T r|_2 / (|A|_F |r|_2), r = A x - b (0 when r = 0): ~eps at an
  /// optimum. Zero for the square backends.
  double optimality_residual = 0.0;
  long rank = -1;      ///< spqr: the numerical rank found; LU backends: cols (full by success)
  long nullity = 0;    ///< cols - rank: the dimension of the solutions' null space
  int iterations = 0;  ///< BiCGSTAB iterations (0 for the direct backends)
  /// The backend that produced x: "UMFPACK", "SparseLU (COLAMD)", "BiCGSTAB + ILUT (K
  /// iterations)", "SparseLU (COLAMD) after BiCGSTAB failed: ...", "SPQR (rank r of n)".
  std::string method;
  double seconds = 0.0;  ///< factorisation (if done by this call) and solve
};

/// Factor once, solve many right-hand sides. factorize() again with a matrix of the same
/// sparsity pattern (a Newton Jacobian) reuses the symbolic analysis (SparseLU, UMFPACK).
class SparseSolver {
 public:
  explicit SparseSolver(const SparseSolveOptions& options = {});
  ~SparseSolver();
  SparseSolver(SparseSolver&&) noexcept;
  SparseSolver& operator=(SparseSolver&&) noexcept;

  /// Factorizes A (rows x cols; square for every backend but spqr). Throws
  /// std::invalid_argument for a malformed or non-finite A, a rectangular A for a square
  /// backend, bad options; std::runtime_error when the factorisation fails (an LU backend
  /// on a singular A: the message suggests spqr).
  void factorize(const CsrMatrix& a);

  /// Solves with the last factorisation; b has A.rows values. Throws std::logic_error before
  /// factorize(), std::invalid_argument on a size mismatch or non-finite b, and
  /// std::runtime_error when the result fails its residual check.
  SparseSolveResult solve(const Eigen::VectorXd& b);

  /// Solves A x = b for an A near the factorised matrix (the next Jacobian of a Newton
  /// iteration, same size): BiCGSTAB preconditioned by the held LU factorisation, to
  /// options().iterative_tolerance. Returns std::nullopt when it does not get there in
  /// `max_iterations` (A has drifted too far: factorize(A) then). Direct backends only
  /// (sparse_lu, umfpack; std::logic_error otherwise); the result passes solve()'s checks.
  std::optional<SparseSolveResult> solve_nearby(const CsrMatrix& a, const Eigen::VectorXd& b,
                                                int max_iterations);

  const SparseSolveOptions& options() const { return options_; }

 private:
  struct Impl;
  SparseSolveOptions options_;
  std::unique_ptr<Impl> impl_;
};

/// One-shot: SparseSolver(options).factorize(a), then solve(b).
SparseSolveResult solve_sparse(const CsrMatrix& a, const Eigen::VectorXd& b,
                               const SparseSolveOptions& options = {});

}  // namespace dtpinn::rbffd
