// `dtpinn solve` on the boundary rules, as a user meets them: a nearly-Neumann Robin condition
// is warned about on stderr (with its condition estimate) or refused in one line; a pure
// Neumann problem is solved with the mean fixed and says so; incompatible pure Neumann data are
// refused in one line, with nothing written.
#include "cli_util.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace cli_test;

namespace {

std::string disk(const std::string& problem) {
  return "[problem]\n" + problem + "[domain]\nshape = \"disk\"\nn = 800\n";
}

void expect_one_line_refusal(const Output& r, const fs::path& out, const std::string& needle) {
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_EQ(r.out.rfind("dtpinn solve: error: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(needle), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace

TEST(CliSolveRules, NearlyNeumannRobinIsWarnedOrRefused) {
  const auto base = tmp("solve_robin");
  const auto warned = write(base / "warned.toml", disk("alpha = 1.0\nbeta = 1e-3\n"));
  auto r = run("solve " + warned + " -o " + (base / "w").string(), /*stderr_only=*/true);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(count_lines(r.out), 1) << r.out;  // the warning alone on stderr
  EXPECT_NE(r.out.find("warning: the Robin conditions are nearly Neumann"), std::string::npos);
  EXPECT_NE(r.out.find("amplified about 7.1e+02 times"), std::string::npos) << r.out;
  const auto refused = write(base / "refused.toml", disk("alpha = 1.0\nbeta = 1e-6\n"));
  r = run("solve " + refused + " -o " + (base / "r").string(), /*stderr_only=*/true);
  expect_one_line_refusal(r, base / "r", "amplified about 7.1e+05 times");
}

TEST(CliSolveRules, PureNeumannIsSolvedWithTheMeanFixed) {
  const auto base = tmp("solve_neumann");
  const auto cfg = write(base / "neumann.toml", disk("alpha = 1.0\nbeta = 0.0\n"));
  auto r = run("solve " + cfg + " -o " + (base / "out").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("every condition is Neumann: mean of u fixed to"), std::string::npos)
      << r.out;
  nlohmann::json j;
  std::ifstream(base / "out" / "results.json") >> j;
  EXPECT_NEAR(j["mean_fixed"].get<double>(), 1.0, 0.01);  // 1 + sin(pi x) cos(pi y) on the disk
  EXPECT_LT(std::abs(j["source_shift"].get<double>()), 1e-3);
  EXPECT_LT(j["rel_l2"].get<double>(), 1e-3);
  // Lap u = 1 with no flux through the boundary has no solution.
  const auto bad = write(base / "bad.toml",
                         "[problem]\nexact = \"\"\nf = \"1\"\nalpha = 1.0\n"
                         "beta = 0.0\ng = \"0\"\n[domain]\nshape = \"disk\"\n"
                         "n = 800\n");
  r = run("solve " + bad + " -o " + (base / "bad").string(), /*stderr_only=*/true);
  expect_one_line_refusal(r, base / "bad", "the data are incompatible");
}
