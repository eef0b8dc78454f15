// import_nodes end to end: the three ways in (labelled cloud, boundary cloud, closed surface /
// polyline), checked against analytic shapes; bad input; the shipped data/geometry examples.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/readers.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/test_util.hpp"
#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
using dn::testutil::angle_deg;
using dn::testutil::scratch_dir;
using dtpinn::test::write_text;

namespace {

std::string import_error(const std::string& path, const dn::ImportOptions& o = {}) {
  const std::string msg = dtpinn::test::error_of([&] { dn::import_nodes(path, o); });
  if (msg.empty()) ADD_FAILURE() << path << ": no error";
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  return msg;
}

/// Ghost k lies outside along the normal of boundary node k.
void expect_ghosts_follow_normals(const dn::NodeSet& ns) {
  ASSERT_EQ(ns.n_ghost, ns.n_boundary);
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::VectorXd d =
        (ns.points.row(ns.ghost_begin() + k) - ns.points.row(ns.boundary_begin() + k)).transpose();
    ASSERT_GT(d.dot(ns.normals.row(ns.boundary_begin() + k).transpose()), 0.99 * d.norm());
  }
}

}  // namespace

TEST(ImportNodes, LabelledRoundTripIsExact) {
  const auto dir = scratch_dir();
  for (const char* shape : {"disk", "ball"}) {
    dn::FillOptions o;
    o.n = std::string(shape) == "disk" ? 600 : 1500;
    o.seed = 4;
    const dn::NodeSet ns = dn::generate_nodes(*dn::make_shape(shape), o);
    const std::string path = dir + "/" + shape + ".csv";
    dn::write_nodes(path, ns);
    dn::ImportReport rep;
    const dn::NodeSet back = dn::import_nodes(path, {}, &rep);
    EXPECT_EQ(rep.kind, "labelled cloud");
    EXPECT_EQ(back.dim, ns.dim);
    EXPECT_EQ(back.n_interior, ns.n_interior);
    EXPECT_EQ(back.n_boundary, ns.n_boundary);
    EXPECT_EQ(back.n_ghost, ns.n_ghost);
    EXPECT_EQ(back.points, ns.points) << shape;
    EXPECT_EQ(back.normals, ns.normals) << shape;
  }
}

TEST(ImportNodes, LabelledWithoutGhostsGetsThem) {
  const auto dir = scratch_dir();
  dn::FillOptions o;
  o.n = 500;
  o.ghosts = false;
  const dn::NodeSet ns = dn::generate_nodes(*dn::make_shape("disk"), o);
  dn::write_nodes(dir + "/ng.csv", ns);
  const dn::NodeSet back = dn::import_nodes(dir + "/ng.csv", {});
  EXPECT_EQ(back.n_ghost, ns.n_boundary);
  expect_ghosts_follow_normals(back);
  for (dn::Index k = 0; k < back.n_ghost; ++k)
    EXPECT_GT(back.points.row(back.ghost_begin() + k).norm(), 1.0);
}

TEST(ImportNodes, SphereStlInsideAndNormals) {
  const auto dir = scratch_dir();
  dn::write_stl(dir + "/sphere.stl", dn::testutil::icosphere(4), /*binary=*/true);
  dn::ImportOptions o;
  o.n = 3000;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(dir + "/sphere.stl", o, &rep);
  EXPECT_EQ(rep.kind, "surface mesh");
  EXPECT_NEAR(double(ns.n_collocation()), 3000, 0.05 * 3000);
  for (dn::Index i = 0; i < ns.n_interior; ++i) ASSERT_LT(ns.points.row(i).norm(), 1.0);
  double worst = 0;
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k)
    worst = std::max(worst, angle_deg(ns.normals.row(k).transpose(), ns.points.row(k).transpose()));
  RecordProperty("sphere_import_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 1.0);
  expect_ghosts_follow_normals(ns);
  for (dn::Index k = ns.ghost_begin(); k < ns.size(); ++k) ASSERT_GT(ns.points.row(k).norm(), 1.0);
  const auto dom = dn::load_domain(dir + "/sphere.stl");
  const dn::QualityReport q = dn::assess_quality(ns, dom.get());
  RecordProperty("sphere_quality_ratio", std::to_string(q.ratio));
  EXPECT_LT(q.ratio, 2.5) << q.to_string();
  EXPECT_NE(rep.summary().find("bounding box [-1, 1] x [-1, 1] x [-1, 1]"), std::string::npos)
      << rep.summary();
}

TEST(ImportNodes, TorusObjInsideAndNormals) {
  const auto dir = scratch_dir();
  const double R = 1.0, r = 0.4;
  dn::write_obj(dir + "/torus.obj", dn::testutil::torus(R, r, 96, 48));
  dn::ImportOptions o;
  o.h = 0.08;
  o.seed = 2;
  const dn::NodeSet ns = dn::import_nodes(dir + "/torus.obj", o);
  EXPECT_GT(ns.n_interior, 1000);
  for (dn::Index i = 0; i < ns.n_interior; ++i) {
    const Eigen::Vector3d p = ns.points.row(i).transpose();
    ASSERT_LT(std::hypot(std::hypot(p.x(), p.y()) - R, p.z()), r) << p.transpose();
  }
  double worst = 0;
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k) {
    const Eigen::Vector3d p = ns.points.row(k).transpose();
    worst =
        std::max(worst, angle_deg(ns.normals.row(k).transpose(), dn::testutil::torus_normal(p, R)));
  }
  RecordProperty("torus_import_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 2.0);
  expect_ghosts_follow_normals(ns);
}

TEST(ImportNodes, BoundaryCloud2DWithoutNormals) {
  const auto dir = scratch_dir();
  dn::PointMatrix P, N;
  dn::testutil::ellipse_cloud(200, 1.0, 0.6, P, N);  // shuffled: not an ordered outline
  dn::write_point_table(dir + "/ellipse.xyz", P, dn::PointMatrix());
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(dir + "/ellipse.xyz", {}, &rep);
  EXPECT_EQ(rep.kind, "boundary cloud");
  // A 2D cloud is joined into a curve fitted through its points and resampled at the spacing of
  // its points spread evenly: the normals are the fitted curve's, about as many nodes as points.
  EXPECT_FALSE(rep.normals_estimated);
  EXPECT_EQ(rep.normals_source, "the fitted curves");
  EXPECT_NEAR(double(ns.n_boundary), 200.0, 2.0);
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k) {
    const double x = ns.points(k, 0), y = ns.points(k, 1);
    ASSERT_NEAR(std::hypot(x, y / 0.6), 1.0, 1e-4) << x << " " << y;
  }
  for (dn::Index i = 0; i < ns.n_interior; ++i) {
    const double x = ns.points(i, 0), y = ns.points(i, 1);
    ASSERT_LT(x * x + y * y / 0.36, 1.0);
  }
  double worst = 0;
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector2d p = ns.points.row(ns.boundary_begin() + k).transpose();
    const Eigen::Vector2d exact = Eigen::Vector2d(p.x(), p.y() / 0.36).normalized();
    worst = std::max(worst, angle_deg(ns.normals.row(ns.boundary_begin() + k).transpose(), exact));
  }
  RecordProperty("ellipse_import_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 3.0);
  // Interior filled at the cloud's spacing: area / (0.85^-1 s^2) nodes, roughly.
  const double s = rep.spacing, area = M_PI * 0.6;
  EXPECT_NEAR(double(ns.n_interior), 0.85 * area / (s * s), 0.25 * 0.85 * area / (s * s));
}

TEST(ImportNodes, BoundaryCloud3DWithoutNormalsAndRescale) {
  const auto dir = scratch_dir();
  dn::PointMatrix P, N;
  dn::testutil::ellipsoid_cloud(2500, 30.0, 20.0, 15.0, P, N);  // "millimetres"
  dn::write_point_table(dir + "/egg.csv", P, dn::PointMatrix(), ',', true);
  dn::ImportOptions o;
  o.rescale = true;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(dir + "/egg.csv", o, &rep);
  const Eigen::Vector3d lo = P.colwise().minCoeff().transpose(),
                        hi = P.colwise().maxCoeff().transpose();
  const double s = 1.0 / (hi - lo).maxCoeff();
  EXPECT_NEAR(rep.scale, s, 1e-15);
  EXPECT_NEAR((rep.bbox_max - hi).norm(), 0.0, 1e-12);
  // In the unit box: x' = (x - lo) * s, so the centre is -lo * s, semi-axes scaled by s.
  const Eigen::Vector3d c = -lo * s, ax = Eigen::Vector3d(30.0, 20.0, 15.0) * s;
  for (dn::Index i = 0; i < ns.n_interior; ++i) {
    const Eigen::Vector3d q = (ns.points.row(i).transpose() - c).cwiseQuotient(ax);
    ASSERT_LT(q.norm(), 1.0);
  }
  double worst = 0;
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector3d q = ns.points.row(ns.boundary_begin() + k).transpose() - c;
    const Eigen::Vector3d exact = q.cwiseQuotient(ax.cwiseProduct(ax)).normalized();
    worst = std::max(worst, angle_deg(ns.normals.row(ns.boundary_begin() + k).transpose(), exact));
  }
  RecordProperty("ellipsoid_import_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 5.0);
  EXPECT_GT(ns.n_interior, 1000);
}

TEST(ImportNodes, GivenNormalsInwardAreFlipped) {
  const auto dir = scratch_dir();
  dn::PointMatrix P, N;
  dn::testutil::ellipse_cloud(150, 1.0, 1.0, P, N);
  dn::write_point_table(dir + "/in.xyz", P, (-N).eval());
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(dir + "/in.xyz", {}, &rep);
  EXPECT_FALSE(rep.normals_estimated);
  for (dn::Index k = 0; k < ns.n_boundary; ++k)
    ASSERT_GT(ns.normals.row(ns.boundary_begin() + k).dot(ns.points.row(ns.boundary_begin() + k)),
              0.99);
}

TEST(ImportNodes, PolylineOutline) {
  const auto dir = scratch_dir();
  // Star outline r = 1 + 0.3 cos 5t as an ordered .csv polyline (1000 points).
  const int n = 1000;
  dn::PointMatrix P(n, 2);
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * i / n, r = 1 + 0.3 * std::cos(5 * t);
    P.row(i) << r * std::cos(t), r * std::sin(t);
  }
  dn::write_point_table(dir + "/star.csv", P, dn::PointMatrix(), ',', true);
  dn::ImportOptions o;
  o.n = 1500;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(dir + "/star.csv", o, &rep);
  EXPECT_EQ(rep.kind, "polyline");
  EXPECT_NEAR(double(ns.n_collocation()), 1500, 75);
  for (dn::Index i = 0; i < ns.n_interior; ++i) {
    const double t = std::atan2(ns.points(i, 1), ns.points(i, 0));
    ASSERT_LT(ns.points.row(i).norm(), 1 + 0.3 * std::cos(5 * t));
  }
  double worst = 0;
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k) {
    const double x = ns.points(k, 0), y = ns.points(k, 1), t = std::atan2(y, x);
    const double r = 1 + 0.3 * std::cos(5 * t), dr = -1.5 * std::sin(5 * t);
    // Tangent d/dt (r cos t, r sin t); outward normal = tangent turned clockwise.
    const Eigen::Vector2d tan(dr * std::cos(t) - r * std::sin(t),
                              dr * std::sin(t) + r * std::cos(t));
    worst = std::max(worst,
                     angle_deg(ns.normals.row(k).transpose(), Eigen::Vector2d(tan.y(), -tan.x())));
  }
  RecordProperty("star_polyline_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 1.0);
}

TEST(ImportNodes, BadInput) {
  const auto dir = scratch_dir();
  write_text(dir + "/empty.xyz", "");
  EXPECT_NE(import_error(dir + "/empty.xyz").find("empty.xyz"), std::string::npos);
  EXPECT_NE(import_error(dir + "/nope.stl").find("nope.stl: no such file"), std::string::npos);
  // Open surface.
  dn::TriangleMesh m = dn::testutil::icosphere(2);
  m.faces.conservativeResize(m.faces.rows() - 2, 3);
  dn::write_stl(dir + "/open.stl", m, false);
  const std::string open = import_error(dir + "/open.stl");
  EXPECT_NE(open.find("open.stl: open surface"), std::string::npos) << open;
  // Inconsistent normals: a fifth of them flipped.
  dn::PointMatrix P, N;
  dn::testutil::ellipsoid_cloud(800, 1, 1, 1, P, N);
  for (Eigen::Index i = 0; i < P.rows(); i += 5) N.row(i) *= -1;
  dn::write_point_table(dir + "/flip.xyz", P, N);
  const std::string flip = import_error(dir + "/flip.xyz");
  EXPECT_NE(flip.find("inconsistent normals"), std::string::npos) << flip;
  EXPECT_NE(flip.find("flip.xyz:"), std::string::npos) << flip;
  // Too small a cloud.
  dn::testutil::ellipse_cloud(12, 1, 1, P, N);
  dn::write_point_table(dir + "/few.xyz", P, N);
  EXPECT_NE(import_error(dir + "/few.xyz").find("too few boundary points (12)"), std::string::npos);
  // Sparse for its size: 30 points around an ellipse 50:1 (spacing ~ the width).
  dn::testutil::ellipse_cloud(30, 1, 0.02, P, N);
  dn::write_point_table(dir + "/thin.xyz", P, dn::PointMatrix());
  const std::string thin = import_error(dir + "/thin.xyz");
  EXPECT_NE(thin.find("too sparse"), std::string::npos) << thin;
  // Enough points for the fill, but not for a 6th-order stencil in 3D (241 nodes).
  dn::testutil::ellipsoid_cloud(150, 1, 1, 1, P, N);
  dn::write_point_table(dir + "/order.xyz", P, N);
  dn::ImportOptions o;
  o.order = 6;
  const std::string ord = import_error(dir + "/order.xyz", o);
  EXPECT_NE(ord.find("too few nodes for order 6"), std::string::npos) << ord;
  // Duplicate point.
  write_text(dir + "/dup.xyz", "0 0\n1 0\n1 1\n0 1\n1 0\n");
  dn::testutil::ellipse_cloud(40, 1, 1, P, N);
  std::string txt;
  for (Eigen::Index i = 0; i < P.rows(); ++i)
    txt += std::to_string(P(i, 0)) + " " + std::to_string(P(i, 1)) + "\n";
  txt += std::to_string(P(3, 0)) + " " + std::to_string(P(3, 1)) + "\n";
  write_text(dir + "/dup.xyz", txt);
  const std::string dup = import_error(dir + "/dup.xyz");
  EXPECT_NE(dup.find("dup.xyz:41: duplicate point (same as line 4)"), std::string::npos) << dup;
}

TEST(ImportNodes, IsGeometryFile) {
  EXPECT_TRUE(dn::is_geometry_file("part.STL"));
  EXPECT_TRUE(dn::is_geometry_file("cloud.xyz"));
  EXPECT_TRUE(dn::is_geometry_file("a/b/outline.Csv"));
  EXPECT_TRUE(dn::is_geometry_file("m.obj"));
  EXPECT_FALSE(dn::is_geometry_file("disk"));
  EXPECT_FALSE(dn::is_geometry_file("star"));
  EXPECT_TRUE(dn::is_geometry_file(DTPINN_SOURCE_DIR "/CMakeLists.txt"));
}

// ---- the shipped examples in data/geometry ------------------------------------------------

namespace {
const std::string kData = DTPINN_SOURCE_DIR "/data/geometry/";
}

TEST(ImportData, HexNutStlQualityAndInside) {
  dn::ImportOptions o;
  o.n = 4000;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(kData + "hex_nut.stl", o, &rep);
  EXPECT_NEAR(double(ns.n_collocation()), 4000, 0.05 * 4000);
  // Analytic nut: hexagon with circumradius 10 (flats at 5 sqrt 3), bore r = 5, 0 < z < 8.
  for (dn::Index i = 0; i < ns.n_interior; ++i) {
    const Eigen::Vector3d p = ns.points.row(i).transpose();
    for (int k = 0; k < 6; ++k) {
      const double a = M_PI / 6 + k * M_PI / 3;
      ASSERT_LT(p.x() * std::cos(a) + p.y() * std::sin(a), 5 * std::sqrt(3.0));
    }
    ASSERT_GT(std::hypot(p.x(), p.y()), 5.0 * std::cos(M_PI / 48));  // bore polygon, 48 sides
    ASSERT_GT(p.z(), 0.0);
    ASSERT_LT(p.z(), 8.0);
  }
  // Flat faces keep exact face normals (sharp edges are not smoothed).
  int top = 0;
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k)
    if (ns.points(k, 2) > 8.0 - 1e-9 && std::hypot(ns.points(k, 0), ns.points(k, 1)) < 8.0) {
      ++top;
      ASSERT_LT(angle_deg(ns.normals.row(k).transpose(), Eigen::Vector3d(0, 0, 1)), 1e-6);
    }
  EXPECT_GT(top, 50);
  const auto dom = dn::load_domain(kData + "hex_nut.stl");
  const dn::QualityReport q = dn::assess_quality(ns, dom.get());
  RecordProperty("hex_nut_quality_ratio", std::to_string(q.ratio));
  EXPECT_LT(q.ratio, 2.5) << q.to_string();
}

TEST(ImportData, TorusObjRescaled) {
  dn::ImportOptions o;
  o.n = 3000;
  o.rescale = true;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(kData + "torus.obj", o, &rep);
  EXPECT_NEAR(rep.scale, 1.0 / 80.0, 1e-9);
  const double R = 30.0 / 80.0, r = 10.0 / 80.0;
  const Eigen::Vector3d c(0.5, 0.5, r);
  for (dn::Index i = 0; i < ns.n_interior; ++i) {
    const Eigen::Vector3d p = ns.points.row(i).transpose() - c;
    ASSERT_LT(std::hypot(std::hypot(p.x(), p.y()) - R, p.z()), r);
  }
  double worst = 0;
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k)
    worst =
        std::max(worst, angle_deg(ns.normals.row(k).transpose(),
                                  dn::testutil::torus_normal(ns.points.row(k).transpose() - c, R)));
  RecordProperty("torus_data_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 2.0);
  const auto dom = dn::load_domain(kData + "torus.obj", true);
  EXPECT_LT(dn::assess_quality(ns, dom.get()).ratio, 2.5);
}

TEST(ImportData, PeanutCloudWithoutNormals) {
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(kData + "peanut_cloud.xyz", {}, &rep);
  EXPECT_TRUE(rep.normals_estimated);
  // Resampled at the spacing of its 2000 points spread evenly (the file's points lie on a
  // Fibonacci lattice of directions, stretched by the radius: not evenly spaced).
  EXPECT_NEAR(double(ns.n_boundary), 2000.0, 500.0);
  EXPECT_LT(dn::assess_quality(ns, rep.domain.get()).ratio, 1.6);
  // Surface |p| = 20 (0.7 + 0.6 (x / |p|)^2): F(p) = |p| - 14 - 12 x^2 / |p|^2 < 0 inside.
  auto F = [](const Eigen::Vector3d& p) {
    return p.norm() - 14.0 - 12.0 * p.x() * p.x() / p.squaredNorm();
  };
  for (dn::Index i = 0; i < ns.n_interior; ++i) ASSERT_LT(F(ns.points.row(i).transpose()), 0.0);
  double worst = 0;
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k) {
    const Eigen::Vector3d p = ns.points.row(k).transpose();
    Eigen::Vector3d g;
    for (int a = 0; a < 3; ++a) {
      Eigen::Vector3d e = Eigen::Vector3d::Zero();
      e[a] = 1e-6;
      g[a] = (F(p + e) - F(p - e)) / 2e-6;
    }
    worst = std::max(worst, angle_deg(ns.normals.row(k).transpose(), g));
  }
  RecordProperty("peanut_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 5.0);
}

namespace {

using Outline = std::vector<Eigen::Vector2d>;

/// The 12-tooth gear of data/geometry/make_geometry.py (gear_points), from its definition:
/// trapezoidal teeth between r = 17 (root) and 20 (tip) mm, 24 vertices per tooth.
Outline analytic_gear() {
  Outline v;
  const int teeth = 12, per_tooth = 24;
  const double r_root = 17.0, r_tip = 20.0, pitch = 2 * M_PI / teeth;
  for (int k = 0; k < teeth; ++k)
    for (int j = 0; j < per_tooth; ++j) {
      const double f = static_cast<double>(j) / per_tooth;
      double r = r_root;
      if (f >= 0.35 && f < 0.45) r = r_root + (r_tip - r_root) * (f - 0.35) / 0.10;
      if (f >= 0.45 && f < 0.8) r = r_tip;
      if (f >= 0.8 && f < 0.9) r = r_tip - (r_tip - r_root) * (f - 0.8) / 0.10;
      const double a = k * pitch + f * pitch;
      v.emplace_back(r * std::cos(a), r * std::sin(a));
    }
  return v;
}

/// NACA 0012 half thickness (closed trailing edge) at x in [0, 100] mm, chord 100 mm.
double naca_half_thickness(double x) {
  const double c = x / 100.0;
  return 100.0 * 5 * 0.12 *
         (0.2969 * std::sqrt(c) - 0.1260 * c - 0.3516 * c * c + 0.2843 * c * c * c -
          0.1036 * c * c * c * c);
}

/// The airfoil outline of make_geometry.py (write_naca): cosine spacing, 100 panels a side.
Outline analytic_naca() {
  const int n = 100;
  std::vector<double> xs;
  for (int i = 0; i <= n; ++i) xs.push_back(50.0 * (1 - std::cos(M_PI * i / n)));
  Outline v;
  for (int i = n; i >= 0; --i) v.emplace_back(xs[i], naca_half_thickness(xs[i]));
  for (int i = 1; i < n; ++i) v.emplace_back(xs[i], -naca_half_thickness(xs[i]));
  return v;
}

Outline analytic_circle(double r, int n) {
  Outline v;
  for (int i = 0; i < n; ++i)
    v.emplace_back(r * std::cos(2 * M_PI * i / n), r * std::sin(2 * M_PI * i / n));
  return v;
}

/// Even-odd rule over closed loops.
bool inside(const std::vector<Outline>& loops, const Eigen::Vector2d& p) {
  bool in = false;
  for (const auto& v : loops)
    for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i++)
      if ((v[i].y() > p.y()) != (v[j].y() > p.y()) &&
          p.x() < v[j].x() + (p.y() - v[j].y()) * (v[i].x() - v[j].x()) / (v[i].y() - v[j].y()))
        in = !in;
  return in;
}

double distance_to(const std::vector<Outline>& loops, const Eigen::Vector2d& p) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& v : loops)
    for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i++) {
      const Eigen::Vector2d e = v[i] - v[j];
      const double s = std::clamp((p - v[j]).dot(e) / e.squaredNorm(), 0.0, 1.0);
      best = std::min(best, (p - v[j] - s * e).norm());
    }
  return best;
}

}  // namespace

TEST(ImportData, Outlines2D) {
  // Against the analytic outlines of make_geometry.py, not a domain read from the same file: a
  // reader that moved, mirrored or rescaled the outline would agree with itself.
  struct Case {
    const char* file;
    std::vector<Outline> loops;
  };
  const Case cases[] = {{"gear_outline.csv", {analytic_gear()}},
                        {"gear_with_bore.obj", {analytic_gear(), analytic_circle(5.0, 48)}},
                        {"naca0012.csv", {analytic_naca()}}};
  for (const auto& [f, loops] : cases) {
    SCOPED_TRACE(f);
    dn::ImportOptions o;
    o.n = 1500;
    dn::ImportReport rep;
    const dn::NodeSet ns = dn::import_nodes(kData + f, o, &rep);
    EXPECT_EQ(rep.kind, "polyline");
    EXPECT_NEAR(double(ns.n_collocation()), 1500, 75);
    // The file prints 9 significant digits: boundary nodes lie on the outline to ~1e-7 mm.
    auto at = [&](dn::Index i) { return Eigen::Vector2d(ns.points(i, 0), ns.points(i, 1)); };
    for (dn::Index i = 0; i < ns.n_interior; ++i) ASSERT_TRUE(inside(loops, at(i))) << at(i);
    for (dn::Index i = ns.boundary_begin(); i < ns.ghost_begin(); ++i)
      ASSERT_LT(distance_to(loops, at(i)), 1e-6) << at(i);
    for (dn::Index k = ns.ghost_begin(); k < ns.size(); ++k)
      ASSERT_FALSE(inside(loops, at(k))) << at(k);
    if (std::string(f) == "naca0012.csv") {
      // The polygon is inscribed in the convex airfoil: every node inside the analytic
      // thickness, the boundary nodes on it to the chords' sagitta (at most 0.07 mm).
      for (dn::Index i = 0; i < ns.ghost_begin(); ++i) {
        const Eigen::Vector2d p = at(i);
        ASSERT_GE(p.x(), 0.0);
        ASSERT_LE(p.x(), 100.0);
        ASSERT_LE(std::abs(p.y()), naca_half_thickness(p.x()) + 1e-6) << p;
        if (i >= ns.boundary_begin()) {
          ASSERT_GT(std::abs(p.y()), naca_half_thickness(p.x()) - 0.1) << p;
        }
      }
    }
  }
  // The bore of the gear is a hole: no interior node within r < 5.
  const dn::NodeSet g = dn::import_nodes(kData + "gear_with_bore.obj", {});
  for (dn::Index i = 0; i < g.n_interior; ++i) ASSERT_GT(g.points.row(i).norm(), 5.0);
}
