#pragma once
// A coupled 3-field system of Stokes type built from rbffd's operators, with a manufactured
// smooth solution (tests and bench/bench_sparse_solvers.cpp):
//   -lap u + p_x = f1,   -lap v + p_y = f2   at the Ni + Nb collocation nodes,
//   u = u*, v = v* (Dirichlet)               at the Nb boundary nodes,
//   u_x + v_y = g                            at the Ni + Nb collocation nodes,
// u* = sin(1.3 x + 0.7 y), v* = cos(0.9 x - 1.1 y), p* = exp(0.5 x) sin(1.2 y) (f1, f2, g
// from them). The pressure has no boundary condition and is fixed only up to a constant.
// Unknowns [u (N), v (N), p (Np)], rows [u-momentum (Nc), u boundary (Nb), v-momentum, v
// boundary, continuity (Nc)]. Pressure layouts (PressureLayout):
//   ghosts     p has ghost unknowns too (Np = N): 2N + Nc rows for 2N + N unknowns, wide by Nb
//   no_ghosts  p lives on the Nc collocation nodes, its operators from without_ghosts(nodes):
//              square (2N + Nc), singular by one (the constant pressure)
//   bordered   no_ghosts plus one unknown lambda added to every continuity row and one row
//              sum_i p_i = sum_i p*_i: square (2N + Nc + 1) and nonsingular
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/rbffd/csr_block.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <Eigen/Core>
#include <cmath>

namespace rbffd_test {

enum class PressureLayout { ghosts, no_ghosts, bordered };

struct StokesSystem {
  dtpinn::rbffd::CsrMatrix a;
  Eigen::VectorXd b;
  Eigen::VectorXd exact;       ///< the manufactured unknowns at the nodes (lambda = 0)
  long n = 0, np = 0, nc = 0;  ///< velocity unknowns per component, pressure unknowns, Ni + Nb
};

struct StokesExact {
  static double u(double x, double y) { return std::sin(1.3 * x + 0.7 * y); }
  static double v(double x, double y) { return std::cos(0.9 * x - 1.1 * y); }
  static double p(double x, double y) { return std::exp(0.5 * x) * std::sin(1.2 * y); }
  static double lap_u(double x, double y) { return -(1.3 * 1.3 + 0.7 * 0.7) * u(x, y); }
  static double lap_v(double x, double y) { return -(0.9 * 0.9 + 1.1 * 1.1) * v(x, y); }
  static double px(double x, double y) { return 0.5 * p(x, y); }
  static double py(double x, double y) { return 1.2 * std::exp(0.5 * x) * std::cos(1.2 * y); }
  static double div(double x, double y) {
    return 1.3 * std::cos(1.3 * x + 0.7 * y) + 1.1 * std::sin(0.9 * x - 1.1 * y);
  }
};

/// The Stokes-type system on a 2D node set with ghosts, at order p.
inline StokesSystem stokes_system(const dtpinn::nodegen::NodeSet& nodes, int order,
                                  PressureLayout layout) {
  using namespace dtpinn::rbffd;
  RbffdParams params;
  params.order = order;
  OperatorRequest req;
  req.boundary = false;
  req.gradient = true;  // L, Dx, Dy for the velocity (ghost columns)
  const OperatorSet vel = assemble(nodes, params, req);
  const bool ghosts = layout == PressureLayout::ghosts;
  OperatorSet pre_own;
  const OperatorSet* pre = &vel;
  if (!ghosts) {
    OperatorRequest preq;
    preq.laplacian = false;
    preq.boundary = false;
    preq.gradient = true;
    pre_own = assemble(without_ghosts(nodes), params, preq);
    pre = &pre_own;
  }
  StokesSystem s;
  s.n = nodes.size();
  s.nc = nodes.n_collocation();
  s.np = ghosts ? s.n : s.nc;
  const long nb = nodes.n_boundary, ni = nodes.n_interior;
  const bool border = layout == PressureLayout::bordered;
  const long cols = 2 * s.n + s.np + (border ? 1 : 0);
  const long rows = 2 * s.n + s.nc + (border ? 1 : 0);
  CsrBuilder m(static_cast<std::int32_t>(rows), static_cast<std::int32_t>(cols));
  const auto iv = [](long k) { return static_cast<std::int32_t>(k); };
  const long u0 = 0, v0 = s.n, p0 = 2 * s.n;                                // column blocks
  const long ru = 0, rbu = s.nc, rv = s.n, rbv = s.n + s.nc, rc = 2 * s.n;  // row blocks
  m.add(iv(ru), iv(u0), vel.laplacian, -1.0);
  m.add(iv(ru), iv(p0), pre->gradient[0]);
  m.add(iv(rv), iv(v0), vel.laplacian, -1.0);
  m.add(iv(rv), iv(p0), pre->gradient[1]);
  for (long k = 0; k < nb; ++k) {
    m.add_entry(iv(rbu + k), iv(u0 + ni + k), 1.0);
    m.add_entry(iv(rbv + k), iv(v0 + ni + k), 1.0);
  }
  m.add(iv(rc), iv(u0), vel.gradient[0]);
  m.add(iv(rc), iv(v0), vel.gradient[1]);
  s.b.resize(rows);
  s.exact.setZero(cols);
  for (long i = 0; i < s.n; ++i) {
    const double x = nodes.points(i, 0), y = nodes.points(i, 1);
    s.exact[u0 + i] = StokesExact::u(x, y);
    s.exact[v0 + i] = StokesExact::v(x, y);
    if (i < s.np) s.exact[p0 + i] = StokesExact::p(x, y);
  }
  for (long i = 0; i < s.nc; ++i) {
    const double x = nodes.points(i, 0), y = nodes.points(i, 1);
    s.b[ru + i] = -StokesExact::lap_u(x, y) + StokesExact::px(x, y);
    s.b[rv + i] = -StokesExact::lap_v(x, y) + StokesExact::py(x, y);
    s.b[rc + i] = StokesExact::div(x, y);
  }
  for (long k = 0; k < nb; ++k) {
    s.b[rbu + k] = s.exact[u0 + ni + k];
    s.b[rbv + k] = s.exact[v0 + ni + k];
  }
  if (border) {
    const long lambda = cols - 1, mean_row = rows - 1;
    double sum = 0.0;
    for (long i = 0; i < s.np; ++i) {
      m.add_entry(iv(mean_row), iv(p0 + i), 1.0);
      m.add_entry(iv(rc + i), iv(lambda), 1.0);
      sum += s.exact[p0 + i];
    }
    s.b[mean_row] = sum;
  }
  s.a = m.build();
  return s;
}

/// Relative l2 errors of a solution x of stokes_system at the collocation nodes: velocity (u
/// and v together) and pressure after removing the mean of each (the constant p is fixed up to).
struct StokesErrors {
  double velocity, pressure;
};

inline StokesErrors stokes_errors(const StokesSystem& s, const Eigen::VectorXd& x) {
  const long nc = s.nc;
  Eigen::VectorXd du(2 * nc), eu(2 * nc);
  du << x.segment(0, nc) - s.exact.segment(0, nc), x.segment(s.n, nc) - s.exact.segment(s.n, nc);
  eu << s.exact.segment(0, nc), s.exact.segment(s.n, nc);
  const Eigen::VectorXd p = x.segment(2 * s.n, nc), pe = s.exact.segment(2 * s.n, nc);
  const Eigen::VectorXd dp = (p.array() - p.mean()).matrix() - (pe.array() - pe.mean()).matrix();
  return {du.norm() / eu.norm(), dp.norm() / (pe.array() - pe.mean()).matrix().norm()};
}

}  // namespace rbffd_test
