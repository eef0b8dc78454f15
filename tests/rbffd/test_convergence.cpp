// Convergence of the assembled operators on u = 1 + sin(pi x) cos(pi y) [cos(pi z)] in the
// unit disk / ball with ghost nodes: the max error of L u (all Ni + Nb rows) and of B u falls
// like h^p, and the classical solve converges at order ~p. Orders are least-squares slopes of
// log(err) against log(h) over 4 node sets.
#include <gtest/gtest.h>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <cmath>

#include "test_support.hpp"

using namespace dtpinn::rbffd;
using rbffd_test::NodeSet;

namespace {

// u = 1 + sin(k x) cos(k y) [cos(k z)], k = pi in 2D (the paper's solution). In 3D the
// affordable node counts (N <= 10^4, ~20 nodes per diameter) are pre-asymptotic for k = pi
// (observed orders 1.7 / 2.3 / 3.2 for p = 2 / 3 / 4), so the ball uses k = pi / 2.
struct Exact {
  int d;
  double k = d == 3 ? M_PI / 2 : M_PI;
  double u(const double* x) const {
    return 1.0 + std::sin(k * x[0]) * std::cos(k * x[1]) * (d == 3 ? std::cos(k * x[2]) : 1.0);
  }
  double lap(const double* x) const { return -d * k * k * (u(x) - 1.0); }
  void grad(const double* x, double* g) const {
    const double z = d == 3 ? std::cos(k * x[2]) : 1.0;
    g[0] = k * std::cos(k * x[0]) * std::cos(k * x[1]) * z;
    g[1] = -k * std::sin(k * x[0]) * std::sin(k * x[1]) * z;
    if (d == 3) g[2] = -k * std::sin(k * x[0]) * std::cos(k * x[1]) * std::sin(k * x[2]);
  }
};

constexpr double kAlpha = 1.0, kBeta = 1.0;

struct Errors {
  double lap, bc, solve;   // relative max-norm errors of L u and B u; relative l2 of the solve
  double lap_rms, bc_rms;  // relative root-mean-square errors of L u and B u
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
  e.lap_rms = (Lu - f).norm() / f.norm();
  e.bc_rms = (Bu - g).norm() / g.norm();
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

TEST(Convergence2D, Order2) {
  check_orders(2, 2, {0.06, 0.042, 0.03, 0.021}, true);
}
TEST(Convergence2D, Order3) {
  check_orders(2, 3, {0.08, 0.056, 0.04, 0.028}, true);
}
TEST(Convergence2D, Order4) {
  check_orders(2, 4, {0.08, 0.056, 0.04, 0.028}, true);
}
TEST(Convergence2D, Order5) {
  check_orders(2, 5, {0.1, 0.07, 0.05, 0.035}, true);
}

// 3D: nodegen's unit ball (quasi-uniform), h ~ N^(-1/3); fewer and coarser node sets. At
// these sizes the max-norm error is set by a few irregular nodes near the sphere and wanders
// (printed), so the 3D orders are fitted to the relative l2 (RMS) errors over all rows.
void check_orders_ball(int p, const std::vector<long>& ns, bool do_solve) {
  std::vector<double> hs, el, eb, es;
  for (long n : ns) {
    const NodeSet nodes = dtpinn::nodegen::make_nodes("ball", n, 3, true);
    const Errors e = errors(nodes, p, do_solve);
    hs.push_back(std::cbrt(1.0 / static_cast<double>(nodes.n_collocation())));
    el.push_back(e.lap_rms);
    eb.push_back(e.bc_rms);
    es.push_back(e.solve);
    std::printf("ball p=%d N=%ld  max: L %.3e  B %.3e  rms: L %.3e  B %.3e  solve %.3e\n", p,
                static_cast<long>(nodes.size()), e.lap, e.bc, e.lap_rms, e.bc_rms, e.solve);
  }
  const double ol = rbffd_test::fitted_order(hs, el), ob = rbffd_test::fitted_order(hs, eb);
  std::printf("ball p=%d observed order (rms): L %.2f  B %.2f", p, ol, ob);
  // Coarse 3D sets converge at p or slightly faster (pre-asymptotic): [p - 0.5, p + 1].
  EXPECT_GT(ol, p - 0.5) << "Laplacian, ball, p " << p;
  EXPECT_LT(ol, p + 1.0) << "Laplacian, ball, p " << p;
  EXPECT_GT(ob, p - 0.5) << "boundary operator, ball, p " << p;
  EXPECT_LT(ob, p + 1.0) << "boundary operator, ball, p " << p;
  if (do_solve) {
    const double os = rbffd_test::fitted_order(hs, es);
    std::printf("  solve %.2f", os);
    EXPECT_GT(os, p - 0.5) << "classical solve, ball, p " << p;
  }
  std::printf("\n");
}

TEST(Convergence3D, Order2) {
  check_orders_ball(2, {1000, 2000, 4000, 8000}, true);
}
TEST(Convergence3D, Order3) {
  check_orders_ball(3, {1000, 2000, 4000, 8000}, false);
}
TEST(Convergence3D, Order4) {
  check_orders_ball(4, {1000, 2000, 4000, 8000}, false);
}

// The node generator's disk (nodegen::make_nodes, ghosts on), h ~ N^(-1/2).
TEST(ConvergenceNodegenDisk, Order4) {
  std::vector<double> hs, el, eb, es;
  for (long n : {800, 1600, 3200, 6400}) {
    const NodeSet nodes = dtpinn::nodegen::make_nodes("disk", n, 3, true);
    const Errors e = errors(nodes, 4, true);
    hs.push_back(1.0 / std::sqrt(static_cast<double>(nodes.n_collocation())));
    el.push_back(e.lap);
    eb.push_back(e.bc);
    es.push_back(e.solve);
    std::printf("nodegen disk N=%ld  L %.3e  B %.3e  solve %.3e\n", static_cast<long>(nodes.size()),
                e.lap, e.bc, e.solve);
  }
  const double ol = rbffd_test::fitted_order(hs, el), ob = rbffd_test::fitted_order(hs, eb),
               os = rbffd_test::fitted_order(hs, es);
  std::printf("nodegen disk p=4 observed order: L %.2f  B %.2f  solve %.2f\n", ol, ob, os);
  EXPECT_NEAR(ol, 4, 0.5);
  EXPECT_NEAR(ob, 4, 0.5);
  EXPECT_GT(os, 3.5);
}

}  // namespace

namespace {

// Nonlinear Poisson Lap u = exp(u) + f (Newton on the same [L; B] system) and the no-ghost
// variant (PDE rows of the boundary nodes dropped) both reach the p = 4 accuracy.
TEST(Solve, NonlinearNewtonAndNoGhosts) {
  const Exact ex{2};
  for (bool ghosts : {true, false}) {
    const NodeSet nodes = rbffd_test::disk(0.05, ghosts);
    RbffdParams params;
    const OperatorSet ops = assemble(nodes, params);
    const long nc = nodes.n_collocation();
    Eigen::VectorXd u(nodes.size()), f(nc), g(nodes.n_boundary);
    for (long i = 0; i < nodes.size(); ++i) u[i] = ex.u(nodes.points.row(i).data());
    for (long i = 0; i < nc; ++i) f[i] = ex.lap(nodes.points.row(i).data()) - std::exp(u[i]);
    for (long k = 0; k < nodes.n_boundary; ++k) {
      const long i = nodes.n_interior + k;
      double gr[2];
      ex.grad(nodes.points.row(i).data(), gr);
      g[k] = gr[0] * nodes.normals(i, 0) + gr[1] * nodes.normals(i, 1) + u[i];
    }
    SolveOptions so;
    so.nonlinear = true;
    const SolveResult s = solve_poisson(ops.laplacian, ops.boundary, f, g, so);
    const double err = (s.u.head(nc) - u.head(nc)).norm() / u.head(nc).norm();
    std::printf(
        "nonlinear Poisson, ghosts %d: N %ld, %d Newton iterations, residual %.1e, "
        "rel l2 error %.2e\n",
        ghosts, static_cast<long>(nodes.size()), s.newton_iterations, s.residual, err);
    EXPECT_EQ(s.used_boundary_pde_rows, ghosts);
    EXPECT_LT(s.residual, 1e-10);
    EXPECT_GE(s.newton_iterations, 2);
    EXPECT_LT(s.newton_iterations, 15);
    EXPECT_LT(err, ghosts ? 5e-5 : 2e-4);  // one-sided boundary stencils without ghosts
  }
}

TEST(Solve, ShapeMismatchIsAnError) {
  const NodeSet nodes = rbffd_test::disk(0.2);
  const OperatorSet ops = assemble(nodes, RbffdParams{});
  EXPECT_THROW(solve_poisson(ops.laplacian, ops.boundary, Eigen::VectorXd::Zero(3),
                             Eigen::VectorXd::Zero(nodes.n_boundary)),
               std::invalid_argument);
}

}  // namespace
