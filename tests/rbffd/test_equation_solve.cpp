// The classical solve of equations given as text (core/problem/solve.hpp): Helmholtz,
// steady advection-diffusion, a varying diffusivity in div form, a nonlinear reaction; each
// converges at about order p on a manufactured solution, and the presets reproduce the
// written-out solves.
#include <gtest/gtest.h>

#include <string>

#include "solve_support.hpp"

namespace {

core::RunConfig equation(const std::string& text, const std::string& exact,
                         std::map<std::string, std::string> params, const std::string& shape) {
  core::RunConfig c = core::default_config();
  c.domain.shape = shape;
  c.problem.equation = text;
  c.problem.exact = exact;
  c.problem.params = std::move(params);
  c.rbffd.order = 4;
  return c;
}

TEST(EquationSolve, HelmholtzOnTheRectangleWithDirichletSides) {
  // Measured: 1.9e-7 .. 2.0e-9 over N = 1000 .. 8000, order 4.4.
  auto c = equation("lap(u) + k^2*u - f", "sin(2*x)*cos(y) + x*y", {{"k", "3"}}, "rectangle");
  core::BoundaryConditionConfig all;
  all.on = {"left", "right", "bottom", "top"};
  all.type = core::BcType::dirichlet;
  c.problem.bc = {all};
  EXPECT_NEAR(solve_order(c, "helmholtz p=4"), 4.0, 0.7);
}

TEST(EquationSolve, AdvectionDiffusionAndVaryingDiffusivityOnTheDisk) {
  // Measured: advection-diffusion 6.8e-5 .. 2.0e-6, order 3.4; div(kappa grad u) 5.3e-5 ..
  // 5.3e-7, order 4.4 (p = 4, Robin alpha = beta = 1).
  EXPECT_NEAR(solve_order(equation("bx*u_x + by*u_y - nu*lap(u) - f", "sin(pi*x)*cos(pi*y) + x",
                                   {{"bx", "1"}, {"by", "-0.5"}, {"nu", "0.2"}}, "disk"),
                          "advection-diffusion p=4"),
              4.0, 0.8);
  EXPECT_NEAR(solve_order(equation("div(kappa*grad(u)) - f", "1 + sin(pi*x)*cos(pi*y)",
                                   {{"kappa", "1 + 0.5*x^2 + y"}}, "disk"),
                          "varying kappa p=4"),
              4.0, 0.7);
}

TEST(EquationSolve, NonlinearReactionByNewton) {
  // Lap u - u^3 = f: Newton with the Jacobian lap - 3 u^2 from the symbolic derivative.
  EXPECT_NEAR(solve_order(equation("lap(u) - u^3 - f", "1 + 0.5*sin(pi*x)*cos(pi*y)", {}, "disk"),
                          "cubic reaction p=4"),
              4.0, 0.7);
}

}  // namespace

namespace {

/// The BDF2 solve of a time-dependent equation on the disk to t = 0.2 (50 steps, p = 2):
/// relative l2 error at t = 0.2 against the exact solution, and its order in h over N.
double order_in_time(const std::string& text, const std::string& exact,
                     std::map<std::string, std::string> params, const char* what) {
  std::vector<double> hs, es;
  for (std::int64_t n : {500, 1000, 2000}) {
    core::RunConfig c = equation(text, exact, params, "disk");
    c.problem.t_final = 0.2;
    const nodegen::NodeSet nodes = nodegen::make_nodes("disk", n);
    const core::Problem problem(c.problem, 2);
    const auto boundary = problem.assign_boundary(nodes);
    rbffd::OperatorRequest req;
    req.robin = {boundary.alpha, boundary.beta, boundary.normals};
    req.gradient = core::uses_gradient(problem.equation());
    rbffd::RbffdParams p2;
    p2.order = 2;
    const auto ops = rbffd::assemble(nodes, p2, req);
    const auto g = [&](double t) { return problem.boundary_data(nodes, boundary, t); };
    std::vector<double> times;
    for (int k = 0; k <= 10; ++k) times.push_back(0.02 * k);
    const Eigen::MatrixXd u = core::solve_in_time(problem, nodes, ops.laplacian, ops.gradient,
                                                  ops.boundary, g, times, 10);
    const auto nc = nodes.n_collocation();
    const Eigen::VectorXd ex = problem.exact(nodes.points.topRows(nc), 0.2);
    hs.push_back(std::pow(static_cast<double>(nc), -0.5));
    es.push_back((u.col(10) - ex).norm() / ex.norm());
    std::printf("%s: N = %lld, rel l2 at t = 0.2 %.3e\n", what, static_cast<long long>(n),
                es.back());
  }
  const double order = rbffd_test::fitted_order(hs, es);
  std::printf("%s: order %.2f\n", what, order);
  return order;
}

TEST(EquationSolve, AdvectionDiffusionAndFisherKppInTimeByBdf2) {
  // BDF2 with dt = 0.004: its time error stays below the p = 2 space error. Measured over
  // N = 500 .. 4000: advection-diffusion 3.7e-5 .. 3.5e-6, order 2.29; Fisher-KPP (Newton per
  // step) 1.1e-4 .. 1.2e-5, order 2.19.
  EXPECT_NEAR(order_in_time("u_t + bx*u_x + by*u_y - nu*lap(u) - f", "1 + sin(x + y)*exp(-0.5*t)",
                            {{"bx", "0.5"}, {"by", "0.5"}, {"nu", "0.5"}}, "advection-diffusion"),
              2.0, 0.6);
  EXPECT_NEAR(
      order_in_time("u_t - D*lap(u) - r*u*(1 - u) - f", "0.5 + 0.25*sin(2*x)*cos(y)*exp(-t)",
                    {{"D", "0.5"}, {"r", "1"}}, "fisher-kpp"),
      2.0, 0.6);
}

}  // namespace
