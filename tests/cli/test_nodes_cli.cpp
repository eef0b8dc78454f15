// `dtpinn nodes / operators / train` on node-generation bad inputs: each is
// refused with one line `dtpinn CMD: error: FILE:LINE: ...` naming the node, exit 1, nothing
// written; the import examples of docs/user/geometry.md work without --n.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "cli_util.hpp"

namespace fs = std::filesystem;
using cli_test::run;
using cli_test::write;

namespace {

const std::string kData = DTPINN_SOURCE_DIR "/data/geometry/";

fs::path tmp(const std::string& name) {
  return cli_test::tmp("nodes_" + name);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A disk node file written by `dtpinn nodes`, as text.
std::string disk_csv(const fs::path& dir, int n = 300) {
  const fs::path p = dir / "disk.csv";
  const auto r = run("nodes --domain disk --n " + std::to_string(n) + " -o " + p.string());
  EXPECT_EQ(r.status, 0) << r.out;
  return cli_test::read(p);
}

/// `text` with its line `line` (1-based) replaced.
std::string with_line(const std::string& text, int line, const std::string& replacement) {
  std::size_t begin = 0;
  for (int l = 1; l < line; ++l) begin = text.find('\n', begin) + 1;
  const std::size_t end = text.find('\n', begin);
  return text.substr(0, begin) + replacement + text.substr(end);
}

/// One error line, exit 1.
void expect_one_line_error(const cli_test::Output& r, const std::string& cmd) {
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(cli_test::count_lines(r.out), 1) << r.out;
  EXPECT_TRUE(has(r.out, "dtpinn " + cmd + ": error: ")) << r.out;
}

}  // namespace

// Item 1: an interior node at x = 50 is refused by nodes, operators and train, naming it.
TEST(CliNodes, InteriorNodeOutsideTheDomainIsRefusedEverywhere) {
  const fs::path dir = tmp("outside");
  const std::string csv = disk_csv(dir);
  // Line 2 is the first node (after the header): interior node 0.
  const std::string bad = write(dir / "bad.csv", with_line(csv, 2, "50,0.5,interior,0,0,"));
  const std::string node = "bad.csv:2: interior node 0 at (50, 0.5) lies outside the domain";
  auto r = run("nodes --domain " + bad + " -o " + (dir / "out.csv").string(), true);
  expect_one_line_error(r, "nodes");
  EXPECT_TRUE(has(r.out, node)) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out.csv"));
  r = run("operators --nodes " + bad + " -o " + (dir / "ops").string(), true);
  expect_one_line_error(r, "operators");
  EXPECT_TRUE(has(r.out, node)) << r.out;
  EXPECT_FALSE(fs::exists(dir / "ops"));
  const std::string cfg = write(dir / "run.toml", "[domain]\nnodes = \"" + bad +
                                                      "\"\n[model]\ndepth = 1\nwidth = 4\n"
                                                      "[train]\nepochs = 2\n");
  r = run("train " + cfg + " -o " + (dir / "run").string(), true);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(has(r.out, node)) << r.out;
  EXPECT_FALSE(fs::exists(dir / "run" / "results.json"));
}

// Item 1: an ill-conditioned stencil (a node 1e-6 from another, inside the domain) is refused
// by operators with the node named and the threshold given.
TEST(CliNodes, IllConditionedStencilIsRefusedByOperators) {
  const fs::path dir = tmp("rcond");
  const std::string csv = disk_csv(dir);
  // Interior node 0 and a second node 1e-6 away from it.
  const std::string first = csv.substr(csv.find('\n', csv.find('\n') + 1) + 1);
  const std::string row = first.substr(0, first.find('\n'));
  const double x = std::stod(row), y = std::stod(row.substr(row.find(',') + 1));
  const std::string near = std::to_string(x + 1e-6) + "," + std::to_string(y) + ",interior,0,0,";
  const std::string bad = write(dir / "near.csv", csv + near + "\n");
  const auto r = run("operators --nodes " + bad + " -o " + (dir / "ops").string(), true);
  expect_one_line_error(r, "operators");
  EXPECT_TRUE(has(r.out, "ill-conditioned stencil") && has(r.out, "below 1e-10")) << r.out;
  EXPECT_FALSE(fs::exists(dir / "ops"));
}

// Item 2: one boundary normal flipped inward.
TEST(CliNodes, FlippedNormalInANodeFileIsRefused) {
  const fs::path dir = tmp("flipped");
  const std::string csv = disk_csv(dir);
  const std::size_t at = csv.find(",boundary,");
  const std::size_t begin = csv.rfind('\n', at) + 1, end = csv.find('\n', at);
  int line = 1;
  for (std::size_t i = 0; i < begin; ++i) line += csv[i] == '\n';
  // x,y,boundary,nx,ny,part -> x,y,boundary,-nx,-ny,part
  std::string row = csv.substr(begin, end - begin);
  const std::size_t c3 = row.find(',', row.find(",boundary,") + 1);
  const std::size_t c4 = row.find(',', c3 + 1), c5 = row.find(',', c4 + 1);
  const double nx = std::stod(row.substr(c3 + 1)), ny = std::stod(row.substr(c4 + 1));
  row = row.substr(0, c3) + "," + std::to_string(-nx) + "," + std::to_string(-ny) + row.substr(c5);
  const std::string bad = write(dir / "flip.csv", with_line(csv, line, row));
  for (const std::string& cmd : {"nodes --domain " + bad + " -o " + (dir / "o.csv").string(),
                                 "operators --nodes " + bad + " -o " + (dir / "ops").string()}) {
    const auto r = run(cmd, true);
    expect_one_line_error(r, cmd.substr(0, cmd.find(' ')));
    EXPECT_TRUE(has(r.out, "flip.csv:" + std::to_string(line) + ": boundary node") &&
                has(r.out, "points opposite to its neighbours'"))
        << r.out;
  }
  EXPECT_FALSE(fs::exists(dir / "o.csv"));
}

// Item 3: a figure-eight as ordered points.
TEST(CliNodes, SelfCrossingOutlineIsRefused) {
  const fs::path dir = tmp("eight");
  std::string text = "x,y\n";
  for (int i = 0; i < 200; ++i) {
    const double t = 2 * M_PI * (i + 0.5) / 200;
    text += std::to_string(std::cos(t)) + "," + std::to_string(std::sin(t) * std::cos(t)) + "\n";
  }
  const std::string f = write(dir / "eight.csv", text);
  const auto r = run("nodes --domain " + f + " -o " + (dir / "o.csv").string(), true);
  expect_one_line_error(r, "nodes");
  EXPECT_TRUE(has(r.out, "eight.csv:51: the outline crosses itself at (0, 0)")) << r.out;
}

// Item 5: geometry files need no --n; a labelled node file is imported as is.
TEST(CliNodes, GeometryFilesNeedNoN) {
  const fs::path dir = tmp("no_n");
  auto r = run("nodes --domain " + kData + "peanut_cloud.xyz -o " + (dir / "peanut.csv").string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir / "peanut.csv"));
  EXPECT_FALSE(has(r.out, "ignored")) << r.out;
  const std::string csv = disk_csv(dir);
  r = run("nodes --domain " + (dir / "disk.csv").string() + " -o " + (dir / "out.csv").string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(cli_test::read(dir / "out.csv"), csv);  // the same nodes, the same bytes
  EXPECT_TRUE(has(r.out, "labelled cloud")) << r.out;
  // A shape still needs a size.
  r = run("nodes --domain disk -o " + (dir / "d.csv").string(), true);
  expect_one_line_error(r, "nodes");
  EXPECT_TRUE(has(r.out, "--n N (or --h H) is required for a shape")) << r.out;
}

// Item 6: duplicate nodes and a 2-node set are refused by nodes, not only by operators.
TEST(CliNodes, DuplicateAndTooFewNodesAreRefusedByNodes) {
  const fs::path dir = tmp("dup");
  const std::string two = write(dir / "two.csv",
                                "x,y,kind,nx,ny\n0,0,interior,0,0\n"
                                "1,0,boundary,1,0\n");
  auto r = run("nodes --domain " + two + " -o " + (dir / "o.csv").string(), true);
  expect_one_line_error(r, "nodes");
  EXPECT_TRUE(has(r.out, "two.csv: too few nodes: 2 interior + boundary nodes")) << r.out;
  const std::string csv = disk_csv(dir);
  const std::size_t l3 = csv.find('\n', csv.find('\n') + 1) + 1;
  const std::string row3 = csv.substr(l3, csv.find('\n', l3) - l3);
  const std::string dup = write(dir / "dup.csv", with_line(csv, 5, row3));
  r = run("nodes --domain " + dup + " -o " + (dir / "o.csv").string(), true);
  expect_one_line_error(r, "nodes");
  EXPECT_TRUE(has(r.out, "dup.csv:5: duplicate point (same as line 3)")) << r.out;
  EXPECT_FALSE(fs::exists(dir / "o.csv"));
}

// Item 8: --ghost-distance nan / negative / out of range: one line; in range: used.
TEST(CliNodes, GhostDistanceIsValidated) {
  const fs::path dir = tmp("ghost");
  for (const std::string v : {"nan", "-1", "0", "inf", "1e9", "0.01"}) {
    const auto r =
        run("nodes --domain disk --n 200 --ghost-distance " + v + " -o " + (dir / "o.csv").string(),
            true);
    expect_one_line_error(r, "nodes");
    EXPECT_TRUE(has(r.out, "--ghost-distance: ") && has(r.out, "is not in [0.05, 4]"))
        << v << ": " << r.out;
    EXPECT_FALSE(fs::exists(dir / "o.csv"));
  }
  const auto r =
      run("nodes --domain disk --n 200 --ghost-distance 0.5 -o " + (dir / "o.csv").string());
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(CliNodes, SpacingIsValidated) {
  // --h 0 is a bad spacing (not "no spacing given"): one line saying so, nothing written.
  const fs::path dir = tmp("spacing");
  for (const std::string v : {"0", "-0.1", "nan"}) {
    const auto r = run("nodes --domain disk --h " + v + " -o " + (dir / "o.csv").string(), true);
    expect_one_line_error(r, "nodes");
    EXPECT_TRUE(has(r.out, "--h: the spacing must be > 0")) << v << ": " << r.out;
    EXPECT_FALSE(fs::exists(dir / "o.csv"));
  }
  const auto r = run("nodes --domain disk --h 0.1 -o " + (dir / "o.csv").string());
  EXPECT_EQ(r.status, 0) << r.out;
}
