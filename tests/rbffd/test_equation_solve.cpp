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
