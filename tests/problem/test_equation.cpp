// Equations as expressions: parsing, the checks with their one-line messages, the derived
// source, the fields used, linearity, and the tapes against GiNaC-free hand evaluation.
#include "common/test_util.hpp"

#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/core/problem/problem.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace {

using dtpinn::core::Derivative;
using dtpinn::core::Equation;
using dtpinn::core::kDerivativeCount;
using dtpinn::test::error_of;

std::string refusal(const std::string& text, std::map<std::string, std::string> params = {},
                    int dim = 2) {
  return error_of<std::runtime_error>([&] { Equation::parse(text, params, dim); });
}

TEST(Equation, FieldsLinearityAndSource) {
  const auto helm = Equation::parse("lap(u) + k^2*u - f", {{"k", "3"}}, 2);
  EXPECT_TRUE(helm.uses(Derivative::value));
  EXPECT_TRUE(helm.uses(Derivative::lap));
  EXPECT_FALSE(helm.uses(Derivative::x));
  EXPECT_FALSE(helm.time_dependent());
  EXPECT_TRUE(helm.linear());
  EXPECT_TRUE(helm.has_source());
  const auto kpp =
      Equation::parse("u_t - D*lap(u) - r*u*(1 - u) - f", {{"D", "0.1"}, {"r", "2"}}, 2);
  EXPECT_TRUE(kpp.time_dependent());
  EXPECT_FALSE(kpp.linear());
  const auto adv = Equation::parse("u_t + bx*u_x + by*u_y - nu*lap(u)",
                                   {{"bx", "1"}, {"by", "2"}, {"nu", "0.1"}}, 2);
  EXPECT_TRUE(adv.uses(Derivative::x));
  EXPECT_TRUE(adv.uses(Derivative::y));
  EXPECT_FALSE(adv.has_source());
  EXPECT_TRUE(adv.linear());
}

TEST(Equation, TapeEvaluatesTheResidualAndItsDerivatives) {
  // R = kappa lap(u) + kappa_x u_x + kappa_y u_y + u^2 - f with kappa = 1 + x^2 y, by the div form.
  const auto eq = Equation::parse("div(kappa*grad(u)) + u^2 - f", {{"kappa", "1 + x^2*y"}}, 2);
  const int n = 5;
  dtpinn::nodegen::PointMatrix x(n, 2);
  std::vector<Eigen::ArrayXd> fields(kDerivativeCount);
  for (auto& f : fields) f = Eigen::ArrayXd::LinSpaced(n, -1.0, 2.0);
  fields[static_cast<int>(Derivative::lap)] = Eigen::ArrayXd::LinSpaced(n, 3.0, 0.5);
  fields[static_cast<int>(Derivative::x)] = Eigen::ArrayXd::LinSpaced(n, 0.2, 0.9);
  fields[static_cast<int>(Derivative::y)] = Eigen::ArrayXd::LinSpaced(n, -0.7, 0.1);
  const Eigen::ArrayXd f = Eigen::ArrayXd::LinSpaced(n, 0.3, -0.4);
  for (int i = 0; i < n; ++i) x.row(i) << 0.1 * i, 0.3 - 0.2 * i;
  auto coefficients = [&](const dtpinn::core::Tape& t) {
    std::vector<Eigen::ArrayXd> c;
    for (const auto& e : t.coefficients) c.push_back(e.evaluate(x).array());
    return c;
  };
  const Eigen::ArrayXd R =
      dtpinn::core::evaluate_tape(eq.residual(), fields, f, coefficients(eq.residual()));
  const Eigen::ArrayXd dRdu = dtpinn::core::evaluate_tape(
      eq.derivative(Derivative::value), fields, f, coefficients(eq.derivative(Derivative::value)));
  for (int i = 0; i < n; ++i) {
    const double px = x(i, 0), py = x(i, 1);
    const double kappa = 1 + px * px * py, kx = 2 * px * py, ky = px * px;
    const double u = fields[0][i];
    const double expected =
        kappa * fields[2][i] + kx * fields[3][i] + ky * fields[4][i] + u * u - f[i];
    EXPECT_NEAR(R[i], expected, 1e-14);
    EXPECT_NEAR(dRdu[i], 2 * u, 1e-14);
  }
}

TEST(Equation, DerivedSourceMakesTheExactSolutionASolution) {
  dtpinn::core::ProblemConfig cfg;
  cfg.equation = "lap(u) + k^2*u - f";
  cfg.params = {{"k", "2"}};
  cfg.exact = "sin(x)*cos(y)";
  const dtpinn::core::Problem p(cfg, 2);
  dtpinn::nodegen::PointMatrix x(3, 2);
  x << 0.1, 0.2, -0.5, 0.7, 1.0, -1.0;
  const Eigen::VectorXd f = p.source(x);
  for (int i = 0; i < 3; ++i)  // lap u = -2 u, so f = (k^2 - 2) u = 2 u
    EXPECT_NEAR(f[i], 2 * std::sin(x(i, 0)) * std::cos(x(i, 1)), 1e-14);
  EXPECT_FALSE(p.is_time_dependent());
  cfg.equation = "u_t - nu*lap(u) - f";
  cfg.params = {{"nu", "0.5"}};
  cfg.exact = "exp(-t)*sin(x)";
  const dtpinn::core::Problem h(cfg, 2);
  EXPECT_TRUE(h.is_time_dependent());
  // u_t - 0.5 lap u = -u + 0.5 u = -0.5 u
  EXPECT_NEAR(h.source(x, 0.3)[1], -0.5 * std::exp(-0.3) * std::sin(-0.5), 1e-14);
}

TEST(Equation, BadEquationsAreRefusedWithOneLine) {
  struct Case {
    std::string text, expected;
    std::map<std::string, std::string> params = {};
  };
  const Case cases[] = {
      {"u_xxx + u_yy - f",
       "problem.equation: \"u_xxx + u_yy - f\" uses u_xxx, a derivative the engine does not "
       "provide"},
      {"u_xx + u_zz - f", "the domain is 2D"},
      {"lap(u) - u_tt", "uses u_tt"},
      {"x^2 - f", "does not involve u"},
      {"lap(u) - w*u", "unknown name 'w'"},
      {"lap(u) + u_z", "the domain is 2D"},
      {"lap(u) - f^2", "f must enter linearly"},
      {"u_t^2 - lap(u)", "u_t must enter linearly"},
      {"lap(u) - t*u", "uses t but no time derivative"},
      {"lap(u - 1)", "lap() applies to a field (lap(u))"},
      {"div(grad(v))", "div() takes A*grad(w) or grad(w) of a field w"},
      {"grad(u) - f", "grad(w) only inside div"},
      {"lap(u) + sin(", "cannot parse"},
      {"lap(u) + x1*u", "not a parameter name", {{"x", "1"}}},
  };
  for (const auto& c : cases) {
    const std::string msg = refusal(c.text, c.params);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.text << "\n" << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
