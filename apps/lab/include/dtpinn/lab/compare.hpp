#pragma once
// `dtpinn compare`: DT-PINN and the vanilla PINN trained on the same nodes, seed and budget,
// with the paper's defaults (fp64 DT-PINN against fp32 vanilla), and the verdict: the time
// each needs to reach the error both reach.
//
// Times to an error are read from the test-error evaluations of each run's history (the first
// evaluation at or below it), so they are exact up to the gap between two evaluations: the
// resolution, which the table states. compare takes the error at least every
// CompareOptions::resolution_seconds of training (train.eval_seconds; the evaluations stay off
// the training clock), so the verdict cannot be flipped by a coarse eval_every.
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/lab/study.hpp>

#include <iosfwd>
#include <string>

namespace dtpinn::lab {

struct CompareOptions {
  core::Precision dtpinn_precision = core::Precision::fp64;
  core::Precision vanilla_precision = core::Precision::fp32;  ///< the paper's pairing
  /// Training seconds between test-error evaluations at most (up to one epoch more), unless
  /// the config sets train.eval_seconds itself.
  double resolution_seconds = 0.5;
  core::PlotRenderer plot;
  core::StopCheck stop;
};

struct CompareResult {
  core::TrainResult dtpinn, vanilla;
  double common_error = -1.0;  ///< max of the two best errors: both reached it
  double dtpinn_seconds_to_common = -1.0, vanilla_seconds_to_common = -1.0;
  double speedup_at_common = -1.0;               ///< vanilla time / DT-PINN time to common_error
  double dtpinn_seconds_to_vanilla_best = -1.0;  ///< -1 if DT-PINN never reached it
  /// The largest training-time gap between two test-error evaluations of each run: how
  /// precisely its times to an error are known.
  double dtpinn_resolution = 0.0, vanilla_resolution = 0.0;
};

/// The test errors of a run's history against its training clock (the evaluations only).
ErrorHistory error_history(const core::TrainResult& r);

/// The verdict of two finished runs (their histories): common error, times to it, speed-up
/// (speedup_at_equal_error, as the study computes it), resolutions. When DT-PINN's best-so-far
/// error is at or below the vanilla's at every evaluation time, its time to any error the vanilla
/// reaches is at most the vanilla's.
CompareResult compare_results(const core::TrainResult& dtpinn, const core::TrainResult& vanilla);

/// Both methods on the same nodes, seed and budget: DIR/dtpinn/, DIR/vanilla/,
/// DIR/comparison.json, DIR/compare.png (+ .gp, .dat); prints the table to `log` (may be
/// null). Both runs are prepared and checked before either trains. Throws std::runtime_error
/// (one line) on bad input, core::Interrupted when stopped (saying what was written).
CompareResult run_compare(const core::RunConfig& config, const std::string& dir,
                          const CompareOptions& options, std::ostream* log);

/// The table `compare` prints, with the time resolution.
std::string format_comparison(const CompareResult& c);

}  // namespace dtpinn::lab
