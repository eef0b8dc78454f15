// Geometry the stencils must respect, each against a solution that can tell: a slot one node
// spacing wide next to one eight spacings wide (a solution that jumps by 2 pi across the slot),
// a 2-degree V-notch, wedges of 10 degrees and less (the tip's stencil), a plate thinner than
// its stencil (refused, naming the thin place), and shapes without narrow places (the operators
// must not change). Each hard case is solved to within 10x of the same solve on a nice shape, or
// refused in one line naming the place.
#include <gtest/gtest.h>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/nodegen/shapes.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/test_util.hpp"

namespace {

using namespace dtpinn;
using dtpinn::test::error_of;
using nodegen::NodeSet;
using Fn = std::function<double(double, double)>;

constexpr double kPi = 3.14159265358979323846;

nodegen::CurvePiece segment(Eigen::Vector2d a, Eigen::Vector2d b) {
  return {[a, b](double t) -> Eigen::Vector2d { return a + t * (b - a); },
          [a, b](double) -> Eigen::Vector2d { return b - a; },
          {}};
}

/// [-1, 1]^2 minus a keyhole: a disk of radius 0.15 at the origin and a slot of width w from it
/// up to the top side. Its boundary is one loop (the keyhole opens to the top).
nodegen::DomainPtr keyhole(double w) {
  const double r = 0.15, alpha = std::asin(0.5 * w / r), y0 = r * std::cos(alpha);
  const double start = 0.5 * kPi - alpha, sweep = 2.0 * kPi - 2.0 * alpha;
  nodegen::CurvePiece arc{[=](double t) -> Eigen::Vector2d {
                            const double th = start - t * sweep;
                            return {r * std::cos(th), r * std::sin(th)};
                          },
                          [=](double t) -> Eigen::Vector2d {
                            const double th = start - t * sweep;
                            return {sweep * r * std::sin(th), -sweep * r * std::cos(th)};
                          },
                          {}};
  const double hw = 0.5 * w;
  nodegen::CurveLoop loop{segment({-1, -1}, {1, -1}),
                          segment({1, -1}, {1, 1}),
                          segment({1, 1}, {hw, 1}),
                          segment({hw, 1}, {hw, y0}),
                          arc,
                          segment({-hw, y0}, {-hw, 1}),
                          segment({-hw, 1}, {-1, 1}),
                          segment({-1, 1}, {-1, -1})};
  return std::make_shared<nodegen::CurveDomain2D>(
      std::vector<nodegen::CurveLoop>{loop}, "keyhole", [=](const Eigen::Vector2d& q) {
        const bool box = std::abs(q.x()) < 1 && std::abs(q.y()) < 1;
        const bool slot = std::abs(q.x()) <= hw && q.y() > 0;
        return box && !slot && q.norm() > r;
      });
}

NodeSet generate(const nodegen::Domain& domain, double h, double ghost_distance = 0.0,
                 bool ghosts = true) {
  nodegen::FillOptions o;
  o.h = h;
  o.ghost_distance = ghost_distance;
  o.ghosts = ghosts;
  return nodegen::generate_nodes(domain, o);
}

struct Solved {
  double rel_l2 = 0, max_err = 0;
  Eigen::VectorXd u;
};

/// Lap u = lap on the nodes, u = exact on the boundary (Dirichlet), at order p.
Solved dirichlet_solve(const NodeSet& nodes, const Fn& exact, const Fn& lap, int p = 4,
                       bool visibility = true) {
  rbffd::RbffdParams params;
  params.order = p;
  params.visibility = visibility;
  rbffd::OperatorRequest req;
  req.robin = rbffd::RobinCoefficients::constant(0.0, 1.0);
  const auto ops = rbffd::assemble(nodes, params, req);
  const auto nc = nodes.n_collocation();
  Eigen::VectorXd f(nc), g(nodes.n_boundary), ue(nc);
  for (Eigen::Index i = 0; i < nc; ++i) {
    ue[i] = exact(nodes.points(i, 0), nodes.points(i, 1));
    f[i] = lap(nodes.points(i, 0), nodes.points(i, 1));
  }
  g = ue.tail(nodes.n_boundary);
  const auto s = rbffd::solve_poisson(ops.laplacian, ops.boundary, f, g);
  Solved out;
  out.u = s.u.head(nc);
  out.rel_l2 = (out.u - ue).norm() / ue.norm();
  out.max_err = (out.u - ue).cwiseAbs().maxCoeff();
  return out;
}

// u = the angle around the keyhole's disk, cut along the slot: harmonic, smooth in the domain
// (|grad u| <= 1 / 0.15), and 2 pi apart on the slot's two walls.
const Fn kAngle = [](double x, double y) { return std::atan2(x, -y); };
const Fn kZero = [](double, double) { return 0.0; };

TEST(Visibility, SlotOneSpacingWideSolvesLikeEightSpacingsWide) {
  // Ghosts at 0.4 spacings (at 0.5 and 1 the ghosts of the two walls would coincide).
  const double h = 0.03;
  const NodeSet narrow = generate(*keyhole(1.0 * h), h, 0.4),
                wide = generate(*keyhole(8.0 * h), h, 0.4);
  const Solved a = dirichlet_solve(narrow, kAngle, kZero), b = dirichlet_solve(wide, kAngle, kZero);
  const Solved before = dirichlet_solve(narrow, kAngle, kZero, 4, /*visibility=*/false);
  std::printf(
      "keyhole, h = %g: slot 1 h: rel l2 %.3e (max %.3e), without visibility %.3e (max "
      "%.3e); slot 8 h: %.3e (max %.3e)\n",
      h, a.rel_l2, a.max_err, before.rel_l2, before.max_err, b.rel_l2, b.max_err);
  EXPECT_LT(a.rel_l2, 10.0 * b.rel_l2);
  EXPECT_LT(a.max_err, 10.0 * b.max_err);
  EXPECT_GT(before.rel_l2, 10.0 * a.rel_l2);  // the coupling was the error
}

TEST(Visibility, NoStencilReachesAcrossTheSlot) {
  const double h = 0.03;
  const NodeSet nodes = generate(*keyhole(1.0 * h), h, 0.4);
  rbffd::RbffdParams params;
  const auto L = rbffd::laplacian(nodes, params);
  // Above the disk, the slot's two sides are x < 0 and x > 0 (ghosts by their boundary node).
  auto side = [&](Eigen::Index i) {
    const Eigen::Index b = i >= nodes.ghost_begin() ? i - nodes.n_boundary : i;
    const double x = nodes.points(b, 0), y = nodes.points(b, 1);
    return y > 0.2 ? (x < 0 ? -1 : 1) : 0;
  };
  int crossing = 0, near_slot = 0;
  for (std::int32_t r = 0; r < L.rows; ++r) {
    const int s = side(r);
    if (s == 0 || std::abs(nodes.points(r, 0)) > 4 * h) continue;
    ++near_slot;
    for (auto k = L.row_ptr[r]; k < L.row_ptr[r + 1]; ++k)
      if (side(L.col_idx[k]) == -s) {
        ++crossing;
        break;
      }
  }
  std::printf("rows within 4 h of the slot: %d, with a node of the far side: %d\n", near_slot,
              crossing);
  EXPECT_GT(near_slot, 100);
  EXPECT_EQ(crossing, 0);
}

/// Rows whose stencil is not the set of the n nearest nodes (plain kNN).
int filtered_rows(const NodeSet& nodes, const rbffd::CsrMatrix& m, bool boundary_rows) {
  const nodegen::KnnIndex tree(nodes.points);
  int changed = 0;
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (std::int32_t r = 0; r < m.rows; ++r) {
    const auto node = boundary_rows ? nodes.n_interior + r : r;
    const int n = m.row_ptr[r + 1] - m.row_ptr[r];
    tree.nearest(nodes.points.row(node).data(), n, idx, d2);
    const std::set<std::int32_t> nearest(idx.begin(), idx.end());
    const std::set<std::int32_t> used(m.col_idx.begin() + m.row_ptr[r],
                                      m.col_idx.begin() + m.row_ptr[r + 1]);
    changed += nearest != used;
  }
  return changed;
}

TEST(Visibility, ShapesWithoutNarrowPlacesKeepTheNearestStencils) {
  // Every stencil of L and B is the plain n nearest: the operators are those of the assembly
  // without visibility, bit for bit.
  for (const char* shape :
       {"disk", "annulus", "rectangle", "lshape", "disk_with_hole", "box", "ball"}) {
    const NodeSet nodes = nodegen::make_nodes(
        shape, std::string(shape) == "box" || std::string(shape) == "ball" ? 3000 : 2000);
    rbffd::RbffdParams on, off;
    off.visibility = false;
    rbffd::OperatorRequest req;
    req.robin = rbffd::RobinCoefficients::constant(1.0, 1.0);
    const auto a = rbffd::assemble(nodes, on, req), b = rbffd::assemble(nodes, off, req);
    EXPECT_EQ(a.laplacian.col_idx, b.laplacian.col_idx) << shape;
    EXPECT_EQ(a.laplacian.values, b.laplacian.values) << shape;
    EXPECT_EQ(a.boundary.values, b.boundary.values) << shape;
    EXPECT_EQ(filtered_rows(nodes, a.laplacian, false), 0) << shape;
  }
}

TEST(Visibility, AnIslandTooSmallForAStencilIsRefusedNamingTheGap) {
  // A square with a separate island of 2 x 2 spacings 1.5 spacings away: the island's nodes
  // see fewer nodes than a stencil needs.
  const double h = 0.05;
  nodegen::CurveLoop main{segment({0, 0}, {1, 0}), segment({1, 0}, {1, 1}), segment({1, 1}, {0, 1}),
                          segment({0, 1}, {0, 0})};
  const double a = 1 + 1.5 * h, b = 1 + 3.5 * h;
  nodegen::CurveLoop island{segment({a, 0.4}, {b, 0.4}), segment({b, 0.4}, {b, 0.4 + 2 * h}),
                            segment({b, 0.4 + 2 * h}, {a, 0.4 + 2 * h}),
                            segment({a, 0.4 + 2 * h}, {a, 0.4})};
  const nodegen::CurveDomain2D domain(
      {main, island}, "square and island", [=](const Eigen::Vector2d& q) {
        const bool in_main = q.x() > 0 && q.x() < 1 && q.y() > 0 && q.y() < 1;
        const bool in_island = q.x() > a && q.x() < b && q.y() > 0.4 && q.y() < 0.4 + 2 * h;
        return in_main || in_island;
      });
  const NodeSet nodes = generate(domain, h);
  const std::string msg = error_of([&] { rbffd::laplacian(nodes, rbffd::RbffdParams{}); });
  std::printf("%s\n", msg.c_str());
  EXPECT_NE(msg.find("visible through the domain"), std::string::npos) << msg;
  EXPECT_NE(msg.find("near ("), std::string::npos) << msg;
  EXPECT_NE(msg.find("a gap of"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

/// A triangle with its tip at the origin opening by `degrees` along +x, cut at x = 1.
nodegen::DomainPtr wedge(double degrees) {
  const double t = std::tan(0.5 * degrees * kPi / 180.0);
  Eigen::MatrixX2d v(3, 2);
  v << 0, 0, 1, -t, 1, t;
  return nodegen::make_polygon(v);
}

const Fn kSmooth = [](double x, double y) { return std::sin(2 * x) * std::cos(y) + x * y; };
const Fn kSmoothLap = [](double x, double y) { return -5 * std::sin(2 * x) * std::cos(y); };

TEST(SharpTips, WedgesOfTenDegreesAndLessSolveAtEveryN) {
  // Without the repair every n is refused at the tip ("singular stencil"). The reference is
  // the 60-degree wedge at the same spacing.
  for (const double h : {0.02, 0.01}) {
    const Solved nice = dirichlet_solve(generate(*wedge(60), h), kSmooth, kSmoothLap);
    for (const double degrees : {10.0, 5.0}) {
      const NodeSet nodes = generate(*wedge(degrees), h);
      rbffd::RbffdParams params;
      rbffd::OperatorRequest req;
      req.robin = rbffd::RobinCoefficients::constant(0.0, 1.0);
      const auto ops = rbffd::assemble(nodes, params, req);
      const Solved s = dirichlet_solve(nodes, kSmooth, kSmoothLap);
      std::printf(
          "wedge %g deg, h = %g, N = %ld: rel l2 %.3e (60 deg: %.3e), %ld L rows repaired\n",
          degrees, h, static_cast<long>(nodes.n_collocation()), s.rel_l2, nice.rel_l2,
          static_cast<long>(ops.info[0].repaired_rows));
      EXPECT_LT(s.rel_l2, 10.0 * nice.rel_l2) << degrees << " deg, h = " << h;
      EXPECT_GE(ops.info[0].repaired_rows, 1);
    }
  }
}

TEST(Visibility, TwoDegreeNotchSolvesLikeAWideOne) {
  // [-1, 1]^2 minus a V-notch from the left side to the tip at the origin; u = Im z^(5/2),
  // cut along the notch: harmonic, C^2 at the tip, and 2 r^(5/2) apart on the two flanks.
  auto notched = [](double degrees) {
    const double t = std::tan(0.5 * degrees * kPi / 180.0);
    Eigen::MatrixX2d v(7, 2);
    v << -1, -1, 1, -1, 1, 1, -1, 1, -1, t, 0, 0, -1, -t;
    return nodegen::make_polygon(v);
  };
  const Fn angle = [](double x, double y) {
    return std::pow(std::hypot(x, y), 2.5) * std::sin(2.5 * std::atan2(y, x));
  };
  // Without ghosts: at the tip of a 2-degree notch the outside is thinner than any spacing, so
  // no ghost finds a place there (generate_nodes refuses it); a Dirichlet problem needs none.
  const double h = 0.03;
  const NodeSet thin = generate(*notched(2), h, 0.0, false);
  const Solved a = dirichlet_solve(thin, angle, kZero);
  const Solved before = dirichlet_solve(thin, angle, kZero, 4, false);
  const Solved b = dirichlet_solve(generate(*notched(40), h, 0.0, false), angle, kZero);
  std::printf("V-notch, h = %g: 2 deg: rel l2 %.3e (without visibility %.3e); 40 deg: %.3e\n", h,
              a.rel_l2, before.rel_l2, b.rel_l2);
  EXPECT_LT(a.rel_l2, 10.0 * b.rel_l2);
}

TEST(ThinFeatures, FinsThinnerThanTwoSpacingsSolve) {
  // A square with a fin 0.3 .. 1.7 spacings thick: the fin's stencils are repaired at a lower
  // degree; the error stays that of the square alone.
  const double h = 0.02;
  const Solved plain =
      dirichlet_solve(generate(*nodegen::make_rectangle({0, 0}, {1, 1}), h), kSmooth, kSmoothLap);
  for (const double t : {0.3, 1.0, 1.7}) {
    const double w = t * h;
    Eigen::MatrixX2d v(8, 2);
    v << 0, 0, 1, 0, 1, 0.5 - w / 2, 1.5, 0.5 - w / 2, 1.5, 0.5 + w / 2, 1, 0.5 + w / 2, 1, 1, 0, 1;
    const Solved s = dirichlet_solve(generate(*nodegen::make_polygon(v), h), kSmooth, kSmoothLap);
    std::printf("fin %.1f spacings thick: rel l2 %.3e (the square alone: %.3e)\n", t, s.rel_l2,
                plain.rel_l2);
    EXPECT_LT(s.rel_l2, 10.0 * plain.rel_l2) << t;
  }
}

TEST(ThinFeatures, APlateThinnerThanItsStencilIsRefusedNamingIt) {
  // A strip 1.2 spacings thick without ghost nodes: its nodes lie on two lines, and no degree
  // repairs that.
  const double h = 0.02;
  nodegen::FillOptions o;
  o.h = h;
  o.ghosts = false;
  const NodeSet nodes = nodegen::generate_nodes(*nodegen::make_rectangle({0, 0}, {1, 1.2 * h}), o);
  const std::string msg = error_of([&] { rbffd::laplacian(nodes, rbffd::RbffdParams{}); });
  std::printf("%s\n", msg.c_str());
  EXPECT_NE(msg.find("thinner than"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node spacings across) near ("), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

}  // namespace
