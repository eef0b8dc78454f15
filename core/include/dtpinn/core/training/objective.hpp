#pragma once
// What the training loop minimises: the weighted sum of a problem's loss terms, as a function of
// the network's parameters held in one flat buffer (flat_parameters.hpp).
//
// One process: the terms come from a Loss over the whole problem. Many processes
// (distributed/train.hpp): each process holds a block of rows and a subclass sums the block's
// values and gradients over the processes in reduce(), so that every rank sees the GLOBAL loss
// and gradient and takes the same optimiser step. The training loop (trainer.hpp) sees only this
// interface, and so does the same thing for one process and for many.
//
// Weights: one per term, held both on the host and as a device tensor [T] (a CUDA graph captured
// around closure() reads them from device memory, so annealing can change them between
// replays). Not thread-safe; every rank must make the same calls in the same order (the
// collective ones are marked).
#include <dtpinn/core/training/flat_parameters.hpp>
#include <dtpinn/core/training/least_squares.hpp>
#include <dtpinn/core/training/model.hpp>

#include <ATen/Tensor.h>

#include <functional>
#include <string>
#include <vector>

namespace dtpinn::core {

class Objective {
 public:
  /// The unweighted loss terms at the network's current weights, differentiable in the weights.
  using TermsFn = std::function<std::vector<at::Tensor>(const Network&)>;

  /// `names`: one per term, in the order `terms` returns them; weights start at 1.
  /// `input_derivatives`: the terms differentiate the network in its inputs (autograd PINN,
  /// u_t by autograd), so they cannot be evaluated under NoGradGuard.
  Objective(Network& net, std::vector<std::string> names, TermsFn terms,
            bool input_derivatives = true);
  virtual ~Objective();
  Objective(const Objective&) = delete;
  Objective& operator=(const Objective&) = delete;

  const std::vector<std::string>& names() const { return names_; }
  Network& network() { return net_; }
  FlatParameters& flat() { return flat_; }

  /// Loss weights in names() order (>= 0).
  void set_weights(const std::vector<double>& w);
  const std::vector<double>& weights() const { return weights_; }

  /// Collective. Zeroes the gradient, evaluates the weighted total, backpropagates: afterwards
  /// flat().grads() holds the global gradient. Returns the global total as a detached device
  /// scalar (no host sync).
  at::Tensor closure();
  /// Collective. The global weighted total without autograd (line-search trial points). Only
  /// when has_loss_only(): the terms need no input derivatives (the DT-PINN losses).
  at::Tensor loss_only();
  bool has_loss_only() const { return !input_derivatives_; }

  /// The global weighted total as a host number, with or without input derivatives (what a
  /// Levenberg-Marquardt trial point needs). Collective.
  double loss_value();

  /// The terms as one least-squares system (least_squares.hpp), for Gauss-Newton and the
  /// least-squares output layer: r . r = the weighted total at the current loss weights.
  using ResidualFn =
      std::function<ResidualSystem(const Network&, const std::vector<double>&, JacobianColumns)>;
  void set_residuals(ResidualFn residuals) { residuals_ = std::move(residuals); }
  bool has_residuals() const { return static_cast<bool>(residuals_); }
  /// One process only (a distributed objective throws std::logic_error: its rows of J live on
  /// different ranks).
  ResidualSystem residuals(JacobianColumns columns);

  /// train.output_layer = least_squares: before every evaluation (closure, loss_only,
  /// loss_value, term_gradients) the output layer's weight and bias are set to the exact
  /// minimiser of the loss for the current hidden layers (residuals linear in them: one
  /// least-squares solve of [M, width + 1]). Needs residuals.
  void set_output_layer_least_squares(bool on);

  /// The global terms and the gradient of each term separately, at the current weights.
  struct TermGradients {
    std::vector<double> terms;  ///< unweighted, names() order
    at::Tensor grads;           ///< [T, P], rows in names() order, fp64 on the host
  };
  /// Collective: one forward pass, T backward passes, one reduction.
  TermGradients term_gradients();

  /// Collective. Rank 0's value on every rank (the test error, the clock's stop decision), so that
  /// every rank decides the same. One process: v.
  virtual double from_root(double v) { return v; }
  /// True on the process that writes the run (rank 0).
  virtual bool is_root() const { return true; }
  /// False when reduce() cannot be captured in a CUDA graph (a Gloo allreduce).
  virtual bool capturable() const { return true; }

 protected:
  /// Sums `buffer` (any shape) over the processes in place. One process: nothing to do.
  virtual void reduce(at::Tensor& buffer) { (void)buffer; }
  /// True when reduce() does something (saves the copies into the reduction buffer otherwise).
  virtual bool reduces() const { return false; }

 private:
  at::Tensor weighted_total(const std::vector<at::Tensor>& terms) const;
  /// The least-squares output layer's solve, when on (a no-op otherwise).
  void fit_output_layer();

  Network& net_;
  std::vector<std::string> names_;
  TermsFn terms_;
  bool input_derivatives_;
  FlatParameters flat_;
  std::vector<double> weights_;
  at::Tensor weights_device_;  ///< [T] in the network's dtype and device
  at::Tensor buffer_;          ///< [P + 1]: gradient and total, reduced together
  ResidualFn residuals_;
  bool output_layer_ls_ = false;
  std::int64_t output_parameters_ = 0;  ///< the last entries of flat(): the output layer
};

}  // namespace dtpinn::core
