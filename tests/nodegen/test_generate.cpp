// Node generation: membership of every kind, counts, quasi-uniformity, determinism, ghosts,
// variable density, repulsion, custom Domains through fill_domain.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>

using namespace dtpinn::nodegen;

namespace {

// Every structural property a node set for RBF-FD must have.
void check_node_set(const Domain& d, const NodeSet& ns, Index n_target, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_NO_THROW(ns.validate());
  ASSERT_EQ(ns.dim, d.dim());
  ASSERT_EQ(ns.n_ghost, ns.n_boundary);
  if (n_target > 0) {
    EXPECT_LE(std::abs(double(ns.n_collocation()) - double(n_target)), 0.05 * double(n_target))
        << "N = " << ns.n_collocation();
  }
  for (Index i = 0; i < ns.n_interior; ++i) {
    ASSERT_TRUE(d.contains(ns.points.row(i).transpose())) << "interior node " << i;
    EXPECT_EQ(ns.normals.row(i).norm(), 0.0);
  }
  for (Index k = 0; k < ns.n_boundary; ++k) {
    const Index b = ns.boundary_begin() + k, g = ns.ghost_begin() + k;
    EXPECT_NEAR(ns.normals.row(b).norm(), 1.0, 1e-12);
    EXPECT_FALSE(d.contains(ns.points.row(g).transpose())) << "ghost " << k << " inside";
    // The ghost lies along its boundary node's outward normal.
    const Eigen::RowVectorXd off = ns.points.row(g) - ns.points.row(b);
    EXPECT_NEAR(off.normalized().dot(ns.normals.row(b)), 1.0, 1e-12);
    EXPECT_EQ(ns.normals.row(g), ns.normals.row(b));
  }
  const QualityReport q = assess_quality(ns, &d, 20000, 7);
  ASSERT_TRUE(q.has_fill_distance);
  EXPECT_GT(q.min_separation, 0.0);
  EXPECT_LT(q.ratio, 2.0) << q.to_string();
  EXPECT_GT(q.ratio, 0.3) << q.to_string();
  EXPECT_LT(q.nn_max / q.nn_min, 2.0) << q.to_string();
}

}  // namespace

TEST(Generate, PaperDiskSizesWithinFivePercent) {
  auto disk = make_shape("disk");
  for (Index n : {582, 828, 1663, 2236, 3196, 4977, 6114, 8767, 19638}) {
    FillOptions o;
    o.n = n;
    o.seed = 1;
    const NodeSet ns = generate_nodes(*disk, o);
    check_node_set(*disk, ns, n, "disk n=" + std::to_string(n));
    // Boundary nodes exactly on the unit circle, normals exact, ghosts at r = 1 + h.
    const double h = 2 * std::acos(-1.0) / double(ns.n_boundary);
    for (Index k = 0; k < ns.n_boundary; ++k) {
      const Eigen::RowVector2d p = ns.points.row(ns.boundary_begin() + k);
      EXPECT_NEAR(p.norm(), 1.0, 1e-12);
      EXPECT_NEAR((ns.normals.row(ns.boundary_begin() + k) - p).norm(), 0.0, 1e-12);
      EXPECT_NEAR(ns.points.row(ns.ghost_begin() + k).norm(), 1.0 + h, 0.02 * h);
    }
    // Interior kept at least ~h/2 from the boundary.
    for (Index i = 0; i < ns.n_interior; ++i)
      EXPECT_GT(1.0 - ns.points.row(i).norm(), 0.5 * h) << "n=" << n << " node " << i;
  }
}

TEST(Generate, All2DShapes) {
  for (const std::string name :
       {"annulus", "rectangle", "square", "lshape", "star", "disk_with_hole"}) {
    auto d = make_shape(name);
    for (Index n : {300, 3000}) {
      FillOptions o;
      o.n = n;
      o.seed = 5;
      check_node_set(*d, generate_nodes(*d, o), n, name + " n=" + std::to_string(n));
    }
  }
}

TEST(Generate, ThreeDimensional) {
  for (const std::string name : {"ball", "box"}) {
    auto d = make_shape(name);
    for (Index n : {2000, 20000}) {
      FillOptions o;
      o.n = n;
      o.seed = 2;
      const NodeSet ns = generate_nodes(*d, o);
      check_node_set(*d, ns, n, name + " n=" + std::to_string(n));
      if (name == "ball") {
        for (Index k = 0; k < ns.n_boundary; ++k)
          EXPECT_NEAR(ns.points.row(ns.boundary_begin() + k).norm(), 1.0, 1e-12);
      }
    }
  }
}

TEST(Generate, SpacingGivenDirectly) {
  auto sq = make_shape("square");
  FillOptions o;
  o.h = 0.05;
  const NodeSet ns = generate_nodes(*sq, o);
  check_node_set(*sq, ns, 0, "square h=0.05");
  const QualityReport q = assess_quality(ns, sq.get());
  EXPECT_NEAR(q.min_separation, 0.05, 1e-9);  // Poisson-disk radius h
  EXPECT_EQ(ns.n_boundary, 4 * 40);
}

TEST(Generate, Deterministic) {
  auto star = make_shape("star");
  FillOptions o;
  o.n = 2180;
  o.seed = 11;
  const NodeSet a = generate_nodes(*star, o), b = generate_nodes(*star, o);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.points, b.points);
  EXPECT_EQ(a.normals, b.normals);
  o.seed = 12;
  const NodeSet c = generate_nodes(*star, o);
  EXPECT_TRUE(c.size() != a.size() || c.points != a.points);
  EXPECT_EQ(make_nodes("ball", 3000, 4).points, make_nodes("ball", 3000, 4).points);
}

TEST(Generate, BadRequests) {
  auto disk = make_shape("disk");
  FillOptions o;
  o.n = 9;
  EXPECT_THROW(generate_nodes(*disk, o), std::invalid_argument);
  o.n = 0;
  EXPECT_THROW(generate_nodes(*disk, o), std::invalid_argument);
  o.h = -0.1;
  EXPECT_THROW(generate_nodes(*disk, o), std::invalid_argument);
  o.h = std::nan("");
  EXPECT_THROW(generate_nodes(*disk, o), std::invalid_argument);
  o.h = 1e-6;  // 3e12 nodes: refused, not attempted
  EXPECT_THROW(generate_nodes(*disk, o), std::invalid_argument);
  EXPECT_THROW(make_nodes("disk", 5), std::invalid_argument);
  EXPECT_THROW(make_nodes("blob", 100), std::invalid_argument);
}

TEST(Generate, VariableDensityFinerNearBoundary) {
  auto disk = make_shape("disk");
  FillOptions o;
  o.n = 4000;
  o.spacing_factor = [](const Eigen::Ref<const Eigen::VectorXd>& p) {
    return 1.0 - 0.6 * p.norm();  // h/2.5 at the boundary, h at the centre
  };
  const NodeSet ns = generate_nodes(*disk, o);
  EXPECT_LE(std::abs(double(ns.n_collocation()) - 4000.0), 0.05 * 4000.0);
  // Count nodes in an inner disk (r < 0.4) and an outer ring (0.8 < r < 1) per unit area.
  double inner = 0, outer = 0;
  for (Index i = 0; i < ns.n_collocation(); ++i) {
    const double r = ns.points.row(i).norm();
    if (r < 0.4) inner += 1;
    if (r > 0.8) outer += 1;
  }
  const double pi = std::acos(-1.0);
  EXPECT_GT((outer / (pi * (1 - 0.64))) / (inner / (pi * 0.16)), 2.5);
  for (Index i = 0; i < ns.n_interior; ++i) EXPECT_LT(ns.points.row(i).norm(), 1.0);
  for (Index k = 0; k < ns.n_boundary; ++k)
    EXPECT_GT(ns.points.row(ns.ghost_begin() + k).norm(), 1.0);
}

TEST(Generate, RepulsionKeepsNodesValid) {
  auto star = make_shape("star");
  FillOptions o;
  o.n = 2000;
  o.repulsion_steps = 5;
  const NodeSet ns = generate_nodes(*star, o);
  check_node_set(*star, ns, 2000, "star with repulsion");
}

namespace {
// An ellipse known only through contains() and a boundary sample (as an import would be).
class ImplicitEllipse : public Domain {
 public:
  int dim() const override { return 2; }
  Eigen::VectorXd bbox_min() const override { return Eigen::Vector2d(-2, -1); }
  Eigen::VectorXd bbox_max() const override { return Eigen::Vector2d(2, 1); }
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override {
    return p[0] * p[0] / 4 + p[1] * p[1] < 1;
  }
  BoundarySample sample_boundary(double h, std::mt19937_64&) const override {
    const int n = int(9.688 / h);  // perimeter of the 2 x 1 ellipse
    BoundarySample s;
    s.points.resize(n, 2);
    s.normals.resize(n, 2);
    for (int i = 0; i < n; ++i) {  // equal angle steps: not uniform, still a valid boundary
      const double t = 2 * std::acos(-1.0) * i / n;
      s.points.row(i) << 2 * std::cos(t), std::sin(t);
      const double nx = std::cos(t) / 2, ny = std::sin(t), len = std::hypot(nx, ny);
      s.normals.row(i) << nx / len, ny / len;
    }
    return s;
  }
  double volume() const override { return 2 * std::acos(-1.0); }
  double boundary_measure() const override { return 9.688; }
  std::string describe() const override { return "implicit ellipse"; }
};
}  // namespace

TEST(Generate, FillDomainWorksForAnyDomain) {
  ImplicitEllipse e;
  std::mt19937_64 rng(0);
  FillOptions o;
  const NodeSet ns = fill_domain(e, e.sample_boundary(0.05, rng), 0.05, o);
  EXPECT_GT(ns.n_interior, 1500);
  for (Index i = 0; i < ns.n_interior; ++i) EXPECT_TRUE(e.contains(ns.points.row(i).transpose()));
  for (Index k = 0; k < ns.n_ghost; ++k)
    EXPECT_FALSE(e.contains(ns.points.row(ns.ghost_begin() + k).transpose()));
  // 3D: a ball's boundary handed in explicitly.
  auto ball = make_ball(Eigen::Vector3d(1, 2, 3), 0.5);
  const NodeSet nb = fill_domain(*ball, ball->sample_boundary(0.08, rng), 0.08, o);
  check_node_set(*ball, nb, 0, "ball via fill_domain");
}

// Default ghost offset: 1.0 h in 2D, 0.5 h in 3D (generate.hpp); an explicit factor wins.
TEST(Generate, DefaultGhostDistanceDependsOnDimension) {
  EXPECT_EQ(default_ghost_distance(2), 1.0);
  EXPECT_EQ(default_ghost_distance(3), 0.5);
  for (const std::string shape : {"disk", "ball"}) {
    FillOptions o;
    o.n = 1500;
    o.seed = 4;
    const NodeSet by_default = generate_nodes(*make_shape(shape), o);
    o.ghost_distance = 1.0;
    const NodeSet at_one = generate_nodes(*make_shape(shape), o);
    ASSERT_EQ(by_default.n_boundary, at_one.n_boundary);
    const double expect = default_ghost_distance(by_default.dim);
    for (Index k = 0; k < by_default.n_boundary; k += 7) {
      const Index b = by_default.boundary_begin() + k, g = by_default.ghost_begin() + k;
      ASSERT_TRUE(by_default.points.row(b).isApprox(at_one.points.row(b)));
      const double off = (by_default.points.row(g) - by_default.points.row(b)).norm();
      const double off1 = (at_one.points.row(g) - at_one.points.row(b)).norm();
      EXPECT_NEAR(off, expect * off1, 1e-12) << shape << " boundary node " << k;
    }
  }
  NodeSet ns = make_nodes("ball", 1500, 4, false);
  add_ghost_nodes(ns);  // no domain: the local spacing, times the 3D default
  const QualityReport q = assess_quality(ns);
  EXPECT_NEAR(q.ghost_min_distance, 0.5 * q.nn_min, 0.2 * q.nn_min);
  FillOptions bad;
  bad.n = 500;
  bad.ghost_distance = -1.0;
  EXPECT_THROW(generate_nodes(*make_shape("disk"), bad), std::invalid_argument);
}

TEST(Generate, GhostsWithoutDomainUseLocalSpacing) {
  NodeSet ns = make_nodes("square", 1000, 0, false);
  EXPECT_EQ(ns.n_ghost, 0);
  add_ghost_nodes(ns, 0.5);
  ASSERT_EQ(ns.n_ghost, ns.n_boundary);
  const QualityReport q = assess_quality(ns);
  for (Index k = 0; k < ns.n_boundary; ++k) {
    const double off =
        (ns.points.row(ns.ghost_begin() + k) - ns.points.row(ns.boundary_begin() + k)).norm();
    EXPECT_NEAR(off, 0.5 * q.nn_median, 0.05 * q.nn_median);
  }
  add_ghost_nodes(ns, 1.0);  // replaces, does not append
  EXPECT_EQ(ns.n_ghost, ns.n_boundary);
  EXPECT_NO_THROW(ns.validate());
}

TEST(Generate, PolygonParametricAndHoleDomains) {
  // A user polygon (a non-convex arrow), a parametric curve known only through x(t) (exact
  // derivative given) with its fallback membership test, and a 3D ball with a ball-shaped hole.
  Eigen::MatrixX2d arrow(7, 2);
  arrow << 0, 0, 2, 0, 2, -0.5, 3, 0.5, 2, 1.5, 2, 1, 0, 1;
  auto poly = make_polygon(arrow);
  FillOptions o;
  o.n = 1500;
  check_node_set(*poly, generate_nodes(*poly, o), 1500, "arrow polygon");
  const double pi = std::acos(-1.0);
  auto blob = make_parametric(
      [](double t) {
        const double r = 1.0 + 0.2 * std::sin(3 * t);
        return Eigen::Vector2d(r * std::cos(t), r * std::sin(t));
      },
      0.0, 2 * pi,
      [](double t) {
        const double r = 1.0 + 0.2 * std::sin(3 * t), dr = 0.6 * std::cos(3 * t);
        return Eigen::Vector2d(dr * std::cos(t) - r * std::sin(t),
                               dr * std::sin(t) + r * std::cos(t));
      },
      "blob");
  check_node_set(*blob, generate_nodes(*blob, o), 1500, "parametric blob");
  auto hollow = make_difference(make_ball(), {make_ball(Eigen::Vector3d(0.2, 0, 0), 0.4)});
  o.n = 4000;
  const NodeSet ns = generate_nodes(*hollow, o);
  check_node_set(*hollow, ns, 4000, "hollow ball");
  for (Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector3d p = ns.points.row(ns.boundary_begin() + k).transpose();
    const Eigen::Vector3d n = ns.normals.row(ns.boundary_begin() + k).transpose();
    if (std::abs(p.norm() - 1.0) < 1e-12) {
      EXPECT_NEAR((n - p).norm(), 0.0, 1e-12);
    } else {  // on the hole: normal points towards the hole's centre
      const Eigen::Vector3d c(0.2, 0, 0);
      EXPECT_NEAR((p - c).norm(), 0.4, 1e-12);
      EXPECT_NEAR((n + (p - c) / 0.4).norm(), 0.0, 1e-12);
    }
  }
}
