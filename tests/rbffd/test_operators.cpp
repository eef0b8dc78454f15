// Assembled operators: shapes and ordering, sorted columns, exactness on polynomials through
// the whole pipeline (stencils with ghosts, B with per-node alpha/beta, evaluation at new
// points), determinism across thread counts, bad input.
#include <gtest/gtest.h>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <cmath>
#include <random>

#include "common/test_util.hpp"
#include "test_support.hpp"

using namespace dtpinn::rbffd;
using dtpinn::test::error_of;
using rbffd_test::NodeSet;
using rbffd_test::PointMatrix;

namespace {

// q(x) = (1 + a.x)^l + (0.5 - b.x)^(l-1): a generic polynomial of degree l.
struct Poly {
  int d, l;
  double a[3] = {0.3, -0.7, 0.4}, b[3] = {-0.2, 0.5, 0.6};
  double u(const double* x) const {
    double s = 1.0, t = 0.5;
    for (int c = 0; c < d; ++c) s += a[c] * x[c], t -= b[c] * x[c];
    return std::pow(s, l) + std::pow(t, l - 1);
  }
  void grad(const double* x, double* g) const {
    double s = 1.0, t = 0.5;
    for (int c = 0; c < d; ++c) s += a[c] * x[c], t -= b[c] * x[c];
    for (int c = 0; c < d; ++c)
      g[c] = l * std::pow(s, l - 1) * a[c] - (l - 1) * std::pow(t, l - 2) * b[c];
  }
  double lap(const double* x) const {
    double s = 1.0, t = 0.5, aa = 0.0, bb = 0.0;
    for (int c = 0; c < d; ++c)
      s += a[c] * x[c], t -= b[c] * x[c], aa += a[c] * a[c], bb += b[c] * b[c];
    return l * (l - 1) * std::pow(s, l - 2) * aa + (l - 1) * (l - 2) * std::pow(t, l - 3) * bb;
  }
};

Eigen::VectorXd sample(const Poly& q, const PointMatrix& x) {
  Eigen::VectorXd v(x.rows());
  for (long i = 0; i < x.rows(); ++i) v[i] = q.u(x.row(i).data());
  return v;
}

double rel_max(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
}

TEST(Operators, ShapesOrderingAndSortedColumns) {
  const NodeSet nodes = rbffd_test::disk(0.1);
  RbffdParams params;
  OperatorRequest req;
  req.gradient = true;
  const OperatorSet ops = assemble(nodes, params, req);
  const long N = nodes.size(), Nc = nodes.n_collocation(), Nb = nodes.n_boundary;
  ASSERT_EQ(N, nodes.n_interior + 2 * Nb);
  EXPECT_EQ(ops.laplacian.rows, Nc);
  EXPECT_EQ(ops.laplacian.cols, N);
  EXPECT_EQ(ops.boundary.rows, Nb);
  EXPECT_EQ(ops.boundary.cols, N);
  ASSERT_EQ(ops.gradient.size(), 2u);
  EXPECT_EQ(ops.gradient[1].rows, Nc);
  EXPECT_EQ(ops.laplacian.nnz(), Nc * 43);  // p = 4, 2D: n = 43
  EXPECT_EQ(ops.boundary.nnz(), Nb * 31);
  for (const CsrMatrix* m : {&ops.laplacian, &ops.boundary, &ops.gradient[0]}) check_csr(*m);
  // Row i of L is node i's stencil (it contains i); row k of B is boundary node Ni + k's.
  bool ghost_used = false;
  for (int r = 0; r < ops.laplacian.rows; ++r) {
    const auto* b = &ops.laplacian.col_idx[ops.laplacian.row_ptr[r]];
    const auto* e = &ops.laplacian.col_idx[ops.laplacian.row_ptr[r + 1]];
    EXPECT_TRUE(std::binary_search(b, e, r)) << "row " << r;
    if (r >= nodes.n_interior) ghost_used |= (e[-1] >= nodes.ghost_begin());
  }
  EXPECT_TRUE(ghost_used) << "boundary stencils should reach the ghost nodes";
  for (int k = 0; k < ops.boundary.rows; ++k) {
    const auto* b = &ops.boundary.col_idx[ops.boundary.row_ptr[k]];
    const auto* e = &ops.boundary.col_idx[ops.boundary.row_ptr[k + 1]];
    EXPECT_TRUE(std::binary_search(b, e, static_cast<int>(nodes.n_interior + k)));
  }
  ASSERT_EQ(ops.info.size(), 4u);
  EXPECT_EQ(ops.info[0].name, "L");
  EXPECT_EQ(ops.info.back().name, "B");
}

// 3D: rows centred at boundary nodes (L's last Nb rows, B, the gradient's last Nb rows) have
// the larger boundary stencil, and are still exact on polynomials of the rule's degree.
TEST(Operators, BoundaryRowsHaveTheBoundaryStencil3D) {
  const NodeSet nodes = rbffd_test::ball(0.14);
  RbffdParams params;
  params.order = 3;
  OperatorRequest req;
  req.gradient = true;
  req.robin = RobinCoefficients::constant(0.7, 1.3);
  const OperatorSet ops = assemble(nodes, params, req);
  const StencilRule rl = stencil_rule(params, 2, 3), rb = stencil_rule(params, 1, 3);
  ASSERT_GT(rl.boundary_size, rl.size);
  const long Ni = nodes.n_interior, Nc = nodes.n_collocation();
  for (long r = 0; r < Nc; ++r) {
    const int len = ops.laplacian.row_ptr[r + 1] - ops.laplacian.row_ptr[r];
    ASSERT_EQ(len, r < Ni ? rl.size : rl.boundary_size) << "L row " << r;
    const int glen = ops.gradient[2].row_ptr[r + 1] - ops.gradient[2].row_ptr[r];
    ASSERT_EQ(glen, r < Ni ? rb.size : rb.boundary_size) << "Dz row " << r;
  }
  EXPECT_EQ(ops.boundary.nnz(), nodes.n_boundary * rb.boundary_size);
  for (const CsrMatrix* m : {&ops.laplacian, &ops.boundary, &ops.gradient[0]}) check_csr(*m);
  const Poly qL{3, rl.degree}, qB{3, rb.degree};
  const Eigen::VectorXd Lu = multiply(ops.laplacian, sample(qL, nodes.points));
  const Eigen::VectorXd Bu = multiply(ops.boundary, sample(qB, nodes.points));
  Eigen::VectorXd lap(Nc), bc(nodes.n_boundary);
  for (long i = 0; i < Nc; ++i) lap[i] = qL.lap(nodes.points.row(i).data());
  for (long k = 0; k < nodes.n_boundary; ++k) {
    const double* x = nodes.points.row(Ni + k).data();
    double g[3];
    qB.grad(x, g);
    double dn = 0.0;
    for (int c = 0; c < 3; ++c) dn += g[c] * nodes.normals(Ni + k, c);
    bc[k] = 0.7 * dn + 1.3 * qB.u(x);
  }
  EXPECT_LT(rel_max(Lu, lap), 1e-10);
  EXPECT_LT(rel_max(Bu, bc), 1e-10);
}

TEST(Operators, DeterministicAcrossThreadCounts) {
  const NodeSet nodes = rbffd_test::disk(0.08, true, 7);
  RbffdParams one, two;
  one.threads = 1;
  two.threads = 2;
  const auto a = assemble(nodes, one), b = assemble(nodes, two);
  EXPECT_EQ(a.laplacian.col_idx, b.laplacian.col_idx);
  EXPECT_EQ(a.laplacian.values, b.laplacian.values);  // bitwise
  EXPECT_EQ(a.boundary.values, b.boundary.values);
}

// assemble_rows at a subset of the nodes, in any order, with repeats: bitwise the rows of the
// whole assembly (2D, and 3D where boundary rows have larger stencils), per-node Robin rows.
TEST(Operators, RowsAtChosenNodesEqualTheWholeAssembly) {
  for (int d : {2, 3}) {
    const NodeSet nodes = d == 2 ? rbffd_test::disk(0.1) : rbffd_test::ball(0.25);
    const long Ni = nodes.n_interior, Nc = nodes.n_collocation();
    RobinCoefficients robin;
    robin.alpha = Eigen::VectorXd::LinSpaced(nodes.n_boundary, 0.0, 2.0);
    robin.beta = Eigen::VectorXd::LinSpaced(nodes.n_boundary, 1.5, -0.5);
    OperatorRequest req;
    req.robin = robin;
    RbffdParams params;
    params.order = 3;
    const OperatorSet all = assemble(nodes, params, req);
    RowRequest some;
    some.robin = robin;
    for (long i = Nc - 1; i >= 0; i -= 3) {  // every third node, backwards
      some.laplacian_nodes.push_back(static_cast<std::int32_t>(i));
      if (i >= Ni) some.boundary_nodes.push_back(static_cast<std::int32_t>(i));
    }
    some.laplacian_nodes.push_back(some.laplacian_nodes.front());
    const dtpinn::nodegen::KnnIndex tree(nodes.points);
    const OperatorRows rows = assemble_rows(nodes, params, some, &tree);
    auto expect_rows = [](const CsrMatrix& sub, const CsrMatrix& whole,
                          const std::vector<std::int32_t>& at, long offset) {
      ASSERT_EQ(sub.rows, static_cast<std::int32_t>(at.size()));
      ASSERT_EQ(sub.cols, whole.cols);
      for (std::int32_t r = 0; r < sub.rows; ++r) {
        const auto w = at[r] - offset;
        const auto b = whole.row_ptr[w], n = whole.row_ptr[w + 1] - b;
        ASSERT_EQ(sub.row_ptr[r + 1] - sub.row_ptr[r], n) << "row " << r;
        for (std::int32_t q = 0; q < n; ++q) {
          ASSERT_EQ(sub.col_idx[sub.row_ptr[r] + q], whole.col_idx[b + q]) << "row " << r;
          ASSERT_EQ(sub.values[sub.row_ptr[r] + q], whole.values[b + q]) << "row " << r;
        }
      }
    };
    expect_rows(rows.laplacian, all.laplacian, some.laplacian_nodes, 0);
    expect_rows(rows.boundary, all.boundary, some.boundary_nodes, Ni);
    EXPECT_EQ(rows.info.size(), 2u);
    RowRequest bad = some;
    bad.boundary_nodes.push_back(0);  // an interior node has no row of B
    EXPECT_NE(error_of([&] { assemble_rows(nodes, params, bad); }).find("not a boundary node"),
              std::string::npos);
    bad = some;
    bad.laplacian_nodes.push_back(static_cast<std::int32_t>(Nc));  // a ghost has no row of L
    EXPECT_THROW(assemble_rows(nodes, params, bad), std::invalid_argument);
  }
}

// Dirichlet rows (alpha = 0) of B are beta on the centre node's own column and 0 elsewhere.
TEST(Operators, DirichletRowsAreBetaAtTheCentreNode) {
  const NodeSet nodes = rbffd_test::ball(0.3);
  const CsrMatrix B = boundary_operator(nodes, 0.0, 2.5);
  for (std::int32_t k = 0; k < B.rows; ++k)
    for (auto q = B.row_ptr[k]; q < B.row_ptr[k + 1]; ++q)
      ASSERT_EQ(B.values[q], B.col_idx[q] == nodes.n_interior + k ? 2.5 : 0.0) << "row " << k;
}

class AssembledExactness : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(AssembledExactness, PolynomialsOfDegreeL) {
  const auto [d, p] = GetParam();
  const NodeSet nodes = d == 2 ? rbffd_test::disk(0.1) : rbffd_test::ball(0.25);
  RbffdParams params;
  params.order = p;
  // Per-node Robin coefficients (mixed Dirichlet / Neumann / Robin rows).
  OperatorRequest req;
  req.gradient = true;
  req.robin.alpha.resize(nodes.n_boundary);
  req.robin.beta.resize(nodes.n_boundary);
  for (long k = 0; k < nodes.n_boundary; ++k) {
    req.robin.alpha[k] = (k % 3 == 0) ? 0.0 : 1.0 + 0.1 * (k % 5);
    req.robin.beta[k] = (k % 3 == 1) ? 0.0 : 2.0 - 0.1 * (k % 7);
  }
  const OperatorSet ops = assemble(nodes, params, req);
  const long Nc = nodes.n_collocation();
  // L: degree l = p + 1; gradient and B: degree p.
  const Poly qL{d, p + 1}, qB{d, p};
  const Eigen::VectorXd uL = sample(qL, nodes.points), uB = sample(qB, nodes.points);
  Eigen::VectorXd lap(Nc), g(nodes.n_boundary);
  std::vector<Eigen::VectorXd> grad(d, Eigen::VectorXd(Nc));
  for (long i = 0; i < Nc; ++i) {
    lap[i] = qL.lap(nodes.points.row(i).data());
    double gr[3];
    qB.grad(nodes.points.row(i).data(), gr);
    for (int c = 0; c < d; ++c) grad[c][i] = gr[c];
    if (i >= nodes.n_interior) {
      const long k = i - nodes.n_interior;
      double dn = 0.0;
      for (int c = 0; c < d; ++c) dn += gr[c] * nodes.normals(i, c);
      g[k] = req.robin.alpha[k] * dn + req.robin.beta[k] * uB[i];
    }
  }
  const double eL = rel_max(multiply(ops.laplacian, uL), lap);
  const double eB = rel_max(multiply(ops.boundary, uB), g);
  double eG = 0.0;
  for (int c = 0; c < d; ++c) eG = std::max(eG, rel_max(multiply(ops.gradient[c], uB), grad[c]));
  // Evaluation at new points inside the domain: value (degree p - 1) and Laplacian (p + 1).
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(-0.6, 0.6);
  PointMatrix pts(40, d);
  for (long i = 0; i < pts.rows(); ++i)
    for (int c = 0; c < d; ++c) pts(i, c) = U(rng);
  const Poly qI{d, p - 1};
  const double eI = rel_max(multiply(interpolation(nodes, pts, params), sample(qI, nodes.points)),
                            sample(qI, pts));
  Eigen::VectorXd lap_pts(pts.rows());
  for (long i = 0; i < pts.rows(); ++i) lap_pts[i] = qL.lap(pts.row(i).data());
  const double eE =
      rel_max(multiply(evaluation_matrix(nodes, pts, Derivative::laplacian, params), uL), lap_pts);
  std::printf(
      "d=%d p=%d N=%ld relative max errors on polynomials: L %.1e grad %.1e B %.1e "
      "interp %.1e L@points %.1e\n",
      d, p, static_cast<long>(nodes.size()), eL, eG, eB, eI, eE);
  EXPECT_LT(eL, 1e-10);
  EXPECT_LT(eG, 1e-10);
  EXPECT_LT(eB, 1e-10);
  EXPECT_LT(eI, 1e-10);
  EXPECT_LT(eE, 1e-10);
}

INSTANTIATE_TEST_SUITE_P(
    Orders, AssembledExactness,
    ::testing::Values(std::make_pair(2, 2), std::make_pair(2, 3), std::make_pair(2, 4),
                      std::make_pair(2, 5), std::make_pair(2, 6), std::make_pair(3, 2),
                      std::make_pair(3, 3), std::make_pair(3, 4), std::make_pair(3, 5)),
    [](const auto& info) {
      return "d" + std::to_string(info.param.first) + "p" + std::to_string(info.param.second);
    });

TEST(OperatorsBadInput, DuplicateNodesNamed) {
  NodeSet nodes = rbffd_test::disk(0.1);
  nodes.points.row(17) = nodes.points.row(42);
  const std::string msg = error_of([&] { assemble(nodes, RbffdParams{}); });
  EXPECT_NE(msg.find("duplicate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 17"), std::string::npos) << msg;
  EXPECT_NE(msg.find("42"), std::string::npos) << msg;
}

TEST(OperatorsBadInput, TooFewNodes) {
  NodeSet nodes = rbffd_test::disk(0.6);  // ~ 20 nodes, p = 4 needs 43
  ASSERT_LT(nodes.size(), 43);
  const std::string msg = error_of([&] { assemble(nodes, RbffdParams{}); });
  EXPECT_NE(msg.find("needs stencils of 43 nodes"), std::string::npos) << msg;
}

TEST(OperatorsBadInput, CollinearStencilNamed) {
  // All nodes on one line: every stencil is singular; the first row is named.
  NodeSet nodes;
  nodes.dim = 2;
  nodes.n_interior = 60;
  nodes.points.resize(60, 2);
  nodes.normals.setZero(60, 2);
  for (int i = 0; i < 60; ++i) nodes.points.row(i) << 0.01 * i, 0.5 - 0.02 * i;
  OperatorRequest req;
  req.boundary = false;
  const std::string msg = error_of([&] { assemble(nodes, RbffdParams{}, req); });
  EXPECT_NE(msg.find("singular stencil"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 0 (interior, at (0, 0.5))"), std::string::npos) << msg;
}

TEST(OperatorsBadInput, NonFiniteAndBadCoefficients) {
  NodeSet nodes = rbffd_test::disk(0.1);
  OperatorRequest req;
  req.robin.alpha = Eigen::VectorXd::Ones(3);
  EXPECT_NE(error_of([&] { assemble(nodes, RbffdParams{}, req); }).find("Robin"),
            std::string::npos);
  nodes.points(5, 1) = std::nan("");
  EXPECT_NE(error_of([&] { assemble(nodes, RbffdParams{}); }).find("node 5"), std::string::npos);
  RbffdParams bad;
  bad.order = 9;
  EXPECT_NE(error_of([&] { assemble(rbffd_test::disk(0.1), bad); }).find("order"),
            std::string::npos);
}

TEST(Csr, TransposeAndStack) {
  const NodeSet nodes = rbffd_test::disk(0.15);
  const OperatorSet ops = assemble(nodes, RbffdParams{});
  const CsrMatrix t = transpose(ops.laplacian);
  check_csr(t);
  EXPECT_EQ((to_dense(t) - to_dense(ops.laplacian).transpose()).norm(), 0.0);
  const CsrMatrix s = vstack(ops.laplacian, ops.boundary);
  check_csr(s);
  EXPECT_EQ(s.rows, s.cols);  // square with ghosts
  EXPECT_EQ(top_rows(s, ops.laplacian.rows).values, ops.laplacian.values);
}

}  // namespace
