// Problems: f, g, u0 derived from an exact solution equal the hand-derived formulas.
#include <dtpinn/core/problem/problem.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "common/test_util.hpp"

namespace {

using dtpinn::test::error_of;

using dtpinn::core::PdeKind;
using dtpinn::core::Problem;
using dtpinn::core::ProblemConfig;
using dtpinn::nodegen::PointMatrix;
constexpr double kPi = M_PI;

PointMatrix random_points(int n, int dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  PointMatrix p(n, dim);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) p(i, c) = u(rng);
  return p;
}

PointMatrix random_normals(int n, int dim, std::uint64_t seed) {
  PointMatrix v = random_points(n, dim, seed);
  for (int i = 0; i < n; ++i) v.row(i).normalize();
  return v;
}

void expect_close(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (Eigen::Index i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], tol * std::max(1.0, std::abs(b[i]))) << "at " << i;
}

constexpr int kN = 200;

TEST(Problem, PoissonDefaultExperimentMatchesHandDerivation) {
  for (auto [alpha, beta] : {std::pair{1.0, 1.0}, {2.5, -0.5}, {0.0, 1.0}, {1.0, 0.25}}) {
    ProblemConfig cfg;  // u = 1 + sin(pi x) cos(pi y)
    cfg.alpha = alpha;
    cfg.beta = beta;
    const Problem prob(cfg, 2);
    EXPECT_EQ(prob.dim(), 2);
    EXPECT_TRUE(prob.has_exact());
    EXPECT_FALSE(prob.is_time_dependent());
    const PointMatrix x = random_points(kN, 2, 1), n = random_normals(kN, 2, 2);
    Eigen::VectorXd u(kN), lap(kN), g(kN);
    for (int i = 0; i < kN; ++i) {
      const double px = kPi * x(i, 0), py = kPi * x(i, 1);
      u[i] = 1 + std::sin(px) * std::cos(py);
      lap[i] = -2 * kPi * kPi * std::sin(px) * std::cos(py);
      const double ux = kPi * std::cos(px) * std::cos(py), uy = -kPi * std::sin(px) * std::sin(py);
      g[i] = alpha * (ux * n(i, 0) + uy * n(i, 1)) + beta * u[i];
    }
    expect_close(prob.exact(x), u, 1e-12);
    expect_close(prob.source(x), lap, 1e-12);
    expect_close(prob.exact_laplacian(x), lap, 1e-12);
    expect_close(prob.condition_data(0, x, n), g, 1e-12);
  }
}

TEST(Problem, NonlinearPoissonSourceIsLaplacianMinusExp) {
  ProblemConfig cfg;
  cfg.pde = PdeKind::nonlinear_poisson;
  const Problem prob(cfg, 2);
  const PointMatrix x = random_points(kN, 2, 3);
  Eigen::VectorXd f(kN);
  for (int i = 0; i < kN; ++i) {
    const double s = std::sin(kPi * x(i, 0)) * std::cos(kPi * x(i, 1));
    f[i] = -2 * kPi * kPi * s - std::exp(1 + s);
  }
  expect_close(prob.source(x), f, 1e-12);
}

TEST(Problem, HeatPaperSolution) {
  ProblemConfig cfg;
  cfg.pde = PdeKind::heat;
  cfg.exact = "1 + sin(pi*x)*cos(pi*y)*sin(pi*t)";  // (20) of the paper
  cfg.nt = 24;
  const Problem prob(cfg, 2);
  EXPECT_TRUE(prob.is_time_dependent());
  EXPECT_EQ(prob.nt(), 24);
  const PointMatrix x = random_points(kN, 2, 4), n = random_normals(kN, 2, 5);
  for (double t : {0.0, 0.375, 1.0}) {
    Eigen::VectorXd f(kN), g(kN), u(kN);
    for (int i = 0; i < kN; ++i) {
      const double sx = std::sin(kPi * x(i, 0)), cx = std::cos(kPi * x(i, 0));
      const double sy = std::sin(kPi * x(i, 1)), cy = std::cos(kPi * x(i, 1));
      const double st = std::sin(kPi * t), ct = std::cos(kPi * t);
      u[i] = 1 + sx * cy * st;
      // f = u_t - Lap u
      f[i] = kPi * sx * cy * ct + 2 * kPi * kPi * sx * cy * st;
      g[i] = (kPi * cx * cy * st * n(i, 0) - kPi * sx * sy * st * n(i, 1)) + u[i];
    }
    expect_close(prob.exact(x, t), u, 1e-12);
    expect_close(prob.source(x, t), f, 1e-12);
    expect_close(prob.condition_data(0, x, n, t), g, 1e-12);
  }
  expect_close(prob.initial(x), Eigen::VectorXd::Ones(kN), 1e-15);
}

TEST(Problem, ThreeDimensional) {
  ProblemConfig cfg;
  cfg.exact = "1 + sin(pi*x)*cos(pi*y)*exp(z)";
  cfg.alpha = 1.5;
  cfg.beta = 2.0;
  const Problem prob(cfg, 3);
  const PointMatrix x = random_points(kN, 3, 6), n = random_normals(kN, 3, 7);
  Eigen::VectorXd f(kN), g(kN);
  for (int i = 0; i < kN; ++i) {
    const double sx = std::sin(kPi * x(i, 0)), cx = std::cos(kPi * x(i, 0));
    const double sy = std::sin(kPi * x(i, 1)), cy = std::cos(kPi * x(i, 1));
    const double ez = std::exp(x(i, 2));
    f[i] = (1 - 2 * kPi * kPi) * sx * cy * ez;
    const double dn =
        kPi * cx * cy * ez * n(i, 0) - kPi * sx * sy * ez * n(i, 1) + sx * cy * ez * n(i, 2);
    g[i] = 1.5 * dn + 2.0 * (1 + sx * cy * ez);
  }
  expect_close(prob.source(x), f, 1e-12);
  expect_close(prob.condition_data(0, x, n), g, 1e-12);
  // 2D points for a 3D problem are refused.
  EXPECT_NE(error_of<std::runtime_error>([&] { prob.source(random_points(3, 2, 1)); }).find("3D"),
            std::string::npos);
}

TEST(Problem, GivenDataOverridesDerived) {
  ProblemConfig cfg;
  cfg.f = "x*y";
  cfg.g = "nx + 2*ny";
  const Problem prob(cfg, 2);
  PointMatrix x(1, 2), n(1, 2);
  x << 0.5, -0.25;
  n << 0.6, 0.8;
  EXPECT_DOUBLE_EQ(prob.source(x)[0], -0.125);
  EXPECT_NEAR(prob.condition_data(0, x, n)[0], 2.2, 1e-15);
  EXPECT_TRUE(prob.has_exact());  // still the reference for the error
}

TEST(Problem, WithoutExactDataIsRequired) {
  ProblemConfig cfg;
  cfg.exact.reset();
  EXPECT_EQ(error_of<std::runtime_error>([&] { Problem(cfg, 2); }),
            "problem.f is required when problem.exact is not given");
  cfg.f = "1";
  EXPECT_EQ(error_of<std::runtime_error>([&] { Problem(cfg, 2); }),
            "problem.g is required when problem.exact is not given");
  cfg.g = "0";
  const Problem ok(cfg, 2);
  EXPECT_FALSE(ok.has_exact());
  EXPECT_NE(
      error_of<std::runtime_error>([&] { ok.exact(random_points(2, 2, 1)); }).find("not given"),
      std::string::npos);
  cfg.pde = PdeKind::heat;
  EXPECT_EQ(error_of<std::runtime_error>([&] { Problem(cfg, 2); }),
            "problem.u0 is required when problem.exact is not given");
  cfg.u0 = "x^2";
  const Problem heat(cfg, 2);
  PointMatrix x(1, 2);
  x << 0.5, 0.0;
  EXPECT_DOUBLE_EQ(heat.initial(x)[0], 0.25);
}

TEST(Problem, VariablesThatDoNotBelongAreRefused) {
  ProblemConfig cfg;
  cfg.exact = "x + z";
  std::string msg = error_of<std::runtime_error>([&] { Problem(cfg, 2); });
  EXPECT_NE(msg.find("problem.exact: \"x + z\" uses z, but the domain is 2D"), std::string::npos)
      << msg;
  cfg.exact = "x*t";
  msg = error_of<std::runtime_error>([&] { Problem(cfg, 2); });
  EXPECT_NE(msg.find("uses t, but the equation is steady"), std::string::npos) << msg;
  cfg.exact = "x";
  cfg.f = "nx";
  msg = error_of<std::runtime_error>([&] { Problem(cfg, 2); });
  EXPECT_NE(msg.find("problem.f: \"nx\" uses nx"), std::string::npos) << msg;
  cfg.f.reset();
  cfg.exact = "sin(pi*x";
  msg = error_of<std::runtime_error>([&] { Problem(cfg, 2); });
  EXPECT_NE(msg.find("problem.exact: cannot parse \"sin(pi*x\""), std::string::npos) << msg;
  cfg.exact = "x";
  cfg.alpha = 0;
  cfg.beta = 0;
  msg = error_of<std::runtime_error>([&] { Problem(cfg, 2); });
  EXPECT_NE(msg.find("both 0"), std::string::npos) << msg;
}

TEST(Problem, NonFiniteDataThrows) {
  ProblemConfig cfg;
  cfg.exact = "log(x)";
  const Problem prob(cfg, 2);
  PointMatrix x(2, 2);
  x << 0.5, 0.5, -0.5, 0.5;
  const std::string msg = error_of<std::runtime_error>([&] { prob.exact(x); });
  EXPECT_NE(msg.find("problem.exact"), std::string::npos) << msg;
  EXPECT_NE(msg.find("x = -0.5, y = 0.5"), std::string::npos) << msg;
}

TEST(Problem, DescribeNamesDerivedData) {
  ProblemConfig cfg;
  cfg.pde = PdeKind::heat;
  cfg.exact = "1 + sin(pi*x)*cos(pi*y)*sin(pi*t)";
  const std::string d = Problem(cfg, 2).describe();
  EXPECT_NE(d.find("heat"), std::string::npos) << d;
  EXPECT_NE(d.find("f = "), std::string::npos) << d;
  EXPECT_NE(d.find("u0 = 1"), std::string::npos) << d;
  EXPECT_NE(d.find("derived"), std::string::npos) << d;
}

}  // namespace
