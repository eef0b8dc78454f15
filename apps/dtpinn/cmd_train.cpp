// dtpinn train / compare / eval: train a DT-PINN or a vanilla PINN, compare both on the same
// nodes, evaluate a trained checkpoint at new points.
#include "commands.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/gnuplot.hpp>
#ifdef DTPINN_HAVE_DISTRIBUTED
#include <dtpinn/core/distributed/train.hpp>
#endif

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dtpinn::app {
namespace {

/// Flags shared by train and compare; applied on top of the config file in this order:
/// --<section>.<key> flags and --set (in command-line order), then the short flags.
struct TrainArgs {
  std::string config_file;
  std::string output;
  std::string resume;  // train --resume DIR
  std::string method, device, precision;
  // The short flags as text: given or not, they go through set_option like --set (one
  // validation: `--epochs -1` is refused as `--set train.epochs=-1` is).
  std::string epochs, time_budget, target_error, n, order, seed, optimizer;
  std::vector<std::string> sets;
  std::vector<std::pair<std::string, std::string>> keyed;             // from --section.key flags
  std::string vanilla_precision = "fp32", dtpinn_precision = "fp64";  // parsed by the table
  int threads = 0;
  int nproc = 1;                  // train: local processes (row-partitioned, c10d)
  std::string backend = "auto";   // gloo | nccl | auto (from the device)
  int time_parts = 1;             // train --nproc, heat: groups of time slices
  double dist_timeout = 60;       // seconds for rendezvous and collectives
  bool allow_nonuniform = false;  // domain.allow_nonuniform
};

/// set_option for a short flag: the message names the flag as the user typed it.
void set_flag(core::RunConfig& c, const char* flag, const char* key, const std::string& value) {
  if (value.empty()) return;
  try {
    core::set_option(c, key, value);
  } catch (const std::exception& e) {
    // set_option names "--set KEY=VALUE"; the user typed the flag.
    std::string what = e.what();
    const std::string set = fmt::format("--set {}={}: ", key, value);
    if (what.rfind(set, 0) == 0) what = what.substr(set.size());
    throw std::runtime_error(fmt::format("{} {} ({}): {}", flag, value, key, what));
  }
}

core::RunConfig make_config(const TrainArgs& a) {
  core::RunConfig c;
  if (!a.config_file.empty()) {
    require_file("config", a.config_file);
    c = core::load_config(a.config_file);
  } else if (!a.resume.empty()) {
    // --resume without a file: the run's own configuration, flags on top.
    const std::string saved = a.resume + "/config.toml";
    require_file("--resume", saved);
    c = core::load_config(saved);
  } else {
    c = core::default_config();
  }
  for (const auto& [k, v] : a.keyed) core::set_option(c, k, v);
  for (const auto& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::runtime_error(fmt::format("--set {}: expected KEY=VALUE", s));
    core::set_option(c, s.substr(0, eq), s.substr(eq + 1));
  }
  set_flag(c, "--method", "train.method", a.method);
  set_flag(c, "--device", "train.device", a.device);
  set_flag(c, "--precision", "train.precision", a.precision);
  set_flag(c, "--epochs", "train.epochs", a.epochs);
  set_flag(c, "--time-budget", "train.time_budget", a.time_budget);
  set_flag(c, "--target-error", "train.target_error", a.target_error);
  set_flag(c, "--n", "domain.n", a.n);
  set_flag(c, "--order", "rbffd.order", a.order);
  set_flag(c, "--seed", "train.seed", a.seed);
  set_flag(c, "--optimizer", "train.optimizer", a.optimizer);
  if (a.allow_nonuniform) c.domain.allow_nonuniform = true;
  core::validate_config(c);
  return c;
}

/// The exit of an interrupted run that was written: one line saying where, 128 + signal.
[[noreturn]] void throw_interrupted(const core::TrainResult& r, const std::string& dir) {
  const int sig = core::interrupt_signal();
  throw core::Interrupted(
      sig, fmt::format("interrupted ({}) at epoch {}: the run so far is in {} (continue it with "
                       "`dtpinn train --resume {}`)",
                       core::signal_name(sig), r.epochs, dir, dir));
}

void add_common_flags(CLI::App* cmd, const std::shared_ptr<TrainArgs>& a, bool with_method) {
  // No CLI11 check on the file: a validator would run before an unknown option is reported,
  // and `--lr 0.5` would complain about a config file "0.5" (make_config checks it).
  cmd->add_option("config", a->config_file,
                  "TOML configuration (default: the default experiment, see README)");
  cmd->add_option("-o,--output", a->output, "run folder");
  if (with_method) {
    cmd->add_option("--method", a->method, "dtpinn | vanilla (train.method)");
    cmd->add_option("--precision", a->precision, "fp64 | fp32 (train.precision)");
  }
  cmd->add_option("--device", a->device, "cpu | cuda (train.device)");
  cmd->add_option("--epochs", a->epochs, "epochs (train.epochs)");
  cmd->add_option("--time-budget", a->time_budget,
                  "seconds of training, 0 = none (train.time_budget)");
  cmd->add_option("--target-error", a->target_error,
                  "stop below this test rel. l2 error, 0 = off (train.target_error)");
  cmd->add_option("--n", a->n, "number of collocation nodes Ni + Nb (domain.n)");
  cmd->add_option("--order", a->order, "RBF-FD order p (rbffd.order)");
  cmd->add_option("--seed", a->seed, "network initialisation seed (train.seed)");
  cmd->add_option("--optimizer", a->optimizer,
                  core::option_list<core::Optimizer>() + " (train.optimizer)");
  cmd->add_option("--threads", a->threads,
                  "CPU threads for LibTorch and the SpMV (default: all cores; 1 is faster on a "
                  "busy machine)")
      ->check(threads_validator());
  cmd->add_flag("--allow-nonuniform", a->allow_nonuniform,
                "Train on a node set beyond the quality bounds with a warning (recorded in "
                "results.json) instead of refusing (domain.allow_nonuniform)");
  cmd->add_option("--set", a->sets, "KEY=VALUE for any config key, e.g. --set train.lr=0.5")
      ->take_all();
  // Every config key is also a flag: --train.lr 0.5, --problem.exact "x*y", ...
  for (const auto& opt : core::config_options()) {
    if (opt.type == "table") continue;
    const std::string key = opt.key;
    try {
      cmd->add_option_function<std::string>(
             "--" + key, [a, key](const std::string& v) { a->keyed.emplace_back(key, v); },
             opt.help)
          ->group("Config keys");
    } catch (const CLI::Error&) {
      // a key CLI11 cannot spell as a flag (or clashing with a short flag): --set covers it
    }
  }
}

void run_train_command(const TrainArgs& a) {
  if (a.output.empty() && a.resume.empty())
    throw std::runtime_error("-o,--output DIR is required (or --resume DIR)");
  const std::string out = a.output.empty() ? a.resume : a.output;
  const auto c = make_config(a);
  core::set_threads(a.threads);
#ifdef DTPINN_HAVE_DISTRIBUTED
  if (a.nproc > 1 || core::in_distributed_worker()) {
    if (!a.resume.empty())
      throw std::runtime_error("--resume: not with --nproc (distributed runs start afresh)");
    core::DistributedOptions d;
    d.nproc = a.nproc;
    d.backend = parse_choice<core::Backend>("--backend", a.backend);
    d.time_parts = a.time_parts;
    d.timeout_seconds = a.dist_timeout;
    if (core::in_distributed_worker()) {
      core::install_interrupt_handlers();
      core::TrainResult r;
      core::run_distributed_train(c, d, out, &std::cout, lab::render_plot, &r);
      if (r.stop_reason == "interrupted") throw_interrupted(r, out);
      return;
    }
    core::install_interrupt_handlers(/*exit_on_second=*/false);
    std::string failure;
    const int code = core::launch_distributed_train(d, std::cerr, out, &failure);
    if (code == 0) return;
    if (const int sig = core::interrupt_signal(); sig != 0 && code == 128 + sig) {
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
  core::install_interrupt_handlers();
  const core::TrainResult r = a.resume.empty()
                                  ? core::run_train(c, out, &std::cout, nullptr, lab::render_plot)
                                  : core::resume_train(c, core::load_resume_state(a.resume), out,
                                                       &std::cout, lab::render_plot);
  if (r.stop_reason == "interrupted") throw_interrupted(r, out);
}

}  // namespace

void add_train_commands(CLI::App& app) {
  {
    auto a = std::make_shared<TrainArgs>();
    auto* cmd = app.add_subcommand(
        "train",
        "train a DT-PINN (RBF-FD derivatives) or a vanilla autograd PINN; writes "
        "results.json, history.csv, the checkpoint, VTK and plots to -o DIR");
    add_common_flags(cmd, a, true);
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
    add_common_flags(cmd, a, false);
    cmd->add_option("--dtpinn-precision", a->dtpinn_precision, "fp64 (default) | fp32");
    cmd->add_option("--vanilla-precision", a->vanilla_precision,
                    "fp32 (default, as in the paper) | fp64");
    cmd->callback([a] {
      if (a->output.empty()) throw std::runtime_error("-o,--output DIR is required");
      const auto c = make_config(*a);
      core::set_threads(a->threads);
      core::install_interrupt_handlers();
      core::CompareOptions o;
      o.dtpinn_precision = parse_choice<core::Precision>("--dtpinn-precision", a->dtpinn_precision);
      o.vanilla_precision =
          parse_choice<core::Precision>("--vanilla-precision", a->vanilla_precision);
      o.plot = lab::render_plot;
      core::run_compare(c, a->output, o, &std::cout);
    });
  }
  {
    struct EvalArgs {
      std::string dir, points, output;
      double t = -1.0;
    };
    auto a = std::make_shared<EvalArgs>();
    auto* cmd = app.add_subcommand(
        "eval", "evaluate a trained checkpoint (a train run folder) at the points of a CSV file");
    cmd->add_option("dir", a->dir, "run folder of `dtpinn train`")->required();
    cmd->add_option("--points", a->points, "node CSV (x,y[,z],kind,...) or plain x,y[,z][,t] CSV")
        ->required();
    cmd->add_option("-o,--output", a->output, "output CSV x,y[,z][,t],u")->required();
    cmd->add_option("--t", a->t, "heat: time for points without a t column (default t_final)");
    cmd->callback([a] {
      require_file("--points", a->points);
      std::ostringstream warn;
      const auto n = core::evaluate_checkpoint(a->dir, a->points, a->output, a->t, &warn);
      if (!warn.str().empty()) std::cerr << "dtpinn eval: " << warn.str() << std::flush;
      std::cout << fmt::format("evaluated {} points -> {}\n", n, a->output);
    });
  }
}

}  // namespace dtpinn::app
