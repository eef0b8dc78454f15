// checks.hpp: no false alarm on any generated shape or shipped geometry file; each bad input of
// node generation refused with the node named: an interior node far outside,
// a flipped normal, tangent normals, a self-crossing outline (ordered and shuffled), duplicate
// nodes and too few nodes in a labelled file; the net count of flipped mesh faces.
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/mesh.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/readers.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/test_util.hpp"
#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
using dn::testutil::scratch_dir;
using dtpinn::test::error_of;
using dtpinn::test::write_text;

namespace {

const std::string kData = DTPINN_SOURCE_DIR "/data/geometry/";

bool has(const std::string& msg, const std::string& part) {
  return msg.find(part) != std::string::npos;
}

/// The one-line message of the error `f` throws (a test failure if none).
template <class F>
std::string one_line_error(F&& f) {
  const std::string m = error_of(f);
  EXPECT_FALSE(m.empty()) << "no error";
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  return m;
}

/// A node set as CSV text (the writer's format) with node `i` moved to `at` or its normal set.
std::string csv_of(const dn::NodeSet& ns) {
  const std::string p = scratch_dir() + "/tmp.csv";
  dn::write_nodes(p, ns);
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Gerono's lemniscate x = cos t, y = sin t cos t (a figure-eight crossing itself at the origin
/// at right angles), n points at equal parameter steps, starting off the crossing.
dn::PointMatrix figure_eight(int n) {
  dn::PointMatrix P(n, 2);
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * (i + 0.5) / n;
    P.row(i) << std::cos(t), std::sin(t) * std::cos(t);
  }
  return P;
}

/// A bowtie: the closed polygon (0,0) (2,1) (2,0) (0,1), k points per edge.
dn::PointMatrix bowtie(int k) {
  const double v[4][2] = {{0, 0}, {2, 1}, {2, 0}, {0, 1}};
  dn::PointMatrix P(4 * k, 2);
  for (int e = 0; e < 4; ++e)
    for (int j = 0; j < k; ++j) {
      const double t = (j + 0.5) / k;  // off the crossing: no duplicate point there
      const auto& a = v[e];
      const auto& b = v[(e + 1) % 4];
      P.row(e * k + j) << a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]);
    }
  return P;
}

dn::PointMatrix shuffled(const dn::PointMatrix& P) {
  std::vector<int> order(std::size_t(P.rows()));
  for (int i = 0; i < int(P.rows()); ++i) order[std::size_t(i)] = i;
  std::mt19937_64 rng(11);
  std::shuffle(order.begin(), order.end(), rng);
  dn::PointMatrix Q(P.rows(), P.cols());
  for (int i = 0; i < int(P.rows()); ++i) Q.row(i) = P.row(order[std::size_t(i)]);
  return Q;
}

std::string table(const dn::PointMatrix& P) {
  std::string s = "x,y\n";
  for (int i = 0; i < int(P.rows()); ++i) s += fmt::format("{:.17g},{:.17g}\n", P(i, 0), P(i, 1));
  return s;
}

}  // namespace

// Every shape at a few sizes and seeds, every shipped geometry file: no check fires.
TEST(Checks, NoFalseAlarmOnGeneratedShapesAndShippedFiles) {
  for (const auto& shape : dn::shape_names())
    for (const dn::Index n : {150, 600, 2500})
      for (const std::uint64_t seed : {0u, 1u}) {
        const dn::NodeSet ns = dn::make_nodes(shape, n, seed);
        const dn::NodeProblem p = dn::check_node_set(ns);
        EXPECT_FALSE(p) << shape << " n " << n << " seed " << seed << ": " << p.reason;
      }
  for (const char* f : {"gear_outline.csv", "naca0012.csv", "peanut_cloud.xyz", "hex_nut.stl",
                        "gear_with_bore.obj", "plate_with_holes.stl", "torus.obj"}) {
    dn::ImportOptions o;
    o.n = 2000;
    const dn::NodeSet ns = dn::import_nodes(kData + f, o);
    const dn::NodeProblem p = dn::check_node_set(ns);
    EXPECT_FALSE(p) << f << ": " << p.reason;
  }
  // Clouds with exact normals: the direction check passes them.
  dn::PointMatrix P, N;
  dn::testutil::ellipse_cloud(200, 2.0, 1.0, P, N);
  EXPECT_FALSE(dn::check_normal_directions(P, N));
  dn::testutil::ellipsoid_cloud(1500, 1.0, 0.7, 0.5, P, N);
  EXPECT_FALSE(dn::check_normal_directions(P, N));
}

// Item 1: an interior node at x = 50 in a disk's node file: refused by read_nodes (operators,
// train) and by import_nodes (nodes), with its line, index and coordinates.
TEST(Checks, InteriorNodeFarOutsideIsRefused) {
  dn::NodeSet ns = dn::make_nodes("disk", 400, 0);
  ns.points.row(5) << 50.0, 0.5;
  const std::string path = scratch_dir() + "/outside.csv";
  write_text(path, csv_of(ns));
  std::string m = one_line_error([&] { dn::read_nodes(path); });
  // Line 1 the header, node 5 on line 7.
  EXPECT_TRUE(has(m, "outside.csv:7: interior node 5 at (50, 0.5) lies outside the domain")) << m;
  EXPECT_TRUE(has(m, "bounding box")) << m;
  m = one_line_error([&] { dn::import_nodes(path, {}); });
  EXPECT_TRUE(has(m, "outside.csv:7: interior node 5 at (50, 0.5)")) << m;
  // Inside the box but in the annulus's hole: beyond the boundary along the normals.
  dn::NodeSet an = dn::make_nodes("annulus", 800, 0);
  an.points.row(3) << 0.0, 0.0;
  write_text(path, csv_of(an));
  m = one_line_error([&] { dn::read_nodes(path); });
  EXPECT_TRUE(has(m, "interior node 3 at (0, 0) lies outside the domain") &&
              has(m, "boundary spacings beyond the boundary"))
      << m;
}

// Item 2: one boundary normal flipped inward in a labelled file.
TEST(Checks, FlippedBoundaryNormalIsRefused) {
  dn::NodeSet ns = dn::make_nodes("star", 600, 0, /*ghosts=*/false);
  const dn::Index b = ns.boundary_begin() + 7;
  ns.normals.row(b) *= -1.0;
  const std::string path = scratch_dir() + "/flipped.csv";
  write_text(path, csv_of(ns));
  const std::string where = fmt::format("flipped.csv:{}: boundary node {} at", b + 2, b);
  std::string m = one_line_error([&] { dn::read_nodes(path); });
  EXPECT_TRUE(has(m, where) && has(m, "points opposite to its neighbours'") &&
              has(m, "(1 such boundary nodes of"))
      << m;
  m = one_line_error([&] { dn::import_nodes(path, {}); });
  EXPECT_TRUE(has(m, where)) << m;
  // All flipped: no local disagreement, but the farthest node's normal points inward.
  ns.normals.middleRows(ns.boundary_begin(), ns.n_boundary) *= -1.0;
  ns.normals.row(b) *= -1.0;
  write_text(path, csv_of(ns));
  m = one_line_error([&] { dn::read_nodes(path); });
  EXPECT_TRUE(has(m, "pointing inward")) << m;
}

// Item 4: a third of the given normals tangent (90 degrees off) in a boundary cloud and in a
// labelled file.
TEST(Checks, TangentNormalsAreRefused) {
  dn::PointMatrix P, N;
  dn::testutil::ellipse_cloud(300, 2.0, 1.0, P, N, /*shuffle=*/false);
  for (int i = 0; i < 300; i += 3) {  // turned 90 degrees
    const double nx = N(i, 0);
    N(i, 0) = -N(i, 1);
    N(i, 1) = nx;
  }
  const std::string path = scratch_dir() + "/tangent.xyz";
  dn::write_point_table(path, P, N, ' ', false);
  std::string m = one_line_error([&] { dn::import_nodes(path, {}); });
  EXPECT_TRUE(has(m, "tangent.xyz:1: the normal (0, 1) at (2, 0) is 89 degrees off") &&
              has(m, "(more than 45 is refused; 100 such points of 300)"))
      << m;
  dn::NodeSet ns = dn::make_nodes("disk", 500, 0, false);
  const dn::Index b = ns.boundary_begin() + 4;
  const double nx = ns.normals(b, 0);
  ns.normals(b, 0) = -ns.normals(b, 1);
  ns.normals(b, 1) = nx;
  const std::string csv = scratch_dir() + "/tangent.csv";
  write_text(csv, csv_of(ns));
  m = one_line_error([&] { dn::read_nodes(csv); });
  EXPECT_TRUE(has(m, fmt::format("tangent.csv:{}: boundary node {}: the normal", b + 2, b)) &&
              has(m, "88 degrees off") && has(m, "1 such points of 82"))
      << m;
}

// Item 3: a figure-eight as ordered and as shuffled points, a bowtie polygon.
TEST(Checks, SelfCrossingOutlinesAreRefused) {
  const std::string dir = scratch_dir();
  write_text(dir + "/eight.csv", table(figure_eight(200)));
  std::string m = one_line_error([&] { dn::import_nodes(dir + "/eight.csv", {}); });
  // Points 49 and 149 (lines 51 and 151) start the two segments through the origin.
  EXPECT_TRUE(has(m, "eight.csv:51: the outline crosses itself at (0, 0)") &&
              has(m, "from line 51 to line 52 crosses the one from line 151 to line 152"))
      << m;
  write_text(dir + "/bowtie.csv", table(bowtie(20)));
  m = one_line_error([&] { dn::import_nodes(dir + "/bowtie.csv", {}); });
  EXPECT_TRUE(has(m, "the outline crosses itself at (1, 0.5)")) << m;
  // An OBJ outline (`l` line) names the crossing point and the two edges.
  write_text(dir + "/bowtie.obj", "v 0 0 0\nv 2 1 0\nv 2 0 0\nv 0 1 0\nl 1 2 3 4 1\n");
  m = one_line_error([&] { dn::import_nodes(dir + "/bowtie.obj", {}); });
  EXPECT_TRUE(has(m,
                  "the outline intersects itself at (1, 0.5): the edge (0, 0)-(2, 1) meets "
                  "the edge (2, 0)-(0, 1)"))
      << m;
  for (const auto& [name, P] : {std::pair{"eight", figure_eight(200)}, {"bowtie", bowtie(20)}}) {
    const std::string p = dir + "/" + name + "_shuffled.csv";
    write_text(p, table(shuffled(P)));
    m = one_line_error([&] { dn::import_nodes(p, {}); });
    EXPECT_TRUE(has(m, "the outline crosses or touches itself near this point"))
        << name << ": " << m;
    // The point named ("FILE:LINE (x, y): ...") lies at the crossing.
    const std::size_t open = m.find(" ("), comma = m.find(", ", open), close = m.find(')', open);
    ASSERT_TRUE(open != std::string::npos && close != std::string::npos) << m;
    const Eigen::RowVector2d at(std::stod(m.substr(open + 2, comma - open - 2)),
                                std::stod(m.substr(comma + 2, close - comma - 2)));
    const Eigen::RowVector2d centre =
        std::string(name) == "eight" ? Eigen::RowVector2d(0, 0) : Eigen::RowVector2d(1, 0.5);
    EXPECT_LT((at - centre).norm(), 0.1) << name << ": " << m;
  }
}

// Item 6: duplicate nodes and a 2-node set in a labelled file: refused by import (`nodes`).
TEST(Checks, DuplicateAndTooFewLabelledNodesAreRefused) {
  const std::string dir = scratch_dir();
  write_text(dir + "/two.csv", "x,y,kind,nx,ny\n0,0,interior,0,0\n1,0,boundary,1,0\n");
  std::string m = one_line_error([&] { dn::import_nodes(dir + "/two.csv", {}); });
  EXPECT_TRUE(has(m, "two.csv: too few nodes: 2 interior + boundary nodes") && has(m, "needs 21"))
      << m;
  dn::NodeSet ns = dn::make_nodes("disk", 300, 0);
  ns.points.row(9) = ns.points.row(4);
  write_text(dir + "/dup.csv", csv_of(ns));
  m = one_line_error([&] { dn::import_nodes(dir + "/dup.csv", {}); });
  EXPECT_TRUE(has(m, "dup.csv:11: duplicate point (same as line 6)")) << m;
}

// Item 7: the note counts faces whose orientation changed, never more than the mesh has.
TEST(Checks, FlippedFaceCountIsNet) {
  dn::TriangleMesh m = dn::testutil::icosphere(2);  // 320 faces, outward
  const auto nf = m.faces.rows();
  // Turn two thirds of the faces, the first (the seed of the consistency pass) among them: that
  // pass turns the other third to match, then the outward pass turns the whole shell; the note
  // once said 106 + 320 = 426 faces flipped. The faces that differ from the input: 214.
  dn::Index turned = 0;
  for (Eigen::Index f = 0; f < nf; ++f)
    if (f % 3 != 2) {
      std::swap(m.faces(f, 1), m.faces(f, 2));
      ++turned;
    }
  const dn::TriangleMesh input = m;
  const dn::MeshCheck c = dn::prepare_closed_mesh(m, "sphere");
  dn::Index changed = 0;
  for (Eigen::Index f = 0; f < nf; ++f) changed += m.faces(f, 1) != input.faces(f, 1);
  EXPECT_EQ(c.flipped_faces, changed);
  EXPECT_LE(c.flipped_faces, nf);
  EXPECT_EQ(c.flipped_faces, turned);
  EXPECT_EQ(turned, 214);
}
