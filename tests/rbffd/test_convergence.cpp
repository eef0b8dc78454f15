// Convergence of the assembled operators on u = 1 + sin(pi x) cos(pi y) [cos(pi z)] in the
// unit disk / ball with ghost nodes: the max error of L u (all Ni + Nb rows) and of B u falls
// like h^p, and the classical solve converges at order ~p. Orders are least-squares slopes of
// log(err) against log(h) over 4 (2D) or 7 (3D, see check_orders_ball) node sets.
#include <gtest/gtest.h>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/solve.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

using namespace dtpinn::rbffd;
using rbffd_test::NodeSet;

namespace {

// u = 1 + sin(k x) cos(k y) [cos(k z)], k = pi: the paper's solution, extended to 3D.
struct Exact {
  int d;
  double k = M_PI;
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
  double lap_interior;     // relative max-norm error of L u over the interior rows
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
  e.lap_interior = (Lu - f).head(nodes.n_interior).cwiseAbs().maxCoeff() / f.cwiseAbs().maxCoeff();
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

// The classical solve's order lies in [p - 0.5, p + 1] for even p. For odd p its error gains
// about one order over the operators' (the stencils' odd error terms largely cancel in the
// solution): measured solve orders 2D 2.14, 3.42, 4.66, 5.81 and 3D 2.04, 4.24, 4.37, 6.44 for
// p = 2..5, so odd p gets [p - 0.5, p + 2].
double solve_order_ceiling(int p) {
  return p % 2 == 0 ? p + 1.0 : p + 2.0;
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
    EXPECT_LT(os, solve_order_ceiling(p)) << "classical solve, d " << dim << " p " << p;
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

// 3D: nodegen's unit ball (quasi-uniform, ghosts at nodegen's 3D default of 0.5 h), h ~
// Nc^(-1/3), k = pi, max-norm errors over all rows of L (interior and boundary) and of B,
// least-squares orders over 7 node counts (N = 2000..16000 requested, a factor sqrt(2) apart:
// in 3D a doubling of h costs 8x the nodes, and 4 counts leave the fit at the mercy of one
// boundary stencil). Orders of the max error over the boundary rows of L / of B, measured
// with seeds 1, 2, 3 (a throw-away sweep; this test uses seed 3):
//   p=2 2.07 1.82 2.03 / 2.06 1.94 1.98    p=3 2.96 2.87 2.93 / 3.43 3.28 3.14
//   p=4 3.97 3.99 3.86 / 3.82 3.96 4.18    p=5 4.71 5.17 5.17 / 4.61 4.71 4.95
// and this test prints, over all rows of L / for B: 1.88 / 1.98, 3.15 / 3.14, 3.97 / 4.18,
// 4.81 / 4.95 (17 s on 2 cores). With the paper's rule in 3D (ghosts at 1.0 h, boundary
// stencils of 2 x binom(l + 3, 3) + 1 nodes) the same sweep gave L boundary rows 2.15-2.79 at
// p = 3 and 2.57-3.38 at p = 4, and B 3.31-3.87 at p = 4 (see params.hpp).
// The classical solve runs at every node count for p = 2 and, to keep the suite's time (the
// solve is single-threaded: 1.7 s at p = 5 and N = 16000), at 2000, 4000 and 8000 for p >= 3.
// Solve orders over all 7 counts / over these 3, measured: p = 3 4.24 / 4.39, p = 4 4.37 / 4.43,
// p = 5 6.44 / 6.46.
void check_orders_ball(int p, bool do_solve) {
  std::vector<double> hs, el, eli, eb, elr, ebr, hs_solve, es;
  int k = 0;
  for (long n : {2000, 2800, 4000, 5700, 8000, 11300, 16000}) {
    const NodeSet nodes = dtpinn::nodegen::make_nodes("ball", n, 3, true);
    const bool solve_here = do_solve && (p == 2 || (k % 2 == 0 && k <= 4));
    ++k;
    const Errors e = errors(nodes, p, solve_here);
    hs.push_back(std::cbrt(1.0 / static_cast<double>(nodes.n_collocation())));
    el.push_back(e.lap);
    eli.push_back(e.lap_interior);
    eb.push_back(e.bc);
    elr.push_back(e.lap_rms);
    ebr.push_back(e.bc_rms);
    if (solve_here) {
      hs_solve.push_back(hs.back());
      es.push_back(e.solve);
    }
    std::printf(
        "ball p=%d N=%ld  max: L interior %.3e  L %.3e  B %.3e  rms: L %.3e  B %.3e  solve "
        "%.3e\n",
        p, static_cast<long>(nodes.size()), e.lap_interior, e.lap, e.bc, e.lap_rms, e.bc_rms,
        e.solve);
  }
  using rbffd_test::fitted_order;
  const double oli = fitted_order(hs, eli), ol = fitted_order(hs, el), ob = fitted_order(hs, eb),
               olr = fitted_order(hs, elr), obr = fitted_order(hs, ebr);
  std::printf(
      "ball p=%d observed orders: max L interior %.2f | max L %.2f  max B %.2f | rms L %.2f  rms "
      "B %.2f",
      p, oli, ol, ob, olr, obr);
  EXPECT_NEAR(oli, p, 0.5) << "Laplacian (interior rows, max norm), ball, p " << p;
  EXPECT_NEAR(ol, p, 0.5) << "Laplacian (all rows, max norm), ball, p " << p;
  EXPECT_NEAR(ob, p, 0.5) << "boundary operator (max norm), ball, p " << p;
  for (double o : {olr, obr}) {
    EXPECT_GT(o, p - 0.5) << "relative l2 error, ball, p " << p;
    EXPECT_LT(o, p + 1.0) << "relative l2 error, ball, p " << p;
  }
  if (do_solve) {
    const double os = fitted_order(hs_solve, es);
    std::printf("  solve %.2f", os);
    EXPECT_GT(os, p - 0.5) << "classical solve, ball, p " << p;
    EXPECT_LT(os, solve_order_ceiling(p)) << "classical solve, ball, p " << p;
  }
  std::printf("\n");
}

TEST(Convergence3D, Order2) {
  check_orders_ball(2, true);
}
TEST(Convergence3D, Order3) {
  check_orders_ball(3, true);
}
TEST(Convergence3D, Order4) {
  check_orders_ball(4, true);
}
TEST(Convergence3D, Order5) {
  check_orders_ball(5, true);
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

// Solves R = lap(u) - r(u) - f = 0 with du/dn + u = g (f, g derived from the paper's u) by
// Newton (core::solve_equation, the one Newton loop); returns the relative l2 error at the
// collocation nodes.
double newton_error(const NodeSet& nodes, const RbffdParams& params, const std::string& reaction,
                    bool expect_boundary_pde_rows, const char* what) {
  dtpinn::core::ProblemConfig pc;
  pc.equation = "lap(u) - " + reaction + " - f";
  pc.exact = "1 + sin(pi*x)*cos(pi*y)";
  const dtpinn::core::Problem problem(pc, nodes.dim);
  const auto boundary = problem.assign_boundary(nodes);
  OperatorRequest req;
  req.robin = {boundary.alpha, boundary.beta, boundary.normals};
  const OperatorSet ops = assemble(nodes, params, req);
  const SolveResult s =
      dtpinn::core::solve_equation(problem, nodes, ops.laplacian, ops.gradient, ops.boundary,
                                   problem.boundary_data(nodes, boundary));
  const long nc = nodes.n_collocation();
  const Eigen::VectorXd exact = problem.exact(nodes.points.topRows(nc));
  const double err = (s.u.head(nc) - exact).norm() / exact.norm();
  std::printf("%s: N %ld, %d Newton iterations, residual %.1e, rel l2 error %.2e\n", what,
              static_cast<long>(nodes.size()), s.newton_iterations, s.residual, err);
  EXPECT_EQ(s.used_boundary_pde_rows, expect_boundary_pde_rows) << what;
  EXPECT_LT(s.residual, 1e-10) << what;
  EXPECT_GE(s.newton_iterations, 2) << what;
  EXPECT_LT(s.newton_iterations, 15) << what;
  return err;
}

// Nonlinear Poisson Lap u = exp(u) + f (Newton on the same [L; B] system) and the no-ghost
// variant (PDE rows of the boundary nodes dropped) both reach the p = 4 accuracy.
TEST(Solve, NonlinearNewtonAndNoGhosts) {
  for (bool ghosts : {true, false}) {
    const NodeSet nodes = rbffd_test::disk(0.05, ghosts);
    const double err = newton_error(nodes, RbffdParams{}, "exp(u)", ghosts,
                                    ghosts ? "exp(u), ghosts" : "exp(u), no ghosts");
    EXPECT_LT(err, ghosts ? 5e-5 : 2e-4);  // one-sided boundary stencils without ghosts
  }
}

// Newton with r(u) = u^3 and r(u) = sin(u) converges at order ~p in h, like the linear solve
// (least-squares slope over 4 disks, with ghosts).
TEST(Solve, NewtonWithOtherNonlinearitiesConvergesAtOrderP) {
  const std::vector<const char*> reactions = {"u^3", "sin(u)"};
  const std::vector<double> hs = {0.08, 0.056, 0.04, 0.028};
  for (int p : {3, 4}) {
    RbffdParams params;
    params.order = p;
    std::vector<std::vector<double>> errs(reactions.size());
    for (double h : hs) {
      const NodeSet nodes = rbffd_test::disk(h);
      for (std::size_t c = 0; c < reactions.size(); ++c)
        errs[c].push_back(newton_error(nodes, params, reactions[c], true, reactions[c]));
    }
    for (std::size_t c = 0; c < reactions.size(); ++c) {
      const double order = rbffd_test::fitted_order(hs, errs[c]);
      std::printf("r(u) = %s, p = %d: Newton solve observed order %.2f\n", reactions[c], p, order);
      EXPECT_GT(order, p - 0.5) << reactions[c] << " p " << p;
      EXPECT_LT(order, p + 1.5) << reactions[c] << " p " << p;
    }
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
