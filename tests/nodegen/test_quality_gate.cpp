// The node-quality gate (quality_problem) and what generation does at thin features: ghosts stay
// outside and apart or the place is named, parts too thin for interior nodes are named, sharp
// wedges are not refused, every shape and shipped file passes.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/shapes.hpp>
#include <dtpinn/nodegen/surface_domain.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/test_util.hpp"

namespace dn = dtpinn::nodegen;

namespace {

const std::string kData = DTPINN_SOURCE_DIR "/data/geometry/";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The first coordinates "(x, y)" after `after` in a message (NaN if none).
Eigen::Vector2d place_in(const std::string& m, const std::string& after) {
  for (std::size_t open = m.find('(', m.find(after)); open != std::string::npos;
       open = m.find('(', open + 1)) {
    const std::size_t comma = m.find(", ", open), close = m.find(')', open);
    if (comma == std::string::npos || close == std::string::npos || comma > close) continue;
    char* end = nullptr;
    const std::string xs = m.substr(open + 1, comma - open - 1);
    const std::string ys = m.substr(comma + 2, close - comma - 2);
    const double x = std::strtod(xs.c_str(), &end);
    if (*end != '\0') continue;
    const double y = std::strtod(ys.c_str(), &end);
    if (*end != '\0') continue;
    return {x, y};
  }
  return {NAN, NAN};
}

/// The unit square with a slot of width w cut down from the top to y = 0.4, centred on x = 0.5.
dn::PolylineDomain slotted_square(double w) {
  dn::PointMatrix L(8, 2);
  L << 0, 0, 1, 0, 1, 1, 0.5 + w / 2, 1, 0.5 + w / 2, 0.4, 0.5 - w / 2, 0.4, 0.5 - w / 2, 1, 0, 1;
  return dn::PolylineDomain({L}, "slotted square");
}

bool in_slotted_square(const Eigen::Vector2d& p, double w) {
  const bool square = p.x() > 0 && p.x() < 1 && p.y() > 0 && p.y() < 1;
  const bool slot = std::abs(p.x() - 0.5) <= w / 2 && p.y() >= 0.4;
  return square && !slot;
}

/// The unit square with a fin [1, 1.5] x [0.5 - t/2, 0.5 + t/2] on its right side.
dn::PolylineDomain finned_square(double t) {
  dn::PointMatrix L(8, 2);
  L << 0, 0, 1, 0, 1, 0.5 - t / 2, 1.5, 0.5 - t / 2, 1.5, 0.5 + t / 2, 1, 0.5 + t / 2, 1, 1, 0, 1;
  return dn::PolylineDomain({L}, "finned square");
}

dn::NodeSet at_spacing(const dn::Domain& d, double h) {
  dn::FillOptions o;
  o.h = h;
  return dn::generate_nodes(d, o);
}

}  // namespace

// A slot 0.3 spacings wide: every ghost outside (the true shape's inside test), the segment to
// it too, no node within half its offset; the gate then names the slot (its two walls' nodes
// face each other 0.3 h apart). A slot 0.1 spacings wide has no room for a ghost: refused,
// naming a place in the slot.
TEST(QualityGate, GhostsAtAThinSlotStayOutsideOrThePlaceIsNamed) {
  const double h = 0.02;
  {
    const double w = 0.3 * h;
    const dn::PolylineDomain d = slotted_square(w);
    const dn::NodeSet ns = at_spacing(d, h);
    const dn::KnnIndex tree(ns.points, 0, ns.ghost_begin() + ns.n_ghost);
    std::vector<std::int32_t> idx;
    std::vector<double> d2;
    int shortened = 0;
    for (dn::Index k = 0; k < ns.n_ghost; ++k) {
      const Eigen::Vector2d b = ns.points.row(ns.boundary_begin() + k).transpose();
      const Eigen::Vector2d g = ns.points.row(ns.ghost_begin() + k).transpose();
      const double offset = (g - b).norm();
      ASSERT_FALSE(in_slotted_square(g, w)) << g.transpose();
      for (int j = 1; j < 8; ++j) ASSERT_FALSE(in_slotted_square(b + (g - b) * j / 8.0, w));
      ASSERT_GE(offset, dn::kGhostFloor * h * (1 - 1e-9));
      shortened += offset < 0.99 * h;
      tree.nearest(g.data(), 3, idx, d2);
      for (std::size_t j = 0; j < idx.size(); ++j)
        if (dn::Index(idx[j]) != ns.ghost_begin() + k &&
            dn::Index(idx[j]) != ns.boundary_begin() + k) {
          ASSERT_GE(std::sqrt(d2[j]), 0.5 * offset * (1 - 1e-9)) << g.transpose();
        }
    }
    EXPECT_GT(shortened, 40);  // the slot walls' ghosts, 0.6 / h = 30 a side
    const dn::QualityReport q = dn::assess_quality(ns, &d);
    const std::string problem = dn::quality_problem(q);
    ASSERT_FALSE(problem.empty()) << q.to_string();
    const Eigen::Vector2d at = place_in(problem, "closest nodes");
    EXPECT_NEAR(at.x(), 0.5, w) << problem;
    EXPECT_GT(at.y(), 0.39) << problem;
  }
  const std::string m = dtpinn::test::error_of([&] { at_spacing(slotted_square(0.1 * h), h); });
  ASSERT_TRUE(has(m, "a feature thinner than")) << m;
  const Eigen::Vector2d at = place_in(m, "near");
  EXPECT_NEAR(at.x(), 0.5, 0.1 * h) << m;
  EXPECT_GT(at.y(), 0.39) << m;
}

// Fins too thin for interior nodes (below 2 spacings) are named by the gate where they are;
// at 2.5 spacings there is room.
TEST(QualityGate, FinsThinnerThanTwoSpacingsAreNamed) {
  const double h = 0.02;
  for (const double t : {1.0, 1.4, 1.7}) {
    SCOPED_TRACE(t);
    const dn::PolylineDomain d = finned_square(t * h);
    const dn::QualityReport q = dn::assess_quality(at_spacing(d, h), &d);
    const std::string problem = dn::quality_problem(q);
    EXPECT_TRUE(has(problem, "a part of the domain thinner than")) << problem;
    EXPECT_NEAR(q.thin_part, t * h, 0.15 * h);
    const Eigen::Vector2d at = place_in(problem, "near");
    EXPECT_GT(at.x(), 1.0) << problem;
    EXPECT_NEAR(at.y(), 0.5, t * h) << problem;
  }
  const dn::PolylineDomain d = finned_square(2.5 * h);
  EXPECT_EQ(dn::quality_problem(dn::assess_quality(at_spacing(d, h), &d)), "");
}

// Wedges of 10 and 5 degrees are generated at every spacing, the nodes of their two sides
// alternating near the tip (no pair closer than half a spacing), and pass the gate.
TEST(QualityGate, SharpWedgesAreNotRefused) {
  for (const double deg : {10.0, 5.0}) {
    const double a = deg * M_PI / 180;
    dn::PointMatrix L(42, 2);
    L.row(0) << 0, 0;
    for (int i = 0; i <= 40; ++i)
      L.row(i + 1) << std::cos(-a / 2 + a * i / 40), std::sin(-a / 2 + a * i / 40);
    const dn::PolylineDomain d({L}, "wedge");
    for (const double h : {0.02, 0.01}) {
      SCOPED_TRACE(deg);
      SCOPED_TRACE(h);
      const dn::NodeSet ns = at_spacing(d, h);
      const dn::QualityReport q = dn::assess_quality(ns, &d);
      EXPECT_GT(q.min_separation, 0.45 * h) << q.to_string();
      EXPECT_EQ(dn::quality_problem(q), "") << q.to_string();
    }
  }
}

// A degenerate set (the disk's nodes with two nearly on top of each other, and one with a patch
// emptied) is refused naming the place; the fill distance is measured over the whole domain.
TEST(QualityGate, DegenerateSetsAreRefusedNamingThePlace) {
  const auto disk = dn::make_shape("disk");
  dn::NodeSet ns = dn::make_nodes("disk", 1000, 0);
  EXPECT_EQ(dn::quality_problem(dn::assess_quality(ns, disk.get())), "");
  dn::NodeSet close = ns;
  close.points(3, 0) = close.points(7, 0) + 1e-4;
  close.points(3, 1) = close.points(7, 1);
  std::string problem = dn::quality_problem(dn::assess_quality(close, disk.get()));
  EXPECT_TRUE(has(problem, "two nodes 0.0001 apart at")) << problem;
  EXPECT_LT((place_in(problem, "at") - close.points.row(7).transpose()).norm(), 1e-3) << problem;
  // Empty the interior within 0.3 of (0.3, 0.2): the fill distance sees the hole.
  dn::NodeSet holed;
  holed.dim = 2;
  std::vector<dn::Index> keep;
  for (dn::Index i = 0; i < ns.n_interior; ++i)
    if (std::hypot(ns.points(i, 0) - 0.3, ns.points(i, 1) - 0.2) > 0.3) keep.push_back(i);
  holed.n_interior = dn::Index(keep.size());
  holed.n_boundary = ns.n_boundary;
  holed.n_ghost = ns.n_ghost;
  holed.points.resize(holed.size(), 2);
  holed.normals.resize(holed.size(), 2);
  for (std::size_t r = 0; r < keep.size(); ++r) {
    holed.points.row(dn::Index(r)) = ns.points.row(keep[r]);
    holed.normals.row(dn::Index(r)) = ns.normals.row(keep[r]);
  }
  holed.points.bottomRows(2 * ns.n_boundary) = ns.points.bottomRows(2 * ns.n_boundary);
  holed.normals.bottomRows(2 * ns.n_boundary) = ns.normals.bottomRows(2 * ns.n_boundary);
  holed.part_names = ns.part_names;
  holed.boundary_part = ns.boundary_part;
  const dn::QualityReport q = dn::assess_quality(holed, disk.get());
  EXPECT_GT(q.max_fill_distance, 0.28);
  EXPECT_LT((q.emptiest - Eigen::Vector2d(0.3, 0.2)).norm(), 0.05) << q.to_string();
  problem = dn::quality_problem(q);
  EXPECT_TRUE(has(problem, "fill distance / separation")) << problem;
  EXPECT_LT((place_in(problem, "within") - Eigen::Vector2d(0.3, 0.2)).norm(), 0.05) << problem;
  // A ghost moved into the domain.
  dn::NodeSet ghost_in = ns;
  ghost_in.points.row(ghost_in.ghost_begin() + 5) *= 0.5;
  problem = dn::quality_problem(dn::assess_quality(ghost_in, disk.get()));
  EXPECT_TRUE(has(problem, "1 ghost node(s) lie inside the domain")) << problem;
}

// No false alarm: every shape at a few sizes and seeds, every shipped geometry file.
TEST(QualityGate, GeneratedShapesAndShippedFilesPass) {
  for (const auto& shape : dn::shape_names()) {
    const auto domain = dn::make_shape(shape);
    for (const dn::Index n : {200, 2000})
      for (const std::uint64_t seed : {0u, 1u}) {
        dn::FillOptions o;
        o.n = n;
        o.seed = seed;
        const dn::QualityReport q =
            dn::assess_quality(dn::generate_nodes(*domain, o), domain.get(), 5000, seed);
        EXPECT_EQ(dn::quality_problem(q), "") << shape << " n " << n << " seed " << seed;
        EXPECT_LT(q.ratio, 2.5) << shape << " n " << n << "\n" << q.to_string();
      }
  }
  for (const char* f : {"gear_outline.csv", "naca0012.csv", "peanut_cloud.xyz", "hex_nut.stl",
                        "gear_with_bore.obj", "plate_with_holes.stl", "torus.obj"}) {
    dn::ImportOptions o;
    o.n = 2000;
    dn::ImportReport rep;
    const dn::NodeSet ns = dn::import_nodes(kData + f, o, &rep);
    const dn::QualityReport q = dn::assess_quality(ns, rep.domain.get(), 5000);
    EXPECT_EQ(dn::quality_problem(q), "") << f << "\n" << q.to_string();
  }
}
