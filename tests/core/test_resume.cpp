// Interruption and resume of the training loop: a run stopped by its stop check (what a
// program's SIGINT / SIGTERM handler raises) and continued from its saved state equals one
// uninterrupted run of the same length. One thread, so that the floating-point sums run in one
// order. Also: the timed evaluation leaves the run unchanged, and check_training sees the loss
// the run starts from.
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace core = dtpinn::core;

namespace {

std::string tmp_dir(const std::string& name) {
  auto p = std::filesystem::path(DTPINN_BINARY_DIR) / "test_core_tmp" / name;
  // not std::filesystem::remove_all: libtorch.so exports a copy that crashes
  (void)std::system(("rm -rf '" + p.string() + "'").c_str());
  return p.string();
}

core::RunConfig small_config() {
  core::RunConfig c = core::default_config();
  c.domain.n = 300;
  c.domain.test_n = 800;
  c.rbffd.order = 3;
  c.model.depth = 2;
  c.model.width = 16;
  c.train.eval_every = 3;
  c.train.log_every = 1000000;
  c.train.time_budget = 0;
  c.train.epochs = 14;
  c.train.max_iter = 5;
  c.source = "test";
  return c;
}

const core::Dataset& data() {
  static const core::Dataset d = [] {
    torch::set_num_threads(1);
    core::DatasetOptions o;
    o.operators = true;
    return core::build_dataset(small_config(), o);
  }();
  return d;
}

/// The variants: optimiser, line search, loss weighting.
core::RunConfig variant(const std::string& v) {
  core::RunConfig c = small_config();
  if (v == "lbfgs_fixed") {
    c.train.line_search = core::LineSearch::none;
    c.train.lr = 0.2;
  } else if (v == "adam") {
    c.train.optimizer = core::Optimizer::adam;
    c.train.adam_lr = 3e-3;
    c.train.lr_decay = 0.9;
    c.train.lr_decay_every = 4;
  } else if (v == "adam_lbfgs") {  // interrupted in the Adam phase, resumed across the switch
    c.train.optimizer = core::Optimizer::adam_lbfgs;
    c.train.adam_epochs = 7;
  } else if (v == "gauss_newton") {  // its state is the damping
    c.train.optimizer = core::Optimizer::gauss_newton;
  } else if (v == "annealing") {
    c.train.loss_weights = core::LossWeighting::annealing;
    c.train.annealing_every = 2;
  }
  return c;
}

void expect_same_run(const core::TrainResult& a, const core::TrainResult& b, const std::string& v) {
  EXPECT_EQ(a.epochs, b.epochs) << v;
  EXPECT_EQ(a.final_loss, b.final_loss) << v;  // bitwise
  EXPECT_EQ(a.test_rel_l2, b.test_rel_l2) << v;
  EXPECT_EQ(a.best_test_rel_l2, b.best_test_rel_l2) << v;
  EXPECT_EQ(a.epochs_to_best, b.epochs_to_best) << v;
  EXPECT_EQ(a.final_weights, b.final_weights) << v;
  // b may hold one more row: the epoch of the interruption
  std::size_t j = 0;
  for (const auto& h : a.history) {
    while (j < b.history.size() && b.history[j].epoch < h.epoch) ++j;
    ASSERT_LT(j, b.history.size()) << v;
    EXPECT_EQ(b.history[j].epoch, h.epoch) << v;
    EXPECT_EQ(b.history[j].loss, h.loss) << v << " epoch " << h.epoch;
    EXPECT_EQ(b.history[j].terms, h.terms) << v << " epoch " << h.epoch;
    EXPECT_EQ(b.history[j].test_rel_l2, h.test_rel_l2) << v << " epoch " << h.epoch;
  }
}

}  // namespace

// The signal handler's flag, raised during the run, ends it with stop_reason "interrupted"
// (raised between epochs, during an evaluation, the next epoch does not start); continuing from
// the result gives the uninterrupted run, bitwise, for every optimiser with a saved state.
TEST(Resume, InterruptedAndResumedEqualsUninterrupted) {
  for (const std::string v :
       {"lbfgs_fixed", "lbfgs_wolfe", "adam", "adam_lbfgs", "gauss_newton", "annealing"}) {
    const core::RunConfig c = variant(v);
    core::Network whole = core::make_network(c, data());
    const core::TrainResult ref = core::train(c, data(), whole);
    ASSERT_EQ(ref.stop_reason, "epochs") << v;

    core::Network net = core::make_network(c, data());
    core::TrainOptions o;
    int evals = 0, signal = 0;
    // The "signal" arrives during the evaluation of epoch 3: epoch 4 does not start.
    o.test_error = [&] {
      if (++evals == 2) signal = SIGINT;
      return core::test_errors(net, data());
    };
    o.stop = [&] { return signal; };
    core::TrainResult part = core::train(c, data(), net, o);
    EXPECT_EQ(part.stop_reason, "interrupted") << v;
    EXPECT_EQ(part.epochs, 3) << v;
    EXPECT_EQ(part.history.back().epoch, 3) << v;
    EXPECT_FALSE(part.optimizer_state.empty()) << v;
    EXPECT_TRUE(part.best_parameters.defined()) << v;

    core::TrainOptions r;
    r.resume = &part;
    const core::TrainResult rest = core::train(c, data(), net, r);
    EXPECT_EQ(rest.stop_reason, "epochs") << v;
    expect_same_run(ref, rest, v);
    EXPECT_TRUE(torch::equal(core::flat_parameters(whole), core::flat_parameters(net))) << v;
  }
}

// The same through the run folder: results.json (history, clock, best), optimizer.pt and the
// weights are all a resumed run needs.
TEST(Resume, FromARunFolderEqualsOneLongRun) {
  for (const std::string v : {"lbfgs_fixed", "adam"}) {
    core::RunConfig c = variant(v);
    const std::string whole = tmp_dir("resume_whole_" + v), part = tmp_dir("resume_part_" + v);
    const core::TrainResult ref = core::run_train(c, whole, nullptr, &data());
    core::RunConfig shorter = c;
    shorter.train.epochs = 5;
    (void)core::run_train(shorter, part, nullptr, &data());
    const core::ResumeState s = core::load_resume_state(part);
    EXPECT_EQ(s.result.epochs, 5);
    const core::TrainResult rest = core::resume_train(c, s, part, nullptr);
    expect_same_run(ref, rest, v);
    EXPECT_TRUE(torch::equal(core::flat_parameters(core::load_checkpoint(whole)),
                             core::flat_parameters(core::load_checkpoint(part))))
        << v;
    EXPECT_EQ(rest.train_seconds >= s.result.train_seconds, true);
  }
}

// A system's history keeps each field's test error across a resume: the rows written before
// it come back from results.json, the resumed run equals one long run field by field, and
// history.csv has a column per field.
TEST(Resume, ASystemRunKeepsItsErrorPerField) {
  core::RunConfig c = core::parse_config(R"toml(
[problem]
fields = ["u", "v"]
equations = ["lap(u) + v - f", "lap(v) - f"]
[problem.exact]
u = "sin(x)*cos(y)"
v = "x*y + 1"
[domain]
shape = "rectangle"
n = 150
test_n = 300
[rbffd]
order = 3
[model]
depth = 2
width = 10
[train]
optimizer = "adam"
epochs = 6
eval_every = 2
log_every = 1000000
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "u"
type = "dirichlet"
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "v"
type = "dirichlet"
)toml",
                                         "system.toml");
  c.train.time_budget = 0;
  torch::set_num_threads(1);
  const core::Dataset d = core::build_dataset(c);
  const std::string whole = tmp_dir("resume_system_whole"), part = tmp_dir("resume_system_part");
  const core::TrainResult ref = core::run_train(c, whole, nullptr, &d);
  core::RunConfig shorter = c;
  shorter.train.epochs = 2;
  (void)core::run_train(shorter, part, nullptr, &d);
  const core::ResumeState s = core::load_resume_state(part);
  EXPECT_EQ(s.result.field_names, (std::vector<std::string>{"u", "v"}));
  ASSERT_EQ(s.result.history.size(), 2u);  // epochs 0 and 2
  const core::TrainResult rest = core::resume_train(c, s, part, nullptr);
  expect_same_run(ref, rest, "system");
  ASSERT_EQ(rest.history.size(), ref.history.size());
  for (std::size_t i = 0; i < ref.history.size(); ++i) {
    ASSERT_EQ(ref.history[i].field_test_rel_l2.size(), 2u) << i;
    EXPECT_GT(ref.history[i].field_test_rel_l2[0], 0) << i;
    EXPECT_EQ(rest.history[i].field_test_rel_l2, ref.history[i].field_test_rel_l2) << i;
  }
  std::ifstream csv(std::filesystem::path(part) / "history.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.substr(header.find(",test_rel_l2")), ",test_rel_l2,test_rel_l2:u,test_rel_l2:v");
}

TEST(Resume, RefusesAChangedConfigAndDeviceOptimisers) {
  core::RunConfig c = variant("lbfgs_fixed");
  const std::string dir = tmp_dir("resume_refused");
  core::RunConfig shorter = c;
  shorter.train.epochs = 3;
  (void)core::run_train(shorter, dir, nullptr, &data());
  const core::ResumeState s = core::load_resume_state(dir);
  // The stop rules may change ...
  core::RunConfig ok = c;
  ok.train.time_budget = 100;
  ok.train.target_error = 1e-9;
  EXPECT_NO_THROW(core::check_resume_config(s.config, ok, dir));
  // ... nothing else.
  core::RunConfig lr = c;
  lr.train.lr = 0.5;
  try {
    core::check_resume_config(s.config, lr, dir);
    ADD_FAILURE() << "a changed train.lr was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train.lr"), std::string::npos) << e.what();
  }
  core::RunConfig w = c;
  w.train.weights["bc"] = 2.0;
  EXPECT_THROW(core::check_resume_config(s.config, w, dir), std::runtime_error);
  // Nothing left to do.
  EXPECT_THROW(core::resume_train(shorter, s, dir, nullptr), std::runtime_error);
  // A device optimiser has no saved state to continue from.
  core::RunConfig dev = c;
  dev.train.optimizer = core::Optimizer::device_lbfgs;
  core::Network net = core::make_network(dev, data());
  core::TrainOptions o;
  o.resume = &s.result;
  try {
    (void)core::train(dev, data(), net, o);
    ADD_FAILURE() << "resuming device_lbfgs was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("device_lbfgs"), std::string::npos) << e.what();
  }
}

// A flag raised before the first epoch (a signal during the set-up) leaves nothing to keep.
TEST(Resume, AnInterruptBeforeTrainingThrowsInterrupted) {
  const core::RunConfig c = variant("lbfgs_fixed");
  core::Network net = core::make_network(c, data());
  core::TrainOptions o;
  o.stop = [] { return SIGTERM; };
  try {
    (void)core::train(c, data(), net, o);
    ADD_FAILURE() << "trained despite the interrupt";
  } catch (const core::Interrupted& e) {
    EXPECT_EQ(e.exit_code(), 143);
  }
}

// The timed evaluation (train.eval_seconds, compare's resolution) takes the test error at
// every epoch that ends that long after the last evaluation, on top of eval_every, and the
// evaluations do not change the run: the same weights and losses, bitwise.
TEST(TimedEvaluation, AddsRowsWithoutChangingTheRun) {
  core::RunConfig every_third = variant("lbfgs_fixed");
  core::RunConfig timed = every_third;
  timed.train.eval_seconds = 1e-12;  // every epoch is due
  core::Network a = core::make_network(every_third, data());
  core::Network b = core::make_network(timed, data());
  const core::TrainResult ra = core::train(every_third, data(), a);
  const core::TrainResult rb = core::train(timed, data(), b);
  ASSERT_EQ(rb.history.size(), static_cast<std::size_t>(timed.train.epochs) + 1);
  for (std::size_t i = 0; i < rb.history.size(); ++i) EXPECT_EQ(rb.history[i].epoch, i);
  std::vector<std::int64_t> epochs;
  for (const auto& h : ra.history) epochs.push_back(h.epoch);
  EXPECT_EQ(epochs, (std::vector<std::int64_t>{0, 3, 6, 9, 12, 14}));
  EXPECT_EQ(ra.final_loss, rb.final_loss);
  EXPECT_EQ(ra.final_weights, rb.final_weights);
  for (const auto& h : ra.history) EXPECT_EQ(h.loss, rb.history[std::size_t(h.epoch)].loss);
  // A resolution longer than the run adds nothing.
  timed.train.eval_seconds = 1e9;
  core::Network c = core::make_network(timed, data());
  EXPECT_EQ(core::train(timed, data(), c).history.size(), ra.history.size());
}

// What `dtpinn check` reports is what training starts from: the loss terms and their values at
// the initial weights equal the first history row of the run.
TEST(TimedEvaluation, CheckTrainingSeesTheRunsFirstLoss) {
  const core::RunConfig c = variant("lbfgs_fixed");
  core::Network net = core::make_network(c, data());
  const core::TrainingCheck check = core::check_training(c, data(), net);
  const core::TrainResult r = core::train(c, data(), net);
  EXPECT_EQ(check.terms, r.term_names);
  ASSERT_EQ(check.initial_values.size(), r.history[0].terms.size());
  for (std::size_t i = 0; i < check.terms.size(); ++i)
    EXPECT_NEAR(check.initial_values[i], r.history[0].terms[i],
                1e-12 * std::abs(r.history[0].terms[i]))
        << check.terms[i];
  core::RunConfig bad = c;
  bad.train.weights = {{"bc:lid", 2.0}};
  EXPECT_THROW(core::check_training(bad, data(), net), std::runtime_error);
}
