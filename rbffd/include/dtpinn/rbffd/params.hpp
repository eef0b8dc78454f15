#pragma once
// RBF-FD parameters and the paper's rules that turn an order p into a stencil (Shankar et al.,
// DT-PINN, eq. 9-11): for an operator with theta derivatives,
//   polynomial degree  l = p + theta - 1          (error O(h^p) for smooth functions)
//   stencil size       n = 2 * binom(l + d, d) + 1
//   PHS exponent       m = l if l is odd, l - 1 if even, kept in [5, 11]
// theta: 0 value / interpolation, 1 gradient and boundary operator, 2 Laplacian, 4 biharmonic.
//
// One extension of the paper's rule: rows centred at a boundary node use
//   n_b = ceil(f * binom(l + d, d)) + 1,   f = 2 in 2D (= n, the paper), 2.5 in 3D.
// A 3D boundary stencil is one-sided up to the ghost layer, and with the paper's 2x (and
// ghosts at 1.0 h) the max error of its rows converges erratically, set by a few stencils
// (ball, 3 seeds x 7 node counts: L 2.2-2.8 at p = 3 and 2.6-3.4 at p = 4, B 3.6-4.6 at
// p = 5). With 2.5x and ghosts at 0.5 h (nodegen's 3D default) every row converges at
// p +- 0.5 in the same sweep, see tests/rbffd/test_convergence.cpp.
// boundary_stencil_factor = 2 restores the paper's rule in 3D.
#include <string>

namespace dtpinn::rbffd {

struct RbffdParams {
  int order = 4;              ///< p, the convergence order, 2..6
  int min_phs_exponent = 5;   ///< lower clamp of m (reference implementation)
  int max_phs_exponent = 11;  ///< upper clamp of m
  int stencil_size = 0;       ///< > 0 overrides n and n_b for every operator (experiments)
  /// f in n_b = ceil(f * binom(l + d, d)) + 1 at boundary nodes; 0 = the default for the
  /// dimension (default_boundary_stencil_factor), else >= 1.
  double boundary_stencil_factor = 0.0;
  int threads = 0;  ///< OpenMP threads for assembly; 0 = OpenMP default
  /// Stencils take only nodes visible through the domain (operators.hpp); false: the plain n
  /// nearest nodes (comparisons and benchmarks).
  bool visibility = true;

  /// Throws std::invalid_argument with a one-line reason if out of range.
  void validate() const;
};

/// The stencil an operator of order theta needs at order p in dim dimensions.
struct StencilRule {
  int theta = 0;          ///< number of derivatives of the operator
  int degree = 0;         ///< l, total polynomial degree reproduced exactly
  int n_polynomials = 0;  ///< binom(l + d, d)
  int size = 0;           ///< n, nodes per stencil
  int boundary_size = 0;  ///< n_b, nodes per stencil centred at a boundary node
  int phs_exponent = 0;   ///< m, phi(r) = r^m (odd)

  std::string describe() const;  ///< "theta=2 l=5 n=43 m=5" (", n_b=141" if n_b != n)
};

/// f of the boundary stencil size: 2.0 in 2D (the paper's rule), 2.5 in 3D.
double default_boundary_stencil_factor(int dim);

/// binom(l + d, d): the number of polynomials of total degree <= l in d dimensions.
int polynomial_count(int degree, int dim);

/// Applies the rules above (and the overrides in params). Throws std::invalid_argument if
/// params are invalid, dim is not 2 or 3, or theta < 0.
StencilRule stencil_rule(const RbffdParams& params, int theta, int dim);

}  // namespace dtpinn::rbffd
