// dtpinn solve: the classical RBF-FD solution of the config's steady equation (one sparse solve
// of [J; B] u = [-R(0); g] for a linear one, Newton for a nonlinear one), the reference for
// every PINN result.
#include "commands.hpp"
#include "run_args.hpp"
#include "solve_system.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/solution_files.hpp>
#include <dtpinn/core/problem/solve.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/version.hpp>
#include <dtpinn/lab/gnuplot.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace dtpinn::app {
namespace {

/// Refuses data whose squares overflow (values near 1e154 or more): the solve's residual and
/// the error against the exact solution could not be measured (they would print as nan).
void check_data_range(const core::Problem& problem, const nodegen::PointMatrix& x,
                      const Eigen::VectorXd& g, const Eigen::VectorXd& exact) {
  const auto check = [](const char* what, const Eigen::VectorXd& v) {
    if (v.size() == 0 || std::isfinite(v.squaredNorm())) return;
    throw std::runtime_error(fmt::format(
        "the problem's data is out of range: {} reaches {:.3g} at the nodes, and values near "
        "1e154 or more overflow when squared, so neither the solve's residual nor its error can "
        "be measured; scale problem.exact, f, g down",
        what, v.cwiseAbs().maxCoeff()));
  };
  check("problem.exact", exact);
  if (problem.equation().has_source()) check("f", problem.source(x));
  check("g", g);
}

void run_solve(const RunArgs& a, const std::string& out) {
  const core::RunConfig cfg = make_config(a, "solve");
  if (core::is_time_dependent(cfg.problem))
    throw std::invalid_argument(fmt::format(
        "{}: the equation is time-dependent (u_t): the classical solve handles steady equations",
        cfg.source));
  std::ostream* log = a.quiet ? nullptr : &std::cout;
  core::NodeQuality quality;
  const nodegen::NodeSet nodes = core::make_collocation_nodes(cfg, log, &quality);
  if (!log && !quality.warning.empty())  // with a log, make_collocation_nodes said it there
    std::cerr << "dtpinn solve: warning: " << quality.warning << '\n';
  const core::Problem problem(cfg.problem, nodes.dim);
  if (problem.is_system()) return solve_system_command(a, out, cfg, nodes, quality, problem, log);
  const core::BoundaryAssignment boundary = problem.assign_boundary(nodes);
  if (log) *log << core::describe_boundary(problem, nodes, boundary) << '\n';
  if (const std::string w = core::check_robin_condition(nodes, boundary); !w.empty())
    std::cerr << "dtpinn solve: " << w << '\n';

  rbffd::RbffdParams params = core::rbffd_params(cfg);
  params.threads = a.threads;
  rbffd::OperatorRequest req;
  req.robin = {boundary.alpha, boundary.beta, boundary.normals};
  req.gradient = core::uses_gradient(problem.equation());
  const rbffd::OperatorSet ops = rbffd::assemble(nodes, params, req);

  const auto nc = nodes.n_collocation(), ni = nodes.n_interior, nb = nodes.n_boundary;
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const Eigen::VectorXd g = problem.boundary_data(nodes, boundary);
  Eigen::VectorXd exact;
  if (problem.has_exact()) exact = problem.exact(xc);
  check_data_range(problem, xc, g, exact);
  rbffd::SolveOptions so;
  const rbffd::SolveResult s =
      core::solve_equation(problem, nodes, ops.laplacian, ops.gradient, ops.boundary, g, so);
  const Eigen::VectorXd u = s.u.head(nc);

  nlohmann::json res;
  res["method"] = "rbffd";
  res["dtpinn_version"] = core::dtpinn_version();
  res["git_commit"] = core::dtpinn_git_commit();
  res["pde"] = core::to_string(problem.pde());
  res["equation"] = problem.equation().text();
  res["config"] = cfg.source;
  res["dim"] = nodes.dim;
  res["n_nodes"] = nc;
  res["n_interior"] = ni;
  res["n_boundary"] = nb;
  res["n_ghost"] = nodes.n_ghost;
  res["node_quality"] = nlohmann::json::parse(core::node_quality_json(quality));
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
  if (log) {
    *log << fmt::format(
        "{} = 0 on {} nodes (Ni = {}, Nb = {}, ghosts = {}), p = {}\n"
        "assembly {:.3f} s, solve {:.3f} s, relative residual {:.2e}{}\n",
        problem.equation().text(), nc, ni, nb, nodes.n_ghost, params.order, ops.seconds, s.seconds,
        s.residual,
        s.newton_iterations > 0 ? fmt::format(", {} Newton iterations", s.newton_iterations)
                                : std::string());
    if (problem.fixes_mean())
      *log << fmt::format(
          "every condition is Neumann: mean of u fixed to {:.6g} ({}), source off by {:.3g}\n",
          problem.mean_value(xc), problem.has_exact() ? "the mean of exact" : "zero",
          s.source_shift);
  }
  if (problem.has_exact()) {
    const double rel_l2 = (u - exact).norm() / exact.norm();
    const double max_err = (u - exact).cwiseAbs().maxCoeff();
    res["test_rel_l2"] = rel_l2;
    res["rel_l2"] = rel_l2;
    res["max_error"] = max_err;
    if (log)
      *log << fmt::format(
          "relative l2 error {:.3e}, max error {:.3e} (vs the exact solution at the nodes)\n",
          rel_l2, max_err);
  }
  if (out.empty()) return;
  nodegen::make_directories(out);
  const auto path = [&](const char* name) { return nodegen::join_path(out, name); };
  core::SolutionView view;
  view.nodes = &nodes;
  view.u = u;
  view.reference = exact;
  view.reference_name = "exact";
  write_solution_files(out, view, a.no_plots ? core::PlotRenderer() : lab::render_plot, log);
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
  if (log)
    *log << fmt::format("wrote solution.csv, solution.vtk, results.json{} to {}\n",
                        a.no_plots ? "" : " and the plots", out);
}

}  // namespace

void add_solve_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "solve",
      "classical RBF-FD solution of the config's steady equation (any: Poisson, Helmholtz, "
      "advection-diffusion, nonlinear by Newton; the reference for PINN results); with -o DIR "
      "writes solution.csv, solution.vtk, results.json and the PNG plots");
  add_config_flags(cmd, a, FlagSet::solve, false);
  cmd->add_option("-o,--output", *out,
                  "folder for solution.csv, solution.vtk (+ .dat, .gp), results.json and the "
                  "plots");
  add_output_flags(cmd, a, true);
  cmd->callback([a, out] { run_solve(*a, *out); });
}

}  // namespace dtpinn::app
