// Systems of equations: the coupled classical solve on manufactured solutions (Kovasznay flow,
// plane-strain and 3D elasticity with traction conditions written as expressions), its
// convergence order, expression conditions against the presets they coincide with, and the
// refusals.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/system.hpp>
#include <dtpinn/nodegen/generate.hpp>

#include <gtest/gtest.h>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>

namespace {

using dtpinn::core::BcType;
using dtpinn::core::BoundaryConditionConfig;
using dtpinn::core::Problem;
using dtpinn::core::ProblemConfig;
using dtpinn::nodegen::NodeSet;

BoundaryConditionConfig condition(std::vector<std::string> on, const std::string& field,
                                  BcType type, const std::string& residual = "") {
  BoundaryConditionConfig bc;
  bc.on = std::move(on);
  bc.field = field;
  bc.type = type;
  bc.residual = residual;
  return bc;
}

const std::vector<std::string> kAllSides = {"left", "right", "bottom", "top"};

/// Kovasznay flow at Re = 20 (nu = 1 / Re): the exact steady Navier-Stokes solution.
ProblemConfig kovasznay() {
  ProblemConfig c;
  c.fields = {"u", "v", "p"};
  c.equations = {"u*u_x + v*u_y + p_x - nu*lap(u)", "u*v_x + v*v_y + p_y - nu*lap(v)", "u_x + v_y"};
  c.params = {{"nu", "0.05"}, {"l", "10 - sqrt(100 + 4*pi^2)"}};
  c.exact.reset();
  c.exact_fields = {{"u", "1 - exp(l*x)*cos(2*pi*y)"},
                    {"v", "l/(2*pi)*exp(l*x)*sin(2*pi*y)"},
                    {"p", "(1 - exp(2*l*x))/2"}};
  c.bc = {condition(kAllSides, "u", BcType::dirichlet),
          condition(kAllSides, "v", BcType::dirichlet)};
  return c;
}

/// Plane-strain elasticity, u = sin(x + y/2), v = cos(0.7 x - y): clamped on three sides, the
/// traction sigma . n given on the right side as two expression conditions.
ProblemConfig elasticity(bool traction) {
  ProblemConfig c;
  c.fields = {"u", "v"};
  c.equations = {"(lam + 2*mu)*u_xx + mu*u_yy + (lam + mu)*v_xy + f",
                 "mu*v_xx + (lam + 2*mu)*v_yy + (lam + mu)*u_xy + f"};
  c.params = {{"lam", "1.0"}, {"mu", "0.5"}};
  c.exact.reset();
  c.exact_fields = {{"u", "sin(x + 0.5*y)"}, {"v", "cos(0.7*x - y)"}};
  const std::vector<std::string> clamped = {"left", "bottom", "top"};
  c.bc = {condition(clamped, "u", BcType::dirichlet), condition(clamped, "v", BcType::dirichlet)};
  // The exact traction components for a normal (nx, ny).
  const std::string sxx = "((lam + 2*mu)*cos(x + 0.5*y) + lam*sin(0.7*x - y))";
  const std::string sxy = "(mu*(0.5*cos(x + 0.5*y) - 0.7*sin(0.7*x - y)))";
  const std::string syy = "((lam + 2*mu)*sin(0.7*x - y) + lam*cos(x + 0.5*y))";
  if (traction) {
    c.bc.push_back(condition(
        {"right"}, "u", BcType::expression,
        "((lam + 2*mu)*u_x + lam*v_y)*nx + mu*(u_y + v_x)*ny - " + sxx + "*nx - " + sxy + "*ny"));
    c.bc.push_back(condition(
        {"right"}, "v", BcType::expression,
        "mu*(u_y + v_x)*nx + ((lam + 2*mu)*v_y + lam*u_x)*ny - " + sxy + "*nx - " + syy + "*ny"));
  } else {
    c.bc.push_back(condition({"right"}, "u", BcType::dirichlet));
    c.bc.push_back(condition({"right"}, "v", BcType::dirichlet));
  }
  return c;
}

/// Relative l2 error of field w of a solution at the collocation nodes; `constant`: after
/// removing the mean of both (a field fixed up to a constant).
double field_error(const Problem& problem, const NodeSet& nodes, const Eigen::MatrixXd& u, int w,
                   bool constant = false) {
  const auto nc = nodes.n_collocation();
  Eigen::VectorXd exact = problem.exact_field(w, nodes.points.topRows(nc));
  Eigen::VectorXd got = u.col(w);
  if (constant) {
    exact.array() -= exact.mean();
    got.array() -= got.mean();
  }
  return (got - exact).norm() / exact.norm();
}

struct Errors {
  double h = 0;  ///< the spacing up to a constant factor: Nc^(-1/dim)
  std::vector<double> field;
  std::string method;  ///< the sparse solver that answered
};

Errors solve_errors(const ProblemConfig& config, dtpinn::nodegen::Index n, int order,
                    const std::string& shape = "rectangle") {
  const NodeSet nodes = dtpinn::nodegen::make_nodes(shape, n);
  const Problem problem(config, nodes.dim);
  dtpinn::rbffd::RbffdParams params;
  params.order = order;
  const auto solution = dtpinn::core::solve_system(problem, nodes, params);
  Errors e;
  e.method = solution.method;
  e.h = std::pow(static_cast<double>(nodes.n_collocation()), -1.0 / nodes.dim);
  for (int w = 0; w < problem.n_fields(); ++w)
    e.field.push_back(field_error(problem, nodes, solution.u, w,
                                  dtpinn::core::field_fixed_up_to_constant(problem, w)));
  return e;
}

double order_of(const Errors& a, const Errors& b, int w) {
  return std::log(a.field[static_cast<std::size_t>(w)] / b.field[static_cast<std::size_t>(w)]) /
         std::log(a.h / b.h);
}

TEST(SystemSolve, KovasznayConvergesAtHighOrder) {
  const auto coarse = solve_errors(kovasznay(), 500, 4);
  const auto fine = solve_errors(kovasznay(), 2000, 4);
  for (int w = 0; w < 3; ++w) {
    std::printf("Kovasznay field %d: error %.3e -> %.3e, order %.2f\n", w,
                coarse.field[static_cast<std::size_t>(w)], fine.field[static_cast<std::size_t>(w)],
                order_of(coarse, fine, w));
  }
  // Measured at p = 4: errors 4.7e-6, 3.7e-5, 1.4e-4 at N = 2000, orders 4.3, 4.6, 4.1.
  EXPECT_LT(fine.field[0], 1e-5);
  EXPECT_LT(fine.field[1], 1e-4);
  EXPECT_LT(fine.field[2], 4e-4);
  for (int w = 0; w < 3; ++w) EXPECT_GT(order_of(coarse, fine, w), 3.5);
}

TEST(SystemSolve, ElasticityWithTractionConvergesAtHighOrder) {
  const auto coarse = solve_errors(elasticity(true), 400, 4);
  const auto fine = solve_errors(elasticity(true), 1600, 4);
  for (int w = 0; w < 2; ++w)
    std::printf("elasticity field %d: error %.3e -> %.3e, order %.2f\n", w,
                coarse.field[static_cast<std::size_t>(w)], fine.field[static_cast<std::size_t>(w)],
                order_of(coarse, fine, w));
  // Measured at p = 4: errors 5.6e-9 and 1.1e-9 at N = 1600, orders 3.9 and 5.1.
  for (int w = 0; w < 2; ++w) {
    EXPECT_LT(fine.field[static_cast<std::size_t>(w)], 2e-8);
    EXPECT_GT(order_of(coarse, fine, w), 3.3);
  }
  // 3578 unknowns: BiCGSTAB + ILUT converges without the SparseLU fallback. (With the boundary
  // rows of all fields after all the equations it broke down, NaN after 2 iterations at
  // N = 5940, since the diagonal blocks were no longer the fields' own operators.)
  EXPECT_EQ(fine.method.rfind("BiCGSTAB + ILUT (", 0), 0u) << fine.method;
}

/// 3D linear elasticity (Navier-Cauchy) on the box [-1, 1]^3, plane waves as the exact
/// displacement: clamped on four faces, the traction sigma . n given on the right (x = 1) and
/// top (z = 1) faces as three expression conditions in the normal (nx, ny, nz).
ProblemConfig elasticity_3d() {
  ProblemConfig c;
  c.fields = {"u", "v", "w"};
  c.equations = {"(lam + mu)*(u_xx + v_xy + w_xz) + mu*lap(u) + f",
                 "(lam + mu)*(u_xy + v_yy + w_yz) + mu*lap(v) + f",
                 "(lam + mu)*(u_xz + v_yz + w_zz) + mu*lap(w) + f"};
  c.params = {{"lam", "1.0"}, {"mu", "0.5"}};
  c.exact.reset();
  const std::string ca = "cos(x + 0.5*y + 0.3*z)", sb = "sin(0.7*x - y + 0.2*z)",
                    cc = "cos(0.4*x + 0.6*y - z)";
  c.exact_fields = {{"u", "sin(x + 0.5*y + 0.3*z)"},
                    {"v", "cos(0.7*x - y + 0.2*z)"},
                    {"w", "sin(0.4*x + 0.6*y - z)"}};
  const std::vector<std::string> clamped = {"left", "front", "back", "bottom"};
  for (const char* f : {"u", "v", "w"}) c.bc.push_back(condition(clamped, f, BcType::dirichlet));
  // The exact stress: sigma = lam div(U) I + mu (grad U + grad U^T).
  const std::string div = "(" + ca + " + " + sb + " - " + cc + ")";
  const std::string sxx = "(lam*" + div + " + 2*mu*" + ca + ")";
  const std::string syy = "(lam*" + div + " + 2*mu*" + sb + ")";
  const std::string szz = "(lam*" + div + " - 2*mu*" + cc + ")";
  const std::string sxy = "(mu*(0.5*" + ca + " - 0.7*" + sb + "))";
  const std::string sxz = "(mu*(0.3*" + ca + " + 0.4*" + cc + "))";
  const std::string syz = "(mu*(0.6*" + cc + " - 0.2*" + sb + "))";
  const std::vector<std::string> loaded = {"right", "top"};
  c.bc.push_back(condition(loaded, "u", BcType::expression,
                           "((lam + 2*mu)*u_x + lam*(v_y + w_z))*nx + mu*(u_y + v_x)*ny + "
                           "mu*(u_z + w_x)*nz - " +
                               sxx + "*nx - " + sxy + "*ny - " + sxz + "*nz"));
  c.bc.push_back(condition(loaded, "v", BcType::expression,
                           "mu*(u_y + v_x)*nx + ((lam + 2*mu)*v_y + lam*(u_x + w_z))*ny + "
                           "mu*(v_z + w_y)*nz - " +
                               sxy + "*nx - " + syy + "*ny - " + syz + "*nz"));
  c.bc.push_back(condition(loaded, "w", BcType::expression,
                           "mu*(u_z + w_x)*nx + mu*(v_z + w_y)*ny + "
                           "((lam + 2*mu)*w_z + lam*(u_x + v_y))*nz - " +
                               sxz + "*nx - " + syz + "*ny - " + szz + "*nz"));
  return c;
}

TEST(SystemSolve, Elasticity3dWithTractionConverges) {
  const auto coarse = solve_errors(elasticity_3d(), 600, 3, "box");
  const auto fine = solve_errors(elasticity_3d(), 1500, 3, "box");
  for (int w = 0; w < 3; ++w)
    std::printf("3D elasticity field %d: error %.3e -> %.3e, order %.2f (%s)\n", w,
                coarse.field[static_cast<std::size_t>(w)], fine.field[static_cast<std::size_t>(w)],
                order_of(coarse, fine, w), fine.method.c_str());
  // Measured at p = 3 (N = 596 -> 1483): errors 5.0e-5, 2.7e-5, 1.2e-4, orders 5.2, 5.1, 4.1.
  const double bound[] = {1.2e-4, 7e-5, 3e-4};
  for (int w = 0; w < 3; ++w) {
    EXPECT_LT(fine.field[static_cast<std::size_t>(w)], bound[w]);
    EXPECT_GT(order_of(coarse, fine, w), 3.3);
  }
}

TEST(SystemSolve, ExpressionConditionsEqualThePresetsTheyRestate) {
  // The clamped elasticity problem, its right side once as presets and once as the
  // expressions "u - g" and "v_n - g" (a Dirichlet and a Neumann row written out).
  ProblemConfig preset = elasticity(false);
  preset.bc[3].type = BcType::neumann;
  ProblemConfig written = preset;
  written.bc[2] = condition({"right"}, "u", BcType::expression, "u - sin(x + 0.5*y)");
  written.bc[3] = condition({"right"}, "v", BcType::expression,
                            "v_n - (-0.7*sin(0.7*x - y)*nx + sin(0.7*x - y)*ny)");
  const NodeSet nodes = dtpinn::nodegen::make_nodes("rectangle", 500);
  dtpinn::rbffd::RbffdParams params;
  params.order = 3;
  const auto a = dtpinn::core::solve_system(Problem(preset, 2), nodes, params).u;
  const auto b = dtpinn::core::solve_system(Problem(written, 2), nodes, params).u;
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-10 * a.cwiseAbs().maxCoeff());
}

TEST(SystemSolve, OneFieldEqualsTheScalarSolve) {
  // Poisson with Dirichlet data through the system path (an expression condition makes it
  // one) and through the preset: the same nodes, the same operators, the same answer.
  ProblemConfig c;
  c.exact = "1 + sin(pi*x)*cos(pi*y)";
  c.bc = {condition(kAllSides, "", BcType::dirichlet)};
  ProblemConfig e = c;
  e.bc = {condition(kAllSides, "", BcType::expression, "u - 1 - sin(pi*x)*cos(pi*y)")};
  const NodeSet nodes = dtpinn::nodegen::make_nodes("rectangle", 500);
  dtpinn::rbffd::RbffdParams params;
  const auto a = dtpinn::core::solve_system(Problem(c, 2), nodes, params).u;
  const auto b = dtpinn::core::solve_system(Problem(e, 2), nodes, params).u;
  const Problem p(c, 2);
  EXPECT_TRUE(Problem(e, 2).is_system());
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-11);
  EXPECT_LT(field_error(p, nodes, a, 0), 1e-4);
}

TEST(SystemProblem, BadSystemsAreRefusedWithOneLine) {
  struct Case {
    std::function<void(ProblemConfig&)> edit;
    std::string expected;
  };
  const Case cases[] = {
      {[](ProblemConfig& c) { c.equations.pop_back(); }, "problem.equations: 2 equation(s) for 3"},
      {[](ProblemConfig& c) { c.equations[2] = "u_x + v_y + q_x"; }, "unknown name 'q_x'"},
      {[](ProblemConfig& c) { c.equations[2] = "u_x + v_yyy"; }, "uses v_yyy, a derivative"},
      {[](ProblemConfig& c) { c.equations[2] = "u_x + v_z"; }, "the domain is 2D"},
      {[](ProblemConfig& c) { c.bc[0].field = "w"; }, "bc[1].field: \"w\" is not a field"},
      {[](ProblemConfig& c) { c.fields[2] = "q"; }, "unknown name 'p_x'"},
      {[](ProblemConfig& c) {
         c.bc.push_back(condition({"left"}, "v", BcType::expression, "v_xx"));
       },
       "bc[3].residual: \"v_xx\" uses v_xx: a boundary residual takes"},
      {[](ProblemConfig& c) { c.equations[0] = "u_t + u*u_x + v*u_y + p_x - nu*lap(u)"; },
       "time-dependent systems are not supported yet"},
      {[](ProblemConfig& c) { c.equations[2] = "u_x + v_y - f"; },
       ""},  // f derived from the exact fields: accepted
  };
  for (const auto& k : cases) {
    ProblemConfig c = kovasznay();
    k.edit(c);
    std::string msg;
    try {
      Problem p(c, 2);
    } catch (const std::runtime_error& e) {
      msg = e.what();
    }
    if (k.expected.empty()) {
      EXPECT_EQ(msg, "");
      continue;
    }
    EXPECT_NE(msg.find(k.expected), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace

namespace {

/// The value at p of the quadratic least-squares fit to the 15 nodes nearest to it (the nodes
/// are scattered; the fit's own error is O(h^3)).
double fit_at(const NodeSet& nodes, const Eigen::VectorXd& values, double px, double py) {
  const auto nc = nodes.n_collocation();
  std::vector<Eigen::Index> order(static_cast<std::size_t>(nc));
  for (Eigen::Index i = 0; i < nc; ++i) order[static_cast<std::size_t>(i)] = i;
  const auto dist2 = [&](Eigen::Index i) {
    return std::pow(nodes.points(i, 0) - px, 2) + std::pow(nodes.points(i, 1) - py, 2);
  };
  std::partial_sort(order.begin(), order.begin() + 15, order.end(),
                    [&](Eigen::Index a, Eigen::Index b) { return dist2(a) < dist2(b); });
  Eigen::MatrixXd a(15, 6);
  Eigen::VectorXd b(15);
  for (int k = 0; k < 15; ++k) {
    const Eigen::Index i = order[static_cast<std::size_t>(k)];
    const double dx = nodes.points(i, 0) - px, dy = nodes.points(i, 1) - py;
    a.row(k) << 1, dx, dy, dx * dx, dx * dy, dy * dy;
    b[k] = values[i];
  }
  return a.colPivHouseholderQr().solve(b)[0];
}

}  // namespace

// The shipped lid-driven cavity (data/configs/cavity.toml, Re = 100) against Ghia, Ghia & Shin
// (1982), the centreline velocities of their Tables I and II at 5 points each, on 1500 nodes.
// Measured (p = 3): largest deviations 0.034 (u) and 0.019 (v) at N = 1487, 0.016 and 0.022 at
// N = 5954, 0.006 and 0.004 at N = 11992 (bench/cavity_ghia.py).
TEST(SystemSolve, LidDrivenCavityMatchesGhiaEtAl) {
  dtpinn::core::RunConfig c =
      dtpinn::core::load_config(std::string(DTPINN_SOURCE_DIR) + "/data/configs/cavity.toml");
  const NodeSet nodes = dtpinn::nodegen::make_nodes(c.domain.shape, 1500);
  const Problem problem(c.problem, nodes.dim);
  dtpinn::rbffd::RbffdParams params;
  params.order = c.rbffd.order;
  const auto solved = dtpinn::core::solve_system(problem, nodes, params);
  // (y', u) on x' = 0.5 and (x', v) on y' = 0.5, the unit square x' = (x + 1) / 2.
  const double u_table[5][2] = {{0.9531, 0.68717},
                                {0.7344, 0.00332},
                                {0.5, -0.20581},
                                {0.2813, -0.15662},
                                {0.1016, -0.06434}};
  const double v_table[5][2] = {
      {0.9063, -0.16914}, {0.8047, -0.24533}, {0.5, 0.05454}, {0.2344, 0.17527}, {0.0938, 0.12317}};
  double du = 0, dv = 0;
  for (const auto& [y, u] : u_table)
    du = std::max(du, std::abs(fit_at(nodes, solved.u.col(0), 0.0, 2 * y - 1) - u));
  for (const auto& [x, v] : v_table)
    dv = std::max(dv, std::abs(fit_at(nodes, solved.u.col(1), 2 * x - 1, 0.0) - v));
  std::printf("cavity, N = %ld: max |u - Ghia| %.4f, max |v - Ghia| %.4f (%d Newton iterations)\n",
              static_cast<long>(nodes.n_collocation()), du, dv, solved.newton_iterations);
  EXPECT_LT(du, 0.05);
  EXPECT_LT(dv, 0.05);
}
