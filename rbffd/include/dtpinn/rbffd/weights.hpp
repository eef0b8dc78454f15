#pragma once
// RBF-FD weights on one stencil: PHS r^m plus Legendre polynomials of total degree <= l
// (eq. 9-11 of the DT-PINN paper). The stencil is shifted to the evaluation point and scaled
// by its radius, so the saddle-point system is scale-free; weights are returned in the
// caller's units (a derivative of order k is multiplied by radius^-k).
//
// One StencilWeights object is a reusable workspace (no allocation after construction for a
// fixed rule): one factorisation per stencil serves every requested derivative (several
// right-hand sides). Not thread-safe: use one per thread.
#include <dtpinn/rbffd/derivative.hpp>
#include <dtpinn/rbffd/params.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>
#include <vector>

namespace dtpinn::rbffd {

class StencilWeights {
 public:
  /// Workspace for stencils of rule.size nodes in `dim` (2 or 3) dimensions.
  StencilWeights(int dim, const StencilRule& rule);

  /// Outcome of compute(); `ok` false means the system is singular or ill-posed (collinear or
  /// coincident points, zero radius); the weights are then left unspecified (never used).
  struct Status {
    bool ok = true;
    /// Conditioning of the saddle-point matrix: the LU pivot ratio min|u_ii| / max|u_ii|, or,
    /// where that is below kSuspiciousPivotRatio, the reciprocal condition estimate (1-norm).
    double rcond = 1.0;
    const char* reason = "";
  };

  /// How the right-hand sides of several operators are solved after the one factorisation.
  enum class Columns {
    /// One blocked solve for all of them (fastest; the bits of a column may depend on the
    /// other columns: the gradient, whose three columns are always requested together).
    joint,
    /// One vector solve per operator: column k is bitwise the weights compute() returns for
    /// ops[k] alone, whatever else is requested (the Laplacian and the second partials share
    /// a factorisation, and L keeps the bits it has when it is built alone).
    separate,
  };

  /// points: rule.size x dim coordinates, row-major (point j at points[j*dim .. j*dim+dim-1]).
  /// eval: dim coordinates of the evaluation point. Fills weights (rule.size x ops.size(),
  /// column k = weights of ops[k]) so that (op u)(eval) ~= sum_j weights(j, k) u(points_j).
  /// Every op should have the rule's theta (derivative_order); the weights of any op are exact
  /// on polynomials of degree rule.degree. A z derivative in 2D is std::invalid_argument.
  Status compute(const double* points, const double* eval, const std::vector<Derivative>& ops,
                 Eigen::MatrixXd& weights, Columns columns = Columns::joint);

  /// Radius (max distance to eval) of the last stencil, in the caller's units.
  double last_radius() const { return radius_; }
  const StencilRule& rule() const { return rule_; }

  /// Stencils whose estimated reciprocal condition number is below this are rejected.
  static constexpr double kMinRcond = 1e-16;
  static constexpr double kSuspiciousPivotRatio = 1e-10;

 private:
  int dim_;
  StencilRule rule_;
  std::vector<int> exponents_;  ///< n_polynomials x dim multi-indices (total degree <= l)
  Eigen::MatrixXd local_;       ///< n x dim scaled coordinates
  Eigen::MatrixXd legendre_;    ///< n x dim*(l+1): P_k(local(j, c)) at (j, c*(l+1) + k)
  Eigen::MatrixXd system_;      ///< (n + M) x (n + M)
  Eigen::MatrixXd rhs_;         ///< (n + M) x n_ops
  Eigen::PartialPivLU<Eigen::MatrixXd> lu_;  ///< fallback: LU of the whole system
  // Null-space solver workspaces (see solve_null_space in weights.cpp).
  bool solve_null_space(Status& status, Columns columns);
  void fill_rhs(const std::vector<Derivative>& ops);  ///< rhs_: op applied to the basis at 0
  void fill_polynomials(Eigen::MatrixXd& p) const;    ///< P (n x M) from legendre_
  /// a(i, j) = |y_{first+i} - y_{first+j}|^m: (n - first) x count, n = y.rows().
  void fill_phs(const Eigen::MatrixXd& y, int first, int count, Eigen::MatrixXd& a);
  void build_full_system();  ///< system_ for the LU fallback
  std::vector<int> perm_;
  Eigen::MatrixXd pf_, xt_, ap_, a22_, wv_, g_, w1_, c_, y_, lp_, phs_;
  Eigen::ArrayXd tmp_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  double legendre_at0_[5][16] = {};  ///< P_k^{(j)}(0), j = 0..4, k <= 15
  double radius_ = 0.0;
};

}  // namespace dtpinn::rbffd
