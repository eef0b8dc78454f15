// dtpinn: discretely-trained physics-informed neural networks. See README.md.
#include "commands.hpp"

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  CLI::App app{"dtpinn: DT-PINNs (RBF-FD derivatives) and autograd PINNs on irregular domains"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dtpinn 0.1.0");
  dtpinn::app::add_nodes_command(app);
  dtpinn::app::add_operators_command(app);
  dtpinn::app::add_solve_command(app);
  dtpinn::app::add_train_commands(app);
  dtpinn::app::add_study_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::string where = "dtpinn";
    for (const auto* sub : app.get_subcommands()) where += " " + sub->get_name();
    std::fprintf(stderr, "%s: error: %s\n", where.c_str(), e.what());
    return 1;
  }
  return 0;
}
