// Node files: exact CSV round trip, reordering and ghost pairing on read, clear errors for bad
// files, PLY/VTK output, quality report text.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <gtest/gtest.h>

#include "common/test_util.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace dtpinn::nodegen;
namespace fs = std::filesystem;

namespace {

fs::path tmp_dir() {
  const fs::path d = fs::path(DTPINN_BINARY_DIR) / "test_nodegen_tmp";
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using dtpinn::test::error_of;
using dtpinn::test::write_text;

// The message of the runtime_error read_nodes throws for `content`.
std::string read_error(const std::string& name, const std::string& content) {
  const fs::path p = tmp_dir() / name;
  write_text(p, content);
  return error_of<std::runtime_error>([&] { read_nodes(p.string()); });
}

}  // namespace

TEST(NodeIo, CsvRoundTripIsExact2DAnd3D) {
  for (const std::string shape : {"star", "ball"}) {
    const NodeSet ns = make_nodes(shape, 1500, 3);
    const fs::path p = tmp_dir() / (shape + ".csv");
    write_nodes(p.string(), ns);
    const NodeSet back = read_nodes(p.string());
    EXPECT_EQ(back.dim, ns.dim);
    EXPECT_EQ(back.n_interior, ns.n_interior);
    EXPECT_EQ(back.n_boundary, ns.n_boundary);
    EXPECT_EQ(back.n_ghost, ns.n_ghost);
    EXPECT_EQ(back.points, ns.points);  // bit-identical doubles
    EXPECT_EQ(back.normals, ns.normals);
    const std::string header = slurp(p).substr(0, slurp(p).find('\n'));
    EXPECT_EQ(header, shape == "star" ? "x,y,kind,nx,ny,part" : "x,y,z,kind,nx,ny,nz,part");
  }
}

TEST(NodeIo, SameSeedSameBytesDifferentSeedDifferentFile) {
  const fs::path a = tmp_dir() / "a.csv", b = tmp_dir() / "b.csv", c = tmp_dir() / "c.csv";
  write_nodes(a.string(), make_nodes("disk", 1663, 42));
  write_nodes(b.string(), make_nodes("disk", 1663, 42));
  write_nodes(c.string(), make_nodes("disk", 1663, 43));
  EXPECT_EQ(slurp(a), slurp(b));
  EXPECT_NE(slurp(a), slurp(c));
}

TEST(NodeIo, ReaderReordersAndPairsGhostsInFileOrder) {
  const fs::path p = tmp_dir() / "shuffled.csv";
  write_text(p,
             "# a comment line\n"
             "x,y,kind,nx,ny\r\n"
             "1,0,boundary,1,0\n"
             "1.1,0,ghost,1,0\n"
             "0.1, 0.2 ,interior,0,0\n"
             "\n"
             "0,1,boundary,0,1\n"
             "0,1.1,ghost,0,1\n"
             "-1,0,boundary,-1,0\n"
             "-1.1,0,ghost,-1,0\n");
  const NodeSet ns = read_nodes(p.string());
  ASSERT_EQ(ns.n_interior, 1);
  ASSERT_EQ(ns.n_boundary, 3);
  ASSERT_EQ(ns.n_ghost, 3);
  EXPECT_EQ(ns.points.row(0), Eigen::RowVector2d(0.1, 0.2));
  EXPECT_EQ(ns.points.row(2), Eigen::RowVector2d(0, 1));
  EXPECT_EQ(ns.points.row(5), Eigen::RowVector2d(0, 1.1));  // ghost of boundary node 1
  EXPECT_EQ(ns.points.row(6), Eigen::RowVector2d(-1.1, 0));
}

TEST(NodeIo, ClearErrorsForBadFiles) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  std::string m =
      error_of<std::runtime_error>([] { read_nodes((tmp_dir() / "does_not_exist.csv").string()); });
  EXPECT_TRUE(has(m, "does_not_exist.csv")) << m;
  const std::string H = "x,y,kind,nx,ny\n";
  m = read_error("cols.csv", H + "0,0,interior,0,0\n1,0,boundary,1\n");
  EXPECT_TRUE(has(m, "cols.csv:3:") && has(m, "columns")) << m;
  m = read_error("nan.csv", H + "nan,0,interior,0,0\n");
  EXPECT_TRUE(has(m, "nan.csv:2:")) << m;
  m = read_error("text.csv", H + "0,abc,interior,0,0\n");
  EXPECT_TRUE(has(m, "text.csv:2:") && has(m, "abc")) << m;
  m = read_error("kind.csv", H + "0,0,inside,0,0\n");
  EXPECT_TRUE(has(m, "kind.csv:2:") && has(m, "inside")) << m;
  m = read_error("dup.csv",
                 H + "1,0,boundary,1,0\n0,0,interior,0,0\n0,1,boundary,0,1\n0,0,interior,0,0\n");
  EXPECT_TRUE(has(m, "dup.csv:5:") && has(m, "duplicate") && has(m, "line 3")) << m;
  m = read_error("normal.csv", H + "1,0,boundary,0.5,0\n");
  EXPECT_TRUE(has(m, "normal.csv:2:") && has(m, "length")) << m;
  m = read_error("header.csv", "a,b,c\n");
  EXPECT_TRUE(has(m, "header.csv:1:") && has(m, "header")) << m;
  m = read_error("ghosts.csv", H + "1,0,boundary,1,0\n0,1,boundary,0,1\n1.1,0,ghost,1,0\n");
  EXPECT_TRUE(has(m, "ghosts.csv:") && has(m, "ghost")) << m;
  m = read_error("empty.csv", "");
  EXPECT_TRUE(has(m, "empty.csv")) << m;
  m = read_error("inf.csv", H + "1e999,0,interior,0,0\n");
  EXPECT_TRUE(has(m, "inf.csv:2:")) << m;
}

TEST(NodeIo, PlyAndVtkAndAtomicFailure) {
  const NodeSet ns = make_nodes("lshape", 400, 0);
  const fs::path ply = tmp_dir() / "l.ply", vtk = tmp_dir() / "l.vtk";
  write_nodes(ply.string(), ns);
  write_nodes(vtk.string(), ns);
  const std::string a = slurp(ply), b = slurp(vtk);
  EXPECT_NE(a.find("element vertex " + std::to_string(ns.size()) + "\n"), std::string::npos);
  EXPECT_NE(a.find("property uchar kind"), std::string::npos);
  // 14 header lines plus one `comment part <i> <name>` per part, then one line per vertex.
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 14 + Index(ns.part_names.size()) + ns.size());
  EXPECT_NE(b.find("POINTS " + std::to_string(ns.size()) + " double"), std::string::npos);
  EXPECT_NE(b.find("SCALARS kind int 1"), std::string::npos);
  EXPECT_NE(b.find("NORMALS normals double"), std::string::npos);
  // Read both back: every point, normal and kind, to the bit (shortest round-trip printing).
  {
    std::istringstream in(a);
    std::string line;
    while (std::getline(in, line) && line != "end_header") {
    }
    for (Index i = 0; i < ns.size(); ++i) {
      ASSERT_TRUE(std::getline(in, line)) << "PLY ends at vertex " << i;
      std::istringstream row(line);
      double x, y, z, nx, ny, nz;
      int kind;
      ASSERT_TRUE(row >> x >> y >> z >> nx >> ny >> nz >> kind) << line;
      ASSERT_EQ(x, ns.points(i, 0)) << "PLY vertex " << i;
      ASSERT_EQ(y, ns.points(i, 1)) << "PLY vertex " << i;
      ASSERT_EQ(z, 0.0) << "PLY vertex " << i;
      ASSERT_EQ(nx, ns.normals(i, 0)) << "PLY vertex " << i;
      ASSERT_EQ(ny, ns.normals(i, 1)) << "PLY vertex " << i;
      ASSERT_EQ(nz, 0.0) << "PLY vertex " << i;
      ASSERT_EQ(kind, int(ns.kind(i))) << "PLY vertex " << i;
    }
    EXPECT_FALSE(std::getline(in, line)) << "PLY has more lines than vertices";
  }
  {
    std::istringstream in(b);
    auto skip_to = [&](const std::string& head) {
      for (std::string line; std::getline(in, line);)
        if (line.rfind(head, 0) == 0) return true;
      return false;
    };
    ASSERT_TRUE(skip_to("POINTS "));
    for (Index i = 0; i < ns.size(); ++i) {
      double x, y, z;
      ASSERT_TRUE(in >> x >> y >> z) << "VTK point " << i;
      ASSERT_EQ(x, ns.points(i, 0)) << "VTK point " << i;
      ASSERT_EQ(y, ns.points(i, 1)) << "VTK point " << i;
      ASSERT_EQ(z, 0.0) << "VTK point " << i;
    }
    ASSERT_TRUE(skip_to("LOOKUP_TABLE"));
    for (Index i = 0; i < ns.size(); ++i) {
      int kind;
      ASSERT_TRUE(in >> kind) << "VTK kind " << i;
      ASSERT_EQ(kind, int(ns.kind(i))) << "VTK kind " << i;
    }
    ASSERT_TRUE(skip_to("NORMALS "));
    for (Index i = 0; i < ns.size(); ++i) {
      double nx, ny, nz;
      ASSERT_TRUE(in >> nx >> ny >> nz) << "VTK normal " << i;
      ASSERT_EQ(nx, ns.normals(i, 0)) << "VTK normal " << i;
      ASSERT_EQ(ny, ns.normals(i, 1)) << "VTK normal " << i;
      ASSERT_EQ(nz, 0.0) << "VTK normal " << i;
    }
  }
  EXPECT_THROW(write_nodes((tmp_dir() / "x.txt").string(), ns), std::invalid_argument);
  // A parent that is a regular file: the write fails and nothing is left behind.
  const fs::path blocker = tmp_dir() / "blocker";
  write_text(blocker, "x");
  EXPECT_ANY_THROW(write_nodes((blocker / "n.csv").string(), ns));
  EXPECT_FALSE(fs::exists(blocker / "n.csv"));
  // Invalid node sets are refused before anything is written.
  NodeSet bad = ns;
  bad.points(0, 0) = std::nan("");
  const fs::path badp = tmp_dir() / "bad.csv";
  fs::remove(badp);
  EXPECT_THROW(write_nodes(badp.string(), bad), std::invalid_argument);
  EXPECT_FALSE(fs::exists(badp));
}

TEST(NodeIo, QualityReportText) {
  auto disk = make_shape("disk");
  FillOptions o;
  o.n = 1663;
  const NodeSet ns = generate_nodes(*disk, o);
  const QualityReport q = assess_quality(ns, disk.get());
  const std::string s = q.to_string();
  EXPECT_NE(s.find("interior " + std::to_string(ns.n_interior)), std::string::npos) << s;
  EXPECT_NE(s.find("boundary " + std::to_string(ns.n_boundary)), std::string::npos) << s;
  EXPECT_EQ(s.find("nan"), std::string::npos);
  EXPECT_LE(q.nn_min, q.nn_p05);
  EXPECT_LE(q.nn_p05, q.nn_median);
  EXPECT_LE(q.nn_median, q.nn_p95);
  EXPECT_LE(q.nn_p95, q.nn_max);
  // The fill distance of a quasi-uniform set is about the spacing: between h/2 and 2h.
  EXPECT_GT(q.max_fill_distance, 0.5 * q.nn_median);
  EXPECT_LT(q.max_fill_distance, 2.0 * q.nn_median);
  const QualityReport no_domain = assess_quality(ns);
  EXPECT_FALSE(no_domain.has_fill_distance);
  EXPECT_NE(no_domain.to_string().find("n/a"), std::string::npos);
  EXPECT_NE(no_domain.to_json().find("\"max_fill_distance\": null"), std::string::npos);
}
