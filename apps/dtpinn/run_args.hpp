#pragma once
// The command-line flags that make a run configuration, shared by train, compare, check, solve
// and config: the config file, then --SECTION.KEY VALUE and --set KEY=VALUE (in command-line
// order), then the short flags (--epochs, --n, ...), each through core::set_option, so that a
// flag is validated as the same key in a file would be.
#include <CLI/CLI.hpp>

#include <dtpinn/core/problem/config.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dtpinn::app {

struct RunArgs {
  std::string config_file;
  std::string resume;  // train --resume DIR: its config.toml when no file is given
  // The short flags as text: given or not, they go through set_option like --set (one
  // validation: `--epochs -1` is refused as `--set train.epochs=-1` is).
  std::string method, device, precision, epochs, time_budget, target_error, n, order, seed,
      optimizer;
  std::vector<std::string> sets;
  std::vector<std::pair<std::string, std::string>> keyed;  // from --section.key flags
  int threads = 0;
  bool allow_nonuniform = false;  // domain.allow_nonuniform
  bool quiet = false;             // no progress lines on stdout
  bool no_plots = false;          // write the plot scripts, do not run gnuplot
};

/// Which short flags a command offers.
enum class FlagSet {
  run,    ///< train, compare, check: every short flag
  solve,  ///< solve: the problem and the nodes (--n, --order), no training flags
};

/// Adds CONFIG, --set, one --SECTION.KEY flag per config key and the short flags of `set` to
/// `cmd` (with_method: --method and --precision too).
void add_config_flags(CLI::App* cmd, const std::shared_ptr<RunArgs>& a, FlagSet set,
                      bool with_method);
/// Adds --threads, --quiet and --no-plots.
void add_output_flags(CLI::App* cmd, const std::shared_ptr<RunArgs>& a, bool with_plots);

/// The configuration the flags describe (the file, or --resume DIR's config.toml, or the
/// default experiment; then the flags), validated; paths given on the command line are taken
/// against the current folder. The warnings of core::config_warnings go to stderr, one line
/// each, "dtpinn COMMAND: warning: ...".
core::RunConfig make_config(const RunArgs& a, const std::string& command);

}  // namespace dtpinn::app
