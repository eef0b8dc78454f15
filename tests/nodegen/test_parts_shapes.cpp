// Boundary parts of the shapes (named sides, the corner rule) and through every node file
// format (CSV read back by read_nodes, PLY by import_nodes, VTK fields as written).
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/test_util.hpp"
#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
namespace fs = std::filesystem;
using dn::testutil::scratch_dir;
using dtpinn::test::write_text;

namespace {

using Names = std::vector<std::string>;

dn::NodeSet nodes_on(const dn::Domain& d, dn::Index n, int repulsion = 0) {
  dn::FillOptions o;
  o.n = n;
  o.seed = 3;
  o.repulsion_steps = repulsion;
  return dn::generate_nodes(d, o);
}

// Boundary node k's coordinates and normal.
Eigen::VectorXd bp(const dn::NodeSet& ns, dn::Index k) {
  return ns.points.row(ns.n_interior + k).transpose();
}
Eigen::VectorXd bn(const dn::NodeSet& ns, dn::Index k) {
  return ns.normals.row(ns.n_interior + k).transpose();
}

// The part of the boundary node at p (exact coordinates), or "" if there is none.
std::string part_at(const dn::NodeSet& ns, const Eigen::VectorXd& p) {
  for (dn::Index k = 0; k < ns.n_boundary; ++k)
    if ((bp(ns, k) - p).norm() == 0.0) return ns.part_names[std::size_t(ns.part_of_boundary(k))];
  return "";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string read_error(const std::string& path) {
  const std::string msg = dtpinn::test::error_of([&] { dn::read_nodes(path); });
  EXPECT_FALSE(msg.empty()) << path << ": no error";
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  return msg;
}

}  // namespace

TEST(PartsShapes, RectangleSidesNormalsCornersAndCounts) {
  const auto d = dn::make_rectangle({0.0, 0.0}, {2.0, 1.0});
  const dn::NodeSet ns = nodes_on(*d, 3000, 3);  // repulsion: the parts survive relax too
  ASSERT_EQ(ns.part_names, (Names{"left", "right", "bottom", "top"}));
  ASSERT_EQ(dn::Index(ns.boundary_part.size()), ns.n_boundary);
  // Each side's line and normal; the one corner a side starts at has the bisector.
  const double s = 1.0 / std::sqrt(2.0);
  const Eigen::Vector2d line_n[4] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  const Eigen::Vector2d corner[4] = {{0, 1}, {2, 0}, {0, 0}, {2, 1}};
  const Eigen::Vector2d corner_n[4] = {{-s, s}, {s, -s}, {-s, -s}, {s, s}};
  int corners_seen = 0;
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const int p = ns.part_of_boundary(k);
    const Eigen::Vector2d x = bp(ns, k), n = bn(ns, k);
    const double on = p == 0 ? x.x() : p == 1 ? x.x() - 2.0 : p == 2 ? x.y() : x.y() - 1.0;
    EXPECT_EQ(on, 0.0) << ns.part_names[p] << " node at " << x.transpose();
    if (x == corner[p]) {
      EXPECT_NEAR((n - corner_n[p]).norm(), 0.0, 1e-14);
      ++corners_seen;
    } else {
      EXPECT_NEAR((n - line_n[p]).norm(), 0.0, 1e-14) << ns.part_names[p] << " " << x.transpose();
    }
  }
  EXPECT_EQ(corners_seen, 4);
  // The corner rule: a corner belongs to the side that starts there counter-clockwise.
  EXPECT_EQ(part_at(ns, Eigen::Vector2d(0, 0)), "bottom");
  EXPECT_EQ(part_at(ns, Eigen::Vector2d(2, 0)), "right");
  EXPECT_EQ(part_at(ns, Eigen::Vector2d(2, 1)), "top");
  EXPECT_EQ(part_at(ns, Eigen::Vector2d(0, 1)), "left");
  // Counts follow the side lengths (2 : 1) at equal spacing.
  const auto c = ns.part_counts();
  EXPECT_EQ(c[0], c[1]);
  EXPECT_EQ(c[2], c[3]);
  EXPECT_NEAR(double(c[2]) / double(c[0]), 2.0, 0.1);
  EXPECT_EQ(c[0] + c[1] + c[2] + c[3], ns.n_boundary);
  EXPECT_EQ(dn::part_summary(ns),
            fmt::format("left {}, right {}, bottom {}, top {}", c[0], c[1], c[2], c[3]));
}

TEST(PartsShapes, SquareByNameAndVariableSpacingKeepParts) {
  const auto d = dn::make_shape("square");
  dn::FillOptions o;
  o.n = 2000;
  o.spacing_factor = [](const Eigen::Ref<const Eigen::VectorXd>& p) {
    return 0.4 + 0.3 * (p[0] + 1.0);  // finer on the left: the boundary is thinned
  };
  const dn::NodeSet ns = dn::generate_nodes(*d, o);
  ASSERT_EQ(ns.part_names, (Names{"left", "right", "bottom", "top"}));
  const auto c = ns.part_counts();
  EXPECT_GT(c[0], c[1] * 2);  // the left side is about 2.5 times finer than the right
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const int p = ns.part_of_boundary(k);
    const double v = p < 2 ? bp(ns, k).x() : bp(ns, k).y();
    EXPECT_EQ(v, (p % 2 == 0) ? -1.0 : 1.0) << ns.part_names[p];
  }
}

TEST(PartsShapes, LShapeSixEdges) {
  const auto d = dn::make_shape("lshape");
  const dn::NodeSet ns = nodes_on(*d, 2000);
  ASSERT_EQ(ns.part_names, (Names{"bottom", "right", "notch_bottom", "notch_left", "top", "left"}));
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector2d x = bp(ns, k);
    const std::string& p = ns.part_names[std::size_t(ns.part_of_boundary(k))];
    if (p == "bottom") {
      EXPECT_TRUE(x.y() == -1.0 && x.x() < 1.0) << x.transpose();
    }
    if (p == "right") {
      EXPECT_TRUE(x.x() == 1.0 && x.y() < 0.0) << x.transpose();
    }
    if (p == "notch_bottom") {
      EXPECT_TRUE(x.y() == 0.0 && x.x() > 0.0) << x.transpose();
    }
    if (p == "notch_left") {
      EXPECT_TRUE(x.x() == 0.0 && x.y() < 1.0) << x.transpose();
    }
    if (p == "top") {
      EXPECT_TRUE(x.y() == 1.0 && x.x() > -1.0) << x.transpose();
    }
    if (p == "left") {
      EXPECT_TRUE(x.x() == -1.0 && x.y() > -1.0) << x.transpose();
    }
  }
  EXPECT_EQ(part_at(ns, Eigen::Vector2d(0, 0)), "notch_left");  // the re-entrant corner
  EXPECT_EQ(part_at(ns, Eigen::Vector2d(-1, -1)), "bottom");
  EXPECT_EQ(part_at(ns, Eigen::Vector2d(1, 0)), "notch_bottom");
  const auto c = ns.part_counts();  // lengths 2, 1, 1, 1, 1, 2
  EXPECT_NEAR(double(c[0]) / double(c[1]), 2.0, 0.15);
  EXPECT_EQ(c[0], c[5]);
  EXPECT_EQ(c[1], c[2]);
}

TEST(PartsShapes, AnnulusAndDiskWithHoleOuterInner) {
  const dn::NodeSet a = nodes_on(*dn::make_shape("annulus"), 3000);
  ASSERT_EQ(a.part_names, (Names{"outer", "inner"}));
  for (dn::Index k = 0; k < a.n_boundary; ++k) {
    const Eigen::Vector2d x = bp(a, k), n = bn(a, k);
    if (a.part_of_boundary(k) == 1) {
      EXPECT_NEAR(x.norm(), 0.5, 1e-12);
      EXPECT_NEAR((n + x / x.norm()).norm(), 0.0, 1e-10);  // points into the hole
    } else {
      EXPECT_NEAR(x.norm(), 1.0, 1e-12);
    }
  }
  const auto c = a.part_counts();
  EXPECT_NEAR(double(c[0]) / double(c[1]), 2.0, 0.05);
  const dn::NodeSet h = nodes_on(*dn::make_shape("disk_with_hole"), 2000);
  ASSERT_EQ(h.part_names, (Names{"outer", "inner"}));
  for (dn::Index k = 0; k < h.n_boundary; ++k) {
    const Eigen::Vector2d x = bp(h, k);
    if (h.part_of_boundary(k) == 1) {
      EXPECT_NEAR((x - Eigen::Vector2d(0.3, 0.2)).norm(), 0.3, 1e-12);
    } else {
      EXPECT_NEAR(x.norm(), 1.0, 1e-12);
    }
  }
}

TEST(PartsShapes, DifferenceNamesHolesAndClashes) {
  const auto rect = dn::make_rectangle({0.0, 0.0}, {4.0, 2.0});
  const auto two =
      dn::make_difference(rect, {dn::make_disk({1.0, 1.0}, 0.4), dn::make_disk({3.0, 1.0}, 0.3)});
  std::mt19937_64 rng(0);
  const dn::BoundarySample s = two->sample_boundary(0.05, rng);
  ASSERT_EQ(s.part_names, (Names{"left", "right", "bottom", "top", "hole1", "hole2"}));
  for (Eigen::Index i = 0; i < s.points.rows(); ++i) {
    const Eigen::Vector2d x = s.points.row(i).transpose();
    if (s.part_of(i) == 4) {
      EXPECT_NEAR((x - Eigen::Vector2d(1, 1)).norm(), 0.4, 1e-12);
    }
    if (s.part_of(i) == 5) {
      EXPECT_NEAR((x - Eigen::Vector2d(3, 1)).norm(), 0.3, 1e-12);
    }
  }
  // A hole with named sides keeps them, prefixed where the outer already has the name.
  const auto boxed = dn::make_difference(rect, {dn::make_rectangle({1.0, 0.5}, {2.0, 1.5})});
  const dn::BoundarySample b = boxed->sample_boundary(0.1, rng);
  EXPECT_EQ(b.part_names, (Names{"left", "right", "bottom", "top", "hole1_left", "hole1_right",
                                 "hole1_bottom", "hole1_top"}));
  for (Eigen::Index i = 0; i < b.points.rows(); ++i)
    if (b.part_of(i) == 4) {
      EXPECT_EQ(b.points(i, 0), 1.0);
    }
}

TEST(PartsShapes, BoxFacesAndEdgeRule) {
  const dn::NodeSet ns = nodes_on(*dn::make_shape("box"), 4000);
  ASSERT_EQ(ns.part_names, (Names{"left", "right", "front", "back", "bottom", "top"}));
  int edge_nodes = 0;
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector3d x = bp(ns, k), n = bn(ns, k);
    // The first face (x-, x+, y-, y+, z-, z+) the node lies on is its part.
    int first = -1, faces = 0;
    for (int a = 0; a < 3; ++a)
      for (int side = 0; side < 2; ++side)
        if (x[a] == (side ? 1.0 : -1.0)) {
          if (first < 0) first = 2 * a + side;
          ++faces;
        }
    ASSERT_GE(first, 0) << x.transpose();
    EXPECT_EQ(ns.part_of_boundary(k), first) << x.transpose();
    if (faces == 1) {
      Eigen::Vector3d want = Eigen::Vector3d::Zero();
      want[first / 2] = first % 2 ? 1.0 : -1.0;
      EXPECT_NEAR((n - want).norm(), 0.0, 1e-14);
    } else {
      ++edge_nodes;
    }
  }
  EXPECT_GT(edge_nodes, 12 * 5);
  EXPECT_EQ(part_at(ns, Eigen::Vector3d(-1, -1, -1)), "left");
  EXPECT_EQ(part_at(ns, Eigen::Vector3d(1, 1, 1)), "right");
  const auto c = ns.part_counts();
  for (int p = 0; p < 6; ++p) EXPECT_GT(c[p], ns.n_boundary / 10) << ns.part_names[p];
  // left owns all four of its edges, top none of its own: left > top.
  EXPECT_GT(c[0], c[5]);
}

TEST(PartsShapes, SinglePartShapesAreBoundary) {
  for (const std::string name : {"disk", "star", "ball"}) {
    const dn::NodeSet ns = dn::make_nodes(name, name == "ball" ? 2000 : 800, 0, true);
    EXPECT_EQ(ns.part_names, (Names{"boundary"})) << name;
    EXPECT_EQ(ns.part_counts()[0], ns.n_boundary) << name;
  }
  const Eigen::MatrixX2d tri = (Eigen::MatrixX2d(3, 2) << 0, 0, 1, 0, 0, 1).finished();
  std::mt19937_64 rng(0);
  EXPECT_EQ(dn::make_polygon(tri)->sample_boundary(0.1, rng).part_names, (Names{"boundary"}));
}

TEST(PartsNodeFiles, CsvRoundTripIsExact) {
  const std::string dir = scratch_dir();
  for (const std::string shape : {"rectangle", "box", "annulus"}) {
    const dn::NodeSet ns = dn::make_nodes(shape, shape == "box" ? 3000 : 1500, 1, true);
    const std::string path = dir + "/" + shape + ".csv";
    dn::write_nodes(path, ns);
    const dn::NodeSet back = dn::read_nodes(path);
    EXPECT_EQ(back.part_names, ns.part_names) << shape;
    EXPECT_EQ(back.boundary_part, ns.boundary_part) << shape;
    EXPECT_EQ(back.points, ns.points) << shape;
    ASSERT_EQ(back.corners.size(), ns.corners.size()) << shape;  // through PATH.corners
    for (std::size_t c = 0; c < ns.corners.size(); ++c) {
      EXPECT_EQ(back.corners[c].boundary, ns.corners[c].boundary) << shape;
      EXPECT_EQ(back.corners[c].sides.size(), ns.corners[c].sides.size()) << shape;
    }
  }
  // What the file says: the header, then rows only (no comment line, so that any CSV reader
  // takes it with its defaults), an interior row with an empty part, a ghost with its boundary
  // node's part. The part table is in the sidecar when the rows do not give it back, the
  // corners in theirs.
  const std::string text = read_all(dir + "/rectangle.csv");
  EXPECT_EQ(text.find('#'), std::string::npos);
  std::istringstream in(text);
  std::string l1, row;
  std::getline(in, l1);
  EXPECT_EQ(l1, "x,y,kind,nx,ny,part");
  std::getline(in, row);
  {
    std::istringstream corners_in(read_all(dir + "/rectangle.csv.corners"));
    int corners = 0;  // one line per corner node (node_io.hpp), after a comment
    for (std::string line; std::getline(corners_in, line);) corners += line.rfind('#', 0) != 0;
    EXPECT_EQ(corners, 4);
  }
  EXPECT_NE(row.find(",interior,"), std::string::npos);
  EXPECT_EQ(row.back(), ',');
  const dn::NodeSet ns = dn::read_nodes(dir + "/rectangle.csv");
  std::string last, line;
  while (std::getline(in, line)) last = line;
  const std::string want =
      ns.part_names[std::size_t(ns.part_of_boundary(ns.n_boundary - 1))];  // last ghost's
  EXPECT_EQ(last.substr(last.rfind(',') + 1), want);
}

// The sidecar PATH.parts holds the table exactly when the rows cannot give it back (a part
// without nodes, or an order other than the first appearance); rewriting a file whose rows
// give it removes a stale sidecar.
TEST(PartsNodeFiles, CsvSidecarHoldsTheTableOnlyWhenNeeded) {
  const std::string dir = scratch_dir();
  dn::NodeSet ns = dn::make_nodes("rectangle", 400, 1, false);
  const std::string path = dir + "/rect.csv";
  ns.part_names.push_back("empty");  // a part without nodes
  dn::write_nodes(path, ns);
  ASSERT_TRUE(fs::exists(path + ".parts"));
  const dn::NodeSet back = dn::read_nodes(path);
  EXPECT_EQ(back.part_names, ns.part_names);
  EXPECT_EQ(back.boundary_part, ns.boundary_part);
  // The same rows with the table their first appearance gives: no sidecar.
  dn::NodeSet plain = ns;
  std::vector<std::int32_t> order;
  for (auto p : plain.boundary_part)
    if (std::find(order.begin(), order.end(), p) == order.end()) order.push_back(p);
  plain.part_names.clear();
  for (auto p : order) plain.part_names.push_back(ns.part_names[std::size_t(p)]);
  for (auto& p : plain.boundary_part)
    p = std::int32_t(std::find(order.begin(), order.end(), p) - order.begin());
  dn::write_nodes(path, plain);
  EXPECT_FALSE(fs::exists(path + ".parts"));
  EXPECT_EQ(dn::read_nodes(path).part_names, plain.part_names);
  // A sidecar naming a table without a part the rows use is refused, naming it.
  write_text(path + ".parts", "left\n");
  EXPECT_NE(read_error(path).find("is not in " + path + ".parts"), std::string::npos)
      << read_error(path);
}

TEST(PartsNodeFiles, CsvOldFormatBomAndFirstAppearanceOrder) {
  const std::string dir = scratch_dir();
  const std::string bom = "\xEF\xBB\xBF";
  write_text(dir + "/old.csv", bom +
                                   "x,y,kind,nx,ny\n0.5,0.5,interior,0,0\n1,0.5,boundary,1,0\n"
                                   "0,0.5,boundary,-1,0\n0.5,1,boundary,0,1\n");
  const dn::NodeSet a = dn::read_nodes(dir + "/old.csv");
  EXPECT_EQ(a.part_names, (Names{"boundary"}));
  EXPECT_EQ(a.part_counts()[0], 3);
  write_text(dir + "/new.csv", bom +
                                   "x,y,kind,nx,ny,part\n0.5,0.5,interior,0,0,\n"
                                   "1,0.5,boundary,1,0,east\n0,0.5,boundary,-1,0,west\n"
                                   "0.5,1,boundary,0,1,east\n");
  const dn::NodeSet b = dn::read_nodes(dir + "/new.csv");
  EXPECT_EQ(b.part_names, (Names{"east", "west"}));
  EXPECT_EQ(b.boundary_part, (std::vector<std::int32_t>{0, 1, 0}));
  // A `# parts:` line fixes the order and keeps parts without nodes.
  write_text(dir + "/fixed.csv",
             "x,y,kind,nx,ny,part\n# parts: west empty east\n"
             "1,0.5,boundary,1,0,east\n0,0.5,boundary,-1,0,west\n"
             "0.5,1,boundary,0,1,east\n");
  const dn::NodeSet c = dn::read_nodes(dir + "/fixed.csv");
  EXPECT_EQ(c.part_names, (Names{"west", "empty", "east"}));
  EXPECT_EQ(c.boundary_part, (std::vector<std::int32_t>{2, 0, 2}));
}

TEST(PartsNodeFiles, CsvBadPartsAreOneLineErrors) {
  const std::string dir = scratch_dir();
  const std::string H = "x,y,kind,nx,ny,part\n";
  write_text(dir + "/bad.csv", H + "0.5,0.5,interior,0,0,\n1,0.5,boundary,1,0,bad name!\n");
  const std::string e1 = read_error(dir + "/bad.csv");
  EXPECT_NE(e1.find("bad.csv:3:"), std::string::npos) << e1;
  EXPECT_NE(e1.find("'bad name!'"), std::string::npos) << e1;
  write_text(dir + "/none.csv", H + "1,0.5,boundary,1,0,\n");
  EXPECT_NE(read_error(dir + "/none.csv").find("none.csv:2: boundary node without a part"),
            std::string::npos);
  write_text(dir + "/ghost.csv", H + "1,0.5,boundary,1,0,a\n0,0.5,boundary,-1,0,b\n"
                                     "1.1,0.5,ghost,1,0,a\n-0.1,0.5,ghost,-1,0,a\n");
  const std::string e3 = read_error(dir + "/ghost.csv");
  EXPECT_NE(e3.find("ghost.csv:5: ghost node has part 'a'"), std::string::npos) << e3;
  write_text(dir + "/missing.csv", H + "# parts: a\n1,0.5,boundary,1,0,b\n");
  EXPECT_NE(read_error(dir + "/missing.csv").find("missing.csv:3: part 'b' is not in"),
            std::string::npos);
  write_text(dir + "/badtable.csv", H + "# parts: a -b\n1,0.5,boundary,1,0,a\n");
  EXPECT_NE(read_error(dir + "/badtable.csv").find("badtable.csv:2: part name '-b'"),
            std::string::npos);
  write_text(dir + "/interior.csv", H + "0.5,0.5,interior,0,0,a\n1,0.5,boundary,1,0,a\n");
  EXPECT_NE(read_error(dir + "/interior.csv").find("interior.csv:2: interior node with part"),
            std::string::npos);
}

TEST(PartsNodeFiles, PlyImportGivesThePartsBack) {
  const std::string dir = scratch_dir();
  for (const std::string shape : {"rectangle", "box"}) {
    const dn::NodeSet ns = dn::make_nodes(shape, shape == "box" ? 3000 : 1500, 2, true);
    const std::string path = dir + "/" + shape + ".ply";
    dn::write_nodes(path, ns);
    dn::ImportReport rep;
    const dn::NodeSet back = dn::import_nodes(path, {}, &rep);
    EXPECT_EQ(rep.kind, "labelled cloud") << shape;
    EXPECT_EQ(back.dim, ns.dim) << shape;
    EXPECT_EQ(back.n_boundary, ns.n_boundary);
    EXPECT_EQ(back.n_ghost, ns.n_ghost);
    EXPECT_EQ(back.part_names, ns.part_names) << shape;
    EXPECT_EQ(back.boundary_part, ns.boundary_part) << shape;
    EXPECT_EQ(back.points, ns.points) << shape;
  }
}

TEST(PartsNodeFiles, CsvImportAsLabelledCloudKeepsParts) {
  const std::string dir = scratch_dir();
  const dn::NodeSet ns = dn::make_nodes("lshape", 1200, 4, true);
  dn::write_nodes(dir + "/l.csv", ns);
  const dn::NodeSet back = dn::import_nodes(dir + "/l.csv", {});
  EXPECT_EQ(back.part_names, ns.part_names);
  EXPECT_EQ(back.boundary_part, ns.boundary_part);
}

TEST(PartsNodeFiles, VtkWritesPartScalarsAndNames) {
  const std::string dir = scratch_dir();
  const dn::NodeSet ns = dn::make_nodes("rectangle", 600, 0, true);
  dn::write_nodes(dir + "/r.vtk", ns);
  std::istringstream in(read_all(dir + "/r.vtk"));
  std::string line;
  std::map<std::string, int> field;
  std::vector<int> part;
  while (std::getline(in, line)) {
    if (line.rfind("FIELD FieldData ", 0) == 0) {
      const int k = std::stoi(line.substr(16));
      for (int i = 0; i < k; ++i) {
        std::string name, value;
        std::getline(in, name);
        std::getline(in, value);
        EXPECT_EQ(name.substr(name.find(' ')), " 1 1 int");
        field[name.substr(0, name.find(' '))] = std::stoi(value);
      }
    }
    if (line == "SCALARS part int 1") {
      std::getline(in, line);  // LOOKUP_TABLE
      for (dn::Index i = 0; i < ns.size(); ++i) {
        std::getline(in, line);
        part.push_back(std::stoi(line));
      }
    }
  }
  EXPECT_EQ(field,
            (std::map<std::string, int>{{"left", 0}, {"right", 1}, {"bottom", 2}, {"top", 3}}));
  ASSERT_EQ(dn::Index(part.size()), ns.size());
  for (dn::Index i = 0; i < ns.n_interior; ++i) EXPECT_EQ(part[std::size_t(i)], -1);
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    EXPECT_EQ(part[std::size_t(ns.n_interior + k)], ns.part_of_boundary(k));
    EXPECT_EQ(part[std::size_t(ns.ghost_begin() + k)], ns.part_of_boundary(k));
  }
}

TEST(PartsNodeFiles, SanitizedNames) {
  EXPECT_EQ(dn::sanitize_part_name("Body 1"), "Body_1");
  EXPECT_EQ(dn::sanitize_part_name("  _x/y"), "x_y");
  EXPECT_EQ(dn::sanitize_part_name("  "), "");
  EXPECT_EQ(dn::sanitize_part_name(std::string(80, 'a')).size(), 64u);
  EXPECT_TRUE(dn::is_valid_part_name(dn::sanitize_part_name("Wand (außen)")));
}
