// The sparse solve backends (sparse_solve.hpp) on RBF-FD systems: every backend agrees with
// SparseLU on a square system; SPQR least squares recovers known solutions of tall,
// rank-deficient (pure Neumann) and wide consistent systems; factor reuse; the residual
// self-check and bad input. CsrBuilder (csr_block.hpp) block assembly.
#include <gtest/gtest.h>
#include <dtpinn/rbffd/csr_block.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/sparse_solve.hpp>

#include <cmath>

#include "common/test_util.hpp"
#include "test_support.hpp"

using namespace dtpinn::rbffd;
using dtpinn::test::error_of;

namespace {

// [L; B] on the disk with ghosts (square), and a smooth x at the nodes.
struct Scalar {
  CsrMatrix a;
  Eigen::VectorXd x;
  long n = 0;
};

Scalar scalar_system(double h, double alpha, double beta, int order = 4) {
  const auto nodes = rbffd_test::disk(h);
  RbffdParams params;
  params.order = order;
  OperatorRequest req;
  req.robin = RobinCoefficients::constant(alpha, beta);
  const OperatorSet ops = assemble(nodes, params, req);
  Scalar s;
  s.a = vstack(ops.laplacian, ops.boundary);
  s.n = nodes.size();
  s.x.resize(s.n);
  for (long i = 0; i < s.n; ++i)
    s.x[i] = std::sin(2.0 * nodes.points(i, 0)) * std::exp(nodes.points(i, 1));
  return s;
}

SparseSolveOptions backend(SparseBackend b) {
  SparseSolveOptions o;
  o.backend = b;
  return o;
}

// Robin and Dirichlet (value rows) boundary conditions.
TEST(SparseSolve, EveryBackendAgreesWithSparseLu) {
  for (const double alpha : {1.0, 0.0}) {
    const Scalar s = scalar_system(0.05, alpha, 1.0);
    const Eigen::VectorXd b = multiply(s.a, s.x);
    const SparseSolveResult ref = solve_sparse(s.a, b, backend(SparseBackend::sparse_lu));
    EXPECT_LT(ref.relative_residual, 1e-12);
    EXPECT_EQ(ref.rank, s.n);
    EXPECT_LT((ref.x - s.x).norm(), 1e-10 * s.x.norm());  // b was made from x
    for (const auto bk :
         {SparseBackend::bicgstab_ilut, SparseBackend::umfpack, SparseBackend::spqr}) {
      const SparseSolveResult r = solve_sparse(s.a, b, backend(bk));
      const double diff = (r.x - ref.x).norm() / ref.x.norm();
      std::printf("alpha %g %-9s %-34s relative residual %.1e, |x - x_SparseLU| / |x| %.1e\n",
                  alpha, to_string(bk), r.method.c_str(), r.relative_residual, diff);
      EXPECT_LT(diff, 1e-10) << to_string(bk) << " alpha " << alpha;
      EXPECT_LT(r.relative_residual, 1e-10) << to_string(bk) << " alpha " << alpha;
      EXPECT_EQ(r.nullity, 0) << to_string(bk);
    }
  }
}

// Tall: [L; B; Dx rows] has more rows than unknowns; b = A x is consistent, so least squares
// returns x itself.
TEST(SparseSolve, SpqrLeastSquaresRecoversTallAndRankDeficientSystems) {
  const Scalar s = scalar_system(0.07, 1.0, 1.0);
  const auto nodes = rbffd_test::disk(0.07);
  OperatorRequest req;
  req.laplacian = false;
  req.boundary = false;
  req.derivatives = {Derivative::dx};
  const CsrMatrix tall = vstack(s.a, assemble(nodes, {}, req).operators.at(Derivative::dx));
  const SparseSolveResult r = solve_sparse(tall, multiply(tall, s.x), backend(SparseBackend::spqr));
  EXPECT_LT((r.x - s.x).norm(), 1e-10 * s.x.norm());
  EXPECT_EQ(r.nullity, 0);
  EXPECT_LT(r.relative_residual, 1e-12);

  // Pure Neumann (beta = 0): constants are the null space; x is recovered up to a constant,
  // SPQR reports rank n - 1.
  const Scalar neumann = scalar_system(0.07, 1.0, 0.0);
  const SparseSolveResult q =
      solve_sparse(neumann.a, multiply(neumann.a, neumann.x), backend(SparseBackend::spqr));
  EXPECT_EQ(q.nullity, 1);
  const Eigen::VectorXd d = q.x - neumann.x;
  const double off = (d.array() - d.mean()).matrix().norm() / neumann.x.norm();
  std::printf("Neumann: %s, |x - x* - const| / |x*| %.1e, residual %.1e\n", q.method.c_str(), off,
              q.relative_residual);
  EXPECT_LT(off, 1e-10);
  // An LU backend refuses the singular matrix, or its answer fails the residual check.
  for (const auto bk : {SparseBackend::sparse_lu, SparseBackend::umfpack})
    EXPECT_THROW(
        solve_sparse(neumann.a,
                     multiply(neumann.a, neumann.x) + Eigen::VectorXd::Ones(neumann.a.rows),
                     backend(bk)),
        std::runtime_error)
        << to_string(bk);
}

// Wide: the last 6 boundary rows dropped (6 ghost values then have no equation), b consistent.
// The minimum-norm solution solves A x = b to rounding; the basic one (6 unknowns set to zero)
// is far longer (measured |x| 3.5e8 against 26) and only solves it to ~1e-6: free unknowns of
// an RBF-FD system are no basis to pin.
TEST(SparseSolve, SpqrSolvesWideConsistentSystems) {
  const Scalar s = scalar_system(0.07, 1.0, 1.0);
  const CsrMatrix wide = top_rows(s.a, s.a.rows - 6);
  const Eigen::VectorXd b = multiply(wide, s.x);
  SparseSolveOptions o = backend(SparseBackend::spqr);
  const SparseSolveResult basic = solve_sparse(wide, b, o);
  o.least_squares = LeastSquares::min_norm;
  const SparseSolveResult min_norm = solve_sparse(wide, b, o);
  std::printf("wide %d x %d: basic |x| %.3e residual %.1e, min-norm |x| %.3e residual %.1e\n",
              wide.rows, wide.cols, basic.x.norm(), basic.relative_residual, min_norm.x.norm(),
              min_norm.relative_residual);
  EXPECT_EQ(basic.nullity, 6);
  EXPECT_EQ(min_norm.nullity, 6);
  EXPECT_LT(min_norm.relative_residual, 1e-10);
  EXPECT_LT((multiply(wide, min_norm.x) - b).norm(), 1e-10 * b.norm());
  EXPECT_LE(min_norm.x.norm(), basic.x.norm());
}

// factorize() twice with one pattern (a Newton Jacobian): the second reuses the analysis and
// solves the new matrix.
TEST(SparseSolve, RefactorizingTheSamePatternSolvesTheNewMatrix) {
  const Scalar s = scalar_system(0.08, 1.0, 1.0);
  for (const auto bk : {SparseBackend::sparse_lu, SparseBackend::umfpack}) {
    SparseSolver solver(backend(bk));
    solver.factorize(s.a);
    EXPECT_LT((solver.solve(multiply(s.a, s.x)).x - s.x).norm(), 1e-10 * s.x.norm());
    CsrMatrix shifted = s.a;
    for (std::int32_t r = 0; r < shifted.rows; ++r)
      for (auto k = shifted.row_ptr[r]; k < shifted.row_ptr[r + 1]; ++k)
        if (shifted.col_idx[k] == r) shifted.values[k] -= 3.0;  // diag(-r'(u))
    solver.factorize(shifted);
    const SparseSolveResult r = solver.solve(multiply(shifted, s.x));
    EXPECT_LT((r.x - s.x).norm(), 1e-10 * s.x.norm()) << to_string(bk);
  }
}

// A Newton iteration's next Jacobian: the held LU preconditions BiCGSTAB on the nearby matrix
// (a small diagonal shift, as exp(u) changes between iterations; 6 iterations here): the solution
// of the new matrix in a few iterations; a matrix too far for the iterations allowed gives nullopt.
TEST(SparseSolve, TheHeldFactorisationSolvesANearbyMatrix) {
  const Scalar s = scalar_system(0.08, 1.0, 1.0);
  const auto shifted_by = [&s](double shift) {
    CsrMatrix m = s.a;
    for (std::int32_t r = 0; r < m.rows; ++r)
      for (auto k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k)
        if (m.col_idx[k] == r) m.values[k] -= shift;
    return m;
  };
  for (const auto bk : {SparseBackend::sparse_lu, SparseBackend::umfpack}) {
    SparseSolver solver(backend(bk));
    solver.factorize(s.a);
    const CsrMatrix near = shifted_by(0.3);
    const auto r = solver.solve_nearby(near, multiply(near, s.x), 40);
    ASSERT_TRUE(r.has_value()) << to_string(bk);
    EXPECT_LT((r->x - s.x).norm(), 1e-10 * s.x.norm()) << to_string(bk);
    EXPECT_LE(r->relative_residual, 1e-12) << to_string(bk);
    EXPECT_GT(r->iterations, 0);
    EXPECT_LT(r->iterations, 15) << to_string(bk);
    // The held factorisation is unchanged: it still solves the first matrix directly.
    EXPECT_LT((solver.solve(multiply(s.a, s.x)).x - s.x).norm(), 1e-10 * s.x.norm());
    const CsrMatrix far = shifted_by(5000.0);
    EXPECT_FALSE(solver.solve_nearby(far, multiply(far, s.x), 1).has_value()) << to_string(bk);
  }
  SparseSolver iterative(backend(SparseBackend::bicgstab_ilut));
  iterative.factorize(s.a);
  EXPECT_THROW(iterative.solve_nearby(s.a, s.x, 10), std::logic_error);
  SparseSolver lu(backend(SparseBackend::sparse_lu));
  EXPECT_THROW(lu.solve_nearby(s.a, s.x, 10), std::logic_error);  // before factorize()
}

TEST(SparseSolve, BadInputIsNamed) {
  const Scalar s = scalar_system(0.1, 1.0, 1.0);
  const CsrMatrix wide = top_rows(s.a, s.a.rows - 1);
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(wide.rows);
  EXPECT_NE(
      error_of([&] { solve_sparse(wide, b, backend(SparseBackend::umfpack)); }).find("use spqr"),
      std::string::npos);
  EXPECT_THROW(solve_sparse(s.a, b, backend(SparseBackend::spqr)), std::invalid_argument);
  Eigen::VectorXd nan_b = Eigen::VectorXd::Ones(s.a.rows);
  nan_b[3] = std::nan("");
  EXPECT_THROW(solve_sparse(s.a, nan_b), std::invalid_argument);
  SparseSolver fresh;
  EXPECT_THROW(fresh.solve(nan_b), std::logic_error);
  SparseSolveOptions bad;
  bad.max_relative_residual = 0.0;
  EXPECT_THROW(SparseSolver{bad}, std::invalid_argument);
  for (const auto bk : {SparseBackend::automatic, SparseBackend::sparse_lu,
                        SparseBackend::bicgstab_ilut, SparseBackend::umfpack, SparseBackend::spqr})
    EXPECT_EQ(sparse_backend_from_name(to_string(bk)), bk);
  EXPECT_FALSE(sparse_backend_from_name("cholesky").has_value());
}

// automatic: SparseLU below iterative_min_size, BiCGSTAB + ILUT from it, SPQR for any other
// shape.
TEST(SparseSolve, AutomaticPicksByShapeAndSize) {
  const Scalar s = scalar_system(0.07, 1.0, 1.0);
  const Eigen::VectorXd b = multiply(s.a, s.x);
  SparseSolveOptions o;
  EXPECT_EQ(o.backend, SparseBackend::automatic);
  o.iterative_min_size = s.a.rows + 1;
  EXPECT_EQ(solve_sparse(s.a, b, o).method, "SparseLU (COLAMD)");
  o.iterative_min_size = s.a.rows;
  EXPECT_EQ(solve_sparse(s.a, b, o).method.rfind("BiCGSTAB + ILUT", 0), 0u);
  const CsrMatrix wide = top_rows(s.a, s.a.rows - 2);
  o.least_squares = LeastSquares::min_norm;
  const SparseSolveResult r = solve_sparse(wide, multiply(wide, s.x), o);
  EXPECT_EQ(r.method.rfind("SPQR", 0), 0u);
  EXPECT_EQ(r.nullity, 2);
}

TEST(CsrBuilder, BlocksSumAndScaleRows) {
  CsrMatrix a;  // [[1 2] [0 3]]
  a.rows = a.cols = 2;
  a.row_ptr = {0, 2, 3};
  a.col_idx = {0, 1, 1};
  a.values = {1.0, 2.0, 3.0};
  CsrBuilder m(3, 4);
  m.add(0, 0, a);
  m.add(0, 1, a, 2.0);                                            // overlaps column 1 of the first
  m.add(2, 2, a, 1.0, 1, 1, Eigen::VectorXd::Constant(1, -1.0));  // row 1 of a, negated
  m.add_diagonal(1, 0, Eigen::Vector2d(5.0, 7.0));
  m.add_entry(0, 3, 0.0);  // an explicit zero is kept
  const CsrMatrix c = m.build();
  check_csr(c);
  Eigen::MatrixXd expect(3, 4);
  expect << 1, 4, 4, 0,  //
      5, 3, 6, 0,        //
      0, 7, 0, -3;
  EXPECT_EQ(to_dense(c), expect);
  EXPECT_EQ(c.nnz(), 9);  // (0,0) (0,1) (0,2) (0,3) | (1,0) (1,1) (1,2) | (2,1) (2,3)
  EXPECT_THROW(m.add(2, 3, a), std::invalid_argument);
  EXPECT_THROW(m.add(0, 0, a, 1.0, 0, 2, Eigen::VectorXd::Ones(3)), std::invalid_argument);
  EXPECT_THROW(m.add_entry(3, 0, 1.0), std::invalid_argument);
}

}  // namespace
