#pragma once
// A PDE problem on a node cloud: the PDE, its boundary conditions, its data f, g, u0 and
// (optionally) its exact solution, all evaluated at points. LibTorch-free.
//
//   poisson:            Lap u = f                       in the domain
//   nonlinear_poisson:  Lap u = exp(u) + f              in the domain
//   heat:               u_t = Lap u + f,  u(x, 0) = u0  in the domain, 0 < t <= t_final
//   all:                alpha du/dn + beta u = g        on each boundary part (n outward)
//
// Boundary conditions: one per [[bc]] entry (config.hpp), each B u = alpha du/dn + beta u = g
// with (alpha, beta) = (0, 1) for dirichlet, (1, 0) for neumann, the given pair for robin, on
// the nodes of its parts or its selector; later entries win where they overlap, and every
// boundary node must end up with exactly one (assign_boundary). Without [[bc]] entries, one
// condition (problem.alpha, beta, g) holds on the whole boundary, as before parts existed.
//
// Corners and edges (nodes listed in NodeSet::corners): each side meeting at the node proposes
// the condition that holds on that side (the last entry whose parts include the side's part, or
// whose selector picks the node with the side's normal); a Dirichlet condition wins over any
// other, otherwise the later entry wins; the node then carries that condition with the normal
// of a side that proposed it (its own part's side first). So a Neumann value written for a side
// ("value = 0": insulated) is imposed along that side's normal, never along the corner's
// bisector. Nodes without a corner entry keep their own part's condition and normal.
// Pure Neumann: when every condition is Neumann (beta = 0) and the equation is linear, steady
// and has no u term (poisson, or any such problem.equation), u is fixed only up to a constant.
// The mean rule fixes it: the mean of u over the collocation nodes (interior and boundary) is
// the mean of problem.exact there when exact is given, else 0 (fixes_mean, mean_value). The
// classical solve imposes it as a constraint, training as one more loss term ("mean"). Such a
// problem has a solution only if its data are compatible (the integral of f over the domain
// equals the boundary flux); the classical solve measures the incompatibility as the constant
// its source had to be shifted by.
//
// Given an exact solution, f, g and u0 are derived from it symbolically (GiNaC), so the user
// never hand-derives them. Expressions use the variables x, y, z, t and the constant pi.
// (Syntax: dtpinn/core/problem/expression.hpp.) Derived data:
//   f = Lap u (poisson), Lap u - exp(u) (nonlinear_poisson), u_t - Lap u (heat),
//   g = alpha (grad u . n) + beta u per condition, n = (nx, ny[, nz]) the outward unit normal,
//   u0 = u(x, 0).
// An f, g or u0 given in the config overrides the derived one (exact stays the reference for
// the error); without exact, f and g (and u0 for heat) are required. g may use nx, ny, nz; z is
// an error in 2D, t in a steady problem. Every evaluation throws (naming the expression and the
// point) rather than return a value that is not finite.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

using nodegen::PointMatrix;

/// A boundary condition as the problem applies it.
struct BoundaryCondition {
  std::string term;       ///< its loss term: "bc" (the one condition without [[bc]]) or "bc:NAME"
  std::size_t entry = 0;  ///< its [[bc]] entry (1-based); 0 for the condition without [[bc]]
  BcType type = BcType::robin;
  int field = 0;  ///< the field whose boundary rows it provides
  /// type = expression: its residual R_b = 0 (Equation::parse, ExpressionRole::boundary); null for
  /// the presets.
  std::shared_ptr<const Equation> residual;
  double alpha = 1, beta = 1;   ///< B u = alpha du/dn + beta u (presets; 0, 0 for expression)
  std::vector<std::string> on;  ///< its parts; empty with `where`, or for the whole boundary
  std::string where;            ///< its selector, or ""
  std::string value;            ///< g as used (the user's text or the derived form)
  bool value_derived = false;   ///< g derived from problem.exact
  /// "dirichlet on holes" / "robin (alpha = 1, beta = 2) where z > 0.449" / "... everywhere".
  std::string describe() const;
};

/// Which condition holds at each boundary node of one node set.
struct BoundaryAssignment {
  std::vector<std::int32_t> condition;  ///< Nb: the condition of boundary node Ni + k
  Eigen::VectorXd alpha, beta;          ///< Nb: its coefficients (rows of B, vanilla du/dn)
  /// Nb x dim: the outward normal its condition uses (du/dn in B's row, in the vanilla PINN's
  /// loss and in g derived from exact): the node's normal, or at a corner the normal of the side
  /// whose condition it carries (the corner rule above).
  PointMatrix normals;
  std::vector<std::int64_t> counts;  ///< nodes per condition
};

/// One condition's share of a solution on a node set: its nodes and the error there.
struct ConditionReport {
  std::string term;         ///< "bc" or "bc:NAME"
  std::string description;  ///< BoundaryCondition::describe()
  std::string value;        ///< g as used
  std::int64_t nodes = 0;
  /// Against the exact solution at the condition's nodes (rel_l2 over them; -1 when there is
  /// no exact solution, no solution was given, or the exact values there are all 0).
  double rel_l2 = -1, max_error = -1;
};

class Problem;

/// Near-Neumann Robin conditions: where no boundary node is Dirichlet and the Robin nodes'
/// beta is tiny against alpha / R (R the node set's radius), only beta holds the constant part
/// of u, and every error of the fluxes is amplified about
///   kappa = sum_k |alpha_k| / (R sum_k |beta_k|)      (over the boundary nodes)
/// times into it (on a square of side 1e-9, alpha = beta = 1 gives kappa ~ 1e9: the physics
/// of such a Robin condition is nearly Neumann). kappa = 0 when some node is Dirichlet or every
/// node is Neumann (the mean rule then holds).
double robin_condition(const nodegen::NodeSet& nodes, const BoundaryAssignment& assignment);
/// kappa above this gets a warning (check_robin_condition), above kMaxRobinCondition a
/// refusal. Measured on the unit disk (u = 1 + sin(pi x) cos(pi y), N = 2000, p = 4): the error
/// is about 0.16 kappa times the error at kappa ~ 1 (kappa 70: 1.2e-4, 7e3: 1.2e-2, 7e5: 1.2),
/// so past 1e5 the constant part of u is wrong by more than 1e4 times the discretisation error.
inline constexpr double kWarnRobinCondition = 1e2;
inline constexpr double kMaxRobinCondition = 1e5;
/// "" or the warning line about kappa (no newline); throws std::runtime_error (one line, with
/// kappa) above kMaxRobinCondition.
std::string check_robin_condition(const nodegen::NodeSet& nodes,
                                  const BoundaryAssignment& assignment);

/// The conditions of `problem` on `nodes`, with the errors of `u_boundary` (Nb values: the
/// solution at the boundary nodes at time t; empty for none).
std::vector<ConditionReport> report_conditions(const Problem& problem,
                                               const nodegen::NodeSet& nodes,
                                               const BoundaryAssignment& assignment,
                                               const Eigen::VectorXd& u_boundary, double t = 0.0);

class Problem {
 public:
  /// Throws std::runtime_error naming the bad expression (and the config key) if an
  /// expression does not parse, uses an unknown variable, or f/g are neither given nor
  /// derivable.
  Problem(const ProblemConfig& config, int dim);
  ~Problem();
  Problem(Problem&&) noexcept;
  Problem& operator=(Problem&&) noexcept;

  /// The preset name (config.pde); the equation itself is equation().
  PdeKind pde() const;
  /// The residual R = 0 (problem.equation, or the preset of pde); of a system, the first
  /// equation.
  const Equation& equation() const;
  /// The unknown fields ({"u"} for one field) and their equations (one per field, in order).
  const std::vector<std::string>& fields() const;
  const std::vector<Equation>& equations() const;
  int n_fields() const;
  /// Several fields, a condition given as an expression, or an equation with a second partial
  /// derivative (u_xx, ...): the problem needs the general (system) path of the solve
  /// (system.hpp).
  bool is_system() const;
  /// The field has at least one boundary condition (a field without, such as a pressure, is
  /// fixed by its equations, up to a constant where only its derivatives appear).
  bool field_has_conditions(int field) const;
  int dim() const;
  /// The boundary conditions, in [[bc]] order (one when the config has no [[bc]]).
  const std::vector<BoundaryCondition>& conditions() const;
  /// The equation has u_t (heat-type: slices in time, u0, t_final, nt).
  bool is_time_dependent() const;
  double t_final() const;
  int nt() const;

  /// f at each row of x (N x dim), at time t (ignored for steady problems). Length N.
  Eigen::VectorXd source(const PointMatrix& x, double t = 0.0) const;
  /// f of equation i (zeros when that equation has no f). Length N.
  Eigen::VectorXd equation_source(int i, const PointMatrix& x, double t = 0.0) const;
  /// The condition of every boundary node of `nodes` among the conditions of `field`. Throws
  /// std::runtime_error with one line for a part the node set does not have (listing its
  /// parts), boundary nodes left without a condition (naming their part and one node's
  /// coordinates), or a condition left with no node; the key is the [[bc]] entry
  /// ("bc[2].on: ..."). A field without conditions gets condition -1 at every node.
  BoundaryAssignment assign_boundary(const nodegen::NodeSet& nodes, int field = 0) const;
  /// g at every boundary node of `nodes` under `assignment`, at time t. Length Nb.
  Eigen::VectorXd boundary_data(const nodegen::NodeSet& nodes, const BoundaryAssignment& assignment,
                                double t = 0.0) const;
  /// g of condition `c` at boundary points x with outward unit normals n (both N x dim).
  Eigen::VectorXd condition_data(std::size_t c, const PointMatrix& x, const PointMatrix& n,
                                 double t = 0.0) const;
  /// u0 at x (heat). Length N.
  Eigen::VectorXd initial(const PointMatrix& x) const;
  bool has_exact() const;
  /// Field w has an exact solution ([problem.exact]); exact_field evaluates it (throws if not).
  bool has_exact_field(int field) const;
  Eigen::VectorXd exact_field(int field, const PointMatrix& x, double t = 0.0) const;
  /// Pure Neumann (above): the solution is fixed only up to a constant, set by the mean rule.
  bool fixes_mean() const;
  /// The mean rule's value at the collocation points x (N x dim): the mean of exact over them,
  /// or 0 without exact. Throws unless fixes_mean().
  double mean_value(const PointMatrix& x) const;
  /// The exact solution at x and t. Throws if !has_exact().
  Eigen::VectorXd exact(const PointMatrix& x, double t = 0.0) const;
  /// The exact Laplacian of the exact solution (tests, diagnostics). Throws if !has_exact().
  Eigen::VectorXd exact_laplacian(const PointMatrix& x, double t = 0.0) const;

  /// Human-readable f, g (and u0) as used, for logs and the saved config.
  std::string describe() const;

  struct Impl;  // src/problem/problem_impl.hpp (public for the helpers of boundary.cpp)

 private:
  /// The fields and equations, the exact fields and the equations' sources of `config`.
  static void make_equations(Impl& impl, const ProblemConfig& config);
  static void make_exact(Impl& impl, const ProblemConfig& config, bool heat);
  static void make_sources(Impl& impl, const ProblemConfig& config, bool heat);
  /// The conditions of `config` (boundary.cpp), once f and exact are known.
  static void make_conditions(Impl& impl, const ProblemConfig& config);
  /// The corner rule (above) on `a`, among the conditions of `field` (its conditions and
  /// normals already set node by node).
  void apply_corner_rule(const nodegen::NodeSet& nodes, BoundaryAssignment& a, int field) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dtpinn::core
