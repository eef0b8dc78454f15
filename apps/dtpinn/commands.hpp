#pragma once
// Each subcommand of `dtpinn` lives in its own cmd_<name>.cpp and registers itself here.
// A command's callback throws std::exception on bad input; main() turns that into one line
// "dtpinn <command>: error: ..." on stderr and exit status 1.
#include <dtpinn/core/problem/options.hpp>

#include <CLI/CLI.hpp>

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

/// --threads N: a whole number 0..4096, said plainly (CLI11's NonNegativeNumber prints a
/// 310-digit bound).
inline CLI::Validator threads_validator() {
  return CLI::Validator(
      [](std::string& v) {
        char* end = nullptr;
        const long t = std::strtol(v.c_str(), &end, 10);
        return end != v.c_str() && *end == '\0' && t >= 0 && t <= 4096
                   ? std::string()
                   : "must be a whole number from 0 (all cores) to 4096, got " + v;
      },
      "0..4096");
}

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
