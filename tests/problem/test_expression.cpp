// Expressions: parsing, symbolic derivatives, muParser evaluation against GiNaC's reference,
// and the error messages a user sees.
#include <dtpinn/core/problem/expression.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "common/test_util.hpp"

namespace {

using dtpinn::test::error_of;

using dtpinn::core::Expression;
using dtpinn::core::expression_variables;
using dtpinn::nodegen::PointMatrix;

PointMatrix random_points(int n, int dim, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  PointMatrix p(n, dim);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) p(i, c) = u(rng);
  return p;
}

/// muParser evaluation agrees with GiNaC's extended-precision evaluation at every point.
void expect_agrees(const Expression& e, const PointMatrix& p, double t, double rel) {
  const Eigen::VectorXd v = e.evaluate(p, t);
  ASSERT_EQ(v.size(), p.rows());
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    std::map<std::string, double> at = {{"x", p(i, 0)}, {"y", p(i, 1)}, {"t", t}};
    if (p.cols() == 3) at["z"] = p(i, 2);
    const double ref = e.evaluate_reference(at);
    EXPECT_NEAR(v[i], ref, rel * std::max(1.0, std::abs(ref)))
        << e.text() << " at point " << i << " (muParser form " << e.muparser_str() << ")";
  }
}

TEST(Expression, EveryFunctionAgreesWithGinac) {
  const auto vars = expression_variables();
  // Arguments kept inside each function's real domain for (x, y) in [0.1, 0.9]^2. Each text
  // with its meaning written out with the standard library: GiNaC evaluates the same parse as
  // muParser, so it cannot tell a misread ln, atan2 argument order or ** from the right one.
  using F = double (*)(double, double);
  const std::pair<const char*, F> cases[] = {
      {"1 + sin(pi*x)*cos(pi*y)",
       [](double x, double y) { return 1 + std::sin(M_PI * x) * std::cos(M_PI * y); }},
      {"tan(x) - asin(x) + acos(y) * atan(x*y)",
       [](double x, double y) {
         return std::tan(x) - std::asin(x) + std::acos(y) * std::atan(x * y);
       }},
      {"atan2(y, x - 0.5)", [](double x, double y) { return std::atan2(y, x - 0.5); }},
      {"sinh(x) + cosh(y) * tanh(x - y)",
       [](double x, double y) { return std::sinh(x) + std::cosh(y) * std::tanh(x - y); }},
      {"asinh(x) + acosh(1 + y) + atanh(x/2)",
       [](double x, double y) { return std::asinh(x) + std::acosh(1 + y) + std::atanh(x / 2); }},
      {"exp(-x^2 - y^2) + log(x) + ln(y)",
       [](double x, double y) { return std::exp(-x * x - y * y) + std::log(x) + std::log(y); }},
      {"sqrt(x) + 1/sqrt(y) + abs(x - y)",
       [](double x, double y) { return std::sqrt(x) + 1 / std::sqrt(y) + std::abs(x - y); }},
      {"x^3 - 2*y^(-2)", [](double x, double y) { return x * x * x - 2 / (y * y); }},
      {"pow(x, 2.5) + x**2 + 2^-x",
       [](double x, double) { return std::pow(x, 2.5) + x * x + std::pow(2.0, -x); }},
      {"e^x * exp(1) - e", [](double x, double) { return std::exp(x) * M_E - M_E; }},
      {"-x^2 + (-y)^3 - -x", [](double x, double y) { return -x * x - y * y * y + x; }},
      {"1/3*x + 0.1*y + 1e-3", [](double x, double y) { return x / 3 + 0.1 * y + 1e-3; }},
      {"3", [](double, double) { return 3.0; }}};
  const PointMatrix p = random_points(50, 2, 0.1, 0.9, 7);
  for (const auto& [text, reference] : cases) {
    const Expression e = Expression::parse(text, "test", vars);
    expect_agrees(e, p, 0.0, 1e-13);
    const Eigen::VectorXd v = e.evaluate(p);
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
      const double ref = reference(p(i, 0), p(i, 1));
      EXPECT_NEAR(v[i], ref, 1e-13 * std::max(1.0, std::abs(ref)))
          << text << " at (" << p(i, 0) << ", " << p(i, 1) << ") against the standard library";
    }
  }
}

TEST(Expression, UnaryMinusAndPowerPrecedenceIsMathematical) {
  const auto vars = expression_variables();
  PointMatrix p(1, 2);
  p << 2.0, 3.0;
  EXPECT_DOUBLE_EQ(Expression::parse("-x^2", "k", vars).evaluate(p)[0], -4.0);
  EXPECT_DOUBLE_EQ(Expression::parse("2^-x", "k", vars).evaluate(p)[0], 0.25);
  EXPECT_DOUBLE_EQ(Expression::parse("-y^-x", "k", vars).evaluate(p)[0], -1.0 / 9.0);
  EXPECT_DOUBLE_EQ(Expression::parse("2^(y^x)", "k", vars).evaluate(p)[0], 512.0);
  EXPECT_DOUBLE_EQ(Expression::parse("x - y - 1", "k", vars).evaluate(p)[0], -2.0);
  EXPECT_DOUBLE_EQ(Expression::parse("x / y / 2", "k", vars).evaluate(p)[0], 1.0 / 3.0);
}

TEST(Expression, DerivativesAndLaplacian) {
  const auto vars = expression_variables();
  const Expression u = Expression::parse("x^2*y + sin(z)*exp(x) + t*y", "u", vars);
  const PointMatrix p = random_points(20, 3, -1, 1, 3);
  const Eigen::VectorXd ux = u.diff("x").evaluate(p, 0.7);
  const Eigen::VectorXd ut = u.diff("t").evaluate(p, 0.7);
  const Eigen::VectorXd lap = u.laplacian(3).evaluate(p, 0.7);
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    const double x = p(i, 0), y = p(i, 1), z = p(i, 2);
    EXPECT_NEAR(ux[i], 2 * x * y + std::sin(z) * std::exp(x), 1e-14);
    EXPECT_NEAR(ut[i], y, 1e-15);
    // Lap = 2y + sin(z) e^x - sin(z) e^x = 2y
    EXPECT_NEAR(lap[i], 2 * y, 1e-14);
  }
  EXPECT_TRUE(u.depends_on("t"));
  EXPECT_FALSE(u.laplacian(3).depends_on("t"));
  EXPECT_EQ(u.subs("t", 0.0).variables(), (std::vector<std::string>{"x", "y", "z"}));
}

TEST(Expression, BulkEvaluationMatchesReferenceAtManyPoints) {
  // Above the threshold for the threaded path; spot-check against GiNaC.
  const auto vars = expression_variables();
  const Expression e =
      Expression::parse("1 + sin(pi*x)*cos(pi*y)*sin(pi*t)", "k", vars).laplacian(2);
  const PointMatrix p = random_points(20000, 2, -1, 1, 11);
  const Eigen::VectorXd v = e.evaluate(p, 0.3);
  for (Eigen::Index i = 0; i < p.rows(); i += 997) {
    const double ref = -2 * M_PI * M_PI * std::sin(M_PI * p(i, 0)) * std::cos(M_PI * p(i, 1)) *
                       std::sin(M_PI * 0.3);
    EXPECT_NEAR(v[i], ref, 1e-12 * std::max(1.0, std::abs(ref)));
  }
}

TEST(Expression, ConstantsAndEmptyInputs) {
  const auto vars = expression_variables();
  const PointMatrix p = random_points(5000, 2, -1, 1, 1);
  const Eigen::VectorXd c = Expression::parse("2*pi", "k", vars).evaluate(p);
  EXPECT_EQ(c.size(), 5000);
  EXPECT_EQ((c.array() - 2 * M_PI).abs().maxCoeff(), 0.0);
  EXPECT_EQ(Expression::parse("x", "k", vars).evaluate(PointMatrix(0, 2)).size(), 0);
  EXPECT_EQ(Expression().evaluate(p).norm(), 0.0);
}

TEST(Expression, NormalsAreVariables) {
  const auto vars = expression_variables();
  // Normals unlike the points and unlike each other's components, so that binding nx to x (or
  // nx to ny) changes the value.
  const Expression g = Expression::parse("x*nx + 2*y*ny", "problem.g", vars);
  PointMatrix p(2, 2), n(2, 2);
  p << 0.5, -1.5, 2.0, 3.0;
  n << 0.6, 0.8, -1.0, 0.0;
  const Eigen::VectorXd v = g.evaluate(p, 0.0, &n);
  EXPECT_NEAR(v[0], 0.5 * 0.6 + 2 * -1.5 * 0.8, 1e-15);
  EXPECT_NEAR(v[1], -2.0, 1e-15);
  const Expression g3 = Expression::parse("3*nz*z - nx + y*ny", "problem.g", vars);
  PointMatrix p3(1, 3), n3(1, 3);
  p3 << 1.0, 2.0, 3.0;
  n3 << 0.0, 0.6, 0.8;
  EXPECT_NEAR(g3.evaluate(p3, 0.0, &n3)[0], 3 * 0.8 * 3.0 - 0.0 + 2.0 * 0.6, 1e-15);
  EXPECT_NE(error_of<std::runtime_error>([&] { g.evaluate(p); }).find("no normals"),
            std::string::npos);
}

TEST(Expression, ParseErrorsNameKeyAndText) {
  const auto vars = dtpinn::core::spatial_variables(2, false, false);
  std::string msg =
      error_of<std::runtime_error>([&] { Expression::parse("sin(pi*x", "problem.exact", vars); });
  EXPECT_NE(msg.find("problem.exact: cannot parse \"sin(pi*x\""), std::string::npos) << msg;

  msg = error_of<std::runtime_error>([&] { Expression::parse("foo(x)", "problem.f", vars); });
  EXPECT_NE(msg.find("problem.f"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no function \"foo\""), std::string::npos) << msg;

  msg = error_of<std::runtime_error>([&] { Expression::parse("sin(w*x)", "problem.g", vars); });
  EXPECT_NE(msg.find("problem.g: unknown variable 'w' in \"sin(w*x)\""), std::string::npos) << msg;

  msg = error_of<std::runtime_error>([&] { Expression::parse("x + z", "problem.exact", vars); });
  EXPECT_NE(msg.find("variable 'z' is not allowed"), std::string::npos) << msg;

  msg = error_of<std::runtime_error>([&] { Expression::parse("  ", "problem.f", vars); });
  EXPECT_NE(msg.find("problem.f: empty expression"), std::string::npos) << msg;

  msg = error_of<std::runtime_error>([&] { Expression::parse("2^3^2", "problem.f", vars); });
  EXPECT_NE(msg.find("parentheses"), std::string::npos) << msg;

  msg = error_of<std::runtime_error>([&] { Expression::parse("x == 1", "problem.f", vars); });
  EXPECT_NE(msg.find("problem.f: cannot parse"), std::string::npos) << msg;

  msg = error_of<std::runtime_error>([&] { Expression::parse("sqrt(-1)*x", "problem.f", vars); });
  EXPECT_NE(msg.find("complex"), std::string::npos) << msg;
}

TEST(Expression, NonFiniteValuesThrowNamingThePoint) {
  const auto vars = expression_variables();
  PointMatrix p(3, 2);
  p << 0.5, 0.5, -0.25, 0.5, 0.5, 0.5;
  std::string msg = error_of<std::runtime_error>(
      [&] { Expression::parse("sqrt(x)", "problem.exact", vars).evaluate(p); });
  EXPECT_NE(msg.find("problem.exact: \"sqrt(x)\" is NaN at point 1 (x = -0.25, y = 0.5)"),
            std::string::npos)
      << msg;
  PointMatrix q(1, 2);
  q << 0.0, 1.0;
  msg = error_of<std::runtime_error>(
      [&] { Expression::parse("log(x)", "problem.f", vars).evaluate(q, 2.0); });
  EXPECT_NE(msg.find("is -inf at point 0"), std::string::npos) << msg;
  // Non-differentiable functions are refused when derived, not evaluated as garbage.
  msg = error_of<std::runtime_error>(
      [&] { Expression::parse("step(x)", "problem.exact", vars).diff("x"); });
  EXPECT_NE(msg.find("not available"), std::string::npos) << msg;
}

}  // namespace
