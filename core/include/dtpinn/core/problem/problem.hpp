#pragma once
// A PDE problem on a node cloud: the PDE, its Robin boundary condition, its data f, g, u0 and
// (optionally) its exact solution, all evaluated at points. LibTorch-free.
//
//   poisson:            Lap u = f                       in the domain
//   nonlinear_poisson:  Lap u = exp(u) + f              in the domain
//   heat:               u_t = Lap u + f,  u(x, 0) = u0  in the domain, 0 < t <= t_final
//   all:                alpha du/dn + beta u = g        on the boundary (n outward)
//
// Given an exact solution, f, g and u0 are derived from it symbolically (GiNaC), so the user
// never hand-derives them. Expressions use the variables x, y, z, t and the constant pi.
// (Syntax: dtpinn/core/problem/expression.hpp.) Derived data:
//   f = Lap u (poisson), Lap u - exp(u) (nonlinear_poisson), u_t - Lap u (heat),
//   g = alpha (grad u . n) + beta u, with n = (nx, ny[, nz]) the outward unit normal,
//   u0 = u(x, 0).
// An f, g or u0 given in the config overrides the derived one (exact stays the reference for
// the error); without exact, f and g (and u0 for heat) are required. g may use nx, ny, nz; z is
// an error in 2D, t in a steady problem. Every evaluation throws (naming the expression and the
// point) rather than return a value that is not finite.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>
#include <memory>
#include <string>

namespace dtpinn::core {

using nodegen::PointMatrix;

class Problem {
 public:
  /// Throws std::runtime_error naming the bad expression (and the config key) if an
  /// expression does not parse, uses an unknown variable, or f/g are neither given nor
  /// derivable.
  Problem(const ProblemConfig& config, int dim);
  ~Problem();
  Problem(Problem&&) noexcept;
  Problem& operator=(Problem&&) noexcept;

  PdeKind pde() const;
  int dim() const;
  double alpha() const;
  double beta() const;
  bool is_time_dependent() const { return pde() == PdeKind::heat; }
  double t_final() const;
  int nt() const;

  /// f at each row of x (N x dim), at time t (ignored for steady problems). Length N.
  Eigen::VectorXd source(const PointMatrix& x, double t = 0.0) const;
  /// g at boundary points x with outward unit normals n (both N x dim). Length N.
  Eigen::VectorXd boundary_data(const PointMatrix& x, const PointMatrix& n, double t = 0.0) const;
  /// u0 at x (heat). Length N.
  Eigen::VectorXd initial(const PointMatrix& x) const;
  bool has_exact() const;
  /// The exact solution at x and t. Throws if !has_exact().
  Eigen::VectorXd exact(const PointMatrix& x, double t = 0.0) const;
  /// The exact Laplacian of the exact solution (tests, diagnostics). Throws if !has_exact().
  Eigen::VectorXd exact_laplacian(const PointMatrix& x, double t = 0.0) const;

  /// Human-readable f, g (and u0) as used, for logs and the saved config.
  std::string describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dtpinn::core
