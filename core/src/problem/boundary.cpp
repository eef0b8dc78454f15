// The problem's boundary conditions: from the config's [[bc]] entries (or problem.alpha, beta,
// g), their data g, and their assignment to the boundary nodes of a node set.
#include "boundary_config.hpp"
#include "problem_impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dtpinn::core {

namespace {

bool given(const std::optional<std::string>& s) {
  return s && s->find_first_not_of(" \t\r\n") != std::string::npos;
}

/// du/dn = grad u . n, with n = (nx, ny[, nz]) as variables.
Expression normal_derivative(const Expression& u, int dim) {
  static const char* normal_names[] = {"nx", "ny", "nz"};
  static const char* coord_names[] = {"x", "y", "z"};
  Expression dudn = Expression::constant(0.0);
  for (int i = 0; i < dim; ++i)
    dudn = dudn + u.diff(coord_names[i]) *
                      Expression::parse(normal_names[i], "normal", expression_variables());
  return dudn;
}

/// (alpha, beta) of a condition type.
std::pair<double, double> coefficients(const BoundaryConditionConfig& bc) {
  switch (bc.type) {
    case BcType::dirichlet:
      return {0.0, 1.0};
    case BcType::neumann:
      return {1.0, 0.0};
    case BcType::expression:
      return {0.0, 0.0};
    case BcType::robin:
      break;
  }
  return {bc.alpha.value_or(1.0), bc.beta.value_or(1.0)};
}

/// The one condition of a config without [[bc]] entries: problem.alpha, beta on everything.
BoundaryConditionConfig whole_boundary(const ProblemConfig& config) {
  if (!std::isfinite(config.alpha)) throw std::runtime_error("problem.alpha: must be finite");
  if (!std::isfinite(config.beta)) throw std::runtime_error("problem.beta: must be finite");
  if (config.alpha == 0 && config.beta == 0)
    throw std::runtime_error(
        "problem.alpha and problem.beta are both 0: the boundary condition would be empty");
  BoundaryConditionConfig bc;
  bc.type = BcType::robin;
  bc.alpha = config.alpha;
  bc.beta = config.beta;
  bc.value = config.g;
  return bc;
}

std::string entry_key(const BoundaryCondition& bc, const char* key) {
  return bc.entry == 0 ? fmt::format("problem.{}", key) : fmt::format("bc[{}].{}", bc.entry, key);
}

std::string format_point(const nodegen::NodeSet& nodes, nodegen::Index i) {
  std::string out;
  for (int c = 0; c < nodes.dim; ++c)
    out += fmt::format("{}{:.6g}", c ? ", " : "", nodes.points(i, c));
  return "(" + out + ")";
}

std::string part_list(const nodegen::NodeSet& nodes) {
  std::string out;
  for (const auto& name : nodes.part_names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

/// Marks, in `covered` (Nb entries), the boundary nodes the condition is on.
void cover(const BoundaryCondition& bc, const std::optional<Selector>& selector,
           const nodegen::NodeSet& nodes, std::vector<bool>& covered) {
  const auto ni = nodes.n_interior, nb = nodes.n_boundary;
  if (selector) {
    covered = selector->select(nodes.points.middleRows(ni, nb), nodes.normals.middleRows(ni, nb));
    return;
  }
  covered.assign(static_cast<std::size_t>(nb), bc.on.empty());
  for (const auto& name : bc.on) {
    const int part = nodes.find_part(name);
    if (part < 0)
      throw std::runtime_error(fmt::format("{}: the geometry has no part \"{}\" (its parts: {})",
                                           entry_key(bc, "on"), name, part_list(nodes)));
    for (nodegen::Index k = 0; k < nb; ++k)
      if (nodes.part_of_boundary(k) == part) covered[static_cast<std::size_t>(k)] = true;
  }
}

/// The sides of the node set's corners as rows: each side's boundary node k, part and normal.
struct CornerSides {
  std::vector<nodegen::Index> node;  ///< boundary node k of each side
  std::vector<std::int32_t> part;    ///< its part
  PointMatrix points, normals;       ///< the node's point and the side's normal
};

CornerSides corner_sides(const nodegen::NodeSet& nodes) {
  CornerSides s;
  for (const auto& c : nodes.corners)
    for (const auto& side : c.sides) {
      s.node.push_back(c.boundary);
      s.part.push_back(side.part);
    }
  const auto n = static_cast<Eigen::Index>(s.node.size());
  s.points.resize(n, nodes.dim);
  s.normals.resize(n, nodes.dim);
  Eigen::Index r = 0;
  for (const auto& c : nodes.corners)
    for (const auto& side : c.sides) {
      s.points.row(r) = nodes.points.row(nodes.n_interior + c.boundary);
      for (int k = 0; k < nodes.dim; ++k)
        s.normals(r, k) = side.normal[static_cast<std::size_t>(k)];
      ++r;
    }
  return s;
}

/// Whether condition `bc` holds on each corner side: its parts include the side's part, or its
/// selector picks the node with the side's normal.
std::vector<bool> covers_sides(const BoundaryCondition& bc, const std::optional<Selector>& selector,
                               const nodegen::NodeSet& nodes, const CornerSides& sides) {
  if (selector) return selector->select(sides.points, sides.normals);
  std::vector<bool> out(sides.part.size(), bc.on.empty());
  for (const auto& name : bc.on) {
    const int part = nodes.find_part(name);
    for (std::size_t r = 0; r < sides.part.size(); ++r)
      if (sides.part[r] == part) out[r] = true;
  }
  return out;
}

/// One line about the boundary nodes no condition covers (the first part that has some).
std::string uncovered_message(const nodegen::NodeSet& nodes,
                              const std::vector<std::int32_t>& condition,
                              const std::string& field) {
  std::vector<nodegen::Index> per_part(nodes.part_names.size(), 0);
  nodegen::Index first = -1, total = 0;
  for (nodegen::Index k = 0; k < nodes.n_boundary; ++k) {
    if (condition[static_cast<std::size_t>(k)] >= 0) continue;
    ++per_part[static_cast<std::size_t>(nodes.part_of_boundary(k))];
    ++total;
    if (first < 0) first = k;
  }
  std::string parts;
  for (std::size_t p = 0; p < per_part.size(); ++p)
    if (per_part[p] > 0)
      parts += fmt::format("{}{} of part \"{}\"", parts.empty() ? "" : ", ", per_part[p],
                           nodes.part_names[p]);
  return fmt::format(
      "bc: {} boundary node(s) have no condition{} ({}), e.g. node {} at {}: add a [[bc]] entry "
      "for them",
      total, field.empty() ? "" : " for " + field, parts, nodes.n_interior + first,
      format_point(nodes, nodes.n_interior + first));
}

/// The field a [[bc]] entry provides rows for (its `field`, default the first).
int condition_field(const Problem::Impl& im, const BoundaryConditionConfig& e, std::size_t entry) {
  if (e.field.empty()) return 0;
  const auto it = std::find(im.fields.begin(), im.fields.end(), e.field);
  if (it == im.fields.end()) {
    std::string list;
    for (const auto& w : im.fields) list += (list.empty() ? "" : ", ") + w;
    throw std::runtime_error(
        fmt::format("bc[{}].field: \"{}\" is not a field (fields: {})", entry, e.field, list));
  }
  return static_cast<int>(it - im.fields.begin());
}

}  // namespace

std::string BoundaryCondition::describe() const {
  std::string kind = to_string(type);
  if (type == BcType::expression) kind += " " + value + " = 0";
  if (type == BcType::robin) kind += fmt::format(" (alpha = {}, beta = {})", alpha, beta);
  if (!where.empty()) return kind + " where " + where;
  if (on.empty()) return kind + " on the whole boundary";
  std::string parts;
  for (const auto& p : on) parts += (parts.empty() ? "" : ", ") + p;
  return kind + " on " + parts;
}

void Problem::make_conditions(Impl& im, const ProblemConfig& config) {
  validate_bc(config);
  const bool heat = im.equation->time_dependent();
  std::vector<BoundaryConditionConfig> entries = config.bc;
  if (entries.empty()) entries.push_back(whole_boundary(config));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    BoundaryCondition bc;
    bc.entry = config.bc.empty() ? 0 : i + 1;
    bc.field = condition_field(im, e, bc.entry);
    bc.term = bc.entry == 0 ? "bc" : "bc:" + bc_entry_name(e, i + 1, config);
    bc.type = e.type;
    std::tie(bc.alpha, bc.beta) = coefficients(e);
    bc.on = e.on;
    bc.where = e.where;
    Expression g;
    if (e.type == BcType::expression) {
      bc.residual = std::make_shared<const Equation>(
          Equation::parse(e.residual, config.params, im.dim, entry_key(bc, "residual"), im.fields,
                          ExpressionRole::boundary));
      bc.value = e.residual;
    } else {
      const std::string value_key = entry_key(bc, bc.entry == 0 ? "g" : "value");
      const auto& exact = im.exact_fields[static_cast<std::size_t>(bc.field)];
      if (given(e.value)) {
        g = parse_problem_expression(*e.value, value_key, im.dim, heat, heat, true);
        bc.value = *e.value;
      } else if (exact) {
        g = (bc.alpha * normal_derivative(*exact, im.dim) + bc.beta * *exact)
                .renamed(value_key + " (derived from problem.exact)");
        bc.value = g.str();
        bc.value_derived = true;
      } else {
        throw std::runtime_error(value_key + " is required when problem.exact is not given" +
                                 (im.fields.size() > 1
                                      ? " for " + im.fields[static_cast<std::size_t>(bc.field)]
                                      : std::string()));
      }
    }
    im.selector.push_back(bc.where.empty() ? std::nullopt
                                           : std::optional<Selector>(Selector::parse(
                                                 bc.where, entry_key(bc, "where"), im.dim)));
    im.g.push_back(std::move(g));
    im.conditions.push_back(std::move(bc));
  }
  bool all_neumann = im.fields.size() == 1;
  for (const auto& bc : im.conditions)
    all_neumann = all_neumann && bc.type != BcType::expression && bc.beta == 0;
  // A linear steady equation without u itself (only derivatives): u + c solves it too, and the
  // mean rule fixes c (problem.hpp).
  const Equation& eq = *im.equation;
  im.fixes_mean = all_neumann && eq.linear() && !eq.time_dependent() && !eq.uses(Derivative::value);
}

BoundaryAssignment Problem::assign_boundary(const nodegen::NodeSet& nodes, int field) const {
  const Impl& im = *impl_;
  if (nodes.dim != im.dim)
    throw std::runtime_error(
        fmt::format("Problem::assign_boundary: the nodes are {}D, the "
                    "problem {}D",
                    nodes.dim, im.dim));
  const auto nb = nodes.n_boundary;
  BoundaryAssignment a;
  a.condition.assign(static_cast<std::size_t>(nb), -1);
  std::vector<bool> covered;
  for (std::size_t c = 0; c < im.conditions.size(); ++c) {
    if (im.conditions[c].field != field) continue;
    cover(im.conditions[c], im.selector[c], nodes, covered);  // later entries win: overwrite
    for (nodegen::Index k = 0; k < nb; ++k)
      if (covered[static_cast<std::size_t>(k)])
        a.condition[static_cast<std::size_t>(k)] = static_cast<std::int32_t>(c);
  }
  a.normals = nodes.normals.middleRows(nodes.n_interior, nb);
  a.counts.assign(im.conditions.size(), 0);
  a.alpha.setZero(nb);
  a.beta.setZero(nb);
  if (!field_has_conditions(field)) return a;
  apply_corner_rule(nodes, a, field);
  for (nodegen::Index k = 0; k < nb; ++k) {
    const auto c = a.condition[static_cast<std::size_t>(k)];
    if (c < 0)
      throw std::runtime_error(uncovered_message(
          nodes, a.condition,
          im.fields.size() > 1 ? im.fields[static_cast<std::size_t>(field)] : std::string()));
    ++a.counts[static_cast<std::size_t>(c)];
    a.alpha[k] = im.conditions[static_cast<std::size_t>(c)].alpha;
    a.beta[k] = im.conditions[static_cast<std::size_t>(c)].beta;
  }
  for (std::size_t c = 0; c < im.conditions.size(); ++c)
    if (im.conditions[c].field == field && a.counts[c] == 0)
      throw std::runtime_error(
          fmt::format("{}: the condition \"{}\" ({}) holds at no boundary node{}",
                      im.conditions[c].entry ? fmt::format("bc[{}]", im.conditions[c].entry) : "bc",
                      im.conditions[c].term, im.conditions[c].describe(),
                      c + 1 < im.conditions.size() ? " (a later entry may cover them all)" : ""));
  return a;
}

void Problem::apply_corner_rule(const nodegen::NodeSet& nodes, BoundaryAssignment& a,
                                int field) const {
  if (nodes.corners.empty()) return;
  const Impl& im = *impl_;
  const CornerSides sides = corner_sides(nodes);
  // The condition on each side: the last entry covering it (as on a side's other nodes).
  std::vector<std::int32_t> on_side(sides.node.size(), -1);
  for (std::size_t c = 0; c < im.conditions.size(); ++c) {
    if (im.conditions[c].field != field) continue;
    const auto covered = covers_sides(im.conditions[c], im.selector[c], nodes, sides);
    for (std::size_t r = 0; r < covered.size(); ++r)
      if (covered[r]) on_side[r] = static_cast<std::int32_t>(c);
  }
  auto dirichlet = [&](std::int32_t c) {
    const auto& bc = im.conditions[std::size_t(c)];
    return bc.type != BcType::expression && bc.alpha == 0.0;
  };
  std::size_t r = 0;
  for (const auto& corner : nodes.corners) {
    const std::size_t first = r, end = r + corner.sides.size();
    r = end;
    // A Dirichlet side wins; among equals the later entry.
    std::int32_t best = -1;
    for (std::size_t q = first; q < end; ++q) {
      const std::int32_t c = on_side[q];
      if (c < 0) continue;
      if (best < 0 || (dirichlet(c) && !dirichlet(best)) ||
          (dirichlet(c) == dirichlet(best) && c > best))
        best = c;
    }
    if (best < 0) continue;  // no side has a condition: the node's own assignment stands
    // Its normal: of the node's own part's side if that side carries it, else the first that does.
    const std::int32_t own = nodes.part_of_boundary(corner.boundary);
    std::size_t pick = end;
    for (std::size_t q = first; q < end; ++q)
      if (on_side[q] == best && (pick == end || (sides.part[q] == own && sides.part[pick] != own)))
        pick = q;
    a.condition[static_cast<std::size_t>(corner.boundary)] = best;
    a.normals.row(corner.boundary) = sides.normals.row(static_cast<Eigen::Index>(pick));
  }
}

Eigen::VectorXd Problem::condition_data(std::size_t c, const PointMatrix& x, const PointMatrix& n,
                                        double t) const {
  const Impl& im = *impl_;
  if (c >= im.g.size())
    throw std::out_of_range(
        fmt::format("Problem::condition_data: condition {} of {}", c, im.g.size()));
  if (x.cols() != im.dim || n.rows() != x.rows() || n.cols() != x.cols())
    throw std::runtime_error(
        fmt::format("Problem::condition_data: points {} x {} and normals {} x {} for a {}D problem",
                    x.rows(), x.cols(), n.rows(), n.cols(), im.dim));
  return im.g[c].evaluate(x, t, &n);
}

Eigen::VectorXd Problem::boundary_data(const nodegen::NodeSet& nodes,
                                       const BoundaryAssignment& assignment, double t) const {
  const auto ni = nodes.n_interior, nb = nodes.n_boundary;
  if (static_cast<nodegen::Index>(assignment.condition.size()) != nb)
    throw std::invalid_argument(
        fmt::format("Problem::boundary_data: an assignment of {} nodes for {} boundary nodes",
                    assignment.condition.size(), nb));
  Eigen::VectorXd g = Eigen::VectorXd::Zero(nb);
  for (std::size_t c = 0; c < impl_->conditions.size(); ++c) {
    // The nodes of condition c, evaluated together (one bulk evaluation per condition).
    std::vector<nodegen::Index> rows;
    for (nodegen::Index k = 0; k < nb; ++k)
      if (assignment.condition[static_cast<std::size_t>(k)] == static_cast<std::int32_t>(c))
        rows.push_back(k);
    if (rows.empty()) continue;
    // The normal of each node's condition (a corner's side), as B's rows use it.
    const bool own_normals = assignment.normals.rows() == nb;
    PointMatrix x(static_cast<Eigen::Index>(rows.size()), nodes.dim), n(x.rows(), nodes.dim);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      x.row(static_cast<Eigen::Index>(r)) = nodes.points.row(ni + rows[r]);
      n.row(static_cast<Eigen::Index>(r)) =
          own_normals ? assignment.normals.row(rows[r]) : nodes.normals.row(ni + rows[r]);
    }
    const Eigen::VectorXd gc = condition_data(c, x, n, t);
    for (std::size_t r = 0; r < rows.size(); ++r) g[rows[r]] = gc[static_cast<Eigen::Index>(r)];
  }
  return g;
}

double robin_condition(const nodegen::NodeSet& nodes, const BoundaryAssignment& assignment) {
  const auto nb = nodes.n_boundary;
  if (nb == 0 || assignment.alpha.size() != nb) return 0.0;
  double alpha = 0.0, beta = 0.0;
  for (nodegen::Index k = 0; k < nb; ++k) {
    if (assignment.alpha[k] == 0.0) return 0.0;  // a Dirichlet node pins the constant
    alpha += std::abs(assignment.alpha[k]);
    beta += std::abs(assignment.beta[k]);
  }
  if (beta == 0.0) return 0.0;  // pure Neumann: the mean rule
  const nodegen::PointMatrix xb = nodes.points.middleRows(nodes.n_interior, nb);
  const double radius = 0.5 * (xb.colwise().maxCoeff() - xb.colwise().minCoeff()).norm();
  return alpha / (radius * beta);
}

std::string check_robin_condition(const nodegen::NodeSet& nodes,
                                  const BoundaryAssignment& assignment) {
  const double kappa = robin_condition(nodes, assignment);
  const std::string what = fmt::format(
      "the Robin conditions are nearly Neumann: beta is tiny against alpha / R (R the domain's "
      "radius), so only beta fixes the constant part of u and errors in it are amplified about "
      "{:.2g} times (estimated condition",
      kappa);
  if (kappa > kMaxRobinCondition)
    throw std::runtime_error(fmt::format(
        "bc: {}, above {:g}); use a Neumann condition (beta = 0: the mean of u is then fixed) or "
        "a larger beta",
        what, kMaxRobinCondition));
  if (kappa > kWarnRobinCondition) return "warning: " + what + ")";
  return "";
}

std::vector<ConditionReport> report_conditions(const Problem& problem,
                                               const nodegen::NodeSet& nodes,
                                               const BoundaryAssignment& assignment,
                                               const Eigen::VectorXd& u_boundary, double t) {
  const auto& conditions = problem.conditions();
  const auto ni = nodes.n_interior, nb = nodes.n_boundary;
  Eigen::VectorXd exact;
  const bool errors = problem.has_exact() && u_boundary.size() == nb;
  if (errors) exact = problem.exact(nodes.points.middleRows(ni, nb), t);
  std::vector<ConditionReport> out;
  for (std::size_t c = 0; c < conditions.size(); ++c) {
    ConditionReport r;
    r.term = conditions[c].term;
    r.description = conditions[c].describe();
    r.value = conditions[c].value;
    r.nodes = assignment.counts.at(c);
    if (errors) {
      double e2 = 0, u2 = 0, emax = 0;
      for (nodegen::Index k = 0; k < nb; ++k) {
        if (assignment.condition[static_cast<std::size_t>(k)] != static_cast<std::int32_t>(c))
          continue;
        const double e = u_boundary[k] - exact[k];
        e2 += e * e;
        u2 += exact[k] * exact[k];
        emax = std::max(emax, std::abs(e));
      }
      r.max_error = emax;
      r.rel_l2 = u2 > 0 ? std::sqrt(e2 / u2) : -1.0;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dtpinn::core
