// PHS + Legendre RBF-FD weights on one stencil (eq. 9-11 of the DT-PINN paper).
#include <dtpinn/rbffd/weights.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace dtpinn::rbffd {

namespace {

// r^k for a small non-negative integer k, from r and r^2 (k odd or even), no pow().
inline double int_pow(double r, double r2, int k) {
  double v = (k % 2 == 1) ? r : 1.0;
  for (int e = k / 2; e > 0; --e) v *= r2;
  return v;
}

}  // namespace

StencilWeights::StencilWeights(int dim, const StencilRule& rule) : dim_(dim), rule_(rule) {
  if (dim != 2 && dim != 3) throw std::invalid_argument("rbffd: StencilWeights needs dim 2 or 3");
  const int l = rule.degree;
  // Multi-indices of total degree <= l, graded (degree 0 first): the column order of P.
  if (dim == 2) {
    for (int t = 0; t <= l; ++t)
      for (int a = t; a >= 0; --a) exponents_.insert(exponents_.end(), {a, t - a});
  } else {
    for (int t = 0; t <= l; ++t)
      for (int a = t; a >= 0; --a)
        for (int b = t - a; b >= 0; --b) exponents_.insert(exponents_.end(), {a, b, t - a - b});
  }
  const int n = rule.size, np = rule.n_polynomials;
  if (static_cast<int>(exponents_.size()) != np * dim)
    throw std::logic_error("rbffd: polynomial count mismatch");
  local_.resize(n, dim);
  legendre_.resize(n, static_cast<Eigen::Index>(dim) * (l + 1));
  system_.setZero(n + np, n + np);
  lu_ = Eigen::PartialPivLU<Eigen::MatrixXd>(n + np);
  perm_.resize(n);

  // P_k^{(j)}(0) from the differentiated three-term recurrence
  //   P_{k+1}^{(j)} = ((2k+1)(t P_k^{(j)} + j P_k^{(j-1)}) - k P_{k-1}^{(j)}) / (k+1)  at t = 0.
  for (int j = 0; j <= 4; ++j) {
    legendre_at0_[j][0] = (j == 0) ? 1.0 : 0.0;
    legendre_at0_[j][1] = (j == 1) ? 1.0 : 0.0;  // P_1 = t
  }
  for (int k = 1; k < 15; ++k)
    for (int j = 0; j <= 4; ++j) {
      const double lower = (j > 0) ? legendre_at0_[j - 1][k] : 0.0;
      legendre_at0_[j][k + 1] =
          ((2 * k + 1) * j * lower - k * legendre_at0_[j][k - 1]) / static_cast<double>(k + 1);
    }
}

void StencilWeights::fill_polynomials(Eigen::MatrixXd& p) const {
  const int n = rule_.size, np = rule_.n_polynomials, d = dim_;
  p.resize(n, np);  // no-op after the first stencil
  const int w = rule_.degree + 1;
  for (int k = 0; k < np; ++k) {
    const int* a = &exponents_[static_cast<std::size_t>(k) * d];
    // prod_c P_{a_c}(y_c), left to right (as the scalar 1 * P * P [* P]).
    p.col(k) = legendre_.col(a[0]).cwiseProduct(legendre_.col(w + a[1]));
    if (d == 3) p.col(k).array() *= legendre_.col(2 * w + a[2]).array();
  }
}

void StencilWeights::fill_phs(const Eigen::MatrixXd& y, int first, int count, Eigen::MatrixXd& a) {
  // a(i, j) = |y_{first+i} - y_{first+j}|^m, (n - first) x count: A[:, :count] for first = 0,
  // A[first:, first:] for count = n - first. Built by whole columns of one fused array
  // expression (vectorised sqrt, one pass over memory).
  // Whole columns rather than a triangle plus a mirror: the mirror is a scalar strided copy
  // that costs as much as the AVX2 arithmetic it saves. (y_i - y_j)^2 == (y_j - y_i)^2
  // exactly, so A is exactly symmetric with an exactly zero diagonal. r^m = sqrt(r^2) * r^2 *
  // ... * r^2 (left to right), the same operations in the same order as a scalar loop, so the
  // values do not depend on the vector width.
  const int n = static_cast<int>(y.rows()), d = dim_, m = rule_.phs_exponent;
  const int rows = n - first;
  a.resize(rows, count);
  tmp_.resize(rows);
  for (int j = 0; j < count; ++j) {
    const int jj = first + j;
    auto r2 = tmp_.head(rows);
    const auto yc = [&](int c) { return y.col(c).tail(rows).array(); };
    if (d == 2)
      r2 = (yc(0) - y(jj, 0)).square() + (yc(1) - y(jj, 1)).square();
    else
      r2 = (yc(0) - y(jj, 0)).square() + (yc(1) - y(jj, 1)).square() + (yc(2) - y(jj, 2)).square();
    auto out = a.col(j).array();
    switch (m / 2) {  // m is odd (params.cpp)
      case 0:
        out = r2.sqrt();
        break;
      case 1:
        out = r2.sqrt() * r2;
        break;
      case 2:
        out = r2.sqrt() * r2 * r2;
        break;
      case 3:
        out = r2.sqrt() * r2 * r2 * r2;
        break;
      default:
        out = r2.sqrt() * r2 * r2 * r2 * r2;
        for (int e = m / 2 - 4; e > 0; --e) out *= r2;
        break;
    }
  }
}

void StencilWeights::build_full_system() {
  const int n = rule_.size, np = rule_.n_polynomials;
  fill_phs(local_, 0, n, phs_);
  fill_polynomials(pf_);
  system_.topLeftCorner(n, n) = phs_;
  system_.topRightCorner(n, np) = pf_;
  system_.bottomLeftCorner(np, n) = pf_.transpose();
  system_.bottomRightCorner(np, np).setZero();
}

void StencilWeights::fill_rhs(const std::vector<Derivative>& ops) {
  const int n = rule_.size, np = rule_.n_polynomials, m = rule_.phs_exponent, d = dim_;
  const int nops = static_cast<int>(ops.size());
  // The operator applied to phi(|x - y_j|) and to q_k(x), at x = 0.
  rhs_.resize(n + np, nops);  // no-op after the first call with the same ops count
  for (int o = 0; o < nops; ++o) {
    const Derivative op = ops[o];
    if (!derivative_in_dimension(op, d))
      throw std::invalid_argument(fmt::format("rbffd: {} requested in {}D", to_string(op), d));
    // The second partials d2/dx_c dx_e: the directions c <= e (unused for other operators).
    int axes[2] = {0, 0}, n_axes = 0;
    if (const auto k = partial_orders(op); k && derivative_order(op) == 2)
      for (int c = 0; c < d; ++c)
        for (int t = 0; t < (*k)[c]; ++t) axes[n_axes++] = c;
    const int c2 = axes[0], e2 = axes[1];
    for (int j = 0; j < n; ++j) {
      double r2 = 0.0;
      for (int c = 0; c < d; ++c) r2 += local_(j, c) * local_(j, c);
      const double r = std::sqrt(r2);
      double v = 0.0;
      switch (op) {
        case Derivative::value:
          v = int_pow(r, r2, m);
          break;
        case Derivative::dx:
        case Derivative::dy:
        case Derivative::dz: {
          const int c = static_cast<int>(op) - static_cast<int>(Derivative::dx);
          v = -m * int_pow(r, r2, m - 2) * local_(j, c);
          break;
        }
        case Derivative::laplacian:
          v = m * (m + d - 2) * int_pow(r, r2, m - 2);
          break;
        case Derivative::biharmonic:
          v = static_cast<double>(m * (m + d - 2)) * ((m - 2) * (m + d - 4)) *
              int_pow(r, r2, m - 4);
          break;
        default: {
          // d2/dx_c dx_e r^m = m r^(m-2) delta_ce + m (m-2) r^(m-4) x_c x_e, at x - y_j = -y_j.
          // For m = 3 the second term is 3 x_c x_e / r, which tends to 0 at the centre.
          const double r_m4 = m >= 4 ? int_pow(r, r2, m - 4) : (r > 0.0 ? 1.0 / r : 0.0);
          v = static_cast<double>(m * (m - 2)) * r_m4 * local_(j, c2) * local_(j, e2);
          if (c2 == e2) v += m * int_pow(r, r2, m - 2);
          break;
        }
      }
      rhs_(j, o) = v;
    }
    for (int k = 0; k < np; ++k) {
      const int* a = &exponents_[static_cast<std::size_t>(k) * d];
      auto D = [&](int c, int order) { return legendre_at0_[order][a[c]]; };
      auto product_except = [&](int skip1, int skip2) {
        double p = 1.0;
        for (int c = 0; c < d; ++c)
          if (c != skip1 && c != skip2) p *= D(c, 0);
        return p;
      };
      double v = 0.0;
      switch (op) {
        case Derivative::value:
          v = product_except(-1, -1);
          break;
        case Derivative::dx:
        case Derivative::dy:
        case Derivative::dz: {
          const int c = static_cast<int>(op) - static_cast<int>(Derivative::dx);
          v = D(c, 1) * product_except(c, -1);
          break;
        }
        case Derivative::laplacian:
          for (int c = 0; c < d; ++c) v += D(c, 2) * product_except(c, -1);
          break;
        case Derivative::biharmonic:
          for (int c = 0; c < d; ++c) v += D(c, 4) * product_except(c, -1);
          for (int c = 0; c < d; ++c)
            for (int e = c + 1; e < d; ++e) v += 2.0 * D(c, 2) * D(e, 2) * product_except(c, e);
          break;
        default:  // the second partials: prod_c P_{a_c}^{(k_c)}(0)
          v = c2 == e2 ? D(c2, 2) * product_except(c2, -1)
                       : D(c2, 1) * D(e2, 1) * product_except(c2, e2);
          break;
      }
      rhs_(n + k, o) = v;
    }
  }
}

StencilWeights::Status StencilWeights::compute(const double* points, const double* eval,
                                               const std::vector<Derivative>& ops,
                                               Eigen::MatrixXd& weights, Columns columns) {
  const int n = rule_.size, l = rule_.degree;
  const int d = dim_;
  const int nops = static_cast<int>(ops.size());
  Status status;

  // Shift to the evaluation point and scale by the stencil radius (unit ball).
  double r2max = 0.0;
  for (int j = 0; j < n; ++j) {
    double r2 = 0.0;
    for (int c = 0; c < d; ++c) {
      const double v = points[j * d + c] - eval[c];
      local_(j, c) = v;
      r2 += v * v;
    }
    r2max = std::max(r2max, r2);
  }
  radius_ = std::sqrt(r2max);
  if (!(radius_ > 0.0) || !std::isfinite(radius_)) {
    status.ok = false;
    status.rcond = 0.0;
    status.reason = "all stencil points coincide";
    return status;
  }
  local_ *= 1.0 / radius_;

  // Legendre values P_k(y_c), k = 0..l: column c * (l + 1) + k, one row per stencil node.
  for (int c = 0; c < d; ++c) {
    const Eigen::Index base = static_cast<Eigen::Index>(c) * (l + 1);
    const auto t = local_.col(c).array();
    legendre_.col(base).setOnes();
    if (l >= 1) legendre_.col(base + 1) = local_.col(c);
    for (int k = 1; k < l; ++k)
      legendre_.col(base + k + 1).array() = ((2 * k + 1) * t * legendre_.col(base + k).array() -
                                             k * legendre_.col(base + k - 1).array()) /
                                            (k + 1.0);
  }
  // P_jk = prod_c P_{a_kc}(y_jc), straight into the null-space workspace (n x M). The full
  // saddle-point matrix is only built if the null-space method has to fall back to LU.
  fill_polynomials(pf_);

  fill_rhs(ops);

  if (!solve_null_space(status, columns)) {
    if (!status.ok) return status;  // polynomial block rank-deficient: no fallback can help
    // Fallback: the whole saddle-point system by LU with partial pivoting.
    status = Status();
    build_full_system();
    lu_.compute(system_);
    // Singular stencils show up as a tiny LU pivot. The pivot ratio costs O(n); the
    // Hager-Higham estimate (several triangular solves) only runs when the ratio is suspicious.
    const auto u_diag = lu_.matrixLU().diagonal().cwiseAbs();
    status.rcond = u_diag.minCoeff() / u_diag.maxCoeff();
    if (!(status.rcond >= kSuspiciousPivotRatio)) status.rcond = lu_.rcond();
    if (!(status.rcond >= kMinRcond)) {
      status.ok = false;
      status.reason = "singular stencil (collinear/coplanar or coincident points)";
      return status;
    }
    if (columns == Columns::joint || nops == 1) {
      rhs_ = lu_.solve(rhs_);  // in place: PartialPivLU permutes and substitutes within dst
    } else {
      for (int o = 0; o < nops; ++o) {
        Eigen::VectorXd col = rhs_.col(o);
        rhs_.col(o) = lu_.solve(col);
      }
    }
  }
  weights.resize(n, nops);
  for (int o = 0; o < nops; ++o) {
    const double scale = std::pow(radius_, -derivative_order(ops[o]));
    weights.col(o) = rhs_.col(o).head(n) * scale;
  }
  if (!weights.allFinite()) {
    status.ok = false;
    status.reason = "non-finite weights";
  }
  return status;
}

}  // namespace dtpinn::rbffd

namespace dtpinn::rbffd {

// Null-space method for [A P; P^T 0][w; lambda] = [a; b] (about half the flops of an LU of the
// whole (n + M) system). Rows of P are pivoted (partial pivoting LU, P = Pi [L1; L2] U) so that
// the first M permuted nodes carry a nonsingular block P1 = L1 U; every w with P^T w = b is
//   w = w_p + Z y,  w_p = [P1^{-T} b; 0],  Z = [-X; I],  X = P1^{-T} P2^T = L1^{-T} L2^T,
// and y solves the k x k system (Z^T A Z) y = Z^T (a - A w_p), k = n - M. PHS r^m are
// conditionally positive definite of order (m + 1) / 2, so (-1)^((m+1)/2) Z^T A Z is SPD
// whenever l >= (m - 1) / 2: a Cholesky factorisation. Returns false (status.ok true) when
// Cholesky fails or is poorly conditioned, so that the caller falls back to the full LU; returns
// false with status.ok false when P is rank-deficient (no polynomial-exact weights exist).
bool StencilWeights::solve_null_space(Status& status, Columns columns) {
  const int n = rule_.size, M = rule_.n_polynomials, k = n - M;
  const int nops = static_cast<int>(rhs_.cols());
  // Partial-pivoting LU of the tall P (n x M), in place in pf_ (filled by compute()).
  for (int i = 0; i < n; ++i) perm_[i] = i;
  double max_pivot = 0.0, min_pivot = std::numeric_limits<double>::infinity();
  // Plain loops on the column-major storage: the blocks are small (n x M <= ~120 x 60) and
  // Eigen's block expressions cost more in bookkeeping than in flops here. (Eigen's blocked
  // partial_lu_impl and a zero-padded, aligned variant of the update were measured: no faster.)
  double* const P = pf_.data();
  const Eigen::Index ld = pf_.outerStride();
  for (int c = 0; c < M; ++c) {
    double* const colc = P + c * ld;
    // Pivot: the first row of maximal |P_ic|, i >= c. The maximum is a vectorised reduction;
    // finding its (first) row is then a short scan with a predictable branch, instead of one
    // long compare-and-select dependency chain.
    const double piv = Eigen::Map<const Eigen::ArrayXd>(colc + c, n - c).abs().maxCoeff();
    int r = c;
    while (r < n - 1 && std::abs(colc[r]) != piv) ++r;  // bounded even if piv is NaN
    max_pivot = std::max(max_pivot, piv);
    min_pivot = std::min(min_pivot, piv);
    if (!(piv > 1e-12 * max_pivot)) {
      status.ok = false;
      status.rcond = max_pivot > 0.0 ? piv / max_pivot : 0.0;
      status.reason =
          "singular stencil: its nodes do not determine the polynomials (collinear, coplanar or "
          "coincident points)";
      return false;
    }
    if (r != c) {
      for (int j = 0; j < M; ++j) std::swap(P[c + j * ld], P[r + j * ld]);
      std::swap(perm_[c], perm_[r]);
    }
    const double d = colc[c];
    const double inv = 1.0 / d;  // a multiply per row, not a division
    for (int i = c + 1; i < n; ++i) colc[i] *= inv;
    for (int j = c + 1; j < M; ++j) {
      double* const colj = P + j * ld;
      const double u = colj[c];
      for (int i = c + 1; i < n; ++i) colj[i] -= colc[i] * u;
    }
  }
  // Xt = X^T = L2 L1^{-1} (k x M).
  xt_ = pf_.middleRows(M, k);
  pf_.topRows(M).triangularView<Eigen::UnitLower>().solveInPlace<Eigen::OnTheRight>(xt_);
  // The blocks of A (pivoted order, from the permuted coordinates) that the reduced system
  // needs: A1 = A[:, :M] (n x M) and A22 = A[M:, M:] (k x k); A12 = A21^T is never formed.
  // With X = Xt^T:  Z^T A Z = A22 - A21 X - X^T A12 + X^T A11 X = A22 - W V^T, where
  //   T = (A12 - A11 X)^T = A21 - Xt A11   (k x M; A11 is symmetric),
  //   W = [A21 | Xt],  V = [Xt | T]          (k x 2M).
  // 2kM^2 + 2k^2 M flops (G's lower triangle only) and n M + k^2 PHS values, against
  // 2nMk + k^2 M and n^2 for forming A Z.
  lp_ = local_(perm_, Eigen::all);
  fill_phs(lp_, 0, M, ap_);
  fill_phs(lp_, M, k, a22_);
  wv_.resize(k, 4 * M);  // [W | V]
  wv_.middleCols(0, M) = ap_.bottomRows(k);
  wv_.middleCols(M, M) = xt_;
  wv_.middleCols(2 * M, M) = xt_;
  wv_.middleCols(3 * M, M) = ap_.bottomRows(k);
  wv_.middleCols(3 * M, M).noalias() -= xt_ * ap_.topRows(M);
  // LLT reads G's lower triangle only: half the product's flops. The sign makes G positive
  // definite (PHS r^m are conditionally positive definite of order (m + 1) / 2).
  const int m = rule_.phs_exponent;
  const double sign = (((m + 1) / 2) % 2 == 1) ? -1.0 : 1.0;
  g_.resize(k, k);
  g_.triangularView<Eigen::Lower>() = sign * a22_;
  if (sign > 0)
    g_.triangularView<Eigen::Lower>() -= wv_.leftCols(2 * M) * wv_.rightCols(2 * M).transpose();
  else
    g_.triangularView<Eigen::Lower>() += wv_.leftCols(2 * M) * wv_.rightCols(2 * M).transpose();
  llt_.compute(g_);
  if (llt_.info() != Eigen::Success) return false;
  const auto ldiag = llt_.matrixLLT().diagonal();
  const double chol_ratio = ldiag.minCoeff() / ldiag.maxCoeff();
  if (!(chol_ratio * chol_ratio > 1e-13)) return false;  // let the full LU judge
  status.rcond = std::min(chol_ratio * chol_ratio, min_pivot / max_pivot);

  // The right-hand sides, on Maps of the workspaces: a single operator (the common case: L)
  // goes through Eigen's vector kernels (triangular solve and GEMV), which cost a fraction of
  // the general matrix paths at these sizes.
  w1_.resize(M, nops);
  c_.resize(n, nops);
  y_.resize(k, nops);
  // Columns [o0, o0 + nc) of rhs_.
  auto solve_rhs = [&](int o0, int nc, auto w1, auto c, auto y) {
    // w_p on the pivot rows: w1p = L1^{-T} U^{-T} b.
    w1 = rhs_.block(n, o0, M, nc);
    pf_.topRows(M).triangularView<Eigen::Upper>().transpose().solveInPlace(w1);
    pf_.topRows(M).triangularView<Eigen::UnitLower>().transpose().solveInPlace(w1);
    // c = a - A[:, :M] w1p (pivoted order); reduced right-hand side Z^T c = c[M:] - Xt c[:M].
    for (int i = 0; i < n; ++i) c.row(i) = rhs_.row(perm_[i]).segment(o0, nc);
    c.noalias() -= ap_ * w1;
    y = c.bottomRows(k);
    y.noalias() -= xt_ * c.topRows(M);
    y *= sign;
    llt_.solveInPlace(y);
    // w = [w1p - X y; y], unpermuted into the first n rows of rhs_.
    w1.noalias() -= xt_.transpose() * y;
    for (int i = 0; i < M; ++i) rhs_.row(perm_[i]).segment(o0, nc) = w1.row(i);
    for (int i = 0; i < k; ++i) rhs_.row(perm_[M + i]).segment(o0, nc) = y.row(i);
  };
  if (nops == 1 || columns == Columns::separate) {
    // Each column by the vector kernels, as if it were the only operator: its bits do not
    // depend on the other columns.
    for (int o = 0; o < nops; ++o)
      solve_rhs(o, 1, Eigen::Map<Eigen::VectorXd>(w1_.data(), M),
                Eigen::Map<Eigen::VectorXd>(c_.data(), n),
                Eigen::Map<Eigen::VectorXd>(y_.data(), k));
  } else {
    solve_rhs(0, nops, Eigen::Map<Eigen::MatrixXd>(w1_.data(), M, nops),
              Eigen::Map<Eigen::MatrixXd>(c_.data(), n, nops),
              Eigen::Map<Eigen::MatrixXd>(y_.data(), k, nops));
  }
  return true;
}

}  // namespace dtpinn::rbffd
