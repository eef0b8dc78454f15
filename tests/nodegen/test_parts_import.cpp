// Boundary parts from geometry files: STL solids, OBJ groups, PLY properties, point-table part
// columns, 2D outline loops, and the shipped gmsh part (data/geometry/plate_with_holes.stl).
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/mesh.hpp>
#include <dtpinn/nodegen/readers.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/test_util.hpp"
#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
using dn::testutil::scratch_dir;
using dtpinn::test::write_text;

namespace {

using Names = std::vector<std::string>;
using Quad = std::array<Eigen::Vector3d, 4>;

// The face of the unit cube on axis a (0 x, 1 y, 2 z) at side s (0: 0, 1: 1), corners in order.
Quad cube_face(int a, int s) {
  const int b = (a + 1) % 3, c = (a + 2) % 3;
  Quad q;
  const int uv[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  for (int k = 0; k < 4; ++k) {
    q[k].setZero();
    q[k][a] = s;
    q[k][b] = uv[k][0];
    q[k][c] = uv[k][1];
  }
  return q;
}

std::string facet(const Eigen::Vector3d& p, const Eigen::Vector3d& q, const Eigen::Vector3d& r) {
  return fmt::format(
      "facet normal 0 0 0\n outer loop\n  vertex {} {} {}\n  vertex {} {} {}\n  vertex {} {} "
      "{}\n endloop\nendfacet\n",
      p.x(), p.y(), p.z(), q.x(), q.y(), q.z(), r.x(), r.y(), r.z());
}

dn::NodeSet import(const std::string& path, dn::Index n = 3000) {
  dn::ImportOptions o;
  o.n = n;
  o.seed = 5;
  return dn::import_nodes(path, o);
}

Eigen::VectorXd bp(const dn::NodeSet& ns, dn::Index k) {
  return ns.points.row(ns.n_interior + k).transpose();
}
const std::string& part_name(const dn::NodeSet& ns, dn::Index k) {
  return ns.part_names[std::size_t(ns.part_of_boundary(k))];
}

// Every node of the cube part lies on the face's plane (the face is (axis, side)).
void expect_on_face(const dn::NodeSet& ns, const std::string& part, int axis, double side) {
  dn::Index count = 0;
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    if (part_name(ns, k) != part) continue;
    EXPECT_NEAR(bp(ns, k)[axis], side, 1e-12) << part << " " << bp(ns, k).transpose();
    ++count;
  }
  EXPECT_GT(count, ns.n_boundary / 12) << part;
}

}  // namespace

TEST(PartsImport, AsciiStlSolidsArePartsNamedAsInTheFile) {
  const std::string dir = scratch_dir();
  // x- unnamed, x+ "Side Wall", y- front, y+ back, z- bottom, z+ as two solids both "top".
  const char* names[6] = {"", "Side Wall", "front", "back", "bottom", "top"};
  std::string stl;
  for (int f = 0; f < 6; ++f) {
    const Quad q = cube_face(f / 2, f % 2);
    if (f < 5) {
      stl += fmt::format("solid {}\n", names[f]) + facet(q[0], q[1], q[2]) +
             facet(q[0], q[2], q[3]) + fmt::format("endsolid {}\n", names[f]);
    } else {
      stl += "solid top\n" + facet(q[0], q[1], q[2]) + "endsolid top\n";
      stl += "solid top\n" + facet(q[0], q[2], q[3]) + "endsolid top\n";
    }
  }
  write_text(dir + "/cube.stl", stl);
  const dn::TriangleMesh m = dn::read_stl(dir + "/cube.stl");
  EXPECT_EQ(m.part_names, (Names{"solid1", "Side_Wall", "front", "back", "bottom", "top"}));
  EXPECT_EQ(m.face_part, (std::vector<std::int32_t>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}));
  const dn::NodeSet ns = import(dir + "/cube.stl");
  ASSERT_EQ(ns.part_names, m.part_names);
  expect_on_face(ns, "solid1", 0, 0.0);
  expect_on_face(ns, "Side_Wall", 0, 1.0);
  expect_on_face(ns, "front", 1, 0.0);
  expect_on_face(ns, "back", 1, 1.0);
  expect_on_face(ns, "bottom", 2, 0.0);
  expect_on_face(ns, "top", 2, 1.0);
  // Our writer writes one solid per part: the round trip keeps them.
  dn::write_stl(dir + "/again.stl", m, false);
  const dn::TriangleMesh m2 = dn::read_stl(dir + "/again.stl");
  EXPECT_EQ(m2.part_names, m.part_names);
  EXPECT_EQ(m2.face_part, m.face_part);
}

TEST(PartsImport, StlUnnamedSolidsAndBinaryStl) {
  const std::string dir = scratch_dir();
  const Quad a = cube_face(0, 0);
  write_text(dir + "/one.stl", "solid\n" + facet(a[0], a[1], a[2]) + "endsolid\n");
  EXPECT_EQ(dn::read_stl(dir + "/one.stl").part_names, (Names{"boundary"}));
  write_text(dir + "/two.stl", "solid\n" + facet(a[0], a[1], a[2]) + "endsolid\nsolid  \n" +
                                   facet(a[0], a[2], a[3]) + "endsolid\n");
  EXPECT_EQ(dn::read_stl(dir + "/two.stl").part_names, (Names{"solid1", "solid2"}));
  // Binary STL: one part, whatever the mesh had.
  dn::TriangleMesh sphere = dn::testutil::icosphere(2);
  sphere.face_part.assign(std::size_t(sphere.faces.rows()), 0);
  sphere.face_part[0] = 1;
  sphere.part_names = {"a", "b"};
  dn::write_stl(dir + "/s.stl", sphere, true);
  const dn::NodeSet ns = import(dir + "/s.stl", 2000);
  EXPECT_EQ(ns.part_names, (Names{"boundary"}));
  EXPECT_EQ(ns.part_counts()[0], ns.n_boundary);
}

TEST(PartsImport, ObjGroupsAndObjects) {
  const std::string dir = scratch_dir();
  std::string obj;
  std::vector<Eigen::Vector3d> v;
  for (int f = 0; f < 6; ++f)
    for (const auto& p : cube_face(f / 2, f % 2)) v.push_back(p);
  for (const auto& p : v) obj += fmt::format("v {} {} {}\n", p.x(), p.y(), p.z());
  // x- before any group, x+ "g right", y- "o Front Face", y+ after a bare "g", z- and z+.
  const char* group[6] = {nullptr, "g right", "o Front Face", "g", "g bottom", "g top"};
  for (int f = 0; f < 6; ++f) {
    if (group[f]) obj += std::string(group[f]) + "\n";
    const int b = 4 * f + 1;
    obj += fmt::format("f {} {} {} {}\n", b, b + 1, b + 2, b + 3);  // a quad
  }
  write_text(dir + "/cube.obj", obj);
  const dn::NodeSet ns = import(dir + "/cube.obj");
  ASSERT_EQ(ns.part_names, (Names{"boundary", "right", "Front_Face", "bottom", "top"}));
  for (dn::Index k = 0; k < ns.n_boundary; ++k)
    if (part_name(ns, k) == "boundary") {
      EXPECT_TRUE(std::abs(bp(ns, k).x()) < 1e-12 || std::abs(bp(ns, k).y() - 1.0) < 1e-12)
          << bp(ns, k).transpose();
    }
  expect_on_face(ns, "right", 0, 1.0);
  expect_on_face(ns, "Front_Face", 1, 0.0);
  expect_on_face(ns, "top", 2, 1.0);
}

TEST(PartsImport, PlyFacePartWithNamesAndVertexLabel) {
  const std::string dir = scratch_dir();
  std::string head = "ply\nformat ascii 1.0\ncomment part 0 walls\ncomment part 1 lid\n";
  std::string verts, faces_part, faces_plain;
  for (int f = 0; f < 6; ++f)
    for (const auto& p : cube_face(f / 2, f % 2))
      verts += fmt::format("{} {} {} {}\n", p.x(), p.y(), p.z(), int(p.z() == 1.0));
  for (int f = 0; f < 6; ++f) {
    const std::string quad = fmt::format("4 {} {} {} {}", 4 * f, 4 * f + 1, 4 * f + 2, 4 * f + 3);
    faces_part += quad + fmt::format(" {}\n", f == 5 ? 1 : 0);
    faces_plain += quad + "\n";
  }
  const std::string vprops =
      "element vertex 24\nproperty float x\nproperty float y\nproperty float z\n";
  write_text(dir + "/face.ply", head + vprops +
                                    "property uchar quality\nelement face 6\n"
                                    "property list uchar int vertex_indices\nproperty int part\n"
                                    "end_header\n" +
                                    verts + faces_part);
  const dn::NodeSet a = import(dir + "/face.ply");
  ASSERT_EQ(a.part_names, (Names{"walls", "lid"}));
  expect_on_face(a, "lid", 2, 1.0);
  // A vertex `label` without names: parts "0" and "1"; a face takes its lowest vertex label,
  // so only the top face (all four vertices labelled 1) is part "1".
  write_text(dir + "/vertex.ply",
             "ply\nformat ascii 1.0\n" + vprops +
                 "property uchar label\nelement face 6\nproperty list uchar int vertex_indices\n"
                 "end_header\n" +
                 verts + faces_plain);
  const dn::NodeSet b = import(dir + "/vertex.ply");
  ASSERT_EQ(b.part_names, (Names{"0", "1"}));
  expect_on_face(b, "1", 2, 1.0);
  // Our PLY mesh writer writes the parts back.
  const dn::TriangleMesh m = dn::read_ply(dir + "/face.ply").mesh;
  dn::write_ply_mesh(dir + "/again.ply", m, "binary_little_endian");
  const dn::TriangleMesh m2 = dn::read_ply(dir + "/again.ply").mesh;
  EXPECT_EQ(m2.part_names, m.part_names);
  EXPECT_EQ(m2.face_part, m.face_part);
}

TEST(PartsImport, PlyPartOutOfRangeIsAnError) {
  const std::string dir = scratch_dir();
  std::string ply =
      "ply\nformat ascii 1.0\ncomment part 0 a\ncomment part 1 b\nelement vertex 4\n"
      "property float x\nproperty float y\nproperty float z\nelement face 4\n"
      "property list uchar int vertex_indices\nproperty int part\nend_header\n"
      "0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 2 1 0\n3 0 1 3 1\n3 0 3 2 7\n3 1 2 3 0\n";
  write_text(dir + "/bad.ply", ply);
  const std::string e = dtpinn::test::error_of([&] { dn::read_ply(dir + "/bad.ply"); });
  EXPECT_NE(e.find("bad.ply:19: part index 7 out of range (2 parts"), std::string::npos) << e;
  write_text(dir + "/frac.ply", std::string(ply).replace(ply.find("3 0 3 2 7"), 9, "3 0 3 2 0"));
  EXPECT_NO_THROW(dn::read_ply(dir + "/frac.ply"));
}

TEST(PartsImport, PointTablePartColumnNamesAndIntegers) {
  const std::string dir = scratch_dir();
  dn::PointMatrix P, N;
  dn::testutil::ellipse_cloud(400, 2.0, 1.0, P, N);
  std::string named = "x,y,nx,ny,part\n", ints = "x y nx ny part\n";
  for (Eigen::Index i = 0; i < P.rows(); ++i) {
    const bool east = P(i, 0) >= 0;
    named +=
        fmt::format("{},{},{},{},{}\n", P(i, 0), P(i, 1), N(i, 0), N(i, 1), east ? "east" : "west");
    ints += fmt::format("{} {} {} {} {}\n", P(i, 0), P(i, 1), N(i, 0), N(i, 1), east ? 1 : 0);
  }
  write_text(dir + "/named.csv", named);
  write_text(dir + "/ints.xyz", ints);
  const dn::NodeSet a = import(dir + "/named.csv");
  const dn::NodeSet b = import(dir + "/ints.xyz");
  ASSERT_EQ(b.part_names, (Names{"0", "1"}));  // numeric order, whatever comes first
  ASSERT_EQ(a.part_names.size(), 2u);
  const int east = a.find_part("east");
  ASSERT_GE(east, 0);
  // The cloud is resampled on the curve fitted through it: a node takes the part of the file's
  // point nearest to it, so the parts change between the last east and the first west point
  // (0.016 either side of x = 0 at this spacing).
  ASSERT_EQ(a.n_boundary, b.n_boundary);
  for (dn::Index k = 0; k < a.n_boundary; ++k) {
    if (std::abs(bp(a, k).x()) < 0.016) continue;
    EXPECT_EQ(a.part_of_boundary(k) == east, bp(a, k).x() >= 0) << bp(a, k).transpose();
    EXPECT_EQ(b.part_of_boundary(k) == 1, bp(b, k).x() >= 0) << bp(b, k).transpose();
  }
  const auto c = a.part_counts();
  EXPECT_LE(std::abs(c[0] - c[1]), 2) << c[0] << " " << c[1];
  // A bad name names its line.
  write_text(dir + "/bad.csv", "x,y,nx,ny,part\n0,0,1,0,ok\n1,0,1,0,no good\n");
  EXPECT_NE(dtpinn::test::error_of([&] {
              dn::read_point_table(dir + "/bad.csv");
            }).find("bad.csv:3: part 'no good' is not a part name"),
            std::string::npos);
}

TEST(PartsImport, OutlineLoopsAreParts) {
  const std::string dir = scratch_dir();
  // Outer square [0,4]^2 and a square hole [1,2]^2 as two OBJ `l` loops.
  write_text(dir + "/holed.obj",
             "v 0 0 0\nv 4 0 0\nv 4 4 0\nv 0 4 0\nv 1 1 0\nv 2 1 0\nv 2 2 0\nv 1 2 0\n"
             "l 1 2 3 4 1\nl 5 6 7 8 5\n");
  const dn::NodeSet ns = import(dir + "/holed.obj", 1500);
  ASSERT_EQ(ns.part_names, (Names{"outer", "hole1"}));
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector2d x = bp(ns, k);
    if (ns.part_of_boundary(k) == 1) {
      EXPECT_NEAR((x - Eigen::Vector2d(1.5, 1.5)).lpNorm<Eigen::Infinity>(), 0.5, 1e-12);
    } else {
      EXPECT_NEAR((x - Eigen::Vector2d(2, 2)).lpNorm<Eigen::Infinity>(), 2.0, 1e-12);
    }
  }
  const auto c = ns.part_counts();
  EXPECT_NEAR(double(c[0]) / double(c[1]), 4.0, 0.3);  // perimeters 16 and 4
  // One loop: `boundary`.
  const dn::NodeSet gear =
      import(std::string(DTPINN_SOURCE_DIR) + "/data/geometry/gear_outline.csv", 1000);
  EXPECT_EQ(gear.part_names, (Names{"boundary"}));
  const dn::NodeSet bore =
      import(std::string(DTPINN_SOURCE_DIR) + "/data/geometry/gear_with_bore.obj", 1500);
  EXPECT_EQ(bore.part_names, (Names{"outer", "hole1"}));
}

TEST(PartsImport, OutlinePartColumnNamesTheSegmentFromEachPoint) {
  const std::string dir = scratch_dir();
  // [0,2]x[0,1] clockwise (so the loop is reversed on reading); the part of each point is the
  // side that starts at it in the file's order.
  write_text(dir + "/rect.csv",
             "x,y,part\n0,0,left\n0,1,top\n1,1,top\n2,1,right\n2,0,bottom\n1,0,bottom\n");
  const dn::NodeSet ns = import(dir + "/rect.csv", 800);
  ASSERT_EQ(ns.part_names, (Names{"left", "top", "right", "bottom"}));
  const auto c = ns.part_counts();
  for (int p = 0; p < 4; ++p) EXPECT_GT(c[p], 5) << ns.part_names[p];
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector2d x = bp(ns, k);
    const std::string& p = part_name(ns, k);
    if (p == "left") {
      EXPECT_EQ(x.x(), 0.0) << x.transpose();
    }
    if (p == "top") {
      EXPECT_EQ(x.y(), 1.0) << x.transpose();
    }
    if (p == "right") {
      EXPECT_EQ(x.x(), 2.0) << x.transpose();
    }
    if (p == "bottom") {
      EXPECT_EQ(x.y(), 0.0) << x.transpose();
    }
  }
  EXPECT_NEAR(double(c[1]) / double(c[0]), 2.0, 0.3);
}

TEST(PartsImport, GmshPlateWithHoles) {
  const std::string path = std::string(DTPINN_SOURCE_DIR) + "/data/geometry/plate_with_holes.stl";
  const dn::TriangleMesh m = dn::read_stl(path);
  ASSERT_EQ(m.part_names, (Names{"holes", "top", "bottom", "sides"}));
  const double r = 0.1;
  auto axis_distance = [](const Eigen::Vector3d& p) {
    return std::min(std::hypot(p.x() - 0.3, p.y() - 0.3), std::hypot(p.x() - 0.7, p.y() - 0.3));
  };
  // The facets of the hole walls have their corners on the cylinders (to the file's digits);
  // theta: the widest angle a facet spans around its axis.
  double theta = 0.0;
  for (Eigen::Index f = 0; f < m.faces.rows(); ++f) {
    if (m.part_of_face(f) != 0) continue;
    std::vector<double> angle;
    for (int c = 0; c < 3; ++c) {
      const Eigen::Vector3d v = m.vertices.row(m.faces(f, c)).transpose();
      EXPECT_NEAR(axis_distance(v), r, 1e-6 * r);
      const double cx = v.x() < 0.5 ? 0.3 : 0.7;
      angle.push_back(std::atan2(v.y() - 0.3, v.x() - cx));
    }
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const double d = std::abs(angle[i] - angle[j]);
        theta = std::max(theta, std::min(d, 2 * M_PI - d));
      }
  }
  EXPECT_LT(theta, 2 * M_PI / 24) << "the .geo asks for 32 segments per circle";
  const dn::NodeSet ns = import(path, 3000);
  ASSERT_EQ(ns.part_names, m.part_names);
  const auto counts = ns.part_counts();
  for (int p = 0; p < 4; ++p) EXPECT_GT(counts[p], 50) << ns.part_names[p];
  // Area shares: hole walls 2 (2 pi r 0.3) = 0.377 of 2.42.
  EXPECT_NEAR(double(counts[0]) / double(ns.n_boundary), 0.377 / 2.42, 0.03);
  // Nodes on the holes lie on the facets, so between r cos(theta / 2) and r from the axis.
  const double inscribed = r * std::cos(theta / 2);
  for (dn::Index k = 0; k < ns.n_boundary; ++k) {
    const Eigen::Vector3d x = bp(ns, k);
    const std::string& p = part_name(ns, k);
    if (p == "holes") {
      const double d = axis_distance(x);
      EXPECT_GE(d, inscribed * (1 - 1e-9)) << x.transpose();
      EXPECT_LE(d, r * (1 + 1e-9)) << x.transpose();
    } else if (p == "top") {
      EXPECT_NEAR(x.z(), 0.3, 1e-12);
    } else if (p == "bottom") {
      EXPECT_NEAR(x.z(), 0.0, 1e-12);
    } else {
      const double wall =
          std::min({std::abs(x.x()), std::abs(x.x() - 1), std::abs(x.y()), std::abs(x.y() - 0.6)});
      EXPECT_LT(wall, 1e-12) << x.transpose();
    }
  }
}

TEST(PartsImport, PlyBoundaryCloudWithVertexParts) {
  const std::string dir = scratch_dir();
  dn::PointMatrix P, N;
  dn::testutil::ellipse_cloud(300, 2.0, 1.0, P, N);
  std::string ply = fmt::format(
      "ply\nformat ascii 1.0\ncomment part 0 upper\ncomment part 1 lower\nelement vertex {}\n"
      "property double x\nproperty double y\nproperty double nx\nproperty double ny\n"
      "property int group\nend_header\n",
      P.rows());
  for (Eigen::Index i = 0; i < P.rows(); ++i)
    ply +=
        fmt::format("{} {} {} {} {}\n", P(i, 0), P(i, 1), N(i, 0), N(i, 1), P(i, 1) >= 0 ? 0 : 1);
  write_text(dir + "/cloud.ply", ply);
  dn::ImportReport rep;
  const dn::NodeSet ns = dn::import_nodes(dir + "/cloud.ply", {}, &rep);
  EXPECT_EQ(rep.kind, "boundary cloud");
  ASSERT_EQ(ns.part_names, (Names{"upper", "lower"}));
  EXPECT_EQ(ns.n_boundary, 300);
  for (dn::Index k = 0; k < ns.n_boundary; ++k)
    EXPECT_EQ(ns.part_of_boundary(k), bp(ns, k).y() >= 0 ? 0 : 1) << bp(ns, k).transpose();
  // -1 (no part) is only for interior and ghost rows of a node file.
  write_text(dir + "/minus.ply", std::string(ply).replace(ply.rfind(" 1\n"), 3, " -1\n"));
  const std::string e = dtpinn::test::error_of([&] { dn::read_ply(dir + "/minus.ply"); });
  EXPECT_NE(e.find("boundary point without a part"), std::string::npos) << e;
}

TEST(PartsImport, FillDomainRefusesInconsistentParts) {
  const auto disk = dn::make_disk();
  std::mt19937_64 rng(0);
  dn::BoundarySample s = disk->sample_boundary(0.1, rng);
  dn::FillOptions o;
  s.part.assign(std::size_t(s.points.rows()), 0);
  s.part[3] = 1;  // only one name
  const std::string e1 = dtpinn::test::error_of([&] { dn::fill_domain(*disk, s, 0.1, o); });
  EXPECT_NE(e1.find("fill_domain: boundary node 3 has part 1, outside the 1 parts"),
            std::string::npos)
      << e1;
  s.part[3] = 0;
  s.part_names = {"bad name"};
  const std::string e2 = dtpinn::test::error_of([&] { dn::fill_domain(*disk, s, 0.1, o); });
  EXPECT_NE(e2.find("\"bad name\" is not a valid part name"), std::string::npos) << e2;
}

TEST(PartsImport, WeldAndOrientationKeepFaceParts) {
  // A tetrahedron soup: 4 faces with parts 0..3, a degenerate face (part 4) in the middle, and
  // the first face wound inward; welding drops the degenerate one, orienting flips the first.
  dn::TriangleMesh m;
  const Eigen::Vector3d v[4] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const int tri[5][3] = {{0, 1, 2}, {0, 1, 3}, {0, 0, 1}, {1, 2, 3}, {0, 3, 2}};
  m.vertices.resize(15, 3);
  m.faces.resize(5, 3);
  for (int f = 0; f < 5; ++f)
    for (int c = 0; c < 3; ++c) {
      m.vertices.row(3 * f + c) = v[tri[f][c]].transpose();
      m.faces(f, c) = 3 * f + c;
    }
  m.face_part = {0, 1, 4, 2, 3};
  m.part_names = {"base", "front", "slant", "side", "sliver"};
  const dn::MeshCheck chk = dn::prepare_closed_mesh(m, "tet");
  EXPECT_EQ(chk.dropped_faces, 1);
  EXPECT_GE(chk.flipped_faces, 1);
  ASSERT_EQ(m.faces.rows(), 4);
  EXPECT_EQ(m.face_part, (std::vector<std::int32_t>{0, 1, 2, 3}));
  // Each face kept its own triangle: "base" is still the face in z = 0.
  for (int c = 0; c < 3; ++c) EXPECT_EQ(m.vertices(m.faces(0, c), 2), 0.0);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(m.vertices(m.faces(3, c), 0), 0.0);  // "side": x = 0
}
