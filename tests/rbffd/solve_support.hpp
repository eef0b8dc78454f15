#pragma once
// The classical solve of a run config's problem (any steady equation, any boundary conditions)
// at a node count, and its order of convergence over several: shared by the solve tests.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/solve.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace dtpinn;

struct SolveError {
  double h = 0, rel_l2 = 0;
};

/// The classical solve of `config` at n nodes: relative l2 error at the collocation nodes.
inline SolveError solve_error(const core::RunConfig& config, std::int64_t n) {
  nodegen::ImportOptions import;
  import.n = n;
  const nodegen::NodeSet nodes = config.domain.file
                                     ? nodegen::import_nodes(*config.domain.file, import)
                                     : nodegen::make_nodes(config.domain.shape, n);
  const core::Problem problem(config.problem, nodes.dim);
  const auto boundary = problem.assign_boundary(nodes);
  rbffd::OperatorRequest req;
  req.robin = {boundary.alpha, boundary.beta, boundary.normals};
  req.gradient = core::uses_gradient(problem.equation());
  rbffd::RbffdParams params;
  params.order = config.rbffd.order;
  const auto ops = rbffd::assemble(nodes, params, req);
  const auto s = core::solve_equation(problem, nodes, ops.laplacian, ops.gradient, ops.boundary,
                                      problem.boundary_data(nodes, boundary));
  const auto nc = nodes.n_collocation();
  const Eigen::VectorXd exact = problem.exact(nodes.points.topRows(nc));
  return {std::pow(static_cast<double>(nc), -1.0 / nodes.dim),
          (s.u.head(nc) - exact).norm() / exact.norm()};
}

/// Order of the solve in h over node counts doubling N.
inline double solve_order(const core::RunConfig& config, const char* what,
                          const std::vector<std::int64_t>& counts = {1000, 2000, 4000, 8000}) {
  std::vector<double> hs, es;
  for (std::int64_t n : counts) {
    const auto e = solve_error(config, n);
    hs.push_back(e.h);
    es.push_back(e.rel_l2);
    std::printf("%s: N = %lld, rel l2 %.3e\n", what, static_cast<long long>(n), e.rel_l2);
  }
  const double order = rbffd_test::fitted_order(hs, es);
  std::printf("%s: order %.2f\n", what, order);
  return order;
}

}  // namespace
