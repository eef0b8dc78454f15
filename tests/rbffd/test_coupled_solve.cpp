// A coupled 3-field Stokes-type system (stokes_system.hpp: Dirichlet velocity, a pressure
// without a boundary condition) assembled from rbffd's operators and solved as one sparse
// system: the velocity converges at order ~p when the pressure has no ghost unknowns (square,
// singular by the constant pressure: SPQR; or bordered: any LU), and does not when the
// pressure keeps ghost unknowns that no equation determines (wide: the basic or minimum-norm
// solution picks arbitrary ghost pressures).
#include <gtest/gtest.h>
#include <dtpinn/rbffd/sparse_solve.hpp>

#include <cstdio>
#include <vector>

#include "stokes_system.hpp"
#include "test_support.hpp"

using namespace dtpinn::rbffd;
using rbffd_test::PressureLayout;

namespace {

struct Run {
  const char* name;
  PressureLayout layout;
  SparseSolveOptions options;
};

struct Orders {
  double velocity, pressure;
  std::vector<double> velocity_errors;
};

Orders sweep(const Run& run, int p, const std::vector<double>& hs) {
  std::vector<double> ev, ep;
  for (const double h : hs) {
    const auto nodes = rbffd_test::disk(h);
    const auto sys = rbffd_test::stokes_system(nodes, p, run.layout);
    const SparseSolveResult r = solve_sparse(sys.a, sys.b, run.options);
    const auto e = rbffd_test::stokes_errors(sys, r.x);
    std::printf(
        "%-22s p=%d h=%.3f %7d x %7d  %-22s residual %.1e optimality %.1e nullity %ld  "
        "velocity %.2e  pressure %.2e\n",
        run.name, p, h, sys.a.rows, sys.a.cols, r.method.c_str(), r.relative_residual,
        r.optimality_residual, r.nullity, e.velocity, e.pressure);
    ev.push_back(e.velocity);
    ep.push_back(e.pressure);
  }
  const Orders o{rbffd_test::fitted_order(hs, ev), rbffd_test::fitted_order(hs, ep), ev};
  std::printf("%-22s p=%d orders: velocity %.2f pressure %.2f\n", run.name, p, o.velocity,
              o.pressure);
  return o;
}

SparseSolveOptions with(SparseBackend b, LeastSquares ls = LeastSquares::basic) {
  SparseSolveOptions o;
  o.backend = b;
  o.least_squares = ls;
  return o;
}

// No ghost unknowns for the pressure: the square system has the constant pressure as its one
// null vector; SPQR finds rank n - 1 and the velocity converges at order ~p. Measured (p = 4,
// h = 0.1 .. 0.035): velocity 6.5e-6 .. 1.4e-7, order 3.73; pressure (mean removed) order 3.26.
// At p = 3 the order is 2.1 over h = 0.1 .. 0.05, 2.9 between 0.05 and 0.035 (pre-asymptotic:
// not tested here, the QR of the finer systems costs too much for a unit test).
TEST(CoupledSolve, StokesWithoutPressureGhostsBySpqrConvergesAtOrderP) {
  const int p = 4;
  const Orders o =
      sweep({"no p ghosts, SPQR", PressureLayout::no_ghosts, with(SparseBackend::spqr)}, p,
            {0.1, 0.07, 0.05});
  EXPECT_NEAR(o.velocity, p, 0.5);
  EXPECT_GT(o.pressure, p - 1.0);
}

// The same system bordered (mean pressure row, lambda column): square and nonsingular; UMFPACK
// and SparseLU give the same solution, the velocity converges at order ~p with errors ~5x
// below SPQR's on the singular system (the compatibility defect goes to lambda alone instead of
// being spread over every row by least squares).
TEST(CoupledSolve, BorderedStokesByLuConvergesAtOrderP) {
  const int p = 4;
  const Orders umf =
      sweep({"bordered, UMFPACK", PressureLayout::bordered, with(SparseBackend::umfpack)}, p,
            {0.1, 0.07, 0.05, 0.035});
  EXPECT_NEAR(umf.velocity, p, 0.5);
  EXPECT_GT(umf.pressure, p - 1.0);
  EXPECT_LT(umf.velocity_errors.back(), 5e-8);
  const auto nodes = rbffd_test::disk(0.07);
  const auto sys = rbffd_test::stokes_system(nodes, p, PressureLayout::bordered);
  const auto a = solve_sparse(sys.a, sys.b, with(SparseBackend::umfpack));
  const auto b = solve_sparse(sys.a, sys.b, with(SparseBackend::sparse_lu));
  EXPECT_LT((a.x - b.x).norm(), 1e-10 * a.x.norm());
  EXPECT_LT(std::abs(a.x[sys.a.cols - 1]), 1e-4);  // lambda: the discrete compatibility defect
}

// Ghost unknowns for the pressure, with no equation to fix them: the wide system (Nb more
// unknowns than rows) has a residual of ~1e-12, but its solutions differ by free ghost
// pressures, and the minimum-norm one is no approximation (velocity error ~5e-3 at every h,
// 1e4 times the error without pressure ghosts; the basic solution is worse: 4e5 at h = 0.1).
TEST(CoupledSolve, StokesWithPressureGhostsIsUnderdetermined) {
  const Orders o = sweep({"p ghosts, SPQR min-norm", PressureLayout::ghosts,
                          with(SparseBackend::spqr, LeastSquares::min_norm)},
                         4, {0.1, 0.07});
  for (const double e : o.velocity_errors) EXPECT_GT(e, 1e-3);
}

}  // namespace
