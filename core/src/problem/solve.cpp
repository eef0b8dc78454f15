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
  std::array<SpRow, kFieldCount> op;
  std::array<bool, kFieldCount> present{};
};

FieldOperators field_operators(const nodegen::NodeSet& nodes, const rbffd::CsrMatrix& L,
                               const std::vector<rbffd::CsrMatrix>& D, const Equation& eq) {
  FieldOperators f;
  const auto nc = nodes.n_collocation();
  SpRow id(nc, nodes.size());
  id.reserve(Eigen::VectorXi::Constant(nc, 1));
  for (Eigen::Index i = 0; i < nc; ++i) id.insert(i, i) = 1.0;
  f.op[static_cast<int>(Field::u)] = id;
  f.op[static_cast<int>(Field::lap_u)] = to_sparse(L);
  f.present[static_cast<int>(Field::u)] = f.present[static_cast<int>(Field::lap_u)] = true;
  for (int i = 0; i < nodes.dim; ++i) {
    const auto k = static_cast<int>(Field::u_x) + i;
    if (!eq.uses(static_cast<Field>(k))) continue;
    if (static_cast<int>(D.size()) <= i)
      throw std::invalid_argument("solve_equation: the equation needs the gradient operators");
    f.op[k] = to_sparse(D[static_cast<std::size_t>(i)]);
    f.present[k] = true;
  }
  return f;
}

/// The fields at the collocation rows for node values u.
std::array<Eigen::ArrayXd, kFieldCount> fields_at(const FieldOperators& f,
                                                  const Eigen::VectorXd& u) {
  std::array<Eigen::ArrayXd, kFieldCount> out;
  for (int k = 0; k < kFieldCount; ++k)
    if (f.present[k]) out[k] = (f.op[k] * u).array();
  return out;
}

/// sum_k diag(dR/dF_k at `fields`) Op_k: R's operator (linear R) or its Jacobian.
SpRow jacobian(const Equation& eq, const FieldOperators& f,
               const std::array<Eigen::ArrayXd, kFieldCount>& fields, const Eigen::ArrayXd& source,
               const std::vector<std::vector<Eigen::ArrayXd>>& coefficients) {
  SpRow J(f.op[0].rows(), f.op[0].cols());
  for (int k = 0; k < kFieldCount; ++k) {
    if (!eq.uses(static_cast<Field>(k))) continue;
    const Eigen::ArrayXd c = evaluate_tape(eq.derivative(static_cast<Field>(k)), fields, source,
                                           coefficients[static_cast<std::size_t>(k) + 1]);
    if (!c.allFinite())
      throw std::runtime_error(fmt::format("solve: d(R)/d({}) is not finite at some node",
                                           field_name(static_cast<Field>(k))));
    J += c.matrix().asDiagonal() * f.op[k];
  }
  return J;
}

/// The tapes' coefficients at the collocation rows: [0] of R, [k + 1] of dR/dF_k.
std::vector<std::vector<Eigen::ArrayXd>> coefficients_at(const Equation& eq,
                                                         const nodegen::PointMatrix& x) {
  std::vector<std::vector<Eigen::ArrayXd>> out(kFieldCount + 1);
  auto eval = [&](const Tape& t, std::vector<Eigen::ArrayXd>& into) {
    for (const auto& c : t.coefficients) into.push_back(c.evaluate(x).array());
  };
  eval(eq.residual(), out[0]);
  for (int k = 0; k < kFieldCount; ++k)
    if (eq.uses(static_cast<Field>(k)))
      eval(eq.derivative(static_cast<Field>(k)), out[static_cast<std::size_t>(k) + 1]);
  return out;
}

}  // namespace

bool uses_gradient(const Equation& equation) {
  return equation.uses(Field::u_x) || equation.uses(Field::u_y) || equation.uses(Field::u_z);
}

rbffd::SolveResult solve_equation(const Problem& problem, const nodegen::NodeSet& nodes,
                                  const rbffd::CsrMatrix& L, const std::vector<rbffd::CsrMatrix>& D,
                                  const rbffd::CsrMatrix& B, const Eigen::VectorXd& g,
                                  const rbffd::SolveOptions& options) {
  const Equation& eq = problem.equation();
  if (eq.time_dependent())
    throw std::runtime_error(
        fmt::format("solve: \"{}\" is time-dependent; the classical solve handles steady equations",
                    eq.text()));
  const auto t0 = std::chrono::steady_clock::now();
  const auto nc = nodes.n_collocation();
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const Eigen::ArrayXd f =
      eq.has_source() ? problem.source(xc).array() : Eigen::ArrayXd::Zero(nc).eval();
  const auto coefficients = coefficients_at(eq, xc);
  const FieldOperators ops = field_operators(nodes, L, D, eq);
  rbffd::SolveOptions linear = options;
  linear.reaction = {};
  Eigen::VectorXd u = Eigen::VectorXd::Zero(nodes.size());
  rbffd::SolveResult result;
  const int max_iterations = eq.linear() ? 1 : options.max_newton;
  for (int it = 0; it < max_iterations; ++it) {
    const auto fields = fields_at(ops, u);
    const Eigen::ArrayXd R = evaluate_tape(eq.residual(), fields, f, coefficients[0]);
    if (!R.allFinite())
      throw std::runtime_error(
          fmt::format("solve: the residual is not finite at Newton iteration {}", it));
    const rbffd::CsrMatrix J = to_csr(jacobian(eq, ops, fields, f, coefficients));
    // [J; B] du = -[R; B u - g]  (linear R: from u = 0 this is the solve itself)
    const Eigen::VectorXd Bu = to_sparse(B) * u;
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
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace dtpinn::core
