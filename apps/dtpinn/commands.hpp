#pragma once
// Each subcommand of `dtpinn` lives in its own cmd_<name>.cpp and registers itself here.
// A command's callback throws std::exception on bad input; main() turns that into one line
// "dtpinn <command>: error: ..." on stderr and exit status 1.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/options.hpp>
#include <dtpinn/lab/machine.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace dtpinn::app {

void add_nodes_command(CLI::App& app);      // dtpinn nodes
void add_operators_command(CLI::App& app);  // dtpinn operators
void add_solve_command(CLI::App& app);      // dtpinn solve
void add_train_commands(CLI::App& app);     // dtpinn train / compare / eval
void add_study_command(CLI::App& app);      // dtpinn study
void add_check_command(CLI::App& app);      // dtpinn check
void add_config_command(CLI::App& app);     // dtpinn config

/// Refuses a path that should name a file: "WHAT PATH: no such file" or "WHAT PATH: is a
/// folder, not a file".
void require_file(const std::string& what, const std::string& path);

/// --threads N: a whole number from 0 (all cores) to lab::max_threads() (4 x the logical CPUs,
/// at most 1024: more only oversubscribes the cores), said plainly (CLI11's NonNegativeNumber
/// prints a 310-digit bound).
inline CLI::Validator threads_validator() {
  const int most = lab::max_threads();
  return CLI::Validator(
      [most](std::string& v) {
        char* end = nullptr;
        errno = 0;
        const long t = std::strtol(v.c_str(), &end, 10);
        return end != v.c_str() && *end == '\0' && errno == 0 && t >= 0 && t <= most
                   ? std::string()
                   : fmt::format(
                         "must be a whole number from 0 (all cores) to {} (4 x the {} "
                         "logical CPUs of this machine, at most 1024), got {}",
                         most, lab::logical_cpus(), v);
      },
      "0.." + std::to_string(most));
}

/// A flag's value through the config key it stands for (core::set_option, the one validation of
/// every key): `--epochs -1` is refused as `--set train.epochs=-1` is, the message naming the
/// flag as typed: "--epochs -1 (train.epochs): must be >= 0, got -1". Empty: nothing to set.
void set_flag(core::RunConfig& config, const char* flag, const char* key, const std::string& value);

/// Refuses a run whose estimated memory (core::check_memory) exceeds what this machine has
/// available now (lab::available_memory_bytes).
void check_fits_in_memory(const core::RunConfig& config);

/// A flag's value as one of the choices of an option table (core/problem/options.hpp);
/// std::runtime_error "FLAG: must be "a", "b" or "c", got "x"" otherwise.
template <class E>
E parse_choice(const char* flag, const std::string& value) {
  try {
    return core::parse_option<E>(value);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string(flag) + ": " + e.what());
  }
}

}  // namespace dtpinn::app
