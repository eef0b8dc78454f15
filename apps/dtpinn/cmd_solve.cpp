// dtpinn solve: the classical RBF-FD solution of a steady Poisson problem ([L; B] u = [f; g],
// sparse LU; Newton for Lap u = exp(u) + f), the reference for every PINN result.
#include "commands.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/solve.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace dtpinn::app {
namespace {

struct SolveArgs {
  std::string config;
  std::string out;
  int order = 0;    // 0: from the config
  long long n = 0;  // 0: from the config
  int threads = 0;
};

void run_solve(const SolveArgs& a) {
  if (!a.config.empty()) require_file("config", a.config);
  core::RunConfig cfg = a.config.empty() ? core::default_config() : core::load_config(a.config);
  if (a.order != 0) cfg.rbffd.order = a.order;
  if (a.n != 0) cfg.domain.n = a.n;
  if (core::is_time_dependent(cfg.problem))
    throw std::invalid_argument(fmt::format(
        "{}: the equation is time-dependent (u_t): the classical solve handles steady equations",
        cfg.source));
  const nodegen::NodeSet nodes = core::make_collocation_nodes(cfg);
  const core::Problem problem(cfg.problem, nodes.dim);
  const core::BoundaryAssignment boundary = problem.assign_boundary(nodes);
  const std::string robin_warning = core::check_robin_condition(nodes, boundary);
  if (!robin_warning.empty()) std::fprintf(stderr, "%s\n", robin_warning.c_str());

  rbffd::RbffdParams params = core::rbffd_params(cfg);
  params.threads = a.threads;
  rbffd::OperatorRequest req;
  req.robin = {boundary.alpha, boundary.beta, boundary.normals};
  req.gradient = core::uses_gradient(problem.equation());
  const rbffd::OperatorSet ops = rbffd::assemble(nodes, params, req);

  const auto nc = nodes.n_collocation(), ni = nodes.n_interior, nb = nodes.n_boundary;
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const Eigen::VectorXd g = problem.boundary_data(nodes, boundary);
  rbffd::SolveOptions so;
  const rbffd::SolveResult s =
      core::solve_equation(problem, nodes, ops.laplacian, ops.gradient, ops.boundary, g, so);
  const Eigen::VectorXd u = s.u.head(nc);

  nlohmann::json res;
  res["method"] = "rbffd";
  res["pde"] = core::to_string(problem.pde());
  res["equation"] = problem.equation().text();
  res["config"] = cfg.source;
  res["dim"] = nodes.dim;
  res["n_nodes"] = nc;
  res["n_interior"] = ni;
  res["n_boundary"] = nb;
  res["n_ghost"] = nodes.n_ghost;
  res["order"] = params.order;
  res["boundary_conditions"] = nlohmann::json::parse(
      core::conditions_json(core::report_conditions(problem, nodes, boundary, u.tail(nb))));
  res["assembly_seconds"] = ops.seconds;
  res["solve_seconds"] = s.seconds;
  res["residual"] = s.residual;
  res["newton_iterations"] = s.newton_iterations;
  if (const double kappa = core::robin_condition(nodes, boundary); kappa > 0)
    res["robin_condition"] = kappa;
  if (problem.fixes_mean()) {
    res["mean_fixed"] = problem.mean_value(xc);
    res["source_shift"] = s.source_shift;
  }
  std::printf("%s = 0 on %lld nodes (Ni = %lld, Nb = %lld, ghosts = %lld), p = %d\n",
              problem.equation().text().c_str(), static_cast<long long>(nc),
              static_cast<long long>(ni), static_cast<long long>(nb),
              static_cast<long long>(nodes.n_ghost), params.order);
  std::printf("assembly %.3f s, solve %.3f s, relative residual %.2e%s\n", ops.seconds, s.seconds,
              s.residual,
              s.newton_iterations > 0
                  ? fmt::format(", {} Newton iterations", s.newton_iterations).c_str()
                  : "");
  if (problem.fixes_mean())
    std::printf("every condition is Neumann: mean of u fixed to %.6g (%s), source off by %.3g\n",
                problem.mean_value(xc), problem.has_exact() ? "the mean of exact" : "zero",
                s.source_shift);
  Eigen::VectorXd exact;
  if (problem.has_exact()) {
    exact = problem.exact(xc);
    const double rel_l2 = (u - exact).norm() / exact.norm();
    const double max_err = (u - exact).cwiseAbs().maxCoeff();
    res["test_rel_l2"] = rel_l2;
    res["rel_l2"] = rel_l2;
    res["max_error"] = max_err;
    std::printf("relative l2 error %.3e, max error %.3e (vs the exact solution at the nodes)\n",
                rel_l2, max_err);
  }
  if (a.out.empty()) return;
  std::filesystem::create_directories(a.out);
  const auto path = [&](const char* name) {
    return (std::filesystem::path(a.out) / name).string();
  };
  {
    nodegen::AtomicFile file(path("solution.csv"));
    auto& os = file.stream();
    os << (nodes.dim == 2 ? "x,y" : "x,y,z") << ",u" << (exact.size() ? ",exact,error" : "")
       << '\n';
    for (nodegen::Index i = 0; i < nc; ++i) {
      for (int c = 0; c < nodes.dim; ++c) os << fmt::format("{},", nodes.points(i, c));
      os << fmt::format("{}", u[i]);
      if (exact.size()) os << fmt::format(",{},{}", exact[i], u[i] - exact[i]);
      os << '\n';
    }
    file.commit();
  }
  nodegen::AtomicFile file(path("results.json"));
  file.stream() << res.dump(2) << '\n';
  file.commit();
  std::printf("wrote %s, %s\n", path("solution.csv").c_str(), path("results.json").c_str());
}

}  // namespace

void add_solve_command(CLI::App& app) {
  auto args = std::make_shared<SolveArgs>();
  auto* cmd = app.add_subcommand(
      "solve", "classical RBF-FD sparse solve of a steady Poisson problem (the reference)");
  // Checked in run_solve: a CLI11 check would run before an unknown option is reported.
  cmd->add_option("config", args->config, "run configuration (TOML); default experiment if none");
  cmd->add_option("-o,--output", args->out, "directory for solution.csv and results.json");
  cmd->add_option("--order,-p", args->order, "override [rbffd] order")->check(CLI::Range(2, 6));
  cmd->add_option("--n", args->n, "override [domain] n")->check(CLI::Range(10LL, 100000000LL));
  cmd->add_option("--threads", args->threads, "OpenMP threads (0: default)")
      ->check(threads_validator());
  cmd->callback([args] { run_solve(*args); });
}

}  // namespace dtpinn::app
