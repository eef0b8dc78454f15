#pragma once
// A training run as the `dtpinn` command does it: data, network, training, and the run folder.
//
// Run folder DIR, the same for one process and for many (written into DIR/.partial-<pid>/ and
// moved into DIR only when the whole run succeeded, results.json last, after an old run there
// was moved aside whole; on failure the partial folder is removed and an old run stays as it
// was; run_folder.hpp). Every file is described in docs/formats.md:
//   results.json      metrics, per-term losses, history, the dtpinn version and git commit
//   history.csv       epoch, seconds, loss, <term>..., w_<term>..., gnorm_<term>..., test_rel_l2
//   config.toml       the full configuration (every key)
//   model.pt          network weights + input normalisation (torch archive), the last epoch's
//   model_best.pt     the same at the best test error (the last weights without a reference)
//   optimizer.pt      the optimiser's state, for `train --resume` (not for device_lbfgs/adam,
//                     nor with train.save_optimizer = false)
//   checkpoint.json   what `eval` needs to rebuild the network (input dim, dtype, box)
//   solution.vtk, solution.dat, solution.gp, error.gp  the network on the test nodes
//                     (solution_files.hpp); heat: at t = t_final
//   loss.gp           the loss terms and the test error against the epoch (two panels)
//   and, with a PlotRenderer, the PNGs the scripts draw
// A distributed run adds partition.json and a "distributed" block in results.json.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/solution_files.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/output_expressions.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dtpinn::core {

/// How write_run writes a run folder.
struct RunWriteOptions {
  std::ostream* log = nullptr;
  PlotRenderer plot;
  /// Name of the staging folder inside DIR (default ".partial-<pid>"); a launcher that must be
  /// able to remove it after a crash names it.
  std::string stage_name;
  /// More files (name, text), e.g. partition.json of a distributed run.
  std::vector<std::pair<std::string, std::string>> extra_files;
  /// More top-level keys of results.json (key, JSON text), e.g. "distributed".
  std::vector<std::pair<std::string, std::string>> extra_results;
};

/// THE run writer, for one process and for many: DIR as described above, staged and moved in
/// with results.json last (an old run there moved aside whole first). Throws std::runtime_error
/// naming the file on an I/O failure or a folder in the way of a file, leaving an old run as it
/// was and no new file in DIR.
void write_run(const std::string& dir, const RunConfig& config, const Dataset& data,
               const Network& net, const TrainResult& result, const RunWriteOptions& options);

/// The headline numbers of a run (method, precision, device, epochs, times, errors, stop) as
/// JSON text: what results.json starts with and what comparison.json and the study keep.
std::string result_summary(const TrainResult& r);

/// The "boundary_conditions" list of results.json as JSON text: per condition its term,
/// description, value, node count and errors against the exact solution.
std::string conditions_json(const std::vector<ConditionReport>& conditions);

/// "dtpinn fp64": the label of a run's progress lines.
std::string run_label(const RunConfig& config);
/// The line printed when a run is done.
std::string format_run_summary(const TrainResult& r, const std::string& label,
                               const std::string& dir);

/// A run before its first epoch: its data and network, built and checked exactly as `train`
/// does before training (the config, the nodes and their parts, the boundary conditions, the
/// operators, the test set and its reference, the network, the loss terms and their weights,
/// a finite loss at the initial weights). What `dtpinn check` reports.
struct PreparedRun {
  Dataset data;                     ///< built here (empty when the caller shared its own)
  const Dataset* shared = nullptr;  ///< the caller's data, when given
  Network net;                      ///< the initial network
  TrainingCheck training;           ///< the loss terms, weights and initial values
  const Dataset& dataset() const { return shared ? *shared : data; }
};
/// Builds (unless `shared` is given) and checks; set-up lines go to `log` (may be null).
/// Throws std::runtime_error (one line) on the first problem, as `train` does.
PreparedRun prepare_run(const RunConfig& config, std::ostream* log,
                        const Dataset* shared = nullptr);

/// Builds the data (unless `shared` is given), trains, writes DIR. Throws std::runtime_error
/// (one line) on bad input or divergence, writing nothing (an old run in DIR stays whole; the
/// output folder is checked first, before any data is built). Stopped by `stop` (see
/// TrainOptions::stop), the run is written with stop_reason "interrupted".
TrainResult run_train(const RunConfig& config, const std::string& dir, std::ostream* log,
                      const Dataset* shared = nullptr, const PlotRenderer& plot = {},
                      const StopCheck& stop = {});

/// What `train --resume DIR` continues from: the run's config.toml, and its results.json
/// (history, epochs, training clock, loss weights, best error) with optimizer.pt's bytes in
/// result.optimizer_state. The weights (model.pt, model_best.pt) are read by resume_train.
struct ResumeState {
  std::string dir;
  RunConfig config;
  TrainResult result;
};
/// Throws std::runtime_error (one line naming the file) when DIR is not a complete run folder
/// with an optimiser state (a device optimiser keeps none; train.save_optimizer = false writes
/// none).
ResumeState load_resume_state(const std::string& dir);
/// Throws std::runtime_error naming the first key where `given` differs from `saved`, the stop
/// rules (train.epochs, time_budget, target_error) and what is written (train.save_optimizer)
/// excepted.
void check_resume_config(const RunConfig& saved, const RunConfig& given, const std::string& dir);
/// Continues the run of `state` under `config` (only its stop rules may differ, and it must
/// leave something to do) and writes the whole run (old history + new) to DIR, as run_train.
/// The result equals one uninterrupted run of the same length: bitwise for a fixed-step L-BFGS
/// on one thread (tested).
TrainResult resume_train(const RunConfig& config, const ResumeState& state, const std::string& dir,
                         std::ostream* log, const PlotRenderer& plot = {},
                         const StopCheck& stop = {});

/// A trained network from a run folder (checkpoint.json + model.pt); `config` receives the
/// run's config.toml when not null. Throws std::runtime_error naming the file on failure.
Network load_checkpoint(const std::string& dir, RunConfig* config = nullptr);

/// Evaluates the checkpoint in `dir` at the points of `points_file` (a node CSV with header
/// x,y[,z],kind,..., or plain x,y[,z] columns with or without a header, a UTF-8 byte-order mark
/// allowed; for heat a t column, else t = `time` (default t_final)) and writes CSV
/// x,y[,z][,t] and one column per field (u; u,v,p for a system) to `out_file`. Returns the number
/// of points. Points with more coordinates than the model (x,y,z for a 2D model, a t column for a
/// steady one) are refused, and so is a `time` that is not a finite number >= 0 or is given for a
/// steady model ("--t: ..."); points far outside the box the network was trained on (more than one
/// box size away from it) and times past t_final are counted in one warning each on `warn` (may be
/// null). `expressions`
/// ("NAME=EXPR", output_expressions.hpp, with the run's problem.params) add one column each,
/// after the fields, in the order given; they are checked before anything is read or written
/// (std::runtime_error "--expr ...").
std::int64_t evaluate_checkpoint(const std::string& dir, const std::string& points_file,
                                 const std::string& out_file,
                                 std::optional<double> time = std::nullopt,
                                 std::ostream* warn = nullptr,
                                 const std::vector<std::string>& expressions = {});

/// The output expressions `definitions` ("NAME=EXPR", output_expressions.hpp) for the network of
/// the run folder `dir`: its fields, dimension and time input (checkpoint.json) and its
/// problem.params (config.toml). Errors name `option` ("--expr g: ...").
OutputExpressions load_output_expressions(const std::string& dir,
                                          const std::vector<std::string>& definitions,
                                          const std::string& option = "--expr");

}  // namespace dtpinn::core
