// Corners and edges: boundary nodes where sides meet carry each side's part and exact normal
// (NodeSet::corners), from the shapes (rectangle, L-shape, polygon, box, holes), from 2D
// outlines, and through the node CSV (exact round trip, bad corner lines named).
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/test_util.hpp"
#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
using dn::testutil::scratch_dir;
using dtpinn::test::write_text;

namespace {

Eigen::Vector3d side_normal(const dn::CornerSide& s) {
  return {s.normal[0], s.normal[1], s.normal[2]};
}

/// Every corner's node normal is the normalised sum of its sides' unit normals.
void expect_bisectors(const dn::NodeSet& ns) {
  for (const auto& c : ns.corners) {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    for (const auto& s : c.sides) {
      EXPECT_NEAR(side_normal(s).norm(), 1.0, 1e-12);
      sum += side_normal(s);
    }
    Eigen::Vector3d n = Eigen::Vector3d::Zero();
    for (int k = 0; k < ns.dim; ++k) n[k] = ns.normals(ns.n_interior + c.boundary, k);
    EXPECT_NEAR((sum.normalized() - n).norm(), 0.0, 1e-12) << "corner " << c.boundary;
  }
}

TEST(Corners, RectangleCornersHaveTheirTwoSides) {
  const dn::NodeSet ns = dn::make_nodes("rectangle", 800);
  ASSERT_EQ(ns.corners.size(), 4u);
  expect_bisectors(ns);
  for (const auto& c : ns.corners) {
    ASSERT_EQ(c.sides.size(), 2u);
    const double x = ns.points(ns.n_interior + c.boundary, 0);
    const double y = ns.points(ns.n_interior + c.boundary, 1);
    for (const auto& s : c.sides) {
      // left (x = 0, -x), right (x = 2, +x), bottom (y = 0, -y), top (y = 1, +y).
      const Eigen::Vector3d expected[] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}};
      EXPECT_EQ(side_normal(s), expected[s.part]);
      const double on = s.part == 0 ? x : s.part == 1 ? x - 2 : s.part == 2 ? y : y - 1;
      EXPECT_EQ(on, 0.0) << "the corner lies on its side " << ns.part_names[s.part];
    }
    // Its own part is one of its sides.
    std::set<int> parts;
    for (const auto& s : c.sides) parts.insert(s.part);
    EXPECT_TRUE(parts.count(ns.part_of_boundary(c.boundary)));
  }
  // Nowhere else.
  EXPECT_EQ(dn::make_nodes("disk", 500).corners.size(), 0u);
  EXPECT_EQ(dn::make_nodes("annulus", 800).corners.size(), 0u);
}

TEST(Corners, LShapeHasItsReentrantCorner) {
  const dn::NodeSet ns = dn::make_nodes("lshape", 800);
  ASSERT_EQ(ns.corners.size(), 6u);
  expect_bisectors(ns);
  int reentrant = 0;
  for (const auto& c : ns.corners) {
    const Eigen::Vector2d p = ns.points.row(ns.n_interior + c.boundary).transpose();
    if (p.norm() > 1e-12) continue;
    ++reentrant;
    std::set<std::string> names;
    for (const auto& s : c.sides) names.insert(ns.part_names[s.part]);
    EXPECT_EQ(names, (std::set<std::string>{"notch_bottom", "notch_left"}));
  }
  EXPECT_EQ(reentrant, 1);
}

TEST(Corners, BoxEdgesHaveTwoFacesAndCornersThree) {
  const dn::NodeSet ns = dn::make_nodes("box", 3000);
  expect_bisectors(ns);
  int corners = 0, edges = 0;
  for (const auto& c : ns.corners) {
    const Eigen::Vector3d p = ns.points.row(ns.n_interior + c.boundary).transpose();
    int on_faces = 0;
    for (int k = 0; k < 3; ++k) on_faces += std::abs(std::abs(p[k]) - 1.0) == 0.0;
    EXPECT_EQ(static_cast<int>(c.sides.size()), on_faces);
    for (const auto& s : c.sides) {
      const int axis = s.part / 2;
      EXPECT_EQ(p[axis], s.part % 2 ? 1.0 : -1.0);  // on the face of that part
      EXPECT_EQ(s.normal[std::size_t(axis)], s.part % 2 ? 1.0 : -1.0);
    }
    (c.sides.size() == 3 ? corners : edges) += 1;
  }
  EXPECT_EQ(corners, 8);
  EXPECT_GT(edges, 12 * 3);
}

TEST(Corners, AHolesCornersPointIntoTheHole) {
  Eigen::MatrixX2d square(4, 2);
  square << -0.2, -0.2, 0.2, -0.2, 0.2, 0.2, -0.2, 0.2;
  const auto domain =
      dn::make_difference(dn::make_rectangle({-1, -1}, {1, 1}), {dn::make_polygon(square)});
  dn::FillOptions o;
  o.n = 1500;
  const dn::NodeSet ns = dn::generate_nodes(*domain, o);
  ASSERT_EQ(ns.corners.size(), 8u);
  expect_bisectors(ns);
  int inner = 0;
  for (const auto& c : ns.corners) {
    const Eigen::Vector2d p = ns.points.row(ns.n_interior + c.boundary).transpose();
    if (p.lpNorm<Eigen::Infinity>() > 0.5) continue;
    ++inner;
    for (const auto& s : c.sides) {
      EXPECT_EQ(ns.part_names[s.part], "inner");
      // Outward from the domain: towards the hole's centre along one axis.
      EXPECT_LT(s.normal[0] * p.x() + s.normal[1] * p.y(), 0.0);
    }
  }
  EXPECT_EQ(inner, 4);
}

TEST(Corners, OutlineCornersCarryTheirSegmentsParts) {
  const std::string dir = scratch_dir();
  write_text(dir + "/holed.obj",
             "v 0 0 0\nv 4 0 0\nv 4 4 0\nv 0 4 0\nv 1 1 0\nv 2 1 0\nv 2 2 0\nv 1 2 0\n"
             "l 1 2 3 4 1\nl 5 6 7 8 5\n");
  dn::ImportOptions o;
  o.n = 1500;
  const dn::NodeSet ns = dn::import_nodes(dir + "/holed.obj", o);
  ASSERT_EQ(ns.corners.size(), 8u);
  expect_bisectors(ns);
  for (const auto& c : ns.corners)
    for (const auto& s : c.sides) EXPECT_EQ(s.part, ns.part_of_boundary(c.boundary));
}

TEST(Corners, NodeCsvCarriesThemExactly) {
  const std::string dir = scratch_dir();
  const dn::NodeSet box = dn::make_nodes("box", 2000);
  dn::write_nodes(dir + "/box.csv", box);
  const dn::NodeSet back = dn::read_nodes(dir + "/box.csv");
  ASSERT_EQ(back.corners.size(), box.corners.size());
  for (std::size_t i = 0; i < box.corners.size(); ++i) {
    EXPECT_EQ(back.corners[i].boundary, box.corners[i].boundary);
    ASSERT_EQ(back.corners[i].sides.size(), box.corners[i].sides.size());
    for (std::size_t s = 0; s < box.corners[i].sides.size(); ++s) {
      EXPECT_EQ(back.corners[i].sides[s].part, box.corners[i].sides[s].part);
      EXPECT_EQ(back.corners[i].sides[s].normal, box.corners[i].sides[s].normal);
    }
  }
  // The corners are in the sidecar box.csv.corners, the CSV holds rows only. A bad corner line
  // is named by its file and line; without the sidecar a file has no corners.
  std::ifstream in(dir + "/box.csv.corners");
  std::stringstream text;
  text << in.rdbuf();
  const std::string corners = text.str();
  ASSERT_FALSE(corners.empty());
  EXPECT_EQ(corners.rfind('#', 0), 0u);  // the comment line first
  std::ifstream csv_in(dir + "/box.csv");
  std::stringstream csv;
  csv << csv_in.rdbuf();
  EXPECT_EQ(csv.str().find('#'), std::string::npos);
  write_text(dir + "/bad.csv", csv.str());
  write_text(dir + "/bad.csv.corners", "# a comment\n0 left 1 0\n");
  const std::string msg = dtpinn::test::error_of([&] { dn::read_nodes(dir + "/bad.csv"); });
  EXPECT_NE(msg.find("bad.csv.corners:2: a corner line needs"), std::string::npos) << msg;
  // `# corner` lines inside the CSV (what older versions wrote) are read as well.
  std::string old = csv.str();
  const auto first_row = old.find('\n') + 1;
  std::string lines;
  std::istringstream corner_lines(corners);
  for (std::string line; std::getline(corner_lines, line);)
    if (line.rfind('#', 0) != 0) lines += "# corner " + line + "\n";
  write_text(dir + "/old.csv", old.substr(0, first_row) + lines + old.substr(first_row));
  EXPECT_EQ(dn::read_nodes(dir + "/old.csv").corners.size(), box.corners.size());
  write_text(dir + "/plain.csv", csv.str());
  EXPECT_TRUE(dn::read_nodes(dir + "/plain.csv").corners.empty());
}

}  // namespace
