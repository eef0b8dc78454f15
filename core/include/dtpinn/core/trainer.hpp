#pragma once
// Training: optimiser (L-BFGS with strong Wolfe or fixed step, Adam with step decay, Adam then
// L-BFGS), loss weights (fixed or learning-rate annealing, Wang, Teng & Perdikaris 2021), stop
// rules (epochs, time budget, target test error), metrics and the history.
//
// One epoch = one optimiser step (an L-BFGS step is up to train.max_iter iterations). The
// training clock runs only inside optimiser steps (and annealing updates): set-up, test-error
// evaluation, per-term gradient norms and logging are excluded.
#include <dtpinn/core/config.hpp>
#include <dtpinn/core/dataset.hpp>
#include <dtpinn/core/model.hpp>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace torch::optim {
class Optimizer;
}

namespace dtpinn::core {

struct HistoryRow {
  std::int64_t epoch = 0;
  double seconds = 0.0;            ///< training clock at this row
  double loss = 0.0;               ///< weighted total
  std::vector<double> terms;       ///< unweighted, in TrainResult::term_names order
  std::vector<double> weights;     ///< loss weights in force
  std::vector<double> grad_norms;  ///< ||d term / d theta||_2 per term
  double test_rel_l2 = -1.0;       ///< < 0 when there is no reference
};

struct TrainResult {
  std::string method, precision, device, pde, optimizer;
  std::int64_t n_nodes = 0, n_interior = 0, n_boundary = 0, n_ghost = 0, n_test = 0;
  int order = 0;
  std::int64_t n_parameters = 0;
  std::int64_t epochs = 0;
  double train_seconds = 0.0, seconds_per_epoch = 0.0, setup_seconds = 0.0;
  double final_loss = 0.0;
  std::vector<std::string> term_names;
  std::vector<double> final_terms, final_weights;
  double test_rel_l2 = -1.0, best_test_rel_l2 = -1.0;
  std::int64_t epochs_to_best = 0;
  double seconds_to_best = 0.0;
  std::string stop_reason;  ///< "epochs" | "time_budget" | "target_error"
  std::vector<HistoryRow> history;
  /// First training-clock time at which the test error was <= e (-1 if never).
  double seconds_to_error(double e) const;
  std::int64_t epochs_to_error(double e) const;
};

struct TrainOptions {
  std::ostream* log = nullptr;  ///< progress lines (null: silent)
  std::string label;            ///< prefix of progress lines ("dtpinn", "vanilla")
};

/// The relative l2 error ||u - ref|| / ||ref|| of the network on the test set (-1 if the data
/// has no reference).
double test_error(const Network& net, const Dataset& data);

/// Trains `net` in place. Throws std::runtime_error on a non-finite loss ("training diverged
/// at epoch N: ...") or bad training options; nothing is written anywhere.
TrainResult train(const RunConfig& config, const Dataset& data, Network& net,
                  const TrainOptions& options = {});

/// The fixed loss weights of train.weights for these term names (missing: 1). Throws
/// std::runtime_error naming a term the problem does not have or a negative weight.
std::vector<double> initial_loss_weights(const TrainConfig& t,
                                         const std::vector<std::string>& names);

/// One learning-rate-annealing update (Wang, Teng & Perdikaris, seed 001), shared by the
/// single-process and distributed trainers: w_i <- (1 - a) w_i + a max|g_pde| / mean|g_i| for
/// every term i but pde, from max_abs_pde = max |d L_pde / d theta| and mean_abs[i] =
/// mean |d L_i / d theta|; a term whose mean is 0 (or whose ratio is not finite) keeps its weight.
void anneal_loss_weights(std::vector<double>& w, std::size_t pde_index, double max_abs_pde,
                         const std::vector<double>& mean_abs, double alpha);

/// Intra-op threads of LibTorch and of the SpMV kernel (0 = leave the default: all cores).
void set_threads(int threads);

/// A network for `config` on `data` (dtype from train.precision, device from train.device,
/// seed from train.seed). Throws std::runtime_error for cuda without a CUDA device.
Network make_network(const RunConfig& config, const Dataset& data);

/// LibTorch's L-BFGS with the trainer's settings (lr, max_iter, history, line search, and
/// tolerances tight enough for fp64), shared by the single-process and distributed trainers.
std::unique_ptr<torch::optim::Optimizer> make_lbfgs(const TrainConfig& t,
                                                    const std::vector<at::Tensor>& params,
                                                    bool fp64);

}  // namespace dtpinn::core
