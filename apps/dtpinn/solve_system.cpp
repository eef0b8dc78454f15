// dtpinn solve for systems: the coupled solve, its errors per field and its files.
#include "solve_system.hpp"

#include <dtpinn/core/problem/solution_files.hpp>
#include <dtpinn/core/problem/system.hpp>
#include <dtpinn/core/version.hpp>
#include <dtpinn/lab/gnuplot.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/node_io.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace dtpinn::app {
namespace {

/// One field's error against its exact solution (after removing the mean of both when the
/// field is fixed only up to a constant).
struct FieldError {
  double rel_l2 = -1, max_error = -1;
  bool constant_removed = false;
  Eigen::VectorXd difference, exact;  ///< as compared
};

FieldError field_error(const core::Problem& problem, int w, const nodegen::PointMatrix& xc,
                       const Eigen::VectorXd& u) {
  FieldError e;
  if (!problem.has_exact_field(w)) return e;
  e.exact = problem.exact_field(w, xc);
  Eigen::VectorXd got = u;
  e.constant_removed = core::field_fixed_up_to_constant(problem, w);
  if (e.constant_removed) {
    got.array() -= got.mean();
    e.exact.array() -= e.exact.mean();
  }
  e.difference = got - e.exact;
  e.rel_l2 = e.difference.norm() / e.exact.norm();
  e.max_error = e.difference.cwiseAbs().maxCoeff();
  return e;
}

void write_csv(const std::string& path, const nodegen::NodeSet& nodes, const core::Problem& problem,
               const Eigen::MatrixXd& u, const nodegen::PointMatrix& xc) {
  nodegen::AtomicFile file(path);
  auto& os = file.stream();
  const auto& fields = problem.fields();
  os << (nodes.dim == 2 ? "x,y" : "x,y,z");
  for (const auto& w : fields) os << ',' << w;
  std::vector<Eigen::VectorXd> exact(fields.size());
  for (std::size_t w = 0; w < fields.size(); ++w)
    if (problem.has_exact_field(static_cast<int>(w))) {
      exact[w] = problem.exact_field(static_cast<int>(w), xc);
      os << ',' << fields[w] << "_exact";
    }
  os << '\n';
  for (Eigen::Index i = 0; i < u.rows(); ++i) {
    for (int c = 0; c < nodes.dim; ++c) os << fmt::format("{}{}", c ? "," : "", nodes.points(i, c));
    for (Eigen::Index w = 0; w < u.cols(); ++w) os << fmt::format(",{}", u(i, w));
    for (const auto& e : exact)
      if (e.size()) os << fmt::format(",{}", e[i]);
    os << '\n';
  }
  file.commit();
}

}  // namespace

void solve_system_command(const RunArgs& a, const std::string& out, const core::RunConfig& cfg,
                          const nodegen::NodeSet& nodes, const core::NodeQuality& quality,
                          const core::Problem& problem, std::ostream* log) {
  if (log) {
    std::vector<std::int64_t> counts;
    for (std::size_t c = 0; c < problem.conditions().size(); ++c)
      counts.push_back(problem.assign_boundary(nodes, problem.conditions()[c].field).counts[c]);
    *log << core::describe_boundary(problem, nodes, counts) << '\n';
  }
  rbffd::RbffdParams params = core::rbffd_params(cfg);
  params.threads = a.threads;
  const core::SystemSolution s = core::solve_system(problem, nodes, params);
  const auto nc = nodes.n_collocation();
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const auto& fields = problem.fields();

  nlohmann::json res;
  res["method"] = "rbffd";
  res["dtpinn_version"] = core::dtpinn_version();
  res["git_commit"] = core::dtpinn_git_commit();
  res["fields"] = nlohmann::json::object();
  nlohmann::json equations = nlohmann::json::array();
  for (const auto& eq : problem.equations()) equations.push_back(eq.text());
  res["equations"] = equations;
  res["config"] = cfg.source;
  res["dim"] = nodes.dim;
  res["n_nodes"] = nc;
  res["n_interior"] = nodes.n_interior;
  res["n_boundary"] = nodes.n_boundary;
  res["n_ghost"] = nodes.n_ghost;
  res["node_quality"] = nlohmann::json::parse(core::node_quality_json(quality));
  res["order"] = params.order;
  res["solve_seconds"] = s.seconds;
  res["residual"] = s.residual;
  res["newton_iterations"] = s.newton_iterations;
  res["lu_factorisations"] = s.factorisations;
  res["linear_solver"] = s.method;
  if (log)
    *log << fmt::format(
        "{} equations in {} fields on {} nodes (Ni = {}, Nb = {}, ghosts = {}), p = {}\n"
        "solve {:.3f} s ({}), relative residual {:.2e}{}\n",
        problem.equations().size(), fields.size(), nc, nodes.n_interior, nodes.n_boundary,
        nodes.n_ghost, params.order, s.seconds, s.method, s.residual,
        s.newton_iterations > 0 ? fmt::format(", {} Newton iterations ({} LU factorisations)",
                                              s.newton_iterations, s.factorisations)
                                : std::string());
  double e2 = 0, x2 = 0;
  bool all_exact = true;
  for (std::size_t w = 0; w < fields.size(); ++w) {
    const FieldError e = field_error(problem, static_cast<int>(w), xc, s.u.col(Eigen::Index(w)));
    nlohmann::json f = nlohmann::json::object();
    f["fixed_up_to_a_constant"] = core::field_fixed_up_to_constant(problem, static_cast<int>(w));
    if (e.rel_l2 >= 0) {
      f["test_rel_l2"] = e.rel_l2;
      f["max_error"] = e.max_error;
      f["constant_removed"] = e.constant_removed;
      e2 += e.difference.squaredNorm();
      x2 += e.exact.squaredNorm();
      if (log)
        *log << fmt::format(
            "  {}: relative l2 error {:.3e}, max error {:.3e}{}\n", fields[w], e.rel_l2,
            e.max_error,
            e.constant_removed ? " (after removing the mean: fixed up to a constant)" : "");
    } else {
      all_exact = false;
    }
    res["fields"][fields[w]] = f;
  }
  if (all_exact && x2 > 0) {
    res["test_rel_l2"] = std::sqrt(e2 / x2);
    res["rel_l2"] = std::sqrt(e2 / x2);
    if (log) *log << fmt::format("relative l2 error over all fields {:.3e}\n", std::sqrt(e2 / x2));
  }
  if (out.empty()) return;
  nodegen::make_directories(out);
  for (std::size_t w = 0; w < fields.size(); ++w) {
    core::SolutionView view;
    view.nodes = &nodes;
    view.field = fields[w];
    view.u = s.u.col(static_cast<Eigen::Index>(w));
    if (problem.has_exact_field(static_cast<int>(w))) {
      view.reference = problem.exact_field(static_cast<int>(w), xc);
      view.reference_name = "exact";
    }
    const std::string folder = nodegen::join_path(out, fields[w]);
    nodegen::make_directories(folder);
    core::write_solution_files(folder, view, a.no_plots ? core::PlotRenderer() : lab::render_plot,
                               log);
  }
  write_csv(nodegen::join_path(out, "solution.csv"), nodes, problem, s.u, xc);
  nodegen::AtomicFile file(nodegen::join_path(out, "results.json"));
  file.stream() << res.dump(2) << '\n';
  file.commit();
  if (log)
    *log << fmt::format("wrote solution.csv, results.json and one folder per field ({}) to {}\n",
                        fmt::join(fields, ", "), out);
}

}  // namespace dtpinn::app
