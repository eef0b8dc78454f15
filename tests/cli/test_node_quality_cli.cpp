// The node-quality gate as a user meets it: `dtpinn nodes`, `solve` and `train` refuse a node
// set that is not quasi-uniform with one line naming the place, `--allow-nonuniform` (or
// domain.allow_nonuniform) lets it through with a warning that results.json records; `nodes`
// prints where the closest nodes and the largest empty spot are; an x,y,loop table is an
// outline with a hole.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "cli_util.hpp"
#include "common/geometry_clouds.hpp"

namespace fs = std::filesystem;
using cli_test::run;
using cli_test::write;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A circle cloud of radius 1 with 200 points 0.0314 apart (listed 73 apart along the circle:
/// a cloud, not an outline in file order), and one more point 0.003 from the one at (1, 0): kept
/// as it is (--keep-points), two nodes a tenth of the spacing apart.
std::string crowded_circle(const fs::path& dir) {
  std::string text = "x,y\n";
  for (int i = 0; i < 200; ++i) {
    const double t = 2 * M_PI * ((73 * i) % 200) / 200;
    text += std::to_string(std::cos(t)) + "," + std::to_string(std::sin(t)) + "\n";
  }
  text += std::to_string(std::cos(0.003)) + "," + std::to_string(std::sin(0.003)) + "\n";
  return write(dir / "crowded.csv", text);
}

std::string config(const fs::path& dir, const std::string& cloud, const std::string& extra) {
  return write(dir / "run.toml", "[problem]\nexact = \"1 + x*y\"\n[domain]\nfile = \"" + cloud +
                                     "\"\nkeep_points = true\n" + extra +
                                     "[rbffd]\norder = 2\n[model]\ndepth = 1\nwidth = 4\n"
                                     "[train]\nepochs = 2\n");
}

}  // namespace

TEST(CliNodeQuality, NodesRefusesADegenerateSetAndAllowNonuniformWarns) {
  const fs::path dir = cli_test::tmp("quality_nodes");
  const std::string cloud = crowded_circle(dir);
  const std::string out = (dir / "o.csv").string();
  auto r = run("nodes --domain " + cloud + " --keep-points -o " + out);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(cli_test::count_lines(r.out), 1) << r.out;
  EXPECT_TRUE(has(r.out, "dtpinn nodes: error: the node set is not quasi-uniform: two nodes") &&
              has(r.out, "apart at (1, 0)") && has(r.out, "--allow-nonuniform uses it anyway"))
      << r.out;
  EXPECT_FALSE(fs::exists(out));
  r = run("nodes --domain " + cloud + " --keep-points --allow-nonuniform -o " + out);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r.out,
                  "warning: the node set is not quasi-uniform (allowed by "
                  "--allow-nonuniform): two nodes"))
      << r.out;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_TRUE(has(cli_test::read(dir / "o.quality.txt"), "warning: the node set is not"));
  // Resampled (the default), the same cloud is quasi-uniform.
  r = run("nodes --domain " + cloud + " -o " + out);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r.out, "boundary resampled at spacing")) << r.out;
  EXPECT_FALSE(has(r.out, "warning")) << r.out;
}

TEST(CliNodeQuality, NodesSaysWhereTheWorstSpacingIs) {
  const fs::path dir = cli_test::tmp("quality_where");
  const auto r = run("nodes --domain disk --n 500 -o " + (dir / "d.csv").string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r.out, "closest nodes: ") && has(r.out, " apart (") && has(r.out, " h) at ("))
      << r.out;
  EXPECT_TRUE(has(r.out, "largest empty spot: radius ") && has(r.out, " around (")) << r.out;
}

TEST(CliNodeQuality, SolveAndTrainRefuseOrRecordTheWarning) {
  const fs::path dir = cli_test::tmp("quality_solve");
  const std::string cloud = crowded_circle(dir);
  std::string cfg = config(dir, cloud, "");
  // --quiet: without the set-up's progress lines, the refusal is the one line printed.
  auto r = run("solve " + cfg + " --quiet -o " + (dir / "s").string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(cli_test::count_lines(r.out), 1) << r.out;
  EXPECT_TRUE(has(r.out, "dtpinn solve: error: collocation nodes: not quasi-uniform: two nodes") &&
              has(r.out, "domain.allow_nonuniform = true (--allow-nonuniform)"))
      << r.out;
  EXPECT_FALSE(fs::exists(dir / "s" / "results.json"));
  r = run("solve " + cfg + " --allow-nonuniform -o " + (dir / "s").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r.out, "warning: the collocation nodes are not quasi-uniform")) << r.out;
  nlohmann::json j = nlohmann::json::parse(cli_test::read(dir / "s" / "results.json"));
  ASSERT_TRUE(j.contains("node_quality")) << j.dump();
  EXPECT_TRUE(j["node_quality"]["allow_nonuniform"].get<bool>());
  EXPECT_LT(j["node_quality"]["min_separation_over_h"].get<double>(), 0.25);
  EXPECT_TRUE(has(j["node_quality"]["warning"].get<std::string>(), "two nodes"));
  // train: the config key instead of the flag.
  cfg = config(dir, cloud, "allow_nonuniform = true\n");
  r = run("train " + cfg + " -o " + (dir / "t").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r.out, "warning: the collocation nodes are not quasi-uniform")) << r.out;
  j = nlohmann::json::parse(cli_test::read(dir / "t" / "results.json"));
  EXPECT_TRUE(j["node_quality"]["warning"].is_string()) << j["node_quality"].dump();
  // A quasi-uniform set: the quality recorded, no warning.
  r = run("solve --n 600 -o " + (dir / "ok").string());
  ASSERT_EQ(r.status, 0) << r.out;
  j = nlohmann::json::parse(cli_test::read(dir / "ok" / "results.json"));
  EXPECT_LT(j["node_quality"]["fill_over_separation"].get<double>(), 2.0);
  EXPECT_GT(j["node_quality"]["min_separation_over_h"].get<double>(), 0.5);
  EXPECT_TRUE(j["node_quality"]["warning"].is_null());
}

// docs/user/geometry.md's promise: an ordered CSV outline with a loop column is an outline with
// holes.
TEST(CliNodeQuality, LoopColumnTableIsAnOutline) {
  const fs::path dir = cli_test::tmp("quality_loop");
  std::vector<int> loop;
  const dtpinn::test::Cloud P = dtpinn::test::airfoil_box_cloud(240, 240, &loop);
  std::string text = "x,y,loop\n";
  for (Eigen::Index i = 0; i < P.rows(); ++i)
    text += std::to_string(P(i, 0)) + "," + std::to_string(P(i, 1)) + "," +
            std::to_string(loop[std::size_t(i)]) + "\n";
  const std::string f = write(dir / "airfoil.csv", text);
  const auto r = run("nodes --domain " + f + " --n 3000 -o " + (dir / "o.csv").string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r.out, "(polyline, 2D)") && has(r.out, "2 loop(s)")) << r.out;
  EXPECT_TRUE(has(r.out, "parts: outer ") && has(r.out, "hole1 ")) << r.out;
}
