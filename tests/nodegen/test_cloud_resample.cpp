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
