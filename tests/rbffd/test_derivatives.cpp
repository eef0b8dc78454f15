// Every derivative operator of the table (derivative.hpp) assembled on node sets: exact on
// polynomials of degree l, convergent at order ~p on a smooth function (disk and ball),
// L = Dxx + Dyy (+ Dzz) to rounding, the named operators unchanged by a generic request, rows
// at chosen nodes bitwise equal to the whole assembly, and the lookups.
#include <gtest/gtest.h>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <random>

#include "common/test_util.hpp"
#include "test_support.hpp"

using namespace dtpinn::rbffd;
using dtpinn::test::error_of;
using rbffd_test::NodeSet;
using rbffd_test::PointMatrix;

namespace {

// Every derivative that exists in `dim` dimensions but the value (the identity at the nodes).
std::vector<Derivative> derivatives_in(int dim) {
  std::vector<Derivative> ops;
  for (const Derivative op : kAllDerivatives)
    if (op != Derivative::value && derivative_in_dimension(op, dim)) ops.push_back(op);
  return ops;
}

// op as a sum of pure partials: (coefficient, orders (k_x, k_y, k_z)).
std::vector<std::pair<double, std::array<int, 3>>> partial_terms(Derivative op, int d) {
  if (const auto k = partial_orders(op)) return {{1.0, *k}};
  std::vector<std::pair<double, std::array<int, 3>>> t;
  const int power = op == Derivative::laplacian ? 2 : 4;
  for (int c = 0; c < d; ++c) {
    std::array<int, 3> k{0, 0, 0};
    k[c] = power;
    t.emplace_back(1.0, k);
    for (int e = c + 1; e < d && op == Derivative::biharmonic; ++e) {
      std::array<int, 3> m{0, 0, 0};
      m[c] = m[e] = 2;
      t.emplace_back(2.0, m);
    }
  }
  return t;
}

// q(x) = (1 + a.x)^l + (0.5 - b.x)^(l-1), a generic polynomial of degree l.
struct Poly {
  int d, l;
  double a[3] = {0.3, -0.7, 0.4}, b[3] = {-0.2, 0.5, 0.6};
  static double dpow(double t, int n, int k) {  // d^k/dt^k t^n
    if (k > n) return 0.0;
    double c = 1.0;
    for (int i = 0; i < k; ++i) c *= n - i;
    return c * std::pow(t, n - k);
  }
  double partial(const double* x, const std::array<int, 3>& k) const {
    double s = 1.0, t = 0.5, ca = 1.0, cb = 1.0;
    int total = 0;
    for (int c = 0; c < d; ++c) {
      s += a[c] * x[c];
      t -= b[c] * x[c];
      for (int e = 0; e < k[c]; ++e) ca *= a[c], cb *= -b[c];
      total += k[c];
    }
    return ca * dpow(s, l, total) + cb * dpow(t, l - 1, total);
  }
  double apply(Derivative op, const double* x) const {
    double v = 0.0;
    for (const auto& [coef, k] : partial_terms(op, d)) v += coef * partial(x, k);
    return v;
  }
};

// u = sin(a.x + c) exp(b.x) = Im exp(z), z = (b + i a).x + i c: the partial with orders k is
// Im(prod_j (b_j + i a_j)^(k_j) exp(z)). No symmetry to hide an error.
struct Smooth {
  int d;
  double a[3] = {2.1, -1.7, 1.3}, b[3] = {0.4, 0.3, -0.5}, c = 0.3;
  double partial(const double* x, const std::array<int, 3>& k) const {
    std::complex<double> z(0.0, c), factor(1.0, 0.0);
    for (int j = 0; j < d; ++j) {
      const std::complex<double> w(b[j], a[j]);
      z += w * x[j];
      for (int e = 0; e < k[j]; ++e) factor *= w;
    }
    return std::imag(factor * std::exp(z));
  }
  double apply(Derivative op, const double* x) const {
    double v = 0.0;
    for (const auto& [coef, k] : partial_terms(op, d)) v += coef * partial(x, k);
    return v;
  }
};

template <class F>
Eigen::VectorXd at_nodes(const F& f, Derivative op, const PointMatrix& x, long rows) {
  Eigen::VectorXd v(rows);
  for (long i = 0; i < rows; ++i) v[i] = f.apply(op, x.row(i).data());
  return v;
}

double rel_max(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
}

OperatorSet all_derivatives(const NodeSet& nodes, int p) {
  RbffdParams params;
  params.order = p;
  OperatorRequest req;
  req.laplacian = false;
  req.boundary = false;
  req.derivatives = derivatives_in(nodes.dim);
  return assemble(nodes, params, req);
}

class DerivativeExactness : public ::testing::TestWithParam<std::pair<int, int>> {};

// Each operator reproduces the derivative of a polynomial of degree l = p + theta - 1 (all
// Ni + Nb rows, interior and boundary stencils), and so does evaluation_matrix at new points.
TEST_P(DerivativeExactness, PolynomialsOfDegreeL) {
  const auto [d, p] = GetParam();
  const NodeSet nodes = d == 2 ? rbffd_test::disk(0.1) : rbffd_test::ball(0.25);
  const OperatorSet ops = all_derivatives(nodes, p);
  RbffdParams params;
  params.order = p;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(-0.6, 0.6);
  PointMatrix pts(30, d);
  for (long i = 0; i < pts.rows(); ++i)
    for (int c = 0; c < d; ++c) pts(i, c) = U(rng);
  double worst = 0.0, worst_points = 0.0;
  for (const Derivative op : derivatives_in(d)) {
    const CsrMatrix* m = ops.find(op);
    ASSERT_NE(m, nullptr) << to_string(op);
    ASSERT_EQ(m->rows, nodes.n_collocation());
    ASSERT_EQ(m->cols, nodes.size());
    const Poly q{d, p + derivative_order(op) - 1};
    const Eigen::VectorXd u = at_nodes(q, Derivative::value, nodes.points, nodes.size());
    const double e = rel_max(multiply(*m, u), at_nodes(q, op, nodes.points, m->rows));
    const double ep = rel_max(multiply(evaluation_matrix(nodes, pts, op, params), u),
                              at_nodes(q, op, pts, pts.rows()));
    EXPECT_LT(e, 1e-8) << to_string(op) << " d " << d << " p " << p;
    EXPECT_LT(ep, 1e-8) << to_string(op) << " at new points, d " << d << " p " << p;
    worst = std::max(worst, e);
    worst_points = std::max(worst_points, ep);
  }
  std::printf("d=%d p=%d worst relative max error on polynomials: nodes %.1e, new points %.1e\n", d,
              p, worst, worst_points);
}

INSTANTIATE_TEST_SUITE_P(Orders, DerivativeExactness,
                         ::testing::Values(std::make_pair(2, 2), std::make_pair(2, 4),
                                           std::make_pair(2, 6), std::make_pair(3, 3),
                                           std::make_pair(3, 5)),
                         [](const auto& info) {
                           return "d" + std::to_string(info.param.first) + "p" +
                                  std::to_string(info.param.second);
                         });

// The theta-2 operators share their stencils: same columns, and L = Dxx + Dyy (+ Dzz) entry by
// entry to rounding. L built beside the second partials is bitwise L built alone (and so are
// the gradient and B beside a generic request).
TEST(Derivatives, LaplacianIsTheTraceOfTheHessianAndKeepsItsBits) {
  for (int d : {2, 3}) {
    const NodeSet nodes = d == 2 ? rbffd_test::disk(0.08) : rbffd_test::ball(0.25);
    RbffdParams params;
    params.order = 4;
    OperatorRequest req;
    req.gradient = true;
    req.derivatives = derivatives_in(d);
    const OperatorSet ops = assemble(nodes, params, req);
    OperatorRequest plain;
    plain.gradient = true;
    const OperatorSet base = assemble(nodes, params, plain);
    EXPECT_EQ(ops.laplacian.values, base.laplacian.values);
    EXPECT_EQ(ops.laplacian.col_idx, base.laplacian.col_idx);
    EXPECT_EQ(ops.boundary.values, base.boundary.values);
    for (int c = 0; c < d; ++c) EXPECT_EQ(ops.gradient[c].values, base.gradient[c].values);
    // Asked for both ways, each is stored once (in the named members) and found there.
    EXPECT_EQ(ops.find(Derivative::laplacian), &ops.laplacian);
    EXPECT_EQ(ops.find(Derivative::dy), &ops.gradient[1]);
    EXPECT_EQ(ops.operators.count(Derivative::laplacian), 0u);
    EXPECT_EQ(ops.matrix("Dxy"), ops.find(Derivative::dxy));
    EXPECT_EQ(ops.find(Derivative::value), nullptr);
    EXPECT_EQ(ops.matrix("Dq"), nullptr);
    const CsrMatrix* diag[3] = {ops.find(Derivative::dxx), ops.find(Derivative::dyy),
                                d == 3 ? ops.find(Derivative::dzz) : nullptr};
    double worst = 0.0, scale = 0.0;
    for (std::size_t k = 0; k < ops.laplacian.values.size(); ++k) {
      double sum = 0.0;
      for (int c = 0; c < d; ++c) {
        ASSERT_EQ(diag[c]->col_idx[k], ops.laplacian.col_idx[k]);
        sum += diag[c]->values[k];
      }
      worst = std::max(worst, std::abs(sum - ops.laplacian.values[k]));
      scale = std::max(scale, std::abs(ops.laplacian.values[k]));
    }
    std::printf("d=%d max |Dxx + Dyy (+ Dzz) - L| = %.1e (max |L| %.1e)\n", d, worst, scale);
    EXPECT_LT(worst, 1e-11 * scale);
  }
}

// assemble_rows with generic derivatives: bitwise the rows of assemble, L kept or moved.
TEST(Derivatives, RowsAtChosenNodesEqualTheWholeAssembly) {
  for (int d : {2, 3}) {
    const NodeSet nodes = d == 2 ? rbffd_test::disk(0.1) : rbffd_test::ball(0.25);
    const long Ni = nodes.n_interior, Nc = nodes.n_collocation();
    RbffdParams params;
    params.order = 3;
    OperatorRequest req;
    req.derivatives = derivatives_in(d);
    req.derivatives.push_back(Derivative::value);
    req.robin = RobinCoefficients::constant(1.0, 0.5);
    const OperatorSet all = assemble(nodes, params, req);
    RowRequest some;
    some.laplacian = false;  // L among the derivatives: stored in `operators`
    some.derivatives = req.derivatives;
    some.robin = req.robin;
    for (long i = Nc - 1; i >= 0; i -= 4) {
      some.laplacian_nodes.push_back(static_cast<std::int32_t>(i));
      if (i >= Ni) some.boundary_nodes.push_back(static_cast<std::int32_t>(i));
    }
    const OperatorRows rows = assemble_rows(nodes, params, some);
    auto expect_rows = [](const CsrMatrix& sub, const CsrMatrix& whole,
                          const std::vector<std::int32_t>& at, long offset, const char* what) {
      ASSERT_EQ(sub.rows, static_cast<std::int32_t>(at.size())) << what;
      for (std::int32_t r = 0; r < sub.rows; ++r) {
        const auto w = at[r] - offset;
        const auto b = whole.row_ptr[w], n = whole.row_ptr[w + 1] - b;
        ASSERT_EQ(sub.row_ptr[r + 1] - sub.row_ptr[r], n) << what << " row " << r;
        for (std::int32_t q = 0; q < n; ++q) {
          ASSERT_EQ(sub.col_idx[sub.row_ptr[r] + q], whole.col_idx[b + q]) << what;
          ASSERT_EQ(sub.values[sub.row_ptr[r] + q], whole.values[b + q]) << what << " row " << r;
        }
      }
    };
    for (const Derivative op : some.derivatives) {
      ASSERT_NE(rows.find(op), nullptr) << to_string(op);
      expect_rows(*rows.find(op), *all.find(op), some.laplacian_nodes, 0, to_string(op));
    }
    expect_rows(rows.boundary, all.boundary, some.boundary_nodes, Ni, "B");
    EXPECT_EQ(rows.laplacian.rows, 0);
    EXPECT_EQ(rows.info.size(), some.derivatives.size() + 1);
  }
}

// Orders of the relative max and root-mean-square errors over all Ni + Nb rows, least squares
// over 4 node sets. On the disk (jittered lattice) both max-norm and rms orders must lie within
// 0.5 of p. On nodegen's ball the max error of 4 node counts is set by a few stencils (the
// 3D boundary stencils, see test_convergence.cpp): measured max-norm orders at p = 3 are
// 2.42 (d/dz) to 3.39 (d2/dx2), rms orders 3.18 to 3.39; there the rms order must lie within 0.5
// of p and the max-norm order within 1. (The biharmonic is left out in 3D: 211-node stencils at
// 12000 nodes cost more than the rest of the test.)
void check_orders(int d, int p, const std::vector<NodeSet>& sets, double max_norm_tolerance) {
  const Smooth f{d};
  auto ops_list = derivatives_in(d);
  if (d == 3) ops_list.erase(std::find(ops_list.begin(), ops_list.end(), Derivative::biharmonic));
  std::vector<double> hs;
  std::vector<std::vector<double>> err(ops_list.size()), rms(ops_list.size());
  for (const NodeSet& nodes : sets) {
    const OperatorSet ops = all_derivatives(nodes, p);
    hs.push_back(std::pow(1.0 / static_cast<double>(nodes.n_collocation()), 1.0 / d));
    const Eigen::VectorXd u = at_nodes(f, Derivative::value, nodes.points, nodes.size());
    for (std::size_t k = 0; k < ops_list.size(); ++k) {
      const CsrMatrix& m = *ops.find(ops_list[k]);
      const Eigen::VectorXd exact = at_nodes(f, ops_list[k], nodes.points, m.rows);
      const Eigen::VectorXd approx = multiply(m, u);
      err[k].push_back(rel_max(approx, exact));
      rms[k].push_back((approx - exact).norm() / exact.norm());
    }
  }
  for (std::size_t k = 0; k < ops_list.size(); ++k) {
    const double order = rbffd_test::fitted_order(hs, err[k]);
    const double order_rms = rbffd_test::fitted_order(hs, rms[k]);
    std::printf("d=%d p=%d %-10s max errors %.2e .. %.2e  order %.2f  rms order %.2f\n", d, p,
                to_string(ops_list[k]), err[k].front(), err[k].back(), order, order_rms);
    EXPECT_NEAR(order, p, max_norm_tolerance) << to_string(ops_list[k]) << " d " << d << " p " << p;
    EXPECT_NEAR(order_rms, p, 0.5) << to_string(ops_list[k]) << " d " << d << " p " << p;
  }
}

TEST(DerivativeConvergence, DiskOrder4) {
  std::vector<NodeSet> sets;
  for (double h : {0.08, 0.056, 0.04, 0.028}) sets.push_back(rbffd_test::disk(h));
  check_orders(2, 4, sets, 0.5);
}

TEST(DerivativeConvergence, DiskOrder3) {
  std::vector<NodeSet> sets;
  for (double h : {0.08, 0.056, 0.04, 0.028}) sets.push_back(rbffd_test::disk(h));
  check_orders(2, 3, sets, 0.5);
}

TEST(DerivativeConvergence, BallOrder3) {
  std::vector<NodeSet> sets;
  for (long n : {1500, 3000, 6000, 12000})
    sets.push_back(dtpinn::nodegen::make_nodes("ball", n, 3, true));
  check_orders(3, 3, sets, 1.0);
}

TEST(DerivativesBadInput, ZDerivativeIn2DIsNamed) {
  const NodeSet nodes = rbffd_test::disk(0.2);
  OperatorRequest req;
  req.derivatives = {Derivative::dxz};
  EXPECT_NE(error_of([&] { assemble(nodes, {}, req); }).find("d2/dxdz requested on a 2D node set"),
            std::string::npos);
  RowRequest rows;
  rows.derivatives = {Derivative::dzz};
  EXPECT_THROW(assemble_rows(nodes, {}, rows), std::invalid_argument);
  PointMatrix pts = PointMatrix::Zero(1, 2);
  EXPECT_THROW(evaluation_matrix(nodes, pts, Derivative::dyz), std::invalid_argument);
}

}  // namespace
