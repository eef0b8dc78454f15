// Building the training data: nodes, operators, f/g/u0 and the test reference (no LibTorch).
#include <dtpinn/core/problem/solve.hpp>
#include <dtpinn/core/problem/system.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/shapes.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/params.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

namespace dtpinn::core {

namespace {

using nodegen::NodeSet;
using nodegen::PointMatrix;

void say(std::ostream* log, const std::string& line) {
  if (log) *log << line << '\n' << std::flush;
}

/// The collocation nodes (interior + boundary) of a node set, without its ghosts.
NodeSet without_ghosts(const NodeSet& n) {
  NodeSet out;
  out.dim = n.dim;
  out.n_interior = n.n_interior;
  out.n_boundary = n.n_boundary;
  out.n_ghost = 0;
  out.points = n.points.topRows(n.n_collocation());
  out.normals = n.normals.topRows(n.n_collocation());
  out.part_names = n.part_names;
  out.boundary_part = n.boundary_part;
  out.corners = n.corners;
  return out;
}

/// Nodes of the configured domain at `n` nodes and `seed` (shape name or imported file), and
/// the domain they fill.
struct DomainNodes {
  NodeSet nodes;
  nodegen::DomainPtr domain;
};

DomainNodes domain_nodes(const RunConfig& c, std::int64_t n, std::uint64_t seed, bool ghosts) {
  if (c.domain.file) {
    nodegen::ImportOptions o;
    o.n = n;
    o.seed = seed;
    o.rescale = c.domain.rescale;
    o.ghosts = ghosts;
    o.ghost_distance = c.domain.ghost_distance;
    o.keep_points = c.domain.keep_points;
    nodegen::ImportReport rep;
    NodeSet nodes = nodegen::import_nodes(*c.domain.file, o, &rep);
    return {std::move(nodes), rep.domain};
  }
  nodegen::DomainPtr shape = nodegen::make_shape(c.domain.shape);
  nodegen::FillOptions o;
  o.n = n;
  o.seed = seed;
  o.ghosts = ghosts;
  o.ghost_distance = c.domain.ghost_distance;
  return {nodegen::generate_nodes(*shape, o), shape};
}

/// The quality gate of the collocation nodes (nodegen::quality_problem): refused, or with
/// domain.allow_nonuniform a warning said and kept.
NodeQuality gate_nodes(const RunConfig& c, const NodeSet& nodes, const nodegen::Domain* domain,
                       std::ostream* log) {
  NodeQuality q;
  q.report = nodegen::assess_quality(nodes, domain);
  q.allowed_nonuniform = c.domain.allow_nonuniform;
  const std::string problem = nodegen::quality_problem(q.report);
  if (problem.empty()) return q;
  if (!c.domain.allow_nonuniform)
    throw std::runtime_error(
        "collocation nodes: not quasi-uniform: " + problem +
        "; set domain.allow_nonuniform = true (--allow-nonuniform) to use them anyway");
  q.warning = "the collocation nodes are not quasi-uniform: " + problem +
              " (used anyway: domain.allow_nonuniform)";
  say(log, "warning: " + q.warning);
  return q;
}

void check_nodes(const NodeSet& n, const std::string& what) {
  try {
    n.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", what, e.what()));
  }
  if (n.n_interior < 1 || n.n_boundary < 1)
    throw std::runtime_error(fmt::format("{}: needs interior and boundary nodes (got {} and {})",
                                         what, n.n_interior, n.n_boundary));
}

}  // namespace

rbffd::RbffdParams rbffd_params(const RunConfig& c) {
  rbffd::RbffdParams p;
  p.order = c.rbffd.order;
  p.boundary_stencil_factor = c.rbffd.boundary_stencil_factor;
  return p;
}

NodeSet make_collocation_nodes(const RunConfig& c, std::ostream* log, NodeQuality* quality) {
  NodeSet nodes;
  nodegen::DomainPtr domain;  // none for a node file: its quality without a fill distance
  if (c.domain.nodes) {
    nodes = nodegen::read_nodes(*c.domain.nodes);
    if (nodes.n_ghost == 0) nodegen::add_ghost_nodes(nodes, c.domain.ghost_distance);
    say(log, fmt::format("nodes: {} (read): Ni = {}, Nb = {}, ghosts = {}", *c.domain.nodes,
                         nodes.n_interior, nodes.n_boundary, nodes.n_ghost));
  } else {
    DomainNodes made = domain_nodes(c, c.domain.n, c.domain.seed, true);
    nodes = std::move(made.nodes);
    domain = std::move(made.domain);
    say(log, fmt::format("nodes: {} (seed {}): Ni = {}, Nb = {}, ghosts = {}",
                         c.domain.file ? *c.domain.file : c.domain.shape, c.domain.seed,
                         nodes.n_interior, nodes.n_boundary, nodes.n_ghost));
  }
  check_nodes(nodes, "collocation nodes");
  if (nodes.n_ghost != nodes.n_boundary)
    throw std::runtime_error("collocation nodes: DT-PINN needs one ghost node per boundary node");
  NodeQuality q = gate_nodes(c, nodes, domain.get(), log);
  if (quality) *quality = std::move(q);
  return nodes;
}

std::string node_quality_json(const NodeQuality& q) {
  nlohmann::json j = nlohmann::json::parse(q.report.to_json());
  j["allow_nonuniform"] = q.allowed_nonuniform;
  j["warning"] = q.warning.empty() ? nlohmann::json(nullptr) : nlohmann::json(q.warning);
  return j.dump();
}

void check_order_fits(const RunConfig& c, const NodeSet& nodes) {
  const auto params = rbffd_params(c);
  try {
    params.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("config [rbffd]: {}", e.what()));
  }
  for (int theta : {2, 1}) {
    const auto rule = rbffd::stencil_rule(params, theta, nodes.dim);
    const int need = std::max(rule.size, nodes.n_boundary > 0 ? rule.boundary_size : 0);
    if (need > nodes.size())
      throw std::runtime_error(fmt::format(
          "rbffd.order = {} needs stencils of {} nodes ({}), but the node set has only {} nodes "
          "(Ni + 2 Nb): lower the order or use more nodes (domain.n)",
          c.rbffd.order, need, rule.describe(), nodes.size()));
  }
}

namespace {

/// L and B of the collocation nodes.
void assemble_operators(Dataset& d, const RunConfig& c, std::ostream* log) {
  const auto t0 = std::chrono::steady_clock::now();
  rbffd::OperatorRequest req;
  req.laplacian = true;
  req.boundary = true;
  req.robin = {d.boundary.alpha, d.boundary.beta, d.boundary.normals};
  req.gradient = uses_gradient(d.problem->equation());
  auto ops = rbffd::assemble(d.nodes, rbffd_params(c), req);
  d.L = std::move(ops.laplacian);
  d.B = std::move(ops.boundary);
  d.D = std::move(ops.gradient);
  d.has_operators = true;
  d.operator_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string gradient;
  for (std::size_t k = 0; k < d.D.size(); ++k)
    gradient +=
        fmt::format(", D{} {} x {} ({} nnz)", "xyz"[k], d.D[k].rows, d.D[k].cols, d.D[k].nnz());
  say(log, fmt::format("operators: p = {}: L {} x {} ({} nnz), B {} x {} ({} nnz){} in {:.2f} s",
                       c.rbffd.order, d.L.rows, d.L.cols, d.L.nnz(), d.B.rows, d.B.cols, d.B.nnz(),
                       gradient, d.operator_seconds));
}

/// The slice times, f, g (and u0) at the nodes, and the network's input box.
void fill_problem_data(Dataset& d) {
  const Problem& P = *d.problem;
  const auto Nb = d.nodes.n_boundary, Nc = d.nodes.n_collocation();
  const int dim = d.nodes.dim;
  if (P.is_time_dependent()) {
    const int nt = P.nt();
    for (int k = 0; k <= nt; ++k) d.times.push_back(P.t_final() * k / nt);
  } else {
    d.times = {0.0};
  }
  const PointMatrix xc = d.nodes.points.topRows(Nc);
  const auto S = static_cast<Eigen::Index>(d.times.size());
  d.f.resize(Nc, S);
  d.g.resize(Nb, S);
  for (Eigen::Index k = 0; k < S; ++k) {
    d.f.col(k) = P.equation().has_source() ? P.source(xc, d.times[k]) : Eigen::VectorXd::Zero(Nc);
    d.g.col(k) = P.boundary_data(d.nodes, d.boundary, d.times[k]);
  }
  if (P.is_time_dependent()) d.u0 = P.initial(xc);
  if (!d.f.allFinite() || !d.g.allFinite() || !d.u0.allFinite())
    throw std::runtime_error(
        "problem: f, g or u0 is not finite at some node (check the expressions and the domain)");

  // Input box: the collocation nodes' bounding box, and [0, t_final] for time.
  d.lower.resize(dim + (P.is_time_dependent() ? 1 : 0));
  d.upper.resize(d.lower.size());
  for (int j = 0; j < dim; ++j) {
    d.lower[j] = xc.col(j).minCoeff();
    d.upper[j] = xc.col(j).maxCoeff();
  }
  if (P.is_time_dependent()) {
    d.lower[dim] = 0.0;
    d.upper[dim] = P.t_final();
  }
}

/// The test nodes (a file, the collocation nodes, or a finer generated set with seed + 1);
/// returns them with ghosts when the reference is a classical solve on them. `on_collocation`:
/// test on the collocation nodes unless a test node file is given (a system without an exact
/// solution: its reference, a coupled Newton solve, would cost far more on a finer set than the
/// training it measures).
NodeSet make_test_nodes(Dataset& d, const RunConfig& c, bool with_ghosts,
                        bool on_collocation = false) {
  NodeSet test_with_ghosts;
  if (c.domain.test_nodes) {
    d.test_nodes = without_ghosts(nodegen::read_nodes(*c.domain.test_nodes));
    d.test_source = *c.domain.test_nodes;
    if (with_ghosts) {
      test_with_ghosts = nodegen::read_nodes(*c.domain.test_nodes);
      if (test_with_ghosts.n_ghost == 0)
        nodegen::add_ghost_nodes(test_with_ghosts, c.domain.ghost_distance);
    }
  } else if (c.domain.nodes || on_collocation) {
    // A user-supplied cloud has no generator to draw a finer set from: test on its own
    // collocation nodes (the paper does so for heat).
    d.test_nodes = without_ghosts(d.nodes);
    d.test_source = "collocation nodes";
    if (with_ghosts) test_with_ghosts = d.nodes;
  } else {
    const std::uint64_t test_seed = c.domain.seed + 1;
    test_with_ghosts = domain_nodes(c, c.domain.test_n, test_seed, with_ghosts).nodes;
    d.test_nodes = without_ghosts(test_with_ghosts);
    d.test_source = fmt::format("generated, n = {}, seed {}", c.domain.test_n, test_seed);
  }
  check_nodes(d.test_nodes, "test nodes");
  if (d.test_nodes.dim != d.nodes.dim)
    throw std::runtime_error(fmt::format("test nodes are {}D but the collocation nodes are {}D",
                                         d.test_nodes.dim, d.nodes.dim));
  return test_with_ghosts;
}

/// The test points: the test nodes at the test times (heat: at most 11 of the slice times,
/// always t = 0 and t_final), t as the last column.
void make_test_points(Dataset& d) {
  const Problem& P = *d.problem;
  const auto M = d.test_nodes.n_collocation();
  const int dim = d.nodes.dim;
  if (P.is_time_dependent()) {
    const int nt = P.nt();
    const int stride = std::max(1, (nt + 9) / 10);
    for (int k = 0; k <= nt; k += stride) d.test_times.push_back(d.times[k]);
    if (d.test_times.back() != d.times.back()) d.test_times.push_back(d.times.back());
  } else {
    d.test_times = {0.0};
  }
  const auto St = static_cast<Eigen::Index>(d.test_times.size());
  const int D = static_cast<int>(d.lower.size());
  d.test_points.resize(M * St, D);
  for (Eigen::Index k = 0; k < St; ++k) {
    d.test_points.block(k * M, 0, M, dim) = d.test_nodes.points;
    if (D > dim) d.test_points.block(k * M, dim, M, 1).setConstant(d.test_times[k]);
  }
}

/// BDF2 steps per time slice of the time-dependent reference solve: its time error is then
/// about (t_final / (4 nt))^2 relative (1e-4 for the heat runs' nt = 24, t_final = 1).
constexpr int kReferenceSubsteps = 4;

/// The reference at the test points: the exact solution, or the classical RBF-FD solve on the
/// test nodes (`test_with_ghosts`; in time, BDF2).
void make_reference(Dataset& d, const RunConfig& c, const NodeSet& test_with_ghosts,
                    std::ostream* log) {
  const Problem& P = *d.problem;
  const auto M = d.test_nodes.n_collocation();
  const auto St = static_cast<Eigen::Index>(d.test_times.size());
  if (P.has_exact()) {
    d.test_reference.resize(M * St);
    for (Eigen::Index k = 0; k < St; ++k)
      d.test_reference.segment(k * M, M) = P.exact(d.test_nodes.points, d.test_times[k]);
    d.has_reference = true;
    d.reference_kind = "exact";
  } else {
    // No exact solution: the classical RBF-FD solve on the test node set is the reference
    // (time-dependent: BDF2, kReferenceSubsteps steps per slice interval).
    check_order_fits(c, test_with_ghosts);
    const BoundaryAssignment test_boundary = P.assign_boundary(test_with_ghosts);
    rbffd::OperatorRequest req;
    req.robin = {test_boundary.alpha, test_boundary.beta, test_boundary.normals};
    req.gradient = uses_gradient(P.equation());
    auto ops = rbffd::assemble(test_with_ghosts, rbffd_params(c), req);
    const auto t0 = std::chrono::steady_clock::now();
    if (P.is_time_dependent()) {
      const auto g = [&](double t) { return P.boundary_data(test_with_ghosts, test_boundary, t); };
      // Test times are every stride-th slice (make_test_points): the same steps per slice.
      const int stride = std::max(1, (P.nt() + 9) / 10);
      const Eigen::MatrixXd u =
          solve_in_time(P, test_with_ghosts, ops.laplacian, ops.gradient, ops.boundary, g,
                        d.test_times, kReferenceSubsteps * stride);
      d.test_reference.resize(M * St);
      for (Eigen::Index k = 0; k < St; ++k) d.test_reference.segment(k * M, M) = u.col(k).head(M);
    } else {
      d.test_reference =
          solve_equation(P, test_with_ghosts, ops.laplacian, ops.gradient, ops.boundary,
                         P.boundary_data(test_with_ghosts, test_boundary))
              .u.head(M);
    }
    d.has_reference = true;
    d.reference_kind = "rbffd solve";
    say(log,
        fmt::format("reference: classical RBF-FD solve on the {} test nodes{} ({:.2f} s)", M,
                    P.is_time_dependent()
                        ? fmt::format(", BDF2 with {} steps per slice", kReferenceSubsteps)
                        : "",
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  }
  if (d.has_reference && !d.test_reference.allFinite())
    throw std::runtime_error("the reference solution is not finite at some test node");
  say(log, fmt::format("test set: {} nodes ({}), {} time slice(s), reference: {}", M, d.test_source,
                       St, d.reference_kind));
}

}  // namespace

std::string describe_boundary(const Problem& problem, const NodeSet& nodes,
                              const BoundaryAssignment& boundary) {
  return describe_boundary(problem, nodes, boundary.counts);
}

std::string describe_boundary(const Problem& problem, const NodeSet& nodes,
                              const std::vector<std::int64_t>& counts_per_condition) {
  std::string parts;
  const auto counts = nodes.part_counts();
  for (std::size_t p = 0; p < counts.size(); ++p)
    parts += fmt::format("{}{} {}", p ? ", " : "", nodes.part_names[p], counts[p]);
  std::string out = fmt::format("boundary: {} parts ({})", counts.size(), parts);
  const auto& conditions = problem.conditions();
  for (std::size_t c = 0; c < conditions.size(); ++c)
    out += fmt::format("\n  {}: {}{}, {} nodes", conditions[c].term, conditions[c].describe(),
                       problem.n_fields() > 1
                           ? " for " + problem.fields()[std::size_t(conditions[c].field)]
                           : std::string(),
                       counts_per_condition.at(c));
  return out;
}

namespace {

/// The reference of each field at the test nodes: its exact solution, or, when some field has
/// none, the classical solve of the system on the test nodes (`test_with_ghosts`).
void make_system_reference(Dataset& d, SystemData& s, const RunConfig& c,
                           const NodeSet& test_with_ghosts, std::ostream* log) {
  const Problem& P = *d.problem;
  const auto M = d.test_nodes.n_collocation();
  const int F = P.n_fields();
  s.test_reference = Eigen::MatrixXd::Zero(M, F);
  bool all_exact = true;
  for (int w = 0; w < F; ++w) all_exact = all_exact && P.has_exact_field(w);
  if (all_exact) {
    for (int w = 0; w < F; ++w) s.test_reference.col(w) = P.exact_field(w, d.test_nodes.points);
    d.reference_kind = "exact";
  } else {
    check_order_fits(c, test_with_ghosts);
    const auto solved = solve_system(P, test_with_ghosts, rbffd_params(c));
    s.test_reference = solved.u.topRows(M);
    d.reference_kind = "rbffd solve";
    say(log, fmt::format("reference: classical RBF-FD solve of the system on the {} test nodes "
                         "({}; {:.2f} s)",
                         M, d.test_source, solved.seconds));
  }
  s.has_reference.assign(static_cast<std::size_t>(F), true);
  for (int w = 0; w < F; ++w) s.constant_removed.push_back(field_fixed_up_to_constant(P, w));
  d.has_reference = true;
  if (!s.test_reference.allFinite())
    throw std::runtime_error("reference: the test solution is not finite at some test node");
}

}  // namespace

Dataset build_system_dataset(Dataset d, const RunConfig& c, const DatasetOptions& options,
                             std::ostream* log) {
  const Problem& P = *d.problem;
  if (P.is_time_dependent())
    throw std::runtime_error("problem: time-dependent systems are not supported yet");
  auto s = std::make_shared<SystemData>();
  const auto params = rbffd_params(c);
  s->boundary = field_boundaries(P, d.nodes, params);
  d.boundary = s->boundary.front().assignment;
  std::vector<std::int64_t> counts;
  for (std::size_t k = 0; k < P.conditions().size(); ++k)
    counts.push_back(
        s->boundary[static_cast<std::size_t>(P.conditions()[k].field)].assignment.counts[k]);
  say(log, describe_boundary(P, d.nodes, counts));
  if (options.operators) {
    const auto t0 = std::chrono::steady_clock::now();
    s->ops = std::make_shared<const DerivativeOperators>(d.nodes, params, derivatives_used(P));
    d.operator_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    d.has_operators = true;
    say(log, fmt::format("operators: p = {}: {} derivative operators of the system in {:.2f} s",
                         c.rbffd.order, derivatives_used(P).size(), d.operator_seconds));
  }
  const auto nc = d.nodes.n_collocation();
  const PointMatrix xc = d.nodes.points.topRows(nc);
  s->f.resize(nc, static_cast<Eigen::Index>(P.equations().size()));
  for (Eigen::Index i = 0; i < s->f.cols(); ++i)
    s->f.col(i) = P.equation_source(static_cast<int>(i), xc);
  if (!s->f.allFinite())
    throw std::runtime_error("problem: f is not finite at some node (check the expressions)");
  fill_problem_data(d);
  bool all_exact = true;
  for (int w = 0; w < P.n_fields(); ++w) all_exact = all_exact && P.has_exact_field(w);
  const NodeSet test_with_ghosts = make_test_nodes(d, c, !all_exact, !all_exact);
  make_test_points(d);
  make_system_reference(d, *s, c, test_with_ghosts, log);
  d.system = std::move(s);
  return d;
}

Dataset build_dataset(const RunConfig& c, const DatasetOptions& options, std::ostream* log) {
  Dataset d;
  // Problem first: bad expressions are refused before any node is generated.
  if (!c.domain.file && !c.domain.nodes)
    d.problem = std::make_shared<Problem>(c.problem, nodegen::make_shape(c.domain.shape)->dim());
  d.nodes = make_collocation_nodes(c, log, &d.node_quality);
  if (!d.problem || d.problem->dim() != d.nodes.dim)
    d.problem = std::make_shared<Problem>(c.problem, d.nodes.dim);
  check_order_fits(c, d.nodes);
  if (d.problem->is_system()) return build_system_dataset(std::move(d), c, options, log);
  d.boundary = d.problem->assign_boundary(d.nodes);
  say(log, describe_boundary(*d.problem, d.nodes, d.boundary));
  if (const std::string w = check_robin_condition(d.nodes, d.boundary); !w.empty()) say(log, w);
  if (options.operators) assemble_operators(d, c, log);
  fill_problem_data(d);
  const bool reference_solve = !d.problem->has_exact();
  const NodeSet test_with_ghosts = make_test_nodes(d, c, reference_solve);
  make_test_points(d);
  make_reference(d, c, test_with_ghosts, log);
  return d;
}

}  // namespace dtpinn::core
