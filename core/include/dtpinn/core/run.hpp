#pragma once
// A training run as the `dtpinn` command does it: data, network, training, and the run folder.
//
// Run folder DIR (written into DIR/.partial-<pid>/ and moved into DIR only when the whole run
// succeeded, results.json last; on failure the partial folder is removed and DIR keeps no
// results.json):
//   results.json      metrics, per-term losses, history (SPEC.md schema, plus extras)
//   history.csv       epoch, seconds, loss, <term>..., w_<term>..., gnorm_<term>..., test_rel_l2
//   config.toml       the full configuration (every key)
//   model.pt          network weights + input normalisation (torch archive)
//   checkpoint.json   what `eval` needs to rebuild the network (input dim, dtype, box)
//   solution.vtk      test nodes with u, exact/reference, error (legacy VTK POLYDATA, ParaView);
//                     heat: at t = t_final
//   solution.png, error.png, loss.png (+ .gp scripts and .dat data), made with gnuplot
#include <dtpinn/core/config.hpp>
#include <dtpinn/core/dataset.hpp>
#include <dtpinn/core/model.hpp>
#include <dtpinn/core/trainer.hpp>

#include <iosfwd>
#include <string>

namespace dtpinn::core {

/// Builds the data (unless `shared` is given), trains, writes DIR. Throws std::runtime_error
/// (one line) on bad input or divergence, leaving no results.json in DIR.
TrainResult run_train(const RunConfig& config, const std::string& dir, std::ostream* log,
                      const Dataset* shared = nullptr);

struct CompareOptions {
  std::string dtpinn_precision = "fp64";
  std::string vanilla_precision = "fp32";  ///< the paper compares fp64 DT-PINN to fp32 vanilla
};

struct CompareResult {
  TrainResult dtpinn, vanilla;
  double common_error = -1.0;  ///< max of the two best errors: both reached it
  double dtpinn_seconds_to_common = -1.0, vanilla_seconds_to_common = -1.0;
  double speedup_at_common = -1.0;               ///< vanilla time / DT-PINN time to common_error
  double dtpinn_seconds_to_vanilla_best = -1.0;  ///< -1 if DT-PINN never reached it
};

/// Both methods on the same nodes, seed and budget: DIR/dtpinn/, DIR/vanilla/,
/// DIR/comparison.json, DIR/compare.png (+ .gp, .dat); prints a table to `log`.
CompareResult run_compare(const RunConfig& config, const std::string& dir,
                          const CompareOptions& options, std::ostream* log);

/// The table `compare` prints.
std::string format_comparison(const CompareResult& c);

/// A trained network from a run folder (checkpoint.json + model.pt); `config` receives the
/// run's config.toml when not null. Throws std::runtime_error naming the file on failure.
Network load_checkpoint(const std::string& dir, RunConfig* config = nullptr);

/// Evaluates the checkpoint in `dir` at the points of `points_file` (a node CSV with header
/// x,y[,z],kind,..., or plain x,y[,z] columns with or without a header; for heat a t column,
/// else t = `time` (default t_final)) and writes CSV x,y[,z][,t],u to `out_file`. Returns the
/// number of points.
std::int64_t evaluate_checkpoint(const std::string& dir, const std::string& points_file,
                                 const std::string& out_file, double time = -1.0);

}  // namespace dtpinn::core
