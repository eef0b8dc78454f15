// compare's verdict against the error curves it reads: two runs whose error curves never cross
// (DT-PINN's error half the vanilla's at every training time) give a speed-up >= 1 once the
// error is taken at compare's time resolution, while the epoch rule alone (every 10 epochs)
// can flip it, as a user saw. The histories are sampled from known curves by the training
// loop's own evaluation rule (core::evaluation_due).
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/compare.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace dtpinn;

namespace {

/// A run of `seconds_per_epoch` epochs under `budget` seconds whose test error at training time
/// t is error(t), evaluated where the loop would evaluate it (and after the last epoch).
core::TrainResult sampled_run(core::Method method, double seconds_per_epoch, double budget,
                              const core::TrainConfig& t,
                              const std::function<double(double)>& error) {
  core::TrainResult r;
  r.method = method;
  auto record = [&](std::int64_t epoch, double seconds) {
    core::HistoryRow h;
    h.epoch = epoch;
    h.seconds = seconds;
    h.test_rel_l2 = error(seconds);
    if (r.best_test_rel_l2 < 0 || h.test_rel_l2 < r.best_test_rel_l2)
      r.best_test_rel_l2 = h.test_rel_l2;
    r.history.push_back(h);
  };
  record(0, 0.0);
  for (std::int64_t epoch = 1;; ++epoch) {
    const double now = seconds_per_epoch * static_cast<double>(epoch);
    const bool last = now >= budget;
    if (last || core::evaluation_due(t, epoch, now - r.history.back().seconds)) record(epoch, now);
    if (last) break;
  }
  r.epochs = r.history.back().epoch;
  return r;
}

}  // namespace

TEST(CompareVerdict, CurvesThatNeverCrossGiveAConsistentSpeedup) {
  // The vanilla error exp(-t / 4), DT-PINN's half of it at every time: DT-PINN is ahead
  // throughout. DT-PINN epochs of 1 s, vanilla epochs of 1.75 s, a 17.5 s budget.
  const auto vanilla_error = [](double t) { return std::exp(-t / 4.0); };
  const auto dtpinn_error = [&](double t) { return 0.5 * vanilla_error(t); };
  core::TrainConfig coarse;
  coarse.eval_every = 10;
  coarse.eval_seconds = 0.0;
  core::TrainConfig fine = coarse;
  fine.eval_seconds = 0.5;  // compare's default resolution

  // Every 10 epochs only: DT-PINN's error is read at 0, 10 and 18 s, and the vanilla's best
  // (at its last evaluation, 17.5 s) is "reached" by DT-PINN at 18 s: a speed-up below 1,
  // against curves that never cross.
  const auto coarse_result =
      lab::compare_results(sampled_run(core::Method::dtpinn, 1.0, 17.5, coarse, dtpinn_error),
                           sampled_run(core::Method::vanilla, 1.75, 17.5, coarse, vanilla_error));
  EXPECT_LT(coarse_result.speedup_at_common, 1.0);
  EXPECT_DOUBLE_EQ(coarse_result.dtpinn_resolution, 10.0);

  // At compare's resolution the verdict agrees with the curves.
  const auto d = sampled_run(core::Method::dtpinn, 1.0, 17.5, fine, dtpinn_error);
  const auto v = sampled_run(core::Method::vanilla, 1.75, 17.5, fine, vanilla_error);
  const auto c = lab::compare_results(d, v);
  EXPECT_DOUBLE_EQ(c.common_error, vanilla_error(17.5));
  EXPECT_DOUBLE_EQ(c.vanilla_seconds_to_common, 17.5);
  // DT-PINN's error reaches exp(-17.5 / 4) at t = 17.5 - 4 ln 2 = 14.73 s: read at its next
  // evaluation, 15 s (one epoch later at most).
  EXPECT_DOUBLE_EQ(c.dtpinn_seconds_to_common, 15.0);
  EXPECT_NEAR(c.speedup_at_common, 17.5 / 15.0, 1e-12);
  EXPECT_GE(c.speedup_at_common, 1.0);
  EXPECT_DOUBLE_EQ(c.dtpinn_resolution, 1.0);  // every epoch: each is longer than 0.5 s
  EXPECT_DOUBLE_EQ(c.vanilla_resolution, 1.75);
  // The table states the resolution.
  EXPECT_NE(lab::format_comparison(c).find("at most 1 s (DT-PINN) and 1.8 s (vanilla)"),
            std::string::npos)
      << lab::format_comparison(c);

  // The same for any pair of never-crossing curves whose times to an error differ by more than
  // the resolution (here 4 ln(1 / ratio) seconds): DT-PINN's time to the error both reach is at
  // most the vanilla's.
  int checked = 0;
  for (double ratio : {0.9, 0.8, 0.5, 0.1})
    for (double dt_epoch : {0.05, 0.3, 0.7, 1.3}) {
      const auto dd = sampled_run(core::Method::dtpinn, dt_epoch, 17.5, fine,
                                  [&](double t) { return ratio * vanilla_error(t); });
      const auto r = lab::compare_results(dd, v);
      if (4.0 * std::log(1.0 / ratio) <= r.dtpinn_resolution) continue;  // within resolution
      ++checked;
      EXPECT_GE(r.speedup_at_common, 1.0) << ratio << " " << dt_epoch;
      EXPECT_LE(r.dtpinn_seconds_to_vanilla_best, 17.5) << ratio << " " << dt_epoch;
    }
  EXPECT_GE(checked, 10);
}

// The loop's rule: every eval_every epochs, and after the first epoch ending eval_seconds or
// more after the last evaluation.
TEST(CompareVerdict, EvaluationRule) {
  core::TrainConfig t;
  t.eval_every = 10;
  t.eval_seconds = 0.0;
  EXPECT_TRUE(core::evaluation_due(t, 20, 0.0));
  EXPECT_FALSE(core::evaluation_due(t, 21, 100.0));
  t.eval_seconds = 0.5;
  EXPECT_TRUE(core::evaluation_due(t, 21, 0.5));
  EXPECT_FALSE(core::evaluation_due(t, 21, 0.49));
  EXPECT_TRUE(core::evaluation_due(t, 30, 0.01));
}
