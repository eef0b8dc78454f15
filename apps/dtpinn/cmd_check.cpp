// dtpinn check: every check `dtpinn train` makes before training, without training, and what
// they found: the nodes and their parts, the condition on each part, the equation with its
// derived data, the operators, the network, the loss terms.
#include "commands.hpp"
#include "run_args.hpp"

#include <dtpinn/core/training/run.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <sstream>
#include <string>

namespace dtpinn::app {
namespace {

std::string network_line(const core::RunConfig& c, const core::PreparedRun& run) {
  const auto& m = c.model;
  return fmt::format("network: {} {} x {} {}, {} on {}: {} parameters, inputs {}",
                     core::to_string(m.architecture), m.depth, m.width,
                     core::to_string(m.activation), core::to_string(c.train.precision),
                     run.net.device().str(), run.net.num_parameters(), run.net.in_dim());
}

std::string loss_lines(const core::RunConfig& c, const core::TrainingCheck& t) {
  std::string out =
      fmt::format("loss ({}, {}): {} terms at the initial weights", core::to_string(c.train.method),
                  core::to_string(c.train.optimizer), t.terms.size());
  for (std::size_t i = 0; i < t.terms.size(); ++i)
    out +=
        fmt::format("\n  {}: {:.4e} (weight {:g})", t.terms[i], t.initial_values[i], t.weights[i]);
  return out;
}

void run_check(const RunArgs& a) {
  const core::RunConfig c = make_config(a, "check");
  std::ostream* log = a.quiet ? nullptr : &std::cout;
  core::set_threads(a.threads);
  // What train runs before its first epoch: the same function.
  const core::PreparedRun run = core::prepare_run(c, log);
  const core::Dataset& d = run.dataset();
  if (log) {
    std::ostringstream o;
    if (!d.has_operators)
      o << "operators: none (the vanilla PINN takes its derivatives by autograd)\n";
    o << "problem: " << d.problem->describe();
    o << network_line(c, run) << '\n' << loss_lines(c, run.training) << '\n';
    *log << o.str();
  }
  std::cout << fmt::format(
      "ok: {} would start training ({} nodes, {} test points, {} parameters)\n", c.source,
      d.n_collocation(), d.test_points.rows(), run.net.num_parameters());
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand(
      "check",
      "run every check of `dtpinn train` without training: prints the nodes and their parts, "
      "the condition on each part, the equation with its derived f and g, the operators, the "
      "network and its loss terms; exit status 0 when the run would start");
  add_config_flags(cmd, a, FlagSet::run, true);
  add_output_flags(cmd, a, false);
  cmd->callback([a] { run_check(*a); });
}

}  // namespace dtpinn::app
