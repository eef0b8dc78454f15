// Readers of CAD geometry files: every format parses a small file written here, and every kind
// of bad input gets one line naming FILE:LINE.
#include <dtpinn/nodegen/mesh.hpp>
#include <dtpinn/nodegen/readers.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "common/test_util.hpp"
#include "test_import_util.hpp"

namespace dn = dtpinn::nodegen;
using dn::testutil::scratch_dir;
using dtpinn::test::write_text;

namespace {

/// Runs f, expects std::runtime_error whose message contains every needle; returns it.
template <typename F>
std::string error_of(F&& f, std::initializer_list<std::string> needles) {
  const std::string msg = dtpinn::test::error_of<std::runtime_error>(f);
  if (msg.empty()) {
    ADD_FAILURE() << "no error thrown";
    return "";
  }
  for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg << " / " << n;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  return msg;
}

}  // namespace

TEST(ImportReaders, XyzWithoutHeader3D) {
  const auto d = scratch_dir();
  write_text(d + "/a.xyz", "# comment\n0 0 0\n1 2 3\n\n-1.5e-1 4 5\n");
  const auto c = dn::read_point_table(d + "/a.xyz");
  ASSERT_EQ(c.dim, 3);
  ASSERT_EQ(c.points.rows(), 3);
  EXPECT_FALSE(c.has_normals());
  EXPECT_DOUBLE_EQ(c.points(2, 0), -0.15);
  EXPECT_EQ(c.lines[2], 5);
}

TEST(ImportReaders, CsvHeaderAndNormals2D) {
  const auto d = scratch_dir();
  write_text(d + "/a.csv", "x,y,nx,ny\r\n1,0,1,0\r\n0,1,0,1\r\n");
  const auto c = dn::read_point_table(d + "/a.csv");
  ASSERT_EQ(c.dim, 2);
  ASSERT_TRUE(c.has_normals());
  EXPECT_DOUBLE_EQ(c.normals(1, 1), 1.0);
  // Headerless with normals: 6 columns = x y z nx ny nz; whitespace separated.
  write_text(d + "/b.txt", "1 2 3 0 0 1\n4 5 6 0 1 0\n");
  const auto b = dn::read_point_table(d + "/b.txt");
  ASSERT_EQ(b.dim, 3);
  ASSERT_TRUE(b.has_normals());
  EXPECT_DOUBLE_EQ(b.normals(1, 1), 1.0);
  EXPECT_DOUBLE_EQ(b.points(1, 2), 6.0);
  // Headerless 4 columns = x y nx ny.
  write_text(d + "/c.txt", "1 2 0.6 0.8\n");
  const auto e = dn::read_point_table(d + "/c.txt");
  ASSERT_EQ(e.dim, 2);
  EXPECT_DOUBLE_EQ(e.normals(0, 1), 0.8);
}

TEST(ImportReaders, LabelledNodeCsv) {
  const auto d = scratch_dir();
  write_text(d + "/n.csv", "x,y,kind,nx,ny\n0,0,interior,0,0\n1,0,boundary,1,0\n1.1,0,ghost,1,0\n");
  const auto c = dn::read_point_table(d + "/n.csv");
  ASSERT_TRUE(c.has_kinds());
  ASSERT_EQ(c.dim, 2);
  EXPECT_EQ(c.kinds[0], dn::NodeKind::interior);
  EXPECT_EQ(c.kinds[1], dn::NodeKind::boundary);
  EXPECT_EQ(c.kinds[2], dn::NodeKind::ghost);
  EXPECT_DOUBLE_EQ(c.points(2, 0), 1.1);
  error_of(
      [&] {
        write_text(d + "/m.csv", "x,y,kind,nx,ny\n0,0,interior,0,0\n1,0,edge,1,0\n");
        dn::read_point_table(d + "/m.csv");
      },
      {"m.csv:3:", "kind 'edge'"});
}

TEST(ImportReaders, TableBadInput) {
  const auto d = scratch_dir();
  write_text(d + "/empty.xyz", "");
  error_of([&] { dn::read_point_table(d + "/empty.xyz"); }, {"empty.xyz", "empty"});
  write_text(d + "/comments.xyz", "# only a comment\n\n");
  error_of([&] { dn::read_point_table(d + "/comments.xyz"); }, {"comments.xyz", "no data"});
  write_text(d + "/nan.xyz", "0 0 0\n1 1 1\n2 nan 2\n");
  error_of([&] { dn::read_point_table(d + "/nan.xyz"); }, {"nan.xyz:3:", "not finite"});
  write_text(d + "/text.csv", "x,y,z\n0,0,0\n1,abc,1\n");
  error_of([&] { dn::read_point_table(d + "/text.csv"); },
           {"text.csv:3:", "'abc' is not a number"});
  write_text(d + "/cols.xyz", "0 0 0\n1 1 1\n2 2 2\n3 3 3\n4 4\n5 5 5\n");
  error_of([&] { dn::read_point_table(d + "/cols.xyz"); },
           {"cols.xyz:5:", "expected 3 columns, found 2"});
  write_text(d + "/five.xyz", "0 0 0 1 1\n");
  error_of([&] { dn::read_point_table(d + "/five.xyz"); }, {"five.xyz:1:", "header"});
  error_of([&] { dn::read_point_table(d + "/missing.xyz"); }, {"missing.xyz", "cannot open"});
}

TEST(ImportReaders, PlyAsciiAndBinaryMeshRoundTrip) {
  const auto d = scratch_dir();
  const dn::TriangleMesh m = dn::testutil::icosphere(1);
  for (const std::string fmt : {"ascii", "binary_little_endian", "binary_big_endian"}) {
    const std::string p = d + "/s_" + fmt + ".ply";
    dn::write_ply_mesh(p, m, fmt);
    const auto g = dn::read_ply(p);
    ASSERT_EQ(g.type, dn::GeometryData::Type::mesh) << fmt;
    ASSERT_EQ(g.mesh.vertices.rows(), m.vertices.rows());
    ASSERT_EQ(g.mesh.faces.rows(), m.faces.rows());
    EXPECT_LT((g.mesh.vertices - m.vertices).cwiseAbs().maxCoeff(), 1e-15) << fmt;
    EXPECT_EQ(g.mesh.faces, m.faces) << fmt;
  }
}

TEST(ImportReaders, PlyCloudWithNormalsColoursAndQuads) {
  const auto d = scratch_dir();
  // Extra properties (colours) are skipped; a quad face is fan-triangulated.
  write_text(d + "/c.ply",
             "ply\nformat ascii 1.0\ncomment test\nelement vertex 3\nproperty float x\n"
             "property float y\nproperty float z\nproperty float nx\nproperty float ny\n"
             "property float nz\nproperty uchar red\nend_header\n"
             "0 0 1 0 0 1 255\n1 0 1 0 0 1 0\n0 1 2 0 1 0 7\n");
  const auto g = dn::read_ply(d + "/c.ply");
  ASSERT_EQ(g.type, dn::GeometryData::Type::cloud);
  ASSERT_EQ(g.cloud.dim, 3);
  ASSERT_TRUE(g.cloud.has_normals());
  EXPECT_DOUBLE_EQ(g.cloud.points(2, 2), 2.0);
  EXPECT_DOUBLE_EQ(g.cloud.normals(2, 1), 1.0);
  write_text(d + "/q.ply",
             "ply\nformat ascii 1.0\nelement vertex 4\nproperty double x\nproperty double y\n"
             "property double z\nelement face 1\nproperty list uchar int vertex_index\n"
             "end_header\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n");
  const auto q = dn::read_ply(d + "/q.ply");
  ASSERT_EQ(q.type, dn::GeometryData::Type::mesh);
  ASSERT_EQ(q.mesh.faces.rows(), 2);
  EXPECT_EQ(q.mesh.faces(1, 0), 0);
  EXPECT_EQ(q.mesh.faces(1, 1), 2);
  EXPECT_EQ(q.mesh.faces(1, 2), 3);
}

TEST(ImportReaders, PlyBadInput) {
  const auto d = scratch_dir();
  write_text(d + "/e.ply", "");
  error_of([&] { dn::read_ply(d + "/e.ply"); }, {"e.ply", "empty"});
  const std::string head =
      "ply\nformat ascii 1.0\nelement vertex 3\nproperty double x\nproperty double y\n"
      "property double z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n";
  write_text(d + "/idx.ply", head + "0 0 0\n1 0 0\n0 1 0\n3 0 1 5\n");
  error_of([&] { dn::read_ply(d + "/idx.ply"); }, {"idx.ply:13:", "index 5 out of range"});
  write_text(d + "/nan.ply", head + "0 0 0\n1 nan 0\n0 1 0\n3 0 1 2\n");
  error_of([&] { dn::read_ply(d + "/nan.ply"); }, {"nan.ply:11:", "not finite"});
  write_text(d + "/cols.ply", head + "0 0 0\n1 0\n0 1 0\n3 0 1 2\n");
  error_of([&] { dn::read_ply(d + "/cols.ply"); }, {"cols.ply:11:", "too few values"});
  // Truncated binary: cut the file written by the writer.
  const dn::TriangleMesh m = dn::testutil::icosphere(0);
  dn::write_ply_mesh(d + "/b.ply", m, "binary_little_endian");
  std::ifstream in(d + "/b.ply", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_text(d + "/t.ply", bytes.substr(0, bytes.size() - 7));
  error_of([&] { dn::read_ply(d + "/t.ply"); }, {"t.ply", "truncated binary PLY"});
}

TEST(ImportReaders, StlAsciiAndBinary) {
  const auto d = scratch_dir();
  const dn::TriangleMesh m = dn::testutil::icosphere(1);
  for (bool binary : {false, true}) {
    const std::string p = d + (binary ? "/b.stl" : "/a.stl");
    dn::write_stl(p, m, binary);
    dn::TriangleMesh r = dn::read_stl(p);
    ASSERT_EQ(r.faces.rows(), m.faces.rows());
    ASSERT_EQ(r.vertices.rows(), 3 * m.faces.rows());  // STL repeats vertices per triangle
    // Corner 1 of face 7 (float precision in binary STL).
    EXPECT_NEAR((r.vertices.row(r.faces(7, 1)) - m.vertices.row(m.faces(7, 1))).norm(), 0.0,
                binary ? 1e-7 : 1e-15);
    dn::weld_vertices(r);
    EXPECT_EQ(r.vertices.rows(), m.vertices.rows());
  }
  // A binary STL whose 80-byte header starts with "solid" (some exporters do this).
  std::ifstream in(d + "/b.stl", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::memcpy(bytes.data(), "solid part", 10);
  write_text(d + "/solidbin.stl", bytes);
  EXPECT_EQ(dn::read_stl(d + "/solidbin.stl").faces.rows(), m.faces.rows());
  // Truncated binary.
  write_text(d + "/t.stl", bytes.substr(0, bytes.size() - 20));
  error_of([&] { dn::read_stl(d + "/t.stl"); }, {"t.stl", "truncated binary STL", "80 triangles"});
  write_text(d + "/e.stl", "");
  error_of([&] { dn::read_stl(d + "/e.stl"); }, {"e.stl", "empty"});
  write_text(d + "/n.stl",
             "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
             "vertex 0 zero 0\nendloop\nendfacet\nendsolid x\n");
  error_of([&] { dn::read_stl(d + "/n.stl"); }, {"n.stl:6:", "'zero' is not a number"});
}

TEST(ImportReaders, ObjFacesNormalsPolygonsAndLines) {
  const auto d = scratch_dir();
  write_text(d + "/q.obj",
             "# cube corner quad\nmtllib x.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\n"
             "vn 0 0 1\ng part\nusemtl steel\nf 1/1/1 2/1/1 3/1/1 4/1/1\nf -4//1 -2//1 -1//1\n");
  const auto g = dn::read_obj(d + "/q.obj");
  ASSERT_EQ(g.type, dn::GeometryData::Type::mesh);
  ASSERT_EQ(g.mesh.faces.rows(), 3);
  EXPECT_EQ(g.mesh.faces(1, 2), 3);
  EXPECT_EQ(g.mesh.faces(2, 0), 0);
  EXPECT_EQ(g.mesh.faces(2, 1), 2);
  // Polyline: a square as one open `l` line (closed implicitly) -> 2D loop.
  write_text(d + "/l.obj", "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nl 1 2 3 4\n");
  const auto l = dn::read_obj(d + "/l.obj");
  ASSERT_EQ(l.type, dn::GeometryData::Type::polyline);
  ASSERT_EQ(l.loops.size(), 1u);
  EXPECT_EQ(l.loops[0].rows(), 4);
  // Segments forming two loops (outline and hole).
  write_text(d + "/h.obj",
             "v 0 0 0\nv 4 0 0\nv 4 4 0\nv 0 4 0\nv 1 1 0\nv 2 1 0\nv 2 2 0\n"
             "l 1 2\nl 2 3\nl 3 4\nl 4 1\nl 5 6 7 5\n");
  EXPECT_EQ(dn::read_obj(d + "/h.obj").loops.size(), 2u);
  write_text(d + "/bad.obj", "v 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 9\n");
  error_of([&] { dn::read_obj(d + "/bad.obj"); }, {"bad.obj:4:", "index 9 out of range"});
  write_text(d + "/nan.obj", "v 0 0 0\nv 1 inf 0\n");
  error_of([&] { dn::read_obj(d + "/nan.obj"); }, {"nan.obj:2:", "not finite"});
  write_text(d + "/open.obj", "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nl 1 2\nl 2 3\nl 3 4\n");
  error_of([&] { dn::read_obj(d + "/open.obj"); }, {"open.obj", "closed loops"});
  write_text(d + "/e.obj", "# nothing\n");
  error_of([&] { dn::read_obj(d + "/e.obj"); }, {"e.obj", "empty"});
}

TEST(ImportReaders, GeometryDispatchAndPolylineDetection) {
  const auto d = scratch_dir();
  // An ordered outline -> polyline; the same points shuffled -> cloud.
  dn::PointMatrix P, N;
  dn::testutil::ellipse_cloud(60, 2.0, 1.0, P, N, /*shuffle=*/false);
  dn::write_point_table(d + "/o.csv", P, dn::PointMatrix(), ',', true);
  EXPECT_EQ(dn::read_geometry(d + "/o.csv").type, dn::GeometryData::Type::polyline);
  EXPECT_EQ(dn::read_geometry(d + "/o.csv", false).type, dn::GeometryData::Type::cloud);
  dn::testutil::ellipse_cloud(60, 2.0, 1.0, P, N, /*shuffle=*/true);
  dn::write_point_table(d + "/s.xyz", P, dn::PointMatrix());
  EXPECT_EQ(dn::read_geometry(d + "/s.xyz").type, dn::GeometryData::Type::cloud);
  // With normals a 2D table is always a cloud.
  dn::write_point_table(d + "/sn.xyz", P, N);
  const auto g = dn::read_geometry(d + "/sn.xyz");
  ASSERT_EQ(g.type, dn::GeometryData::Type::cloud);
  EXPECT_TRUE(g.cloud.has_normals());
  EXPECT_TRUE(dn::is_simple_polygon((dn::PointMatrix(4, 2) << 0, 0, 1, 0, 1, 1, 0, 1).finished()));
  EXPECT_FALSE(dn::is_simple_polygon((dn::PointMatrix(4, 2) << 0, 0, 1, 1, 1, 0, 0, 1).finished()));
}
