#pragma once
// Gauss-Newton / Levenberg-Marquardt on an Objective's residual vector (least_squares.hpp): what
// train.optimizer = gauss_newton runs, one step per epoch through the single training loop.
//
// A step: J and r at the current weights; d(lambda) = argmin ||J d + r||^2 + lambda ||d||^2 with
// lambda = mu * mean diag(J^T J) (dual, primal or CG form, train.gn_solver); then the step length
// t = 1, 1/2, ..., 1/64 until the loss decreases (a backtracking line search: the loss never
// goes up). The damping follows the gain ratio rho = actual / predicted decrease of the full step
// (Nielsen 1999: mu *= max(1/3, 1 - (2 rho - 1)^3)); a shortened step keeps mu, a direction
// along which nothing decreases multiplies it by 8 and the step is solved again (at most 8
// dampings). One process; fp64 or fp32 as the network; the CPU or CUDA as the network.
#include <dtpinn/core/problem/options.hpp>

#include <functional>
#include <string>

namespace dtpinn::core {

class Objective;

struct GaussNewtonOptions {
  GnSolver solver = GnSolver::automatic;
  double damping = 1e-3;    ///< the first mu
  int cg_iterations = 200;  ///< per solve, the cg form
  double memory_mb = 4096;  ///< automatic: the largest dense Gram matrix before cg
};

class GaussNewton {
 public:
  explicit GaussNewton(const GaussNewtonOptions& options);
  /// One step on `objective` (its weights change in place); returns the loss at the start.
  /// `stop` (may be empty) is asked before every solve, every CG iteration and every trial
  /// point: once it says true the step ends at once with the weights of its start (mu kept).
  /// Throws std::runtime_error when the objective has no residual vector.
  double step(Objective& objective, const std::function<bool()>& stop = {});
  /// The damping mu in force (relative to mean diag(J^T J)).
  double damping() const { return mu_; }
  /// The form the last step used (automatic resolved).
  GnSolver last_form() const { return last_form_; }
  /// "gauss_newton MU": what `train --resume` continues from.
  std::string save_state() const;
  /// Throws std::runtime_error for text that save_state did not write.
  void load_state(const std::string& text);

 private:
  GaussNewtonOptions o_;
  double mu_;
  GnSolver last_form_ = GnSolver::automatic;
};

}  // namespace dtpinn::core
