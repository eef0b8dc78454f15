// Imported geometry: mesh repair and watertightness, inside tests and boundary sampling on
// triangle surfaces and polylines, normal estimation and orientation for boundary clouds.
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/mesh.hpp>
#include <dtpinn/nodegen/surface_domain.hpp>

#include <gtest/gtest.h>

#include <random>

#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
using dn::testutil::angle_deg;

namespace {

double min_separation(const dn::PointMatrix& P) {
  double best = 1e300;
  for (Eigen::Index i = 0; i < P.rows(); ++i)
    for (Eigen::Index j = i + 1; j < P.rows(); ++j)
      best = std::min(best, (P.row(i) - P.row(j)).norm());
  return best;
}

}  // namespace

TEST(ImportMesh, WeldCloseAndOrient) {
  dn::TriangleMesh m = dn::testutil::icosphere(2);
  const auto nv = m.vertices.rows();
  // Turn it into an STL-like soup with every face listing its own vertices, some faces flipped
  // and the whole thing inside out.
  dn::TriangleMesh soup;
  soup.vertices.resize(3 * m.faces.rows(), 3);
  soup.faces.resize(m.faces.rows(), 3);
  for (Eigen::Index f = 0; f < m.faces.rows(); ++f) {
    const bool flip = f % 3 != 0;  // 2/3 flipped: orientation inconsistent and mostly inward
    for (int k = 0; k < 3; ++k)
      soup.vertices.row(3 * f + k) = m.vertices.row(m.faces(f, flip ? 2 - k : k));
    soup.faces.row(f) << 3 * f, 3 * f + 1, 3 * f + 2;
  }
  const dn::MeshCheck chk = dn::prepare_closed_mesh(soup, "soup");
  EXPECT_EQ(chk.vertices, nv);
  EXPECT_EQ(chk.components, 1);
  EXPECT_GT(chk.flipped_faces, 0);
  EXPECT_NEAR(chk.volume, dn::signed_volume(m), 1e-12);
  EXPECT_GT(chk.volume, 0.95 * 4.0 / 3.0 * M_PI);
  EXPECT_NEAR(chk.area, dn::surface_area(m), 1e-12);
}

TEST(ImportMesh, VoidShellFacesInward) {
  dn::TriangleMesh outer = dn::testutil::icosphere(2, 1.0), inner = dn::testutil::icosphere(1, 0.4);
  dn::TriangleMesh both;
  both.vertices.resize(outer.vertices.rows() + inner.vertices.rows(), 3);
  both.vertices << outer.vertices, inner.vertices;
  both.faces.resize(outer.faces.rows() + inner.faces.rows(), 3);
  both.faces << outer.faces, (inner.faces.array() + outer.vertices.rows()).matrix();
  const dn::MeshCheck chk = dn::prepare_closed_mesh(both, "void");
  EXPECT_EQ(chk.components, 2);
  EXPECT_NEAR(chk.volume, dn::signed_volume(outer) - dn::signed_volume(inner), 1e-12);
  const dn::TriangleSurfaceDomain dom(both, "void");
  EXPECT_FALSE(dom.contains(Eigen::Vector3d(0, 0, 0)));
  EXPECT_TRUE(dom.contains(Eigen::Vector3d(0.7, 0, 0)));
}

TEST(ImportMesh, OpenAndNonManifoldSurfacesRejected) {
  dn::TriangleMesh m = dn::testutil::icosphere(1);
  dn::TriangleMesh open = m;
  open.faces.conservativeResize(m.faces.rows() - 1, 3);  // one face missing: 3 boundary edges
  try {
    dn::prepare_closed_mesh(open, "part.stl");
    ADD_FAILURE() << "open surface accepted";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("part.stl: open surface"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3 boundary edge"), std::string::npos) << msg;
    EXPECT_NE(msg.find("e.g. the edge ("), std::string::npos) << msg;
  }
  dn::TriangleMesh nm = m;  // a face repeated: its edges are shared by three faces
  nm.faces.conservativeResize(m.faces.rows() + 1, 3);
  nm.faces.row(m.faces.rows()) = m.faces.row(0);
  EXPECT_THROW(dn::prepare_closed_mesh(nm, "nm"), std::runtime_error);
}

TEST(ImportMesh, SphereContainsAndBoundaryNormals) {
  dn::TriangleMesh m = dn::testutil::icosphere(4);  // 5120 faces, edge ~0.06
  dn::prepare_closed_mesh(m, "sphere");
  const dn::TriangleSurfaceDomain dom(m, "sphere");
  // Inside test against the exact sphere away from the faceting band (sagitta < 1e-3).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> U(-1.2, 1.2);
  int checked = 0;
  for (int s = 0; s < 20000; ++s) {
    const Eigen::Vector3d p(U(rng), U(rng), U(rng));
    const double r = p.norm();
    if (std::abs(r - 1.0) < 2e-3) continue;
    ASSERT_EQ(dom.contains(p), r < 1.0) << p.transpose();
    ++checked;
  }
  EXPECT_GT(checked, 19000);
  EXPECT_NEAR(dom.signed_distance(Eigen::Vector3d(0.3, 0, 0)), -0.7, 2e-3);
  EXPECT_NEAR(dom.signed_distance(Eigen::Vector3d(0, 0, 2.0)), 1.0, 2e-3);
  // Boundary sample: on the mesh, normals close to the exact radial ones, spacing about h.
  const double h = 0.1;
  std::mt19937_64 g(1);
  const dn::BoundarySample b = dom.sample_boundary(h, g);
  const double expected = 4 * M_PI / (0.866 * h * h);
  EXPECT_NEAR(double(b.points.rows()), expected, 0.2 * expected);
  double worst = 0.0;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    const Eigen::Vector3d p = b.points.row(i).transpose(), n = b.normals.row(i).transpose();
    EXPECT_NEAR(p.norm(), 1.0, 2e-3);
    EXPECT_NEAR(n.norm(), 1.0, 1e-12);
    worst = std::max(worst, angle_deg(n, p));
  }
  RecordProperty("sphere_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 1.0) << "worst normal error (deg)";
  EXPECT_GE(min_separation(b.points), 0.75 * h * (1 - 1e-12));
}

TEST(ImportMesh, TorusContainsAndBoundaryNormals) {
  const double R = 1.0, r = 0.4;
  dn::TriangleMesh m = dn::testutil::torus(R, r, 96, 48);
  dn::prepare_closed_mesh(m, "torus");
  const dn::TriangleSurfaceDomain dom(m, "torus");
  EXPECT_NEAR(dom.volume(), 2 * M_PI * M_PI * R * r * r, 0.01 * 2 * M_PI * M_PI * R * r * r);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(-1.5, 1.5);
  for (int s = 0; s < 20000; ++s) {
    const Eigen::Vector3d p(U(rng), U(rng), 0.6 * U(rng));
    const double f = std::hypot(std::hypot(p.x(), p.y()) - R, p.z()) - r;
    if (std::abs(f) < 3e-3) continue;
    ASSERT_EQ(dom.contains(p), f < 0) << p.transpose();
  }
  std::mt19937_64 g(2);
  const dn::BoundarySample b = dom.sample_boundary(0.08, g);
  double worst = 0.0;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    const Eigen::Vector3d p = b.points.row(i).transpose();
    worst =
        std::max(worst, angle_deg(b.normals.row(i).transpose(), dn::testutil::torus_normal(p, R)));
  }
  RecordProperty("torus_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 2.0);
}

TEST(ImportPolyline, CircleOutlineWithHole) {
  // Outer circle r = 1 (400 points, clockwise on purpose) and a hole r = 0.3 (120 points).
  const int n = 400, k = 120;
  dn::PointMatrix outer(n, 2), hole(k, 2);
  for (int i = 0; i < n; ++i)
    outer.row(i) << std::cos(-2 * M_PI * i / n), std::sin(-2 * M_PI * i / n);
  for (int i = 0; i < k; ++i)
    hole.row(i) << 0.3 * std::cos(2 * M_PI * i / k), 0.3 * std::sin(2 * M_PI * i / k);
  const dn::PolylineDomain dom({outer, hole}, "ring");
  EXPECT_NEAR(dom.volume(), M_PI * (1 - 0.09), 1e-3);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> U(-1.1, 1.1);
  for (int s = 0; s < 20000; ++s) {
    const Eigen::Vector2d p(U(rng), U(rng));
    const double r = p.norm();
    if (std::abs(r - 1) < 1e-4 || std::abs(r - 0.3) < 1e-4) continue;
    ASSERT_EQ(dom.contains(p), r < 1 && r > 0.3) << p.transpose();
  }
  std::mt19937_64 g(0);
  const dn::BoundarySample b = dom.sample_boundary(0.05, g);
  EXPECT_NEAR(double(b.points.rows()), 2 * M_PI * 1.3 / 0.05, 3);
  double worst = 0;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    const Eigen::Vector2d p = b.points.row(i).transpose();
    const Eigen::Vector2d exact =
        p.norm() > 0.6 ? Eigen::Vector2d(p.normalized()) : Eigen::Vector2d(-p.normalized());
    worst = std::max(worst, angle_deg(b.normals.row(i).transpose(), exact));
  }
  EXPECT_LT(worst, 0.1);
}

TEST(ImportPolyline, CornersKeepNodesAndBisectorNormals) {
  dn::PointMatrix L(6, 2);
  L << 0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2;  // L-shape, counter-clockwise
  const dn::PolylineDomain dom({L}, "L");
  std::mt19937_64 g(0);
  const dn::BoundarySample b = dom.sample_boundary(0.25, g);
  EXPECT_EQ(b.points.rows(), 32);  // perimeter 8 / 0.25
  int corners = 0;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i)
    for (Eigen::Index c = 0; c < 6; ++c)
      if ((b.points.row(i) - L.row(c)).norm() < 1e-14) ++corners;
  EXPECT_EQ(corners, 6);
  // The re-entrant corner (1, 1): bisector normal (-1, -1)/sqrt 2 ... pointing out of the domain
  // into the notch, i.e. (+1, +1)/sqrt(2).
  for (Eigen::Index i = 0; i < b.points.rows(); ++i)
    if ((b.points.row(i) - Eigen::RowVector2d(1, 1)).norm() < 1e-14) {
      EXPECT_LT(angle_deg(b.normals.row(i).transpose(), Eigen::Vector2d(1, 1)), 1e-9);
    }
  EXPECT_TRUE(dom.contains(Eigen::Vector2d(0.5, 1.5)));
  EXPECT_FALSE(dom.contains(Eigen::Vector2d(1.5, 1.5)));
  dn::PointMatrix bow(4, 2);
  bow << 0, 0, 1, 1, 1, 0, 0, 1;
  EXPECT_THROW(dn::PolylineDomain({bow}, "bow"), std::invalid_argument);
}

TEST(ImportCloud, EstimatedNormals2DEllipseAndAnnulus) {
  dn::PointMatrix P, exact;
  dn::testutil::ellipse_cloud(300, 2.0, 1.0, P, exact);
  dn::PointMatrix N = dn::estimate_normals(P);
  dn::orient_normals(P, N);
  double worst = 0;
  for (Eigen::Index i = 0; i < P.rows(); ++i)
    worst = std::max(worst, angle_deg(N.row(i).transpose(), exact.row(i).transpose()));
  RecordProperty("ellipse_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 3.0);
  // Annulus: two circles; the inner ones must point to the centre (out of the domain).
  dn::PointMatrix A(400, 2);
  for (int i = 0; i < 250; ++i)
    A.row(i) << std::cos(2 * M_PI * i / 250), std::sin(2 * M_PI * i / 250);
  for (int i = 0; i < 150; ++i)
    A.row(250 + i) << 0.5 * std::cos(2 * M_PI * i / 150), 0.5 * std::sin(2 * M_PI * i / 150);
  dn::PointMatrix NA = dn::estimate_normals(A);
  dn::orient_normals(A, NA);
  double worst_a = 0;
  for (Eigen::Index i = 0; i < A.rows(); ++i) {
    const Eigen::Vector2d p = A.row(i).transpose();
    const Eigen::Vector2d e =
        i < 250 ? Eigen::Vector2d(p.normalized()) : Eigen::Vector2d(-p.normalized());
    worst_a = std::max(worst_a, angle_deg(NA.row(i).transpose(), e));
  }
  EXPECT_LT(worst_a, 3.0);
}

TEST(ImportCloud, EstimatedNormals3DEllipsoid) {
  dn::PointMatrix P, exact;
  dn::testutil::ellipsoid_cloud(3000, 1.5, 1.0, 0.7, P, exact);
  dn::PointMatrix N = dn::estimate_normals(P);
  dn::orient_normals(P, N);
  double worst = 0, mean = 0;
  for (Eigen::Index i = 0; i < P.rows(); ++i) {
    const double a = angle_deg(N.row(i).transpose(), exact.row(i).transpose());
    worst = std::max(worst, a);
    mean += a / double(P.rows());
  }
  RecordProperty("ellipsoid_worst_normal_deg", std::to_string(worst));
  EXPECT_LT(worst, 5.0);
  EXPECT_LT(mean, 1.5);
  // Consistency check of given normals: exact ones pass, 20% flipped are caught.
  EXPECT_EQ(dn::check_normals(P, exact).inconsistent, 0);
  EXPECT_FALSE(dn::check_normals(P, exact).inward);
  dn::PointMatrix bad = exact;
  for (Eigen::Index i = 0; i < P.rows(); i += 5) bad.row(i) *= -1;
  EXPECT_GT(dn::check_normals(P, bad).inconsistent, 100);
  EXPECT_TRUE(dn::check_normals(P, (-exact).eval()).inward);
}

TEST(ImportCloud, BoundaryCloudDomainInside) {
  dn::PointMatrix P, N;
  dn::testutil::ellipsoid_cloud(4000, 1.0, 1.0, 1.0, P, N);
  const dn::BoundaryCloudDomain dom(P, N, "sphere cloud");
  EXPECT_NEAR(dom.volume(), 4.0 / 3.0 * M_PI, 0.05 * 4.0 / 3.0 * M_PI);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> U(-1.2, 1.2);
  const double s = dom.spacing();
  for (int t = 0; t < 5000; ++t) {
    const Eigen::Vector3d p(U(rng), U(rng), U(rng));
    if (std::abs(p.norm() - 1) < 0.5 * s) continue;
    ASSERT_EQ(dom.contains(p), p.norm() < 1) << p.transpose();
  }
}
