// StencilWeights reproduces every polynomial of total degree <= l exactly (to rounding), for
// every operator, 2D and 3D, p = 2..6, on random scattered stencils away from the origin.
#include <gtest/gtest.h>
#include <dtpinn/rbffd/params.hpp>
#include <dtpinn/rbffd/weights.hpp>

#include <cmath>
#include <random>

using namespace dtpinn::rbffd;

namespace {

// d^k/dt^k t^a
double dpow(double t, int a, int k) {
  if (k > a) return 0.0;
  double c = 1.0;
  for (int i = 0; i < k; ++i) c *= (a - i);
  return c * std::pow(t, a - k);
}

// (op q)(x) for q(x) = prod_c ((x_c - s_c) / rho)^{a_c}.
double exact_op(Derivative op, const int* a, const double* x, const double* s, double rho, int d) {
  double t[3];
  for (int c = 0; c < d; ++c) t[c] = (x[c] - s[c]) / rho;
  auto term = [&](const int* k) {
    double v = 1.0;
    int total = 0;
    for (int c = 0; c < d; ++c) {
      v *= dpow(t[c], a[c], k[c]);
      total += k[c];
    }
    return v / std::pow(rho, total);
  };
  if (const auto k = partial_orders(op)) return term(k->data());  // value, first, second partials
  switch (op) {
    case Derivative::laplacian: {
      double v = 0.0;
      for (int c = 0; c < d; ++c) {
        int kk[3] = {0, 0, 0};
        kk[c] = 2;
        v += term(kk);
      }
      return v;
    }
    case Derivative::biharmonic: {
      double v = 0.0;
      for (int c = 0; c < d; ++c) {
        int kk[3] = {0, 0, 0};
        kk[c] = 4;
        v += term(kk);
        for (int e = c + 1; e < d; ++e) {
          int km[3] = {0, 0, 0};
          km[c] = 2;
          km[e] = 2;
          v += 2.0 * term(km);
        }
      }
      return v;
    }
    default:
      ADD_FAILURE() << "no exact value for " << to_string(op);
      return 0.0;
  }
}

struct Case {
  int dim, order;
};

class WeightsExactness : public ::testing::TestWithParam<Case> {};

TEST_P(WeightsExactness, ReproducesPolynomialsUpToDegreeL) {
  const auto [d, p] = GetParam();
  std::mt19937_64 rng(100 * d + p);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<Derivative> all;  // every derivative of the table that exists in d dimensions
  for (const Derivative op : kAllDerivatives)
    if (derivative_in_dimension(op, d)) all.push_back(op);
  RbffdParams params;
  params.order = p;
  double worst = 0.0, worst_bih = 0.0;
  for (Derivative op : all) {
    const StencilRule rule = stencil_rule(params, derivative_order(op), d);
    StencilWeights solver(d, rule);
    const double rho = 0.03;  // stencil radius (domain units)
    const double centre[3] = {0.4, -0.3, 0.2};
    for (int trial = 0; trial < 2; ++trial) {
      // Random points in the ball of radius rho; trial 0 evaluates at a stencil node (the
      // RBF-FD case), trial 1 at a point between nodes (interpolation / evaluation case).
      std::vector<double> pts(static_cast<std::size_t>(rule.size) * d);
      for (int j = 0; j < rule.size; ++j) {
        double v[3], r2;
        do {
          r2 = 0.0;
          for (int c = 0; c < d; ++c) {
            v[c] = u(rng);
            r2 += v[c] * v[c];
          }
        } while (r2 > 1.0);
        for (int c = 0; c < d; ++c) pts[j * d + c] = centre[c] + rho * v[c];
      }
      double eval[3];
      for (int c = 0; c < d; ++c) eval[c] = trial == 0 ? pts[c] : centre[c] + 0.2 * rho * u(rng);
      Eigen::MatrixXd w;
      const auto status = solver.compute(pts.data(), eval, {op}, w);
      ASSERT_TRUE(status.ok) << status.reason;
      ASSERT_TRUE(w.allFinite());
      const double shift[3] = {centre[0] + 0.5 * rho, centre[1] - 0.3 * rho, centre[2]};
      const double scale = std::pow(rho, -derivative_order(op));  // size of op on O(1) data
      // 1e-10 for the operators DT-PINN uses; the biharmonic (degree up to 9, fourth
      // derivatives, random rather than quasi-uniform points) loses two more digits.
      const double tolerance = op == Derivative::biharmonic ? 2e-8 : 1e-10;
      // Every monomial of total degree <= l.
      for (int a0 = 0; a0 <= rule.degree; ++a0)
        for (int a1 = 0; a0 + a1 <= rule.degree; ++a1)
          for (int a2 = 0; a0 + a1 + a2 <= rule.degree; ++a2) {
            if (d == 2 && a2 > 0) break;
            const int a[3] = {a0, a1, a2};
            double approx = 0.0;
            for (int j = 0; j < rule.size; ++j)
              approx += w(j, 0) * exact_op(Derivative::value, a, &pts[j * d], shift, rho, d);
            const double exact = exact_op(op, a, eval, shift, rho, d);
            const double rel = std::abs(approx - exact) / std::max(scale, std::abs(exact));
            (op == Derivative::biharmonic ? worst_bih : worst) =
                std::max(op == Derivative::biharmonic ? worst_bih : worst, rel);
            EXPECT_LT(rel, tolerance)
                << "op " << to_string(op) << " d " << d << " p " << p << " monomial " << a0 << a1
                << a2 << " approx " << approx << " exact " << exact;
          }
      // The polynomial is reproduced but the weights are not a mere polynomial fit: a node
      // evaluation of the value returns that node's value.
      if (op == Derivative::value && trial == 0) {
        EXPECT_NEAR(w(0, 0), 1.0, 1e-9);
      }
    }
  }
  std::printf("d=%d p=%d worst relative polynomial error %.2e (biharmonic %.2e)\n", d, p, worst,
              worst_bih);
}

INSTANTIATE_TEST_SUITE_P(AllOrders, WeightsExactness,
                         ::testing::Values(Case{2, 2}, Case{2, 3}, Case{2, 4}, Case{2, 5},
                                           Case{2, 6}, Case{3, 2}, Case{3, 3}, Case{3, 4},
                                           Case{3, 5}, Case{3, 6}),
                         [](const auto& info) {
                           return "d" + std::to_string(info.param.dim) + "p" +
                                  std::to_string(info.param.order);
                         });

TEST(StencilRule, PaperRules) {
  RbffdParams p;
  p.order = 4;
  auto L = stencil_rule(p, 2, 2);
  EXPECT_EQ(L.degree, 5);
  EXPECT_EQ(L.n_polynomials, 21);
  EXPECT_EQ(L.size, 43);
  EXPECT_EQ(L.phs_exponent, 5);
  auto B = stencil_rule(p, 1, 2);
  EXPECT_EQ(B.degree, 4);
  EXPECT_EQ(B.size, 31);
  EXPECT_EQ(B.phs_exponent, 5);  // 3 clamped up to 5
  auto L3 = stencil_rule(p, 2, 3);
  EXPECT_EQ(L3.n_polynomials, 56);
  EXPECT_EQ(L3.size, 113);
  p.order = 6;
  EXPECT_EQ(stencil_rule(p, 2, 2).phs_exponent, 7);  // l = 7
  EXPECT_EQ(stencil_rule(p, 4, 2).phs_exponent, 9);  // l = 9
  p.order = 5;
  EXPECT_EQ(stencil_rule(p, 2, 2).phs_exponent, 5);  // l = 6 -> 5
  p.order = 7;
  EXPECT_THROW(stencil_rule(p, 2, 2), std::invalid_argument);
  p.order = 4;
  EXPECT_THROW(stencil_rule(p, 2, 4), std::invalid_argument);
}

// Boundary rows: n_b = n in 2D (the paper), ceil(2.5 * binom(l + 3, 3)) + 1 in 3D; the factor
// and the experiments' override apply to both.
TEST(StencilRule, BoundaryStencilSize) {
  RbffdParams p;
  p.order = 4;
  EXPECT_EQ(stencil_rule(p, 2, 2).boundary_size, 43);
  EXPECT_EQ(stencil_rule(p, 1, 2).boundary_size, 31);
  EXPECT_EQ(stencil_rule(p, 2, 3).boundary_size, 141);  // 2.5 * 56 + 1
  EXPECT_EQ(stencil_rule(p, 1, 3).boundary_size, 89);   // ceil(2.5 * 35) + 1
  p.order = 3;
  EXPECT_EQ(stencil_rule(p, 2, 3).boundary_size, 89);
  EXPECT_EQ(stencil_rule(p, 1, 3).boundary_size, 51);  // 2.5 * 20 + 1
  p.boundary_stencil_factor = 2.0;                     // the paper's rule in 3D
  EXPECT_EQ(stencil_rule(p, 2, 3).boundary_size, stencil_rule(p, 2, 3).size);
  p.boundary_stencil_factor = 3.0;
  EXPECT_EQ(stencil_rule(p, 2, 2).boundary_size, 46);  // 3 * 15 + 1
  p.stencil_size = 60;
  EXPECT_EQ(stencil_rule(p, 2, 3).size, 60);
  EXPECT_EQ(stencil_rule(p, 2, 3).boundary_size, 60);
  p.stencil_size = 0;
  for (double bad : {0.5, -1.0, std::nan("")}) {
    p.boundary_stencil_factor = bad;
    EXPECT_THROW(stencil_rule(p, 2, 3), std::invalid_argument) << bad;
  }
}

// One factorisation, several right-hand sides solved separately: each column is bitwise the
// weights of its operator computed alone (the Laplacian keeps its bits beside the second
// partials), and Laplacian = Dxx + Dyy (+ Dzz) to rounding on the same stencil. A z derivative
// in 2D is refused.
TEST(StencilWeights, SeparateColumnsAreTheSingleOperatorWeights) {
  for (int d : {2, 3}) {
    RbffdParams params;
    params.order = 4;
    const StencilRule rule = stencil_rule(params, 2, d);
    StencilWeights solver(d, rule);
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<double> pts(static_cast<std::size_t>(rule.size) * d);
    for (auto& v : pts) v = 0.05 * u(rng);
    std::vector<Derivative> ops = {Derivative::laplacian, Derivative::dxx, Derivative::dxy,
                                   Derivative::dyy};
    if (d == 3) ops.insert(ops.end(), {Derivative::dxz, Derivative::dyz, Derivative::dzz});
    Eigen::MatrixXd all, one;
    ASSERT_TRUE(
        solver.compute(pts.data(), pts.data(), ops, all, StencilWeights::Columns::separate).ok);
    for (std::size_t k = 0; k < ops.size(); ++k) {
      ASSERT_TRUE(solver.compute(pts.data(), pts.data(), {ops[k]}, one).ok);
      for (int j = 0; j < rule.size; ++j)
        ASSERT_EQ(all(j, static_cast<Eigen::Index>(k)), one(j, 0)) << to_string(ops[k]);
    }
    Eigen::VectorXd trace = all.col(1) + all.col(3);
    if (d == 3) trace += all.col(6);
    EXPECT_LT((trace - all.col(0)).cwiseAbs().maxCoeff(), 1e-10 * all.col(0).cwiseAbs().maxCoeff());
  }
  RbffdParams params;
  StencilWeights solver(2, stencil_rule(params, 2, 2));
  std::vector<double> pts(2 * 43);
  for (std::size_t j = 0; j < pts.size(); ++j) pts[j] = std::sin(1.0 + 7.0 * j);
  Eigen::MatrixXd w;
  EXPECT_THROW(solver.compute(pts.data(), pts.data(), {Derivative::dzz}, w), std::invalid_argument);
}

// The table: names round-trip, orders, dimensions.
TEST(Derivatives, TableRowsAreConsistent) {
  for (const Derivative op : kAllDerivatives) {
    EXPECT_EQ(derivative_from_name(operator_name(op)), op);
    const auto k = partial_orders(op);
    if (k) {
      EXPECT_EQ((*k)[0] + (*k)[1] + (*k)[2], derivative_order(op)) << to_string(op);
    }
    EXPECT_EQ(derivative_in_dimension(op, 2), !k || (*k)[2] == 0) << to_string(op);
    EXPECT_TRUE(derivative_in_dimension(op, 3));
  }
  EXPECT_EQ(derivative_order(Derivative::laplacian), 2);
  EXPECT_EQ(derivative_order(Derivative::biharmonic), 4);
  EXPECT_EQ(derivative_order(Derivative::dxy), 2);
  EXPECT_FALSE(derivative_from_name("Dxxx").has_value());
  EXPECT_STREQ(operator_name(Derivative::dyz), "Dyz");
}

TEST(StencilWeights, CollinearStencilIsRejected) {
  RbffdParams params;
  const StencilRule rule = stencil_rule(params, 2, 2);
  StencilWeights solver(2, rule);
  std::vector<double> pts;
  for (int j = 0; j < rule.size; ++j) pts.insert(pts.end(), {0.01 * j, 0.02 * j});
  Eigen::MatrixXd w;
  const auto status = solver.compute(pts.data(), pts.data(), {Derivative::laplacian}, w);
  EXPECT_FALSE(status.ok);
  // Rejected at the polynomial block: its pivots fall below 1e-12 of the largest (at rounding
  // level, ~1e-16, for exactly collinear points).
  EXPECT_LE(status.rcond, 1e-12);
  EXPECT_NE(std::string(status.reason).find("singular stencil"), std::string::npos)
      << status.reason;
}

}  // namespace
