// Convergence of the assembled operators on u = 1 + sin(pi x) cos(pi y) [cos(pi z)] in the
// unit disk / ball with ghost nodes: the max error of L u (all Ni + Nb rows) and of B u falls
// like h^p, and the classical solve converges at order ~p. Orders are least-squares slopes of
// log(err) against log(h) over 4 node sets.
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

using namespace dtpinn::rbffd;
using rbffd_test::NodeSet;

namespace {

struct Exact {
  int d;
  double u(const double* x) const {
    return 1.0 + std::sin(M_PI * x[0]) * std::cos(M_PI * x[1]) * (d == 3 ? std::cos(M_PI * x[2]) : 1.0);
  }
  double lap(const double* x) const { return -d * M_PI * M_PI * (u(x) - 1.0); }
  void grad(const double* x, double* g) const {
    const double z = d == 3 ? std::cos(M_PI * x[2]) : 1.0;
    g[0] = M_PI * std::cos(M_PI * x[0]) * std::cos(M_PI * x[1]) * z;
    g[1] = -M_PI * std::sin(M_PI * x[0]) * std::sin(M_PI * x[1]) * z;
    if (d == 3) g[2] = -M_PI * std::sin(M_PI * x[0]) * std::cos(M_PI * x[1]) * std::sin(M_PI * x[2]);
  }
};

constexpr double kAlpha = 1.0, kBeta = 1.0;

struct Errors {
  double lap, bc, solve;
};

Errors errors(const NodeSet& nodes, int p, bool do_solve) {
  RbffdParams params;
  params.order = p;
  OperatorRequest req;
  req.robin = RobinCoefficients::constant(kAlpha, kBeta);
  const OperatorSet ops = assemble(nodes, params, req);
  const Exact ex{nodes.dim};
  Eigen::VectorXd u(nodes.size());
  for (long i = 0; i < nodes.size(); ++i) u[i] = ex.u(nodes.points.row(i).data());
  const Eigen::VectorXd Lu = multiply(ops.laplacian, u), Bu = multiply(ops.boundary, u);
  Eigen::VectorXd f(nodes.n_collocation()), g(nodes.n_boundary);
  for (long i = 0; i < f.size(); ++i) f[i] = ex.lap(nodes.points.row(i).data());
  for (long k = 0; k < g.size(); ++k) {
    const long i = nodes.n_interior + k;
    double gr[3];
    ex.grad(nodes.points.row(i).data(), gr);
    double dn = 0.0;
    for (int c = 0; c < nodes.dim; ++c) dn += gr[c] * nodes.normals(i, c);
    g[k] = kAlpha * dn + kBeta * u[i];
  }
  Errors e;
  e.lap = (Lu - f).cwiseAbs().maxCoeff() / f.cwiseAbs().maxCoeff();
  e.bc = (Bu - g).cwiseAbs().maxCoeff() / g.cwiseAbs().maxCoeff();
  e.solve = 0.0;
  if (do_solve) {
    const SolveResult s = solve_poisson(ops.laplacian, ops.boundary, f, g);
    EXPECT_LT(s.residual, 1e-9);
    const long nc = nodes.n_collocation();
    e.solve = (s.u.head(nc) - u.head(nc)).norm() / u.head(nc).norm();
  }
  return e;
}

void check_orders(int dim, int p, const std::vector<double>& hs, bool do_solve) {
  std::vector<double> el, eb, es;
  for (double h : hs) {
    const NodeSet nodes = dim == 2 ? rbffd_test::disk(h) : rbffd_test::ball(h);
    const Errors e = errors(nodes, p, do_solve);
    std::printf("d=%d p=%d h=%.4f N=%ld  |Lu-f|/|f| %.3e  |Bu-g|/|g| %.3e  solve rel l2 %.3e\n",
                dim, p, h, static_cast<long>(nodes.size()), e.lap, e.bc, e.solve);
    el.push_back(e.lap);
    eb.push_back(e.bc);
    es.push_back(e.solve);
  }
  const double ol = rbffd_test::fitted_order(hs, el), ob = rbffd_test::fitted_order(hs, eb);
  std::printf("d=%d p=%d observed order: L %.2f  B %.2f", dim, p, ol, ob);
  EXPECT_NEAR(ol, p, 0.5) << "Laplacian, d " << dim << " p " << p;
  EXPECT_NEAR(ob, p, 0.5) << "boundary operator, d " << dim << " p " << p;
  if (do_solve) {
    const double os = rbffd_test::fitted_order(hs, es);
    std::printf("  solve %.2f", os);
    EXPECT_GT(os, p - 0.5) << "classical solve, d " << dim << " p " << p;
  }
  std::printf("\n");
}

TEST(Convergence2D, Order2) { check_orders(2, 2, {0.08, 0.056, 0.04, 0.028}, true); }
TEST(Convergence2D, Order3) { check_orders(2, 3, {0.08, 0.056, 0.04, 0.028}, true); }
TEST(Convergence2D, Order4) { check_orders(2, 4, {0.08, 0.056, 0.04, 0.028}, true); }
TEST(Convergence2D, Order5) { check_orders(2, 5, {0.1, 0.07, 0.05, 0.035}, true); }

}  // namespace
