#pragma once
// Training: ONE loop for one process and for many (train_loop over an Objective, objective.hpp):
// optimiser (L-BFGS with strong Wolfe or fixed step, Adam with step decay, Adam then L-BFGS, the
// flat-buffer device optimisers), loss weights (fixed or learning-rate annealing, Wang, Teng &
// Perdikaris 2021), stop rules (epochs, time budget, target test error), metrics and the history.
//
// One epoch = one optimiser step (an L-BFGS step is up to train.max_iter iterations). The
// training clock runs only inside optimiser steps (and annealing updates): set-up, test-error
// evaluation, per-term gradient norms and logging are excluded. Every history row (and so
// final_loss) is the loss at the weights of that epoch's end, evaluated afresh.
//
// Stopping: the loop asks ONE stop predicate (the time budget on the training clock, or the
// interrupt query of TrainOptions) between epochs and, inside an epoch, between the optimiser's
// iterations and loss evaluations (L-BFGS closures and line-search trials, the device optimisers'
// iterations, Gauss-Newton's solves, CG iterations and backtracking trials). An epoch cut short
// leaves consistent weights: L-BFGS keeps the best point it evaluated in that epoch (the last
// iterate or a better line-search trial) and forgets the interrupted step's curvature pair;
// Gauss-Newton keeps the weights of the step's start; the device optimisers stop between
// iterations. The epoch then counts as done and the run ends as usual (written complete).
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/model.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtpinn::core {

class Objective;

struct HistoryRow {
  std::int64_t epoch = 0;
  double seconds = 0.0;            ///< training clock at this row
  double loss = 0.0;               ///< weighted total
  std::vector<double> terms;       ///< unweighted, in TrainResult::term_names order
  std::vector<double> weights;     ///< loss weights in force
  std::vector<double> grad_norms;  ///< ||d term / d theta||_2 per term
  double test_rel_l2 = -1.0;       ///< < 0 when there is no reference
  /// A system's test error per field (TrainResult::field_names order; < 0: none); empty for
  /// one field, and on the ranks other than the root of a distributed run.
  std::vector<double> field_test_rel_l2;
};

struct TrainResult {
  Method method = Method::dtpinn;
  Precision precision = Precision::fp64;
  Optimizer optimizer = Optimizer::lbfgs;
  PdeKind pde = PdeKind::poisson;
  std::string device;  ///< where it ran: "cpu", "cuda:0"
  std::int64_t n_nodes = 0, n_interior = 0, n_boundary = 0, n_ghost = 0, n_test = 0;
  int order = 0;
  std::int64_t n_parameters = 0;
  std::int64_t epochs = 0;
  double train_seconds = 0.0, seconds_per_epoch = 0.0, setup_seconds = 0.0;
  double final_loss = 0.0;
  std::vector<std::string> term_names;
  /// A system's fields, in order (each history row's field_test_rel_l2); empty for one field.
  std::vector<std::string> field_names;
  std::vector<double> final_terms, final_weights;
  double test_rel_l2 = -1.0, best_test_rel_l2 = -1.0;
  std::int64_t epochs_to_best = 0;
  double seconds_to_best = 0.0;
  /// "epochs" | "time_budget" | "target_error" | "interrupted" (TrainOptions::stop asked)
  std::string stop_reason;
  std::vector<HistoryRow> history;
  /// The flat weights (Objective::flat() layout) at the best test error (undefined when there
  /// is no reference: then the last weights are the best known).
  at::Tensor best_parameters;
  /// The optimiser's state at the end (a torch archive as bytes; empty for the device
  /// optimisers, which keep none that can be saved): what `train --resume` continues from.
  std::string optimizer_state;
};

/// Asks a run to stop early: returns the signal that asked (SIGINT, SIGTERM; 0: carry on).
/// The program around the engine provides it (`dtpinn` and the Python module: their signal
/// handlers' flag, apps/lab interrupt.hpp); it is called from the training thread only.
using StopCheck = std::function<int()>;

struct TrainOptions {
  std::ostream* log = nullptr;  ///< progress lines (null: silent)
  std::string label;            ///< prefix of progress lines ("dtpinn fp64")
  /// The test error of the network as it is now (all -1: no reference; per field for a
  /// system). Called on the root process only; the loop shares `all` with every rank.
  std::function<TestError()> test_error;
  /// Continue this earlier run instead of starting afresh: its history, epoch count, training
  /// clock, loss weights, best error (and best_parameters) and optimizer_state. The network
  /// must already hold its last weights. Throws std::runtime_error when the optimiser has no
  /// resumable state (device_lbfgs, device_adam) or the loss terms differ.
  const TrainResult* resume = nullptr;
  /// The run folder `resume` was read from, for messages ("runs/a/optimizer.pt: ...").
  std::string resume_from;
  /// The external stop request: the signal number (> 0) once the run should end as
  /// "interrupted", 0 while it should go on. Asked often, between epochs and inside them (every
  /// loss evaluation): it must be cheap and must not block. Read on the root process (every
  /// rank follows its answer): the run then ends with stop_reason "interrupted", or with
  /// Interrupted before the first epoch. Empty: never.
  StopCheck stop;
  /// The functions of the equation that are not defined for every u (Equation::
  /// restricted_functions_of_u: "log(u), sqrt(u)"): a NaN loss is then blamed on them, not on
  /// the problem's data. train() fills it from the equation when empty.
  std::string restricted_functions;
};

/// What an optimiser asks between its iterations and evaluations inside an epoch: true once the
/// run must stop (the loop's one stop predicate: time budget or TrainOptions::stop). Every rank
/// of a distributed objective gets the same answer at the same call, so each rank must make the
/// same calls.
using StopQuery = std::function<bool()>;

/// Thrown when a run is stopped (TrainOptions::stop) before anything worth keeping exists
/// (before the first epoch), or by the command layer after the interrupted run was written.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& what) : std::runtime_error(what), signal_(signal) {}
  int signal() const { return signal_; }
  /// The conventional exit status: 128 + signal (130 for SIGINT, 143 for SIGTERM).
  int exit_code() const { return 128 + signal_; }

 private:
  int signal_;
};

/// "SIGINT", "SIGTERM", "signal N".
std::string signal_name(int signal);

/// Whether the loop takes the test error after `epoch`, which ended `seconds_since_evaluation`
/// training seconds after the last evaluation: every train.eval_every epochs and, when
/// train.eval_seconds > 0, after the first epoch ending that long after the last evaluation
/// (so the error curve has points at least that close in training time, whatever the epoch
/// length). The last epoch is always evaluated as well.
bool evaluation_due(const TrainConfig& t, std::int64_t epoch, double seconds_since_evaluation);

/// The relative l2 error ||u - ref|| / ||ref|| of the network on the test set, over all fields
/// and (a system) per field; all = -1 if the data has no reference.
TestError test_errors(const Network& net, const Dataset& data);
/// test_errors(net, data).all.
double test_error(const Network& net, const Dataset& data);

/// The result's description of a run (method, precision, device, problem, node and parameter
/// counts; no training numbers yet): what train() and the distributed run both report.
TrainResult describe_run(const RunConfig& config, const Dataset& data, const Network& net);

/// THE training loop: minimises `objective` under `config.train`'s optimiser, loss weights and
/// stop rules, and fills `result`'s training numbers and history (its description is kept).
/// Every rank of a distributed objective takes the same decisions (stop rules read rank 0).
/// Throws std::runtime_error on a non-finite loss ("training diverged at epoch N: ...").
void train_loop(Objective& objective, const RunConfig& config, const TrainOptions& options,
                TrainResult& result);

/// What a run is checked for before its first epoch, and what the checks found.
struct TrainingCheck {
  std::vector<std::string> terms;      ///< the loss terms ("pde", "bc:NAME", "ic")
  std::vector<double> weights;         ///< their initial weights (train.weights, default 1)
  std::vector<double> initial_values;  ///< their values at the initial weights
};
/// The checks of the loss made before training: the loss of config.train.method on `data`
/// (DT-PINN: its operators), train.weights against its terms, and a finite loss at the initial
/// weights (the config, the least-squares output layer included, by validate_config). Throws
/// std::runtime_error (one line) as the training loop would at its start.
TrainingCheck check_training(const RunConfig& config, const Dataset& data, const Network& net);

/// One process: the loss of `config.train.method` on the whole of `data`, through train_loop.
/// Trains `net` in place; throws std::runtime_error on bad options or divergence; writes
/// nothing anywhere.
TrainResult train(const RunConfig& config, const Dataset& data, Network& net,
                  const TrainOptions& options = {});

/// The fixed loss weights of train.weights for these term names (missing: 1). Throws
/// std::runtime_error naming a term the problem does not have or a negative weight.
std::vector<double> initial_loss_weights(const TrainConfig& t,
                                         const std::vector<std::string>& names);

/// One learning-rate-annealing update (Wang, Teng & Perdikaris, seed 001): w_i <- (1 - a) w_i + a
/// max|g_pde| / mean|g_i| for every term i but pde, from max_abs_pde = max |d L_pde / d theta| and
/// mean_abs[i] = mean |d L_i / d theta|; a term whose mean is 0 (or whose ratio is not finite)
/// keeps its weight.
void anneal_loss_weights(std::vector<double>& w, std::size_t pde_index, double max_abs_pde,
                         const std::vector<double>& mean_abs, double alpha);

/// The network's weights as one flat vector (FlatParameters layout: parameters() order).
at::Tensor flat_parameters(const Network& net);
/// A copy of `net` (same config, box, dtype, device) holding the flat weights `flat`.
Network network_with_parameters(const Network& net, const at::Tensor& flat);

/// Intra-op threads of LibTorch and of the SpMV kernel (0 = leave the default: all cores).
void set_threads(int threads);

/// A network for `config` on `data` (dtype from train.precision, device from train.device,
/// seed from train.seed). Throws std::runtime_error for cuda without a CUDA device.
Network make_network(const RunConfig& config, const Dataset& data);

}  // namespace dtpinn::core
