#pragma once
// The classical RBF-FD solve of a manufactured Poisson problem on a node set, as the import
// tests use it: Lap u = f inside, du/dn + u = g on the boundary (f, g derived from `exact` by
// dtpinn::core::Problem), the error over the collocation nodes (ghosts carry no exact value).
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <string>

namespace rbffd_test {

struct SolveError {
  double rel_l2 = 0.0;    ///< relative l2 error over the Ni + Nb collocation nodes
  double residual = 0.0;  ///< the linear solve's relative residual
  dtpinn::nodegen::Index ni = 0, nb = 0;
};

inline SolveError classical_solve_error(const dtpinn::nodegen::NodeSet& nodes, int p,
                                        const std::string& exact) {
  dtpinn::core::ProblemConfig cfg;
  cfg.exact = exact;
  const dtpinn::core::Problem problem(cfg, nodes.dim);
  dtpinn::rbffd::RbffdParams params;
  params.order = p;
  dtpinn::rbffd::OperatorRequest req;
  const auto boundary = problem.assign_boundary(nodes);
  req.robin = {boundary.alpha, boundary.beta, boundary.normals};
  const auto ops = dtpinn::rbffd::assemble(nodes, params, req);
  const dtpinn::nodegen::Index nc = nodes.n_collocation();
  const dtpinn::nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const auto s = dtpinn::rbffd::solve_poisson(ops.laplacian, ops.boundary, problem.source(xc),
                                              problem.boundary_data(nodes, boundary));
  const Eigen::VectorXd u = problem.exact(xc);
  SolveError e;
  e.rel_l2 = (s.u.head(nc) - u).norm() / u.norm();
  e.residual = s.residual;
  e.ni = nodes.n_interior;
  e.nb = nodes.n_boundary;
  return e;
}

}  // namespace rbffd_test
