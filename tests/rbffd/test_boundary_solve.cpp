// The classical RBF-FD solve with a different boundary condition on different parts: the
// rectangle with Dirichlet left / right and Neumann top / bottom (its named sides, and the same
// by selectors), the annulus with Dirichlet inside and Robin outside, and the shipped gmsh plate
// with Dirichlet on its holes and Neumann elsewhere; manufactured solutions: the error falls at
// about order p in h. The rows of B carry each condition's own alpha and beta.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "solve_support.hpp"

namespace {

using namespace dtpinn;

core::BoundaryConditionConfig on(std::vector<std::string> parts, core::BcType type) {
  core::BoundaryConditionConfig bc;
  bc.on = std::move(parts);
  bc.type = type;
  return bc;
}

core::BoundaryConditionConfig where(const std::string& selector, core::BcType type) {
  core::BoundaryConditionConfig bc;
  bc.where = selector;
  bc.type = type;
  return bc;
}

core::RunConfig rectangle(int order, bool selectors = false) {
  core::RunConfig c = core::default_config();
  c.domain.shape = "rectangle";  // [0, 2] x [0, 1]
  c.rbffd.order = order;
  c.problem.exact = "sin(pi*x)*cos(pi*y) + x*y";
  if (selectors)
    c.problem.bc = {where("y < 1e-9 || y > 1 - 1e-9", core::BcType::neumann),
                    where("x < 1e-9 || x > 2 - 1e-9", core::BcType::dirichlet)};
  else
    c.problem.bc = {on({"left", "right"}, core::BcType::dirichlet),
                    on({"bottom", "top"}, core::BcType::neumann)};
  return c;
}

core::RunConfig annulus(int order) {
  core::RunConfig c = core::default_config();
  c.domain.shape = "annulus";  // 0.5 < r < 1
  c.rbffd.order = order;
  c.problem.exact = "exp(x)*sin(2*y) + x*x";
  c.problem.bc = {on({"inner"}, core::BcType::dirichlet), on({"outer"}, core::BcType::robin)};
  c.problem.bc[1].alpha = 1.0;
  c.problem.bc[1].beta = 2.0;
  return c;
}

TEST(BoundaryPartsSolve, RectangleDirichletSidesNeumannTopBottomConvergesAtOrderP) {
  // Measured: p = 4: 2.5e-5 .. 3.7e-7 over N = 1000 .. 8000, order 4.0 (in h).
  EXPECT_NEAR(solve_order(rectangle(4), "rectangle p=4"), 4.0, 0.6);
  EXPECT_NEAR(solve_order(rectangle(3), "rectangle p=3"), 3.0, 0.6);
  // Selectors instead of the named sides (corners go to the later entry): the same orders.
  EXPECT_NEAR(solve_order(rectangle(4, true), "rectangle by selectors p=4"), 4.0, 0.6);
}

TEST(BoundaryPartsSolve, AnnulusDirichletInsideRobinOutsideConvergesAtOrderP) {
  // Measured: p = 4: 1.2e-6 .. 1.7e-8, order 4.1.
  EXPECT_NEAR(solve_order(annulus(4), "annulus p=4"), 4.0, 0.6);
  EXPECT_NEAR(solve_order(annulus(3), "annulus p=3"), 3.0, 0.6);
}

TEST(BoundaryPartsSolve, GmshPlateDirichletHolesNeumannWallsConvergesAtOrderP) {
  // The shipped part (data/geometry/plate_with_holes.stl, one solid per named face): measured
  // p = 3: 6.8e-6, 3.0e-6, 1.3e-6 at N = 2000, 4000, 8000, order 3.4 in h = N^(-1/3).
  core::RunConfig c = core::default_config();
  c.domain.file = std::string(DTPINN_SOURCE_DIR) + "/data/geometry/plate_with_holes.stl";
  c.rbffd.order = 3;
  c.problem.exact = "1 + sin(2*x)*cos(2*y)*exp(z)";
  c.problem.bc = {on({"top", "bottom", "sides"}, core::BcType::neumann),
                  on({"holes"}, core::BcType::dirichlet)};
  EXPECT_NEAR(solve_order(c, "plate p=3", {2000, 4000, 8000}), 3.0, 0.6);
}

}  // namespace
