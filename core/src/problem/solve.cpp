// The classical solve of any steady equation: the operator of R (or its Jacobian) as one sparse
// matrix, Newton for nonlinear R.
#include <dtpinn/core/problem/solve.hpp>

#include <fmt/format.h>
#include <Eigen/SparseCore>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace dtpinn::core {

namespace {

using SpRow = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;

SpRow to_sparse(const rbffd::CsrMatrix& a) {
  SpRow m(a.rows, a.cols);
  std::vector<Eigen::Triplet<double, int>> t;
  t.reserve(a.values.size());
  for (std::int32_t r = 0; r < a.rows; ++r)
    for (auto k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k)
      t.emplace_back(r, a.col_idx[k], a.values[k]);
  m.setFromTriplets(t.begin(), t.end());
  return m;
}

rbffd::CsrMatrix to_csr(SpRow m) {
  m.makeCompressed();
  rbffd::CsrMatrix a;
  a.rows = static_cast<std::int32_t>(m.rows());
  a.cols = static_cast<std::int32_t>(m.cols());
  a.row_ptr.assign(m.outerIndexPtr(), m.outerIndexPtr() + m.rows() + 1);
  a.col_idx.assign(m.innerIndexPtr(), m.innerIndexPtr() + m.nonZeros());
  a.values.assign(m.valuePtr(), m.valuePtr() + m.nonZeros());
  return a;
}

/// The fields' operators: u (the identity on the collocation rows), lap(u) = L, u_x = D[0], ...
struct FieldOperators {
  std::array<SpRow, kDerivativeCount> op;
  std::array<bool, kDerivativeCount> present{};
  SpRow boundary;  ///< B, for the boundary residual B u - g of every iterate
};

FieldOperators field_operators(const nodegen::NodeSet& nodes, const rbffd::CsrMatrix& L,
                               const std::vector<rbffd::CsrMatrix>& D, const rbffd::CsrMatrix& B,
                               const Equation& eq) {
  FieldOperators f;
  f.boundary = to_sparse(B);
  const auto nc = nodes.n_collocation();
  SpRow id(nc, nodes.size());
  id.reserve(Eigen::VectorXi::Constant(nc, 1));
  for (Eigen::Index i = 0; i < nc; ++i) id.insert(i, i) = 1.0;
  f.op[static_cast<int>(Derivative::value)] = id;
  f.op[static_cast<int>(Derivative::lap)] = to_sparse(L);
  f.present[static_cast<int>(Derivative::value)] = f.present[static_cast<int>(Derivative::lap)] =
      true;
  for (int i = 0; i < nodes.dim; ++i) {
    const auto k = static_cast<int>(Derivative::x) + i;
    if (!eq.uses(static_cast<Derivative>(k))) continue;
    if (static_cast<int>(D.size()) <= i)
      throw std::invalid_argument("solve_equation: the equation needs the gradient operators");
    f.op[k] = to_sparse(D[static_cast<std::size_t>(i)]);
    f.present[k] = true;
  }
  return f;
}

/// One implicit time level: u_t = alpha u + history at the collocation rows (BDF2:
/// alpha = 3 / (2 dt), history = (-4 u^n + u^(n-1)) / (2 dt)); alpha = 0 for a steady solve.
struct TimeLevel {
  double t = 0.0;
  double alpha = 0.0;
  Eigen::ArrayXd history;
};

/// The fields at the collocation rows for node values u.
std::vector<Eigen::ArrayXd> fields_at(const FieldOperators& f, const Eigen::VectorXd& u,
                                      const TimeLevel& level) {
  std::vector<Eigen::ArrayXd> out(kDerivativeCount);
  for (int k = 0; k < kDerivativeCount; ++k)
    if (f.present[k]) out[k] = (f.op[k] * u).array();
  if (level.alpha != 0.0)
    out[static_cast<int>(Derivative::t)] =
        level.alpha * out[static_cast<int>(Derivative::value)] + level.history;
  return out;
}

/// sum_k diag(dR/dF_k at `fields`) Op_k (u_t's operator: alpha on the rows): R's operator
/// (linear R) or its Jacobian.
SpRow jacobian(const Equation& eq, const FieldOperators& f,
               const std::vector<Eigen::ArrayXd>& fields, const Eigen::ArrayXd& source,
               const std::vector<std::vector<Eigen::ArrayXd>>& coefficients, double alpha) {
  SpRow J(f.op[0].rows(), f.op[0].cols());
  for (int k = 0; k < kDerivativeCount; ++k) {
    if (!eq.uses(static_cast<Derivative>(k))) continue;
    const Eigen::ArrayXd c = evaluate_tape(eq.derivative(static_cast<Derivative>(k)), fields,
                                           source, coefficients[static_cast<std::size_t>(k) + 1]);
    if (!c.allFinite())
      throw std::runtime_error(fmt::format("solve: d(R)/d({}) is not finite at some node",
                                           variable_name("u", static_cast<Derivative>(k))));
    const bool time = static_cast<Derivative>(k) == Derivative::t;
    const SpRow& op = f.op[static_cast<int>(time ? Derivative::value : static_cast<Derivative>(k))];
    const Eigen::VectorXd w = (time ? alpha : 1.0) * c.matrix();
    const SpRow term = w.asDiagonal() * op;
    J += term;
  }
  return J;
}

/// The tapes' coefficients at the collocation rows at time t: [0] of R, [k + 1] of dR/dF_k.
std::vector<std::vector<Eigen::ArrayXd>> coefficients_at(const Equation& eq,
                                                         const nodegen::PointMatrix& x, double t) {
  std::vector<std::vector<Eigen::ArrayXd>> out(kDerivativeCount + 1);
  auto eval = [&](const Tape& tape, std::vector<Eigen::ArrayXd>& into) {
    for (const auto& c : tape.coefficients) into.push_back(c.evaluate(x, t).array());
  };
  eval(eq.residual(), out[0]);
  for (int k = 0; k < kDerivativeCount; ++k)
    if (eq.uses(static_cast<Derivative>(k)))
      eval(eq.derivative(static_cast<Derivative>(k)), out[static_cast<std::size_t>(k) + 1]);
  return out;
}

/// R = 0 and B u = g at one level, by Newton from `u` (one step when R is linear in the
/// fields); returns the solution at every node.
rbffd::SolveResult solve_level(const Problem& problem, const nodegen::NodeSet& nodes,
                               const FieldOperators& ops, const rbffd::CsrMatrix& B,
                               const Eigen::VectorXd& g, const rbffd::SolveOptions& options,
                               const TimeLevel& level, Eigen::VectorXd u) {
  const Equation& eq = problem.equation();
  const auto nc = nodes.n_collocation();
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const Eigen::ArrayXd f =
      eq.has_source() ? problem.source(xc, level.t).array() : Eigen::ArrayXd::Zero(nc).eval();
  const auto coefficients = coefficients_at(eq, xc, level.t);
  rbffd::SolveOptions linear = options;
  if (problem.fixes_mean()) {  // pure Neumann: the mean rule (problem.hpp)
    linear.fix_mean = true;
    linear.mean_nodes = static_cast<long>(nc);
    linear.mean_value = problem.mean_value(xc);
  }
  rbffd::SolveResult result;
  const int max_iterations = eq.linear() ? 1 : options.max_newton;
  for (int it = 0; it < max_iterations; ++it) {
    const auto fields = fields_at(ops, u, level);
    const Eigen::ArrayXd R = evaluate_tape(eq.residual(), fields, f, coefficients[0]);
    if (!R.allFinite())
      throw std::runtime_error(
          fmt::format("solve: the residual is not finite at Newton iteration {}", it));
    const rbffd::CsrMatrix J = to_csr(jacobian(eq, ops, fields, f, coefficients, level.alpha));
    // [J; B] du = -[R; B u - g]  (linear R: one step from any u is the solve itself)
    const Eigen::VectorXd Bu = ops.boundary * u;
    const rbffd::SolveResult step = rbffd::solve_poisson(J, B, (-R).matrix(), g - Bu, linear);
    u += step.u;
    result = step;
    result.newton_iterations = eq.linear() ? 0 : it + 1;
    const double du = step.u.cwiseAbs().maxCoeff();
    if (eq.linear() || du <= options.tolerance * (1.0 + u.cwiseAbs().maxCoeff())) break;
    if (it + 1 == max_iterations)
      throw std::runtime_error(
          fmt::format("solve: Newton did not converge in {} iterations (last update {:.3e})",
                      max_iterations, du));
  }
  result.u = u;
  return result;
}

/// Pure Neumann: the constant the source had to be shifted by (the discrete incompatibility of
/// f and the boundary flux), against the data's own size: max|f| and max|g| / R, R the radius
/// of the node set. Above kMaxIncompatibility the data do not fit: refused, with the numbers.
void check_compatible(const Problem& problem, const nodegen::NodeSet& nodes,
                      const Eigen::VectorXd& g, double shift) {
  const auto nc = nodes.n_collocation();
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const Eigen::VectorXd f =
      problem.equation().has_source() ? problem.source(xc) : Eigen::VectorXd::Zero(nc).eval();
  const Eigen::RowVectorXd lo = xc.colwise().minCoeff(), hi = xc.colwise().maxCoeff();
  const double radius = 0.5 * (hi - lo).norm();
  const double scale =
      std::max(f.cwiseAbs().maxCoeff(), g.size() ? g.cwiseAbs().maxCoeff() / radius : 0.0);
  const double relative = scale > 0.0 ? std::abs(shift) / scale : 0.0;
  if (relative > kMaxIncompatibility)
    throw std::runtime_error(fmt::format(
        "solve: every condition is Neumann, and the data are incompatible: the integral of f over "
        "the domain must equal the boundary flux (of du/dn), and here f is off by a constant "
        "{:.3g} ({:.2g} of the data's size, above {:g}); change f or the Neumann values",
        shift, relative, kMaxIncompatibility));
}

}  // namespace

bool uses_gradient(const Equation& equation) {
  return equation.uses(Derivative::x) || equation.uses(Derivative::y) ||
         equation.uses(Derivative::z);
}

rbffd::SolveResult solve_equation(const Problem& problem, const nodegen::NodeSet& nodes,
                                  const rbffd::CsrMatrix& L, const std::vector<rbffd::CsrMatrix>& D,
                                  const rbffd::CsrMatrix& B, const Eigen::VectorXd& g,
                                  const rbffd::SolveOptions& options) {
  const Equation& eq = problem.equation();
  if (eq.time_dependent())
    throw std::runtime_error(
        fmt::format("solve: \"{}\" is time-dependent: use solve_in_time", eq.text()));
  const auto t0 = std::chrono::steady_clock::now();
  const FieldOperators ops = field_operators(nodes, L, D, B, eq);
  auto result =
      solve_level(problem, nodes, ops, B, g, options, {}, Eigen::VectorXd::Zero(nodes.size()));
  if (problem.fixes_mean()) check_compatible(problem, nodes, g, result.source_shift);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

Eigen::MatrixXd solve_in_time(const Problem& problem, const nodegen::NodeSet& nodes,
                              const rbffd::CsrMatrix& L, const std::vector<rbffd::CsrMatrix>& D,
                              const rbffd::CsrMatrix& B,
                              const std::function<Eigen::VectorXd(double)>& g,
                              const std::vector<double>& times, int substeps,
                              const rbffd::SolveOptions& options) {
  const Equation& eq = problem.equation();
  if (!eq.time_dependent())
    throw std::runtime_error(
        fmt::format("solve_in_time: \"{}\" has no u_t: use solve_equation", eq.text()));
  if (times.empty() || times.front() != 0.0 || substeps < 1)
    throw std::invalid_argument("solve_in_time: times must start at 0, substeps >= 1");
  const auto nc = nodes.n_collocation();
  const FieldOperators ops = field_operators(nodes, L, D, B, eq);
  Eigen::MatrixXd out(nc, static_cast<Eigen::Index>(times.size()));
  Eigen::VectorXd u = Eigen::VectorXd::Zero(nodes.size());
  u.head(nc) = problem.initial(nodes.points.topRows(nc));
  out.col(0) = u.head(nc);
  Eigen::ArrayXd previous;  // u^(n-1) at the rows (empty before the first step)
  double t = 0.0;
  for (std::size_t k = 1; k < times.size(); ++k) {
    const double dt = (times[k] - times[k - 1]) / substeps;
    if (!(dt > 0)) throw std::invalid_argument("solve_in_time: times must increase");
    for (int s = 0; s < substeps; ++s) {
      // BDF2 (the first step: implicit Euler), u_t = alpha u + history.
      TimeLevel level;
      level.t = t + dt;
      const Eigen::ArrayXd now = u.head(nc).array();
      if (previous.size() == 0) {
        level.alpha = 1.0 / dt;
        level.history = -now / dt;
      } else {
        level.alpha = 1.5 / dt;
        level.history = (-4.0 * now + previous) / (2.0 * dt);
      }
      previous = now;
      u = solve_level(problem, nodes, ops, B, g(level.t), options, level, u).u;
      t = level.t;
    }
    out.col(static_cast<Eigen::Index>(k)) = u.head(nc);
  }
  return out;
}

}  // namespace dtpinn::core
