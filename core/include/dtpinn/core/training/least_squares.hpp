#pragma once
// The loss as a least-squares problem, for second-order training (Gauss-Newton /
// Levenberg-Marquardt) and for the least-squares output layer.
//
// Every loss term is a weighted sum of squares (losses.hpp), so the weighted total is
//   loss(theta) = sum_i w_i s_i ||r_i(theta)||^2 = ||r(theta)||^2,
// with r = [sqrt(w_i s_i) r_i]_i the RESIDUAL VECTOR (M entries; term order, then rows, then
// slices) and J = dr/dtheta [M, P] its Jacobian (columns in the flat parameter layout of
// flat_parameters.hpp). For DT-PINN, J = sum_k diag(dR/dF_k) Op_k U with U = du/dtheta at every
// node (one reverse pass over per-row weights, Network::forward_per_row) and Op_k the rows, L,
// Dx, ...: sparse products, no per-row autograd. For the vanilla PINN every residual row depends
// on one input row, so each term's rows of J come from one reverse pass of the autograd residual.
//
// A Levenberg-Marquardt step d minimises ||J d + r||^2 + lambda ||d||^2, i.e. solves
// (J^T J + lambda I) d = -J^T r. Three equivalent forms (DampedLeastSquares):
//   dual    d = -J^T (J J^T + lambda I)^-1 r   (M x M Cholesky; M < P: Woodbury)
//   primal  d = -(J^T J + lambda I)^-1 J^T r   (P x P Cholesky)
//   cg      conjugate gradients on the primal system with products J v and J^T w only (the
//           Gram matrix is never formed; a few hundred MV products per step)
// Dense factorisations go through LibTorch's linear algebra, so the same code runs on CUDA.
// fp64 throughout (the tensors' dtype). Not thread-safe.
#include <dtpinn/core/problem/options.hpp>

#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>

namespace dtpinn::core {

/// Which columns of the Jacobian to build.
enum class JacobianColumns {
  none,          ///< only r, differentiable in the weights (tests, autograd checks)
  all,           ///< every parameter: J [M, P]
  output_layer,  ///< only the output layer's weight and bias (the last columns): J [M, width + 1]
};

/// The weighted residual vector r [M] (loss = r . r) and, when asked for, J [M, columns]; both
/// in the network's dtype and device. With JacobianColumns::none r keeps its autograd graph, else
/// both are detached.
struct ResidualSystem {
  at::Tensor r;
  at::Tensor J;
};

/// The form `automatic` picks for M residuals and P parameters: dual when M <= P, primal when a
/// P x P matrix of `bytes_per_value` takes at most `memory_mb`, else cg.
GnSolver choose_gn_solver(std::int64_t m, std::int64_t p, double memory_mb,
                          std::int64_t bytes_per_value = 8);

/// One damped least-squares problem min_d ||J d + r||^2 + lambda ||d||^2, prepared once (the Gram
/// matrix of the dual or primal form) and solved for as many lambda as a step needs.
class DampedLeastSquares {
 public:
  /// J [M, P], r [M]; `form` not automatic (choose_gn_solver first).
  DampedLeastSquares(at::Tensor J, at::Tensor r, GnSolver form, int cg_iterations = 200);

  GnSolver form() const { return form_; }
  /// ||J||_F^2 / P, the mean diagonal of J^T J: the unit of the damping.
  double gram_scale() const { return gram_scale_; }
  /// The step d [P] for this lambda > 0; undefined when the factorisation fails (a damping too
  /// small for the precision: raise it). The cg form asks `stop` (may be empty) before every
  /// iteration and, once it says true, returns the iterate it has (a descent direction of the
  /// damped model, as every CG iterate from 0 is).
  at::Tensor step(double lambda, const std::function<bool()>& stop = {}) const;
  /// ||r||^2 - ||r + J d||^2: the decrease of the loss the linear model predicts.
  double predicted_decrease(const at::Tensor& d) const;

 private:
  at::Tensor J_, r_, gram_, rhs_;  // gram_: J J^T (dual) or J^T J (primal); rhs_: J^T r
  GnSolver form_;
  int cg_iterations_;
  double gram_scale_ = 0.0;
};

/// argmin_c ||J c + r||^2 (J [M, k], r [M]) by a QR-based least-squares solve: the output
/// layer's correction. Columns that the data cannot tell apart get the minimum-norm answer.
at::Tensor least_squares_correction(const at::Tensor& J, const at::Tensor& r);

}  // namespace dtpinn::core
