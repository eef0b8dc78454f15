// Imported boundary clouds become quasi-uniform node sets: clustered 2D clouds are joined into
// fitted closed curves and resampled, clustered 3D clouds thinned (and filled where sparse),
// thin walls keep their orientation, the fitted domain is the shape the file samples.
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/cloud_outline.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/readers.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/geometry_clouds.hpp"
#include "common/test_util.hpp"
#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
namespace dt = dtpinn::test;
using dn::testutil::scratch_dir;

namespace {

/// `points` (and `loop` numbers, if any) as a CSV table with a header.
std::string write_csv(const std::string& name, const dn::PointMatrix& P,
                      const std::vector<int>* loop = nullptr) {
  const std::string path = scratch_dir() + "/" + name;
  std::string text = P.cols() == 2 ? "x,y" : "x,y,z";
  text += loop ? ",loop\n" : "\n";
  for (Eigen::Index i = 0; i < P.rows(); ++i) {
    for (Eigen::Index c = 0; c < P.cols(); ++c)
      text += fmt::format("{}{:.17g}", c ? "," : "", P(i, c));
    if (loop) text += "," + std::to_string((*loop)[std::size_t(i)]);
    text += "\n";
  }
  dt::write_text(path, text);
  return path;
}

/// Quality of an import in its own domain, with the spacing it used.
dn::QualityReport quality_of(const dn::NodeSet& ns, const dn::ImportReport& rep) {
  return dn::assess_quality(ns, rep.domain.get(), 40000, 3);
}

}  // namespace

/// The rows of P in a fixed random order (an unordered cloud, not an outline in file order).
dn::PointMatrix shuffled(const dn::PointMatrix& P, std::uint64_t seed = 11) {
  std::vector<Eigen::Index> order(std::size_t(P.rows()));
  for (Eigen::Index i = 0; i < P.rows(); ++i) order[std::size_t(i)] = i;
  std::mt19937_64 rng(seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  dn::PointMatrix out(P.rows(), P.cols());
  for (Eigen::Index i = 0; i < P.rows(); ++i) out.row(i) = P.row(order[std::size_t(i)]);
  return out;
}

// A cosine-clustered ellipse cloud (400 points, 0.0003 apart at the ends of the long axis,
// 0.0236 at the ends of the short one): resampled at h, quasi-uniform; kept as it is
// (--keep-points) the gate refuses it.
TEST(CloudResample, Clustered2DCloudIsQuasiUniform) {
  const dn::PointMatrix P = shuffled(dt::clustered_ellipse(400, 1.0, 0.5));
  const std::string path = write_csv("ellipse.csv", P);
  for (double h : {0.0, 0.05}) {
    SCOPED_TRACE(h);
    dn::ImportOptions o;
    o.h = h;
    dn::ImportReport rep;
    const dn::NodeSet ns = dn::import_nodes(path, o, &rep);
    EXPECT_EQ(rep.kind, "boundary cloud");
    if (h > 0) {
      EXPECT_EQ(rep.spacing, h);
    }
    const dn::QualityReport q = quality_of(ns, rep);
    RecordProperty(fmt::format("ellipse_h{}_fill_over_separation", h), std::to_string(q.ratio));
    EXPECT_LT(q.ratio, 1.5) << q.to_string();
    EXPECT_GT(q.min_separation, 0.5 * rep.spacing) << q.to_string();
    EXPECT_EQ(dn::quality_problem(q), "");
    // Boundary nodes on the ellipse (the fitted curve interpolates the points).
    for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k) {
      const double x = ns.points(k, 0), y = ns.points(k, 1);
      ASSERT_NEAR(std::hypot(x, 2 * y), 1.0, 1e-3) << x << " " << y;
    }
  }
  dn::ImportOptions keep;
  keep.keep_points = true;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(path, keep, &rep);
  EXPECT_EQ(ns.n_boundary, P.rows());
  const dn::QualityReport q = quality_of(ns, rep);
  RecordProperty("ellipse_keep_points_fill_over_separation", std::to_string(q.ratio));
  EXPECT_GT(q.ratio, 20.0);
  EXPECT_NE(dn::quality_problem(q).find("two nodes"), std::string::npos) << dn::quality_problem(q);
}

// A lat-long sphere (30 x 60: the points 0.0055 apart next to the poles, 0.105 at the
// equator): thinned at h, filled where sparser; --h thins it further.
TEST(CloudResample, Clustered3DCloudIsQuasiUniform) {
  const std::string path = write_csv("latlong.csv", dt::latlong_sphere(30, 60));
  for (double h : {0.0, 0.15}) {
    SCOPED_TRACE(h);
    dn::ImportOptions o;
    o.h = h;
    dn::ImportReport rep;
    const dn::NodeSet ns = dn::import_nodes(path, o, &rep);
    const dn::QualityReport q = quality_of(ns, rep);
    RecordProperty(fmt::format("latlong_h{}_fill_over_separation", h), std::to_string(q.ratio));
    EXPECT_LT(q.ratio, 1.5) << q.to_string();
    EXPECT_GT(q.min_separation, 0.5 * rep.spacing) << q.to_string();
    EXPECT_EQ(dn::quality_problem(q), "");
    for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k)
      ASSERT_NEAR(ns.points.row(k).norm(), 1.0, 2e-3);
    for (dn::Index k = ns.ghost_begin(); k < ns.size(); ++k)
      ASSERT_GT(ns.points.row(k).norm(), 1.0);
    for (dn::Index i = 0; i < ns.n_interior; ++i) ASSERT_LT(ns.points.row(i).norm(), 1.0);
    // Thinned: from 1742 points to nodes about h apart (the median nearest neighbour).
    if (h > 0) {
      EXPECT_LT(ns.n_boundary, 1742 / 2);
    }
    EXPECT_NEAR(q.nn_median, rep.spacing, 0.15 * rep.spacing) << q.to_string();
  }
}

// Where a 3D cloud is sparser than the requested h, points are projected onto a moving-least-
// squares fit of it: a Fibonacci sphere of 300 points (spacing ~0.2) at h = 0.1.
TEST(CloudResample, Sparse3DCloudIsFilledOnTheFittedSurface) {
  std::vector<Eigen::Vector3d> p;
  dt::add_sphere(p, 1.0, 300);
  dn::PointMatrix P(300, 3);
  for (int i = 0; i < 300; ++i) P.row(i) = p[std::size_t(i)].transpose();
  const std::string path = write_csv("sparse.csv", P);
  dn::ImportOptions o;
  o.h = 0.1;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(path, o, &rep);
  EXPECT_GT(ns.n_boundary, 1200);  // 4 pi / (0.8 h^2) = 1571
  double worst = 0;
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k)
    worst = std::max(worst, std::abs(ns.points.row(k).norm() - 1.0));
  RecordProperty("sparse_sphere_worst_radius_error", std::to_string(worst));
  EXPECT_LT(worst, 2e-3);
  const dn::QualityReport q = quality_of(ns, rep);
  EXPECT_LT(q.ratio, 1.5) << q.to_string();
}

namespace {

/// Interior nodes strictly between the radii, ghosts outside, boundary normals pointing out of
/// the annulus / shell r_in < |x - c| < r_out (inward on the inner wall).
void expect_annulus(const dn::NodeSet& ns, double r_in, double r_out,
                    const Eigen::VectorXd& c = Eigen::VectorXd()) {
  const Eigen::VectorXd centre = c.size() ? c : Eigen::VectorXd::Zero(ns.dim);
  auto r = [&](dn::Index i) { return (ns.points.row(i).transpose() - centre).norm(); };
  for (dn::Index i = 0; i < ns.n_interior; ++i) {
    ASSERT_GT(r(i), r_in) << ns.points.row(i);
    ASSERT_LT(r(i), r_out) << ns.points.row(i);
  }
  const double mid = 0.5 * (r_in + r_out);
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k) {
    const Eigen::VectorXd radial = (ns.points.row(k).transpose() - centre).normalized();
    const double outward = ns.normals.row(k).dot(radial);
    if (r(k) < mid)
      ASSERT_LT(outward, -0.95) << "inner wall " << ns.points.row(k);
    else
      ASSERT_GT(outward, 0.95) << "outer wall " << ns.points.row(k);
  }
  for (dn::Index g = ns.ghost_begin(); g < ns.size(); ++g)
    ASSERT_TRUE(r(g) < r_in || r(g) > r_out) << "ghost inside " << ns.points.row(g);
}

}  // namespace

// Thin walls keep both sides right: the curves are joined along each wall and oriented by
// nesting, never across the gap (2.5 spacings, no normals; 2 spacings with normals; two disks
// 2.5 spacings apart).
TEST(CloudResample, ThinWallsKeepTheirOrientation2D) {
  const double s = 0.02, r_in = 0.5;
  {
    std::vector<Eigen::Vector2d> p;
    dt::add_circle(p, r_in + 2.5 * s, s);
    dt::add_circle(p, r_in, s, 0, 0, 0.5);
    const std::string path = write_csv("annulus.csv", shuffled(dt::to_cloud(p)));
    dn::ImportReport rep;
    const dn::NodeSet ns = dn::import_nodes(path, {}, &rep);
    EXPECT_EQ(ns.part_names, (std::vector<std::string>{"outer", "hole1"}));
    expect_annulus(ns, r_in, r_in + 2.5 * s);
  }
  {  // 2 spacings with the normals in the file
    std::vector<Eigen::Vector2d> p;
    dt::add_circle(p, r_in + 2 * s, s);
    const std::size_t outer = p.size();
    dt::add_circle(p, r_in, s);
    std::string text = "x,y,nx,ny\n";
    for (std::size_t i = 0; i < p.size(); ++i) {
      const Eigen::Vector2d n = (i < outer ? 1.0 : -1.0) * p[i].normalized();
      text += fmt::format("{:.17g},{:.17g},{:.17g},{:.17g}\n", p[i].x(), p[i].y(), n.x(), n.y());
    }
    const std::string path = scratch_dir() + "/annulus_normals.csv";
    dt::write_text(path, text);
    dn::ImportReport rep;
    const dn::NodeSet ns = dn::import_nodes(path, {}, &rep);
    EXPECT_EQ(rep.normals_source, "the fitted curves (the file's agree)");
    expect_annulus(ns, r_in, r_in + 2 * s);
  }
  {  // two disks of radius 0.3, 2.5 spacings apart
    std::vector<Eigen::Vector2d> p;
    const double gap = 2.5 * s, cx = 0.3 + 0.5 * gap;
    dt::add_circle(p, 0.3, s, -cx, 0);
    dt::add_circle(p, 0.3, s, cx, 0, 0.5);
    const std::string path = write_csv("disks.csv", shuffled(dt::to_cloud(p)));
    const dn::NodeSet ns = dn::import_nodes(path, {});
    for (dn::Index i = 0; i < ns.ghost_begin(); ++i) {
      const Eigen::Vector2d x = ns.points.row(i).transpose();
      const Eigen::Vector2d c(x.x() < 0 ? -cx : cx, 0.0);
      if (i < ns.n_interior) {
        ASSERT_LT((x - c).norm(), 0.3) << x.transpose();
      } else {
        ASSERT_GT(ns.normals.row(i).dot((x - c).normalized()), 0.95) << x.transpose();
      }
    }
    int left = 0;
    for (dn::Index i = 0; i < ns.n_interior; ++i) left += ns.points(i, 0) < 0;
    EXPECT_NEAR(double(left), 0.5 * double(ns.n_interior), 0.05 * double(ns.n_interior));
  }
}

// A spherical shell 1.7 spacings thick, without normals: the normals estimated along each
// wall (the far wall is within the 12 nearest points) and oriented by nesting: the inner wall's
// point into the cavity (out of the shell); the fill at h = 0.6 spacings stays in the shell.
TEST(CloudResample, ThinShellKeepsItsOrientation3D) {
  const int n_out = 600;
  const double s = std::sqrt(4 * M_PI / n_out);  // about the spacing of the Fibonacci points
  const double r_in = 1.0 - 1.7 * s;
  std::vector<Eigen::Vector3d> p;
  dt::add_sphere(p, 1.0, n_out);
  dt::add_sphere(p, r_in, int(std::lround(n_out * r_in * r_in)));
  dn::PointMatrix P(dn::Index(p.size()), 3);
  for (std::size_t i = 0; i < p.size(); ++i) P.row(dn::Index(i)) = p[i].transpose();
  P = shuffled(P);
  dn::PointMatrix N = dn::estimate_normals(P);
  dn::orient_normals(P, N);
  for (dn::Index i = 0; i < P.rows(); ++i) {
    const double r = P.row(i).norm(), outward = N.row(i).dot(P.row(i)) / r;
    ASSERT_GT(r < 0.5 * (1 + r_in) ? -outward : outward, 0.9) << P.row(i);
  }
  dn::ImportOptions o;
  o.h = 0.6 * s;
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(write_csv("shell.csv", P), o, &rep);
  EXPECT_TRUE(rep.normals_estimated);
  expect_annulus(ns, r_in - 1e-3, 1.0 + 1e-3);
  EXPECT_GT(ns.n_interior, 100);
  EXPECT_EQ(dn::quality_problem(quality_of(ns, rep)), "");
}

namespace {

/// Distance from p to the airfoil-in-a-box outline (box sides and the airfoil's surfaces,
/// sampled finely).
double distance_to_airfoil_box(const Eigen::Vector2d& p) {
  double d = std::min({std::abs(p.x() - dt::kBoxLo[0]), std::abs(p.x() - dt::kBoxHi[0]),
                       std::abs(p.y() - dt::kBoxLo[1]), std::abs(p.y() - dt::kBoxHi[1])});
  if (p.x() < -0.1 || p.x() > 1.1 || std::abs(p.y()) > 0.2) return d;  // far from the airfoil
  for (int i = 0; i <= 4000; ++i) {
    const double x = 0.5 * (1 - std::cos(M_PI * i / 4000.0)), t = dt::naca_half_thickness(x);
    d = std::min({d, (p - Eigen::Vector2d(x, t)).norm(), (p - Eigen::Vector2d(x, -t)).norm()});
  }
  return d;
}

/// The import of the airfoil box meets the shape: quasi-uniform, no empty patch, interior nodes
/// in the fluid, boundary nodes on the outline, ghosts outside the fluid (an inside test of the
/// true shape, not of the fitted one).
void expect_airfoil_box(const dn::NodeSet& ns, const dn::ImportReport& rep, double on_outline) {
  const dn::QualityReport q = quality_of(ns, rep);
  EXPECT_EQ(dn::quality_problem(q), "") << q.to_string();
  EXPECT_LT(q.ratio, 2.5) << q.to_string();
  EXPECT_LT(q.max_fill_distance, 1.2 * rep.spacing) << q.to_string();
  for (dn::Index i = 0; i < ns.n_interior; ++i)
    ASSERT_TRUE(dt::in_airfoil_box(ns.points(i, 0), ns.points(i, 1))) << ns.points.row(i);
  for (dn::Index k = ns.boundary_begin(); k < ns.ghost_begin(); ++k)
    ASSERT_LT(distance_to_airfoil_box(ns.points.row(k).transpose()), on_outline)
        << ns.points.row(k);
  for (dn::Index g = ns.ghost_begin(); g < ns.size(); ++g)
    ASSERT_FALSE(dt::in_airfoil_box(ns.points(g, 0), ns.points(g, 1))) << ns.points.row(g);
}

}  // namespace

// The case that started it: a box with a NACA 0012-like hole as a bare x,y cloud, 240 box
// points and 240 airfoil points cosine-clustered towards nose and tail (4.98e-05 apart at the
// nose, against 0.03 along the box). Once taken as it was (fill/separation 257, a patch 0.45
// across behind the tail without nodes, ghosts through the tail); now joined into two curves,
// resampled and filled: quasi-uniform, nothing missing, ghosts outside. In file order, shuffled,
// and as an x,y,loop outline.
TEST(CloudResample, AirfoilInABoxCloud) {
  std::vector<int> loop;
  const dn::PointMatrix P = dt::airfoil_box_cloud(240, 240, &loop);
  for (const bool shuffle : {false, true}) {
    SCOPED_TRACE(shuffle);
    dn::ImportReport rep;
    const dn::NodeSet ns =
        dn::import_nodes(write_csv("airfoil.csv", shuffle ? shuffled(P) : P), {}, &rep);
    EXPECT_EQ(rep.kind, "boundary cloud");
    EXPECT_EQ(ns.part_names, (std::vector<std::string>{"outer", "hole1"}));
    RecordProperty(
        shuffle ? "airfoil_shuffled_fill_over_separation" : "airfoil_fill_over_separation",
        std::to_string(quality_of(ns, rep).ratio));
    // The fitted curve interpolates the points: between them within 2e-4 of the true outline.
    expect_airfoil_box(ns, rep, 2e-4);
  }
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(write_csv("airfoil_loop.csv", P, &loop), {}, &rep);
  EXPECT_EQ(rep.kind, "polyline");
  EXPECT_EQ(ns.part_names, (std::vector<std::string>{"outer", "hole1"}));
  // Straight segments between the points: within their sagitta of the true outline.
  expect_airfoil_box(ns, rep, 2e-4);
}

// The domain is what the file says: the fitted outline's inside test agrees with the true shape
// at 20000 random points (those within 1e-4 of the outline excepted: the interpolation error).
TEST(CloudResample, FittedOutlineInsideTestMatchesTheShape) {
  const dn::PointMatrix P = shuffled(dt::airfoil_box_cloud(240, 240));
  const auto domain = dn::cloud_outline_domain(P, "airfoil");
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> ux(-0.6, 1.6), uy(-0.6, 0.6);
  int tested = 0, wrong = 0;
  for (int s = 0; s < 20000; ++s) {
    const Eigen::Vector2d p(ux(rng), uy(rng));
    if (distance_to_airfoil_box(p) < 1e-4) continue;
    ++tested;
    wrong += domain->contains(p) != dt::in_airfoil_box(p.x(), p.y());
  }
  EXPECT_GT(tested, 19900);
  EXPECT_EQ(wrong, 0);
  // Near the tail, where the old cloud inside test took a patch 0.45 across for the hole.
  for (const Eigen::Vector2d& p : {Eigen::Vector2d(1.1, -0.1), Eigen::Vector2d(1.2, -0.2),
                                   Eigen::Vector2d(1.02, 0.0), Eigen::Vector2d(1.002, 0.0)})
    EXPECT_TRUE(domain->contains(p)) << p.transpose();
  EXPECT_FALSE(domain->contains(Eigen::Vector2d(0.5, 0.0)));
}

// An outline given as x,y,part with one run of points per loop (box, then airfoil) is an
// outline with a hole, the parts naming the loops.
TEST(CloudResample, PartRunsAreOutlineLoops) {
  std::vector<int> loop;
  const dn::PointMatrix P = dt::airfoil_box_cloud(240, 240, &loop);
  std::string text = "x,y,part\n";
  for (Eigen::Index i = 0; i < P.rows(); ++i)
    text += fmt::format("{:.17g},{:.17g},{}\n", P(i, 0), P(i, 1),
                        loop[std::size_t(i)] ? "foil" : "box");
  const std::string path = scratch_dir() + "/parts.csv";
  dt::write_text(path, text);
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(path, {}, &rep);
  EXPECT_EQ(rep.kind, "polyline");
  ASSERT_EQ(ns.part_names, (std::vector<std::string>{"box", "foil"}));
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector2d x = ns.points.row(ns.boundary_begin() + k).transpose();
    const bool on_box = std::abs(x.y()) > 0.49 || x.x() < -0.49 || x.x() > 1.49;
    ASSERT_EQ(ns.part_of_boundary(k), on_box ? 0 : 1) << x.transpose();
  }
  expect_airfoil_box(ns, rep, 2e-4);
}
