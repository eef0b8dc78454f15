// dtpinn study: the DT-PINN vs autograd-PINN comparison (derivatives vs depth, PINN runs over
// N, p, methods, problems and seeds) as one command; the logic is lab::run_study.
#include "commands.hpp"

#include <dtpinn/core/problem/options.hpp>
#include <dtpinn/lab/study.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtpinn::app {
namespace {

/// The flags as text: each given one goes through the config key it stands for (set_flag), so
/// `--epochs -3` is refused as `train --epochs -3` is; "" = not given, the preset's value.
struct StudyArgs {
  bool quick = false;
  std::string output, device = "cpu", source_dir = ".";
  std::vector<std::string> n, orders, seeds;
  std::vector<std::string> problems, methods;
  std::string epochs, eval_every, test_n, time_budget, max_depth;
  int threads = 0;
  std::string optimizer = "lbfgs", output_layer = "trained";
  bool no_derivatives = false, no_pinn = false;
};

/// `value` checked as the config key `key` (named by `flag` in the message), then read back
/// from a scratch config by `get`.
template <class T, class Get>
T checked(const char* flag, const char* key, const std::string& value, Get get) {
  core::RunConfig scratch = core::default_config();
  set_flag(scratch, flag, key, value);
  return static_cast<T>(get(scratch));
}

/// The command line as typed (for the results files).
std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  std::stringstream s(all);
  std::string arg;
  bool first = true;
  while (std::getline(s, arg, '\0')) {
    if (first) {
      const auto slash = arg.find_last_of('/');
      arg = slash == std::string::npos ? arg : arg.substr(slash + 1);
      first = false;
    }
    const bool plain = arg.find_first_of(" \t'\"$;&|<>()*?") == std::string::npos && !arg.empty();
    out += (out.empty() ? "" : " ") + (plain ? arg : "'" + arg + "'");
  }
  return out.empty() ? "dtpinn study" : out;
}

/// The problems named by --problems, each with its preset's sizes, seeds and orders; a problem
/// outside the preset gets the full preset's (quick: its first size and seed 0).
std::vector<lab::StudyProblem> chosen_problems(const StudyArgs& a, const lab::StudyOptions& o) {
  std::vector<lab::StudyProblem> chosen;
  for (const auto& name : a.problems) {
    const auto kind = parse_choice<lab::StudyProblemKind>("--problems", name);
    auto in = [kind](const lab::StudyProblem& p) { return p.kind == kind; };
    auto p = std::find_if(o.problems.begin(), o.problems.end(), in);
    if (p != o.problems.end()) {
      chosen.push_back(*p);
      continue;
    }
    const auto full = lab::full_study_options();
    chosen.push_back(*std::find_if(full.problems.begin(), full.problems.end(), in));
    if (a.quick) {
      chosen.back().sizes.resize(1);
      chosen.back().seeds = {0};
    }
  }
  return chosen;
}

/// The part of the command line that goes to every problem: --n, --seeds, --order,
/// --time-budget.
void override_problems(const StudyArgs& a, lab::StudyOptions& o) {
  if (!a.problems.empty()) o.problems = chosen_problems(a, o);
  std::vector<std::int64_t> sizes;
  for (const auto& v : a.n)
    sizes.push_back(checked<std::int64_t>("--n", "domain.n", v,
                                          [](const core::RunConfig& c) { return c.domain.n; }));
  std::vector<std::uint64_t> seeds;
  for (const auto& v : a.seeds)
    seeds.push_back(checked<std::uint64_t>("--seeds", "train.seed", v,
                                           [](const core::RunConfig& c) { return c.train.seed; }));
  for (auto& p : o.problems) {
    if (!sizes.empty()) p.sizes = sizes;
    if (!seeds.empty()) p.seeds = seeds;
    if (!a.orders.empty()) p.orders.clear();
    if (!a.time_budget.empty()) p.time_budget = -1.0;
  }
}

void run(const StudyArgs& a) {
  lab::StudyOptions o = a.quick ? lab::quick_study_options() : lab::full_study_options();
  o.output = a.output;
  o.source_dir = a.source_dir;
  o.command = command_line();
  override_problems(a, o);
  if (!a.orders.empty()) {
    o.orders.clear();
    for (const auto& v : a.orders)
      o.orders.push_back(checked<int>("--order", "rbffd.order", v,
                                      [](const core::RunConfig& c) { return c.rbffd.order; }));
  }
  if (!a.methods.empty()) {
    o.methods.clear();
    for (const auto& m : a.methods)
      o.methods.push_back(parse_choice<lab::StudyMethod>("--methods", m));
  }
  using C = const core::RunConfig&;
  if (!a.epochs.empty())
    o.epochs = checked<std::int64_t>("--epochs", "train.epochs", a.epochs,
                                     [](C c) { return c.train.epochs; });
  if (!a.time_budget.empty())
    o.time_budget = checked<double>("--time-budget", "train.time_budget", a.time_budget,
                                    [](C c) { return c.train.time_budget; });
  if (!a.eval_every.empty())
    o.eval_every = checked<std::int64_t>("--eval-every", "train.eval_every", a.eval_every,
                                         [](C c) { return c.train.eval_every; });
  if (!a.test_n.empty())
    o.test_n = checked<std::int64_t>("--test-n", "domain.test_n", a.test_n,
                                     [](C c) { return c.domain.test_n; });
  if (!a.max_depth.empty())
    o.max_depth =
        checked<int>("--max-depth", "model.depth", a.max_depth, [](C c) { return c.model.depth; });
  if (a.threads > 0) o.threads = a.threads;
  o.optimizer = checked<core::Optimizer>("--optimizer", "train.optimizer", a.optimizer,
                                         [](C c) { return c.train.optimizer; });
  o.output_layer =
      checked<core::OutputLayer>("--output-layer", "train.output_layer", a.output_layer,
                                 [](C c) { return c.train.output_layer; });
  o.device = checked<core::DeviceKind>("--device", "train.device", a.device,
                                       [](C c) { return c.train.device; });
  o.derivatives = !a.no_derivatives;
  o.pinn = !a.no_pinn;
  lab::run_study(o, &std::cout);
}

}  // namespace

void add_study_command(CLI::App& app) {
  auto a = std::make_shared<StudyArgs>();
  auto* cmd = app.add_subcommand(
      "study",
      "DT-PINN vs autograd PINN study: derivative accuracy/cost vs depth, then PINN runs over N, "
      "p, methods, problems, seeds; writes study.md, study.json and PNG plots");
  cmd->add_flag("--quick", a->quick,
                "small preset for a 2-core CPU (a few minutes); default: the full paper study");
  cmd->add_option("-o,--output", a->output,
                  "output folder (default bench/results/<machine> under --source-dir)");
  cmd->add_option("--device", a->device, core::option_list<core::DeviceKind>())
      ->capture_default_str();
  cmd->add_option("--source-dir", a->source_dir,
                  "repository root: geometry files, git commit, default output")
      ->capture_default_str();
  cmd->add_option("--n", a->n, "node counts N (overrides every problem's list)")->delimiter(',');
  cmd->add_option("--order", a->orders, "RBF-FD orders p, e.g. 2,3,4,5")->delimiter(',');
  cmd->add_option("--problems", a->problems,
                  "comma-separated: " + core::option_list<lab::StudyProblemKind>())
      ->delimiter(',');
  cmd->add_option("--methods", a->methods,
                  "comma-separated: " + core::option_list<lab::StudyMethod>())
      ->delimiter(',');
  cmd->add_option("--seeds", a->seeds, "network seeds, e.g. 0,1,2,3,4")->delimiter(',');
  cmd->add_option("--epochs", a->epochs, "epochs per run (full: 5000, quick: 400)");
  cmd->add_option("--time-budget", a->time_budget, "training seconds per run, 0 = none");
  cmd->add_option("--eval-every", a->eval_every, "epochs between test-error evaluations");
  cmd->add_option("--test-n", a->test_n, "test nodes (2D Poisson; heat and 3D use fewer)");
  cmd->add_option("--max-depth", a->max_depth, "derivative study: depths 1..D");
  cmd->add_option("--optimizer", a->optimizer,
                  "every PINN run's optimiser: " + core::option_list<core::Optimizer>());
  cmd->add_option("--output-layer", a->output_layer,
                  "every PINN run's output layer: " + core::option_list<core::OutputLayer>());
  cmd->add_option("--threads", a->threads,
                  "torch intra-op threads (quick: 1, full: the torch default)")
      ->check(threads_validator());
  cmd->add_flag("--no-derivatives", a->no_derivatives, "skip the derivative-vs-depth part");
  cmd->add_flag("--no-pinn", a->no_pinn, "skip the PINN runs");
  cmd->callback([a] { run(*a); });
}

}  // namespace dtpinn::app
