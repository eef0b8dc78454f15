// dtpinn train / compare / eval: train a DT-PINN or a vanilla PINN, compare both on the same
// nodes, evaluate a trained checkpoint at new points.
#include "commands.hpp"
#include "run_args.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/compare.hpp>
#include <dtpinn/lab/gnuplot.hpp>
#include <dtpinn/lab/interrupt.hpp>
#ifdef DTPINN_HAVE_DISTRIBUTED
#include <dtpinn/core/distributed/train.hpp>

#include "launch_train.hpp"
#endif

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace dtpinn::app {
namespace {

/// Flags of train (and compare) beyond the configuration's.
struct TrainArgs : RunArgs {
  std::string output;
  std::string vanilla_precision = "fp32", dtpinn_precision = "fp64";  // compare
  double resolution = 0.5;                                            // compare
  int nproc = 1;                 // train: local processes (row-partitioned, c10d)
  std::string backend = "auto";  // gloo | nccl | auto (from the device)
  int time_parts = 1;            // train --nproc, heat: groups of time slices
  double dist_timeout = 60;      // seconds for rendezvous and collectives
};

/// The run's progress lines go to stdout unless --quiet.
std::ostream* progress(const RunArgs& a) {
  return a.quiet ? nullptr : &std::cout;
}

core::PlotRenderer plots(const RunArgs& a) {
  return a.no_plots ? core::PlotRenderer() : core::PlotRenderer(lab::render_plot);
}

/// The exit of an interrupted run that was written: one line saying where, 128 + signal.
[[noreturn]] void throw_interrupted(const core::TrainResult& r, const std::string& dir) {
  const int sig = lab::interrupt_signal();
  throw core::Interrupted(
      sig, fmt::format("interrupted ({}) at epoch {}: the run so far is in {} (continue it with "
                       "`dtpinn train --resume {}`)",
                       core::signal_name(sig), r.epochs, dir, dir));
}

void add_train_flags(CLI::App* cmd, const std::shared_ptr<TrainArgs>& a, bool with_method) {
  add_config_flags(cmd, a, FlagSet::run, with_method);
  cmd->add_option("-o,--output", a->output, "run folder");
  add_output_flags(cmd, a, true);
}

#ifdef DTPINN_HAVE_DISTRIBUTED
/// train --nproc K, or a rank started by a launcher.
void run_distributed(const TrainArgs& a, const core::RunConfig& c, const std::string& out) {
  if (!a.resume.empty())
    throw std::runtime_error("--resume: not with --nproc (distributed runs start afresh)");
  core::DistributedOptions d;
  d.nproc = a.nproc;
  d.backend = parse_choice<core::Backend>("--backend", a.backend);
  d.time_parts = a.time_parts;
  d.timeout_seconds = a.dist_timeout;
  if (core::in_distributed_worker()) {
    lab::install_interrupt_handlers();
    core::TrainResult r;
    core::run_distributed_train(c, d, out, progress(a), plots(a), &r, lab::interrupt_signal);
    if (r.stop_reason == "interrupted") throw_interrupted(r, out);
    return;
  }
  lab::install_interrupt_handlers(/*exit_on_second=*/false);
  std::string failure;
  const int code = launch_distributed_train(d, std::cerr, out, &failure);
  if (code == 0) return;
  if (const int sig = lab::interrupt_signal(); sig != 0 && code == 128 + sig) {
    std::ifstream done(out + "/results.json");
    throw core::Interrupted(
        sig, done ? fmt::format("interrupted ({}): the ranks stopped; the run so far is in {}",
                                core::signal_name(sig), out)
                  : fmt::format("interrupted ({}): the ranks stopped before anything was "
                                "written to {}",
                                core::signal_name(sig), out));
  }
  throw std::runtime_error(failure);
}
#endif

void run_train_command(const TrainArgs& a) {
  if (a.output.empty() && a.resume.empty())
    throw std::runtime_error("-o,--output DIR is required (or --resume DIR)");
  const std::string out = a.output.empty() ? a.resume : a.output;
  const auto c = make_config(a, "train");
  core::set_threads(a.threads);
#ifdef DTPINN_HAVE_DISTRIBUTED
  if (a.nproc > 1 || core::in_distributed_worker()) return run_distributed(a, c, out);
#endif
  lab::install_interrupt_handlers();
  const core::TrainResult r =
      a.resume.empty()
          ? core::run_train(c, out, progress(a), nullptr, plots(a), lab::interrupt_signal)
          : core::resume_train(c, core::load_resume_state(a.resume), out, progress(a), plots(a),
                               lab::interrupt_signal);
  if (r.stop_reason == "interrupted") throw_interrupted(r, out);
}

void add_eval_command(CLI::App& app) {
  struct EvalArgs {
    std::string dir, points, output;
    double t = 0.0;                  // read only when --t is given
    std::vector<std::string> exprs;  // --expr NAME=EXPR, in order
  };
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand(
      "eval", "evaluate a trained checkpoint (a train run folder) at the points of a CSV file");
  cmd->add_option("dir", a->dir, "run folder of `dtpinn train`")->required();
  cmd->add_option("--points", a->points,
                  "node CSV (x,y[,z],kind,...) or plain x,y[,z][,t] CSV (t: time-dependent "
                  "models only)")
      ->required();
  cmd->add_option("-o,--output", a->output,
                  "output CSV x,y[,z][,t], one column per field (u; u,v,p), one per --expr")
      ->required();
  cmd->add_option("--expr", a->exprs,
                  "NAME=EXPR: a column NAME with EXPR of the fields and their first derivatives "
                  "(u, u_x, u_y, u_z, v_x, ...; u_t in time), x, y, z, t and the run's "
                  "parameters, e.g. sxx=\"(lam + 2*mu)*u_x + lam*v_y\" (repeatable)")
      ->take_all()
      ->allow_extra_args(false);
  auto* t =
      cmd->add_option("--t", a->t, "heat: time for points without a t column (default t_final)");
  cmd->callback([a, t] {
    require_file("--points", a->points);
    std::ostringstream warn;
    const auto n = core::evaluate_checkpoint(
        a->dir, a->points, a->output, t->count() ? std::optional<double>(a->t) : std::nullopt,
        &warn, a->exprs);
    if (!warn.str().empty()) std::cerr << "dtpinn eval: " << warn.str() << std::flush;
    std::cout << fmt::format("evaluated {} points -> {}\n", n, a->output);
  });
}

}  // namespace

void add_train_commands(CLI::App& app) {
  {
    auto a = std::make_shared<TrainArgs>();
    auto* cmd = app.add_subcommand(
        "train",
        "train a DT-PINN (RBF-FD derivatives) or a vanilla autograd PINN; writes "
        "results.json, history.csv, the checkpoint, VTK and plots to -o DIR");
    add_train_flags(cmd, a, true);
    cmd->add_option("--resume", a->resume,
                    "continue the run in DIR from its last epoch (weights, optimiser state, loss "
                    "weights, history, clock); only the stop rules may change; -o defaults to DIR");
#ifdef DTPINN_HAVE_DISTRIBUTED
    cmd->add_option("--nproc", a->nproc,
                    "local processes, each owning a block of rows of L and B (c10d)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("--time-parts", a->time_parts,
                    "heat with --nproc: split the time slices into this many groups too (must "
                    "divide --nproc; the rest split the space rows)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("--backend", a->backend,
                    "distributed backend: " + core::option_list<core::Backend>());
    cmd->add_option("--dist-timeout", a->dist_timeout,
                    "seconds to wait for a rendezvous or a collective before failing")
        ->check(CLI::Validator(
            [](std::string& v) {
              char* end = nullptr;
              const double t = std::strtod(v.c_str(), &end);
              return end != v.c_str() && *end == '\0' && t > 0 && t <= 86400
                         ? std::string()
                         : "must be a number of seconds > 0 (at most 86400), got " + v;
            },
            "SECONDS"));
#endif
    cmd->callback([a] { run_train_command(*a); });
  }
  {
    auto a = std::make_shared<TrainArgs>();
    auto* cmd =
        app.add_subcommand("compare",
                           "train DT-PINN and the vanilla PINN on the same nodes, seed and budget; "
                           "prints a table, writes DIR/comparison.json, DIR/dtpinn/, DIR/vanilla/");
    add_train_flags(cmd, a, false);
    cmd->add_option("--dtpinn-precision", a->dtpinn_precision, "fp64 (default) | fp32");
    cmd->add_option("--vanilla-precision", a->vanilla_precision,
                    "fp32 (default, as in the paper) | fp64");
    cmd->add_option("--resolution", a->resolution,
                    "take the test error at least every this many seconds of training (off the "
                    "training clock), so times to an error are exact to it (train.eval_seconds "
                    "in the config wins)")
        ->check(CLI::PositiveNumber);
    cmd->callback([a] {
      if (a->output.empty()) throw std::runtime_error("-o,--output DIR is required");
      const auto c = make_config(*a, "compare");
      core::set_threads(a->threads);
      lab::install_interrupt_handlers();
      lab::CompareOptions o;
      o.dtpinn_precision = parse_choice<core::Precision>("--dtpinn-precision", a->dtpinn_precision);
      o.vanilla_precision =
          parse_choice<core::Precision>("--vanilla-precision", a->vanilla_precision);
      o.resolution_seconds = a->resolution;
      o.plot = plots(*a);
      o.stop = lab::interrupt_signal;
      lab::run_compare(c, a->output, o, progress(*a));
    });
  }
  add_eval_command(app);
}

}  // namespace dtpinn::app
