// Bad input to `dtpinn train / compare / eval` and to the command line itself: every case is
// one line "dtpinn CMD: error: ...", exit status 1, and nothing written (the catalogue is in
// docs/user/errors.md).
#include "cli_util.hpp"

#include <gtest/gtest.h>

using namespace cli_test;

namespace {

struct Case {
  std::string args, needle;
};

/// Runs each case with `-o DIR` and checks the one line, the status and that DIR was not made.
void expect_refused(const std::string& cmd, const std::vector<Case>& cases, const fs::path& base) {
  int i = 0;
  for (const auto& c : cases) {
    const auto dir = base / ("out" + std::to_string(i++));
    auto r = run(cmd + " " + c.args + " -o " + dir.string(), /*stderr_only=*/true);
    EXPECT_EQ(r.status, 1) << c.args << "\n" << r.out;
    EXPECT_EQ(count_lines(r.out), 1) << c.args << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("dtpinn " + cmd + ": error: ", 0), 0u) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_LT(r.out.size(), 400u) << r.out;
    EXPECT_FALSE(fs::exists(dir)) << c.args;
  }
}

}  // namespace

// Negative, NaN and malformed values of the short flags were replaced by the defaults
// (`--n -5` ran N = 1663); they now meet the same validation as --set.
TEST(CliBadInput, ShortFlagsAreValidatedAsSetIs) {
  const auto base = tmp("bad_flags");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const std::vector<Case> cases = {
      {cfg + " --n -5", "--n -5 (domain.n): must be >= 10"},
      {cfg + " --order -2", "--order -2 (rbffd.order)"},
      {cfg + " --order 7", "--order 7 (rbffd.order)"},
      {cfg + " --epochs -1", "--epochs -1 (train.epochs): must be >= 0"},
      {cfg + " --time-budget -3", "--time-budget -3 (train.time_budget)"},
      {cfg + " --time-budget nan", "--time-budget nan (train.time_budget): must be finite"},
      {cfg + " --target-error -1", "--target-error -1 (train.target_error)"},
      {cfg + " --epochs abc", "--epochs abc (train.epochs)"},
      {cfg + " --seed -1", "--seed -1 (train.seed)"},
      {cfg + " --method dtpin", "--method dtpin (train.method)"},
  };
  expect_refused("train", cases, base);
  expect_refused("compare", {{cfg + " --epochs -1", "--epochs -1"}, {cfg + " --n nan", "--n nan"}},
                 base / "cmp");
}

// CLI11's own messages (two lines, a 310-digit bound, "File does not exist: 0.5", "A
// subcommand is required") are one line with the word named and a suggestion.
TEST(CliBadInput, CommandLineErrorsAreOneLineWithASuggestion) {
  const auto base = tmp("bad_cli");
  const auto cfg = write(base / "tiny.toml", kTiny);
  fs::create_directories(base / "a_folder");
  const std::vector<Case> cases = {
      {cfg + " --threads -1", "--threads: must be a whole number from 0 (all cores)"},
      {cfg + " --lr 0.5", "unknown option --lr (did you mean --train.lr?)"},
      {"--lr 0.5", "unknown option --lr"},  // not "config: File does not exist: 0.5"
      {cfg + " --train.lrr 3", "did you mean --train.lr?"},
      {cfg + " --sed 3", "did you mean --seed?"},
      {(base / "missing.toml").string(), "missing.toml: no such file"},
      {(base / "a_folder").string(), "a_folder: is a folder, not a file"},
      {cfg + " --nproc 0", "--nproc"},
      {cfg + " --dist-timeout -1", "--dist-timeout: must be a number of seconds > 0"},
  };
  std::vector<Case> train = cases;
  if (run("train --help").out.find("--nproc") == std::string::npos) train.resize(cases.size() - 2);
  expect_refused("train", train, base);
  expect_refused("solve",
                 {{"--lr 0.5", "unknown option --lr"},
                  {(base / "a_folder").string(), "is a folder, not a file"},
                  {"--threads -1", "--threads: must be a whole number"}},
                 base / "solve");
  expect_refused("operators", {{"--nodes " + cfg + " --threads -1", "--threads: must be"}},
                 base / "ops");
  auto t = run("trian -o " + (base / "x").string(), /*stderr_only=*/true);
  EXPECT_EQ(t.status, 1);
  EXPECT_EQ(count_lines(t.out), 1) << t.out;
  EXPECT_NE(t.out.find("dtpinn: error: unknown command 'trian' (did you mean 'train'?)"),
            std::string::npos)
      << t.out;
  auto o = run("train " + cfg, /*stderr_only=*/true);  // no -o
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(count_lines(o.out), 1) << o.out;
  EXPECT_NE(o.out.find("--output"), std::string::npos) << o.out;
  // --help still prints help and succeeds.
  EXPECT_EQ(run("train --help").status, 0);
}

// A bad -o is found before any nodes are built (no set-up lines on stdout).
TEST(CliBadInput, ABadOutputFolderIsFoundFirst) {
  const auto base = tmp("bad_out");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto file = write(base / "a_file", "x\n");
  for (const std::string cmd : {"train", "compare"}) {
    auto r = run(cmd + " " + cfg + " -o " + file + "/sub");
    EXPECT_EQ(r.status, 1) << cmd;
    EXPECT_EQ(count_lines(r.out), 1) << cmd << "\n" << r.out;  // stdout + stderr: no set-up
    EXPECT_NE(r.out.find("a_file"), std::string::npos) << r.out;
  }
}

// eval: 3D points on a 2D model were read as x, y (z dropped); far-away points extrapolate
// silently. Now refused, and warned about once with the count.
TEST(CliBadInput, EvalRefusesExtraCoordinatesAndWarnsFarOutside) {
  const auto base = tmp("bad_eval");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  ASSERT_EQ(run("train " + cfg + " --epochs 1 -o " + dir.string()).status, 0);
  const auto out = base / "u.csv";
  const Case cases[] = {
      {write(base / "xyz.csv", "0,0,0.5\n0.1,0.2,0.3\n"), "xyz.csv:1: 3 columns"},
      {write(base / "xyz_header.csv", "x,y,z\n0,0,0.5\n"), "xyz_header.csv:1: header has a 'z'"},
      {(base / "nope.csv").string(), "nope.csv: no such file"},
      {base.string(), "is a folder, not a file"},
  };
  for (const auto& c : cases) {
    auto r = run("eval " + dir.string() + " --points " + c.args + " -o " + out.string(), true);
    EXPECT_EQ(r.status, 1) << c.args;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_EQ(r.out.rfind("dtpinn eval: error: ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(out));
  }
  const auto far = write(base / "far.csv", "x,y\n0,0\n1e6,1e6\n-5,0\n0.5,0.5\n");
  auto w = run("eval " + dir.string() + " --points " + far + " -o " + out.string(), true);
  EXPECT_EQ(w.status, 0) << w.out;
  EXPECT_EQ(count_lines(w.out), 1) << w.out;
  EXPECT_NE(w.out.find("dtpinn eval: warning:"), std::string::npos) << w.out;
  EXPECT_NE(w.out.find("2 of 4 points"), std::string::npos) << w.out;
  EXPECT_TRUE(fs::exists(out));
  // Inside the box: no warning.
  auto q = run("eval " + dir.string() + " --points " + write(base / "in.csv", "x,y\n0,0\n") +
                   " -o " + out.string(),
               true);
  EXPECT_EQ(q.status, 0);
  EXPECT_EQ(q.out, "");
}
