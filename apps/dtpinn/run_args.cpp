// The flags that make a run configuration (run_args.hpp).
#include "run_args.hpp"

#include <dtpinn/core/problem/system.hpp>

#include "commands.hpp"

#include <fmt/format.h>

#include <iostream>
#include <stdexcept>

namespace dtpinn::app {

void add_config_flags(CLI::App* cmd, const std::shared_ptr<RunArgs>& a, FlagSet set,
                      bool with_method) {
  // No CLI11 check on the file: a validator would run before an unknown option is reported,
  // and `--lr 0.5` would complain about a config file "0.5" (make_config checks it).
  cmd->add_option("config", a->config_file,
                  "TOML configuration (default: the default experiment; keys: `dtpinn config "
                  "--reference`)");
  if (with_method) {
    cmd->add_option("--method", a->method, "dtpinn | vanilla (train.method)");
    cmd->add_option("--precision", a->precision, "fp64 | fp32 (train.precision)");
  }
  if (set == FlagSet::run) {
    cmd->add_option("--device", a->device, "cpu | cuda (train.device)");
    cmd->add_option("--epochs", a->epochs, "epochs (train.epochs)");
    cmd->add_option("--time-budget", a->time_budget,
                    "seconds of training, 0 = none (train.time_budget)");
    cmd->add_option("--target-error", a->target_error,
                    "stop below this test rel. l2 error, 0 = off (train.target_error)");
  }
  cmd->add_option("--n", a->n, "number of collocation nodes Ni + Nb (domain.n)");
  cmd->add_option("--order,-p", a->order, "RBF-FD order p (rbffd.order)");
  cmd->add_flag("--allow-nonuniform", a->allow_nonuniform,
                "use a node set beyond the quality bounds with a warning (recorded in "
                "results.json) instead of refusing it (domain.allow_nonuniform)");
  if (set == FlagSet::run) {
    cmd->add_option("--seed", a->seed, "network initialisation seed (train.seed)");
    cmd->add_option("--optimizer", a->optimizer,
                    core::option_list<core::Optimizer>() + " (train.optimizer)");
  }
  // One KEY=VALUE per --set (repeat the flag for more): a word after it is the config file or
  // an error, never swallowed as another --set value.
  cmd->add_option("--set", a->sets, "KEY=VALUE for any config key, e.g. --set train.lr=0.5")
      ->allow_extra_args(false)
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

void add_output_flags(CLI::App* cmd, const std::shared_ptr<RunArgs>& a, bool with_plots) {
  cmd->add_option("--threads", a->threads,
                  "CPU threads for LibTorch and the SpMV (default: all cores; 1 is faster on a "
                  "busy machine)")
      ->check(threads_validator());
  cmd->add_flag("-q,--quiet", a->quiet,
                "print nothing but warnings and errors (no set-up or progress lines)");
  if (with_plots)
    cmd->add_flag("--no-plots", a->no_plots,
                  "do not render the PNGs (the gnuplot scripts and their data are still "
                  "written)");
}

core::RunConfig make_config(const RunArgs& a, const std::string& command) {
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
  core::resolve_paths(c, "");  // what the command line named: the current folder
  core::validate_config(c);
  if (command == "study" && core::is_system_config(c.problem))
    throw std::runtime_error(core::system_not_trainable(c.source));
  if (command != "config") check_fits_in_memory(c);
  for (const auto& w : core::config_warnings(c))
    std::cerr << "dtpinn " << command << ": warning: " << w << '\n';
  return c;
}

}  // namespace dtpinn::app
