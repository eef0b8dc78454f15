// The classical RBF-FD solve with a different boundary condition on different parts: the
// rectangle with Dirichlet left / right and Neumann top / bottom, the annulus with Dirichlet
// inside and Robin outside (selectors and parts), manufactured solutions: the error falls at
// about order p in h. The rows of B carry each condition's own alpha and beta.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace dtpinn;

struct SolveError {
  double h = 0, rel_l2 = 0;
};

/// The classical solve of `config` at n nodes: relative l2 error at the collocation nodes.
SolveError solve_error(core::RunConfig config, std::int64_t n) {
  const nodegen::NodeSet nodes = nodegen::make_nodes(config.domain.shape, n);
  const core::Problem problem(config.problem, nodes.dim);
  const auto boundary = problem.assign_boundary(nodes);
  rbffd::OperatorRequest req;
  req.robin = {boundary.alpha, boundary.beta};
  rbffd::RbffdParams params;
  params.order = config.rbffd.order;
  const auto ops = rbffd::assemble(nodes, params, req);
  const auto nc = nodes.n_collocation();
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const auto s = rbffd::solve_poisson(ops.laplacian, ops.boundary, problem.source(xc),
                                      problem.boundary_data(nodes, boundary));
  const Eigen::VectorXd exact = problem.exact(xc);
  return {std::sqrt(1.0 / static_cast<double>(nc)), (s.u.head(nc) - exact).norm() / exact.norm()};
}

/// Order of the solve over four node counts, each doubling N (h down by sqrt 2).
double solve_order(const core::RunConfig& config, const char* what) {
  std::vector<double> hs, es;
  for (std::int64_t n : {1000, 2000, 4000, 8000}) {
    const auto e = solve_error(config, n);
    hs.push_back(e.h);
    es.push_back(e.rel_l2);
    std::printf("%s: N = %lld, rel l2 %.3e\n", what, static_cast<long long>(n), e.rel_l2);
  }
  const double order = rbffd_test::fitted_order(hs, es);
  std::printf("%s: order %.2f\n", what, order);
  return order;
}

core::BoundaryConditionConfig condition(const std::string& where, core::BcType type) {
  core::BoundaryConditionConfig bc;
  bc.where = where;
  bc.type = type;
  return bc;
}

core::RunConfig rectangle(int order) {
  core::RunConfig c = core::default_config();
  c.domain.shape = "rectangle";  // [0, 2] x [0, 1]
  c.rbffd.order = order;
  c.problem.exact = "sin(pi*x)*cos(pi*y) + x*y";
  c.problem.bc = {condition("y < 1e-9 || y > 1 - 1e-9", core::BcType::neumann),
                  condition("x < 1e-9 || x > 2 - 1e-9", core::BcType::dirichlet)};
  return c;
}

core::RunConfig annulus(int order) {
  core::RunConfig c = core::default_config();
  c.domain.shape = "annulus";  // 0.5 < r < 1
  c.rbffd.order = order;
  c.problem.exact = "exp(x)*sin(2*y) + x*x";
  c.problem.bc = {condition("x*x + y*y < 0.75^2", core::BcType::dirichlet),
                  condition("x*x + y*y > 0.75^2", core::BcType::robin)};
  c.problem.bc[1].alpha = 1.0;
  c.problem.bc[1].beta = 2.0;
  return c;
}

TEST(BoundaryPartsSolve, RectangleDirichletSidesNeumannTopBottomConvergesAtOrderP) {
  // Measured: p = 4: 2.5e-5 .. 3.7e-7 over N = 1000 .. 8000, order 4.0 (in h).
  EXPECT_NEAR(solve_order(rectangle(4), "rectangle p=4"), 4.0, 0.6);
  EXPECT_NEAR(solve_order(rectangle(3), "rectangle p=3"), 3.0, 0.6);
}

TEST(BoundaryPartsSolve, AnnulusDirichletInsideRobinOutsideConvergesAtOrderP) {
  // Measured: p = 4: 1.2e-6 .. 1.7e-8, order 4.1.
  EXPECT_NEAR(solve_order(annulus(4), "annulus p=4"), 4.0, 0.6);
  EXPECT_NEAR(solve_order(annulus(3), "annulus p=3"), 3.0, 0.6);
}

}  // namespace
