#pragma once
// RBF-FD parameters and the paper's rules that turn an order p into a stencil (Shankar et al.,
// DT-PINN, eq. 9-11): for an operator with theta derivatives,
//   polynomial degree  l = p + theta - 1          (error O(h^p) for smooth functions)
//   stencil size       n = 2 * binom(l + d, d) + 1
//   PHS exponent       m = l if l is odd, l - 1 if even, kept in [5, 11]
// theta: 0 value / interpolation, 1 gradient and boundary operator, 2 Laplacian, 4 biharmonic.
#include <string>

namespace dtpinn::rbffd {

struct RbffdParams {
  int order = 4;              ///< p, the convergence order, 2..6
  int min_phs_exponent = 5;   ///< lower clamp of m (reference implementation)
  int max_phs_exponent = 11;  ///< upper clamp of m
  int stencil_size = 0;       ///< > 0 overrides n for every operator (experiments only)
  int threads = 0;            ///< OpenMP threads for assembly; 0 = OpenMP default

  /// Throws std::invalid_argument with a one-line reason if out of range.
  void validate() const;
};

/// The stencil an operator of order theta needs at order p in dim dimensions.
struct StencilRule {
  int theta = 0;          ///< number of derivatives of the operator
  int degree = 0;         ///< l, total polynomial degree reproduced exactly
  int n_polynomials = 0;  ///< binom(l + d, d)
  int size = 0;           ///< n, nodes per stencil
  int phs_exponent = 0;   ///< m, phi(r) = r^m (odd)

  std::string describe() const;  ///< "theta=2 l=5 n=43 m=5"
};

/// binom(l + d, d): the number of polynomials of total degree <= l in d dimensions.
int polynomial_count(int degree, int dim);

/// Applies the rules above (and the overrides in params). Throws std::invalid_argument if
/// params are invalid, dim is not 2 or 3, or theta < 0.
StencilRule stencil_rule(const RbffdParams& params, int theta, int dim);

}  // namespace dtpinn::rbffd
