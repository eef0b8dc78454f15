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

#include <iostream>
#include <map>
#include <memory>
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
  std::string method, device, precision;
  long long epochs = -1;
  double time_budget = -1, target_error = -1;
  long long n = -1;
  int order = -1;
  long long seed = -1;
  std::vector<std::string> sets;
  std::vector<std::pair<std::string, std::string>> keyed;             // from --section.key flags
  std::string vanilla_precision = "fp32", dtpinn_precision = "fp64";  // parsed by the table
  int threads = 0;
  int nproc = 1;                 // train: local processes (row-partitioned, c10d)
  std::string backend = "auto";  // gloo | nccl | auto (from the device)
  int time_parts = 1;            // train --nproc, heat: groups of time slices
  double dist_timeout = 60;      // seconds for rendezvous and collectives
};

core::RunConfig make_config(const TrainArgs& a) {
  core::RunConfig c =
      a.config_file.empty() ? core::default_config() : core::load_config(a.config_file);
  for (const auto& [k, v] : a.keyed) core::set_option(c, k, v);
  for (const auto& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::runtime_error(fmt::format("--set {}: expected KEY=VALUE", s));
    core::set_option(c, s.substr(0, eq), s.substr(eq + 1));
  }
  if (!a.method.empty()) core::set_option(c, "train.method", a.method);
  if (!a.device.empty()) core::set_option(c, "train.device", a.device);
  if (!a.precision.empty()) core::set_option(c, "train.precision", a.precision);
  if (a.epochs >= 0) core::set_option(c, "train.epochs", std::to_string(a.epochs));
  if (a.time_budget >= 0)
    core::set_option(c, "train.time_budget", fmt::format("{}", a.time_budget));
  if (a.target_error >= 0)
    core::set_option(c, "train.target_error", fmt::format("{}", a.target_error));
  if (a.n >= 0) core::set_option(c, "domain.n", std::to_string(a.n));
  if (a.order >= 0) core::set_option(c, "rbffd.order", std::to_string(a.order));
  if (a.seed >= 0) core::set_option(c, "train.seed", std::to_string(a.seed));
  return c;
}

void add_common_flags(CLI::App* cmd, const std::shared_ptr<TrainArgs>& a, bool with_method) {
  cmd->add_option("config", a->config_file,
                  "TOML configuration (default: the default experiment, see README)")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", a->output, "run folder")->required();
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
  cmd->add_option("--threads", a->threads,
                  "CPU threads for LibTorch and the SpMV (default: all cores; 1 is faster on a "
                  "busy machine)")
      ->check(CLI::NonNegativeNumber);
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

}  // namespace

void add_train_commands(CLI::App& app) {
  {
    auto a = std::make_shared<TrainArgs>();
    auto* cmd = app.add_subcommand(
        "train",
        "train a DT-PINN (RBF-FD derivatives) or a vanilla autograd PINN; writes "
        "results.json, history.csv, the checkpoint, VTK and plots to -o DIR");
    add_common_flags(cmd, a, true);
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
                    "seconds to wait for a rendezvous or a collective before failing");
#endif
    cmd->callback([a] {
      const auto c = make_config(*a);
      core::set_threads(a->threads);
#ifdef DTPINN_HAVE_DISTRIBUTED
      if (a->nproc > 1 || core::in_distributed_worker()) {
        core::DistributedOptions d;
        d.nproc = a->nproc;
        d.backend = parse_choice<core::Backend>("--backend", a->backend);
        d.time_parts = a->time_parts;
        d.timeout_seconds = a->dist_timeout;
        if (core::in_distributed_worker()) {
          core::run_distributed_train(c, d, a->output, &std::cout, lab::render_plot);
        } else if (core::launch_distributed_train(d, std::cerr, a->output) != 0) {
          throw std::runtime_error(fmt::format(
              "--nproc {}: distributed run failed; nothing written to {}", a->nproc, a->output));
        }
        return;
      }
#endif
      core::run_train(c, a->output, &std::cout, nullptr, lab::render_plot);
    });
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
      const auto c = make_config(*a);
      core::set_threads(a->threads);
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
      const auto n = core::evaluate_checkpoint(a->dir, a->points, a->output, a->t);
      std::cout << fmt::format("evaluated {} points -> {}\n", n, a->output);
    });
  }
}

}  // namespace dtpinn::app
