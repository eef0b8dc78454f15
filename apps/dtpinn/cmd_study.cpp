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

struct StudyArgs {
  bool quick = false;
  std::string output, device = "cpu", source_dir = ".";
  std::vector<long long> n;
  std::vector<int> orders;
  std::vector<std::string> problems, methods;
  std::vector<long long> seeds;
  long long epochs = -1, eval_every = -1, test_n = -1;
  double time_budget = -1;
  int max_depth = -1, threads = 0;
  std::string optimizer = "lbfgs", output_layer = "trained";
  bool no_derivatives = false, no_pinn = false;
};

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
  for (auto s : a.seeds)
    if (s < 0) throw std::runtime_error(fmt::format("--seeds: {} is negative", s));
  for (auto& p : o.problems) {
    if (!a.n.empty()) p.sizes.assign(a.n.begin(), a.n.end());
    if (!a.seeds.empty()) p.seeds.assign(a.seeds.begin(), a.seeds.end());
    if (!a.orders.empty()) p.orders.clear();
    if (a.time_budget >= 0) p.time_budget = -1.0;
  }
}

void run(const StudyArgs& a) {
  lab::StudyOptions o = a.quick ? lab::quick_study_options() : lab::full_study_options();
  o.device = parse_choice<core::DeviceKind>("--device", a.device);
  o.output = a.output;
  o.source_dir = a.source_dir;
  o.command = command_line();
  override_problems(a, o);
  if (!a.orders.empty()) o.orders = a.orders;
  if (!a.methods.empty()) {
    o.methods.clear();
    for (const auto& m : a.methods)
      o.methods.push_back(parse_choice<lab::StudyMethod>("--methods", m));
  }
  if (a.epochs >= 0) o.epochs = a.epochs;
  if (a.time_budget >= 0) o.time_budget = a.time_budget;
  if (a.eval_every > 0) o.eval_every = a.eval_every;
  if (a.test_n > 0) o.test_n = a.test_n;
  if (a.max_depth > 0) o.max_depth = a.max_depth;
  if (a.eval_every == 0) throw std::runtime_error("--eval-every: must be >= 1");
  if (a.threads > 0) o.threads = a.threads;
  o.optimizer = parse_choice<core::Optimizer>("--optimizer", a.optimizer);
  o.output_layer = parse_choice<core::OutputLayer>("--output-layer", a.output_layer);
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
                  "torch intra-op threads (quick: 1, full: the torch default)");
  cmd->add_flag("--no-derivatives", a->no_derivatives, "skip the derivative-vs-depth part");
  cmd->add_flag("--no-pinn", a->no_pinn, "skip the PINN runs");
  cmd->callback([a] { run(*a); });
}

}  // namespace dtpinn::app
