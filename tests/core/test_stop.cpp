// The training loop's one stop predicate inside an epoch (trainer.hpp, "Stopping"): an interrupt
// or the time budget ends an epoch of max_iter = 10^6 L-BFGS iterations, a device L-BFGS epoch
// or a Gauss-Newton step between two evaluations, for every optimiser, and leaves weights the
// run can be written and resumed from.
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <string>

namespace core = dtpinn::core;

namespace {

/// Epochs that only a stop ends: 10^6 L-BFGS iterations each, fixed steps too short to stall.
core::RunConfig long_epochs() {
  core::RunConfig c = core::default_config();
  c.domain.n = 200;
  c.domain.test_n = 400;
  c.rbffd.order = 3;
  c.model.depth = 2;
  c.model.width = 10;
  c.train.epochs = 1000000;
  c.train.max_iter = 1000000;
  c.train.line_search = core::LineSearch::none;
  c.train.lr = 0.01;
  c.train.time_budget = 0;
  c.train.eval_every = 1;
  c.train.log_every = 1000000;
  c.source = "test";
  return c;
}

const core::Dataset& data() {
  static const core::Dataset d = [] {
    torch::set_num_threads(1);
    core::DatasetOptions o;
    o.operators = true;
    return core::build_dataset(long_epochs(), o);
  }();
  return d;
}

/// An interrupt query that answers SIGINT from its k-th call on, and counts the calls.
struct Countdown {
  int at;
  int calls = 0;
  int operator()() { return ++calls >= at ? SIGINT : 0; }
};

core::RunConfig with_optimizer(core::Optimizer o) {
  core::RunConfig c = long_epochs();
  c.train.optimizer = o;
  if (o == core::Optimizer::gauss_newton) c.train.gn_solver = core::GnSolver::cg;
  return c;
}

}  // namespace

// An interrupt after 40 loss evaluations of the first L-BFGS epoch (fixed step and strong
// Wolfe): the epoch ends there, the weights are the best point it evaluated (below the start),
// and the run resumes from its state without a curvature pair of the cut iteration.
TEST(StopInsideAnEpoch, LbfgsEndsBetweenEvaluationsWithConsistentWeights) {
  for (const auto search : {core::LineSearch::none, core::LineSearch::strong_wolfe}) {
    const char* what = search == core::LineSearch::none ? "fixed step" : "strong Wolfe";
    core::RunConfig c = long_epochs();
    c.train.line_search = search;
    if (search == core::LineSearch::strong_wolfe) c.train.lr = 1.0;
    core::Network net = core::make_network(c, data());
    Countdown stop{40};
    core::TrainOptions o;
    o.stop = [&stop] { return stop(); };
    const core::TrainResult r = core::train(c, data(), net, o);
    EXPECT_EQ(r.stop_reason, "interrupted") << what;
    EXPECT_EQ(r.epochs, 1) << what;
    // The loop asks once before training, then before every evaluation of the epoch (the 40th
    // call is the stop), then once after the epoch: without the in-epoch check the epoch would
    // run its 10^6 iterations.
    EXPECT_EQ(stop.calls, 41) << what;
    ASSERT_EQ(r.history.size(), 2u) << what;
    EXPECT_LT(r.history[1].loss, r.history[0].loss) << what;
    EXPECT_FALSE(r.optimizer_state.empty()) << what;

    // Resumed from that state (stopped again 60 evaluations into its first epoch): it loads,
    // and the loss goes on down.
    Countdown again_stop{60};
    core::TrainOptions again;
    again.resume = &r;
    again.stop = [&again_stop] { return again_stop(); };
    const core::TrainResult rest = core::train(c, data(), net, again);
    EXPECT_EQ(rest.stop_reason, "interrupted") << what;
    EXPECT_EQ(rest.epochs, 2) << what;
    EXPECT_LT(rest.final_loss, r.final_loss) << what;
  }
}

// Gauss-Newton asks between its CG iterations: a stop inside the solve keeps the weights of the
// step's start (no trial of a partial direction) and the damping.
TEST(StopInsideAnEpoch, GaussNewtonKeepsTheStepsStart) {
  const core::RunConfig c = with_optimizer(core::Optimizer::gauss_newton);
  core::Network net = core::make_network(c, data());
  const at::Tensor start = core::flat_parameters(net);
  // Calls: the loop's check before training, the step's check before the solve, then the CG
  // iterations: the third call comes inside the solve.
  Countdown stop{4};
  core::TrainOptions o;
  o.stop = [&stop] { return stop(); };
  const core::TrainResult r = core::train(c, data(), net, o);
  EXPECT_EQ(r.stop_reason, "interrupted");
  EXPECT_EQ(r.epochs, 1);
  EXPECT_TRUE(torch::equal(core::flat_parameters(net), start));
  EXPECT_EQ(r.final_loss, r.history.front().loss);
  EXPECT_EQ(r.optimizer_state, "gauss_newton 0.001");  // the damping kept
}

// The device L-BFGS asks before every iteration of its epoch (one CUDA graph replay each on a
// GPU): 30 iterations of an epoch of 10^6, and the loss went down.
TEST(StopInsideAnEpoch, DeviceLbfgsEndsBetweenIterations) {
  const core::RunConfig c = with_optimizer(core::Optimizer::device_lbfgs);
  core::Network net = core::make_network(c, data());
  Countdown stop{30};
  core::TrainOptions o;
  o.stop = [&stop] { return stop(); };
  const core::TrainResult r = core::train(c, data(), net, o);
  EXPECT_EQ(r.stop_reason, "interrupted");
  EXPECT_EQ(r.epochs, 1);
  EXPECT_EQ(stop.calls, 31);
  EXPECT_LT(r.history.back().loss, r.history.front().loss);
}

// The time budget is the same predicate: every optimiser stops within one evaluation of it, on
// the training clock, whatever max_iter is.
TEST(StopInsideAnEpoch, TheTimeBudgetHoldsForEveryOptimiser) {
  for (const auto opt : {core::Optimizer::lbfgs, core::Optimizer::adam, core::Optimizer::adam_lbfgs,
                         core::Optimizer::device_lbfgs, core::Optimizer::device_adam,
                         core::Optimizer::gauss_newton}) {
    core::RunConfig c = with_optimizer(opt);
    c.train.time_budget = 0.4;
    c.train.adam_epochs = 5;  // adam_lbfgs: into the long L-BFGS epoch
    c.train.eval_every = 1000;
    core::Network net = core::make_network(c, data());
    core::TrainOptions o;
    o.stop = [] { return 0; };
    const auto t0 = std::chrono::steady_clock::now();
    const core::TrainResult r = core::train(c, data(), net, o);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string what = core::to_string(opt);
    EXPECT_EQ(r.stop_reason, "time_budget") << what;
    EXPECT_GE(r.train_seconds, 0.4) << what;
    // One evaluation of this problem takes milliseconds; the margin is for a loaded machine.
    EXPECT_LT(r.train_seconds, 0.9) << what;
    EXPECT_LT(wall, 5.0) << what;
    EXPECT_TRUE(std::isfinite(r.final_loss)) << what;
  }
}
