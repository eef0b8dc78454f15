#pragma once
// Each subcommand of `dtpinn` lives in its own cmd_<name>.cpp and registers itself here.
// A command's callback throws std::exception on bad input; main() turns that into one line
// "dtpinn <command>: error: ..." on stderr and exit status 1.
#include <CLI/CLI.hpp>

namespace dtpinn::app {

void add_nodes_command(CLI::App& app);      // dtpinn nodes
void add_operators_command(CLI::App& app);  // dtpinn operators
void add_solve_command(CLI::App& app);      // dtpinn solve
void add_train_commands(CLI::App& app);     // dtpinn train / compare / eval
void add_study_command(CLI::App& app);      // dtpinn study

}  // namespace dtpinn::app
