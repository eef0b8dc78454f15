// The paper's stencil rules (eq. 9-11 and the text below them); see params.hpp.
#include <dtpinn/rbffd/params.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dtpinn::rbffd {

void RbffdParams::validate() const {
  if (order < 2 || order > 6)
    throw std::invalid_argument(fmt::format("rbffd: order p = {} is out of range 2..6", order));
  if (min_phs_exponent < 1 || min_phs_exponent % 2 == 0 || max_phs_exponent < min_phs_exponent ||
      max_phs_exponent % 2 == 0)
    throw std::invalid_argument(
        fmt::format("rbffd: PHS exponent clamp [{}, {}] must be odd and ordered", min_phs_exponent,
                    max_phs_exponent));
  if (stencil_size < 0)
    throw std::invalid_argument(fmt::format("rbffd: stencil size {} < 0", stencil_size));
  if (!std::isfinite(boundary_stencil_factor) ||
      (boundary_stencil_factor != 0.0 && !(boundary_stencil_factor >= 1.0)))
    throw std::invalid_argument(fmt::format(
        "rbffd: boundary stencil factor {} must be >= 1 (or 0: default)", boundary_stencil_factor));
  if (threads < 0) throw std::invalid_argument(fmt::format("rbffd: threads {} < 0", threads));
}

int polynomial_count(int degree, int dim) {
  // binom(l + d, d) by the multiplicative formula (exact in integers at these sizes).
  long long c = 1;
  for (int k = 1; k <= dim; ++k) c = c * (degree + k) / k;
  return static_cast<int>(c);
}

StencilRule stencil_rule(const RbffdParams& params, int theta, int dim) {
  params.validate();
  if (dim != 2 && dim != 3)
    throw std::invalid_argument(fmt::format("rbffd: dimension {} is not 2 or 3", dim));
  if (theta < 0) throw std::invalid_argument("rbffd: operator order theta < 0");
  StencilRule rule;
  rule.theta = theta;
  rule.degree = std::max(params.order + theta - 1, 1);
  if (rule.degree > 15)
    throw std::invalid_argument(
        fmt::format("rbffd: polynomial degree {} (p = {}, theta = {}) is too high", rule.degree,
                    params.order, theta));
  rule.n_polynomials = polynomial_count(rule.degree, dim);
  rule.size = params.stencil_size > 0 ? params.stencil_size : 2 * rule.n_polynomials + 1;
  const double f = params.boundary_stencil_factor > 0 ? params.boundary_stencil_factor
                                                      : default_boundary_stencil_factor(dim);
  rule.boundary_size = params.stencil_size > 0
                           ? params.stencil_size
                           : static_cast<int>(std::ceil(f * rule.n_polynomials - 1e-9)) + 1;
  if (std::min(rule.size, rule.boundary_size) <= rule.n_polynomials)
    throw std::invalid_argument(
        fmt::format("rbffd: stencil size {} must exceed the {} polynomials of degree {}",
                    std::min(rule.size, rule.boundary_size), rule.n_polynomials, rule.degree));
  int m = rule.degree % 2 == 1 ? rule.degree : rule.degree - 1;
  rule.phs_exponent = std::min(std::max(m, params.min_phs_exponent), params.max_phs_exponent);
  return rule;
}

double default_boundary_stencil_factor(int dim) {
  return dim == 3 ? 2.5 : 2.0;
}

std::string StencilRule::describe() const {
  if (boundary_size != size)
    return fmt::format("theta={} l={} n={} n_b={} m={}", theta, degree, size, boundary_size,
                       phs_exponent);
  return fmt::format("theta={} l={} n={} m={}", theta, degree, size, phs_exponent);
}

}  // namespace dtpinn::rbffd
