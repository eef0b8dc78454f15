// What the commands write for a user: solve's VTK and plots (and its --set), the part field of
// a 3D solution, plots with labelled axes, results.json's version and commit, the run folder
// without the optimiser state (and the refused resume), --quiet and --no-plots, eval's refusal
// of a t column for a steady model, and compare's time resolution.
#include "cli_util.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

using namespace cli_test;

namespace {

nlohmann::json read_json(const fs::path& p) {
  nlohmann::json j;
  std::ifstream(p) >> j;
  return j;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

// solve takes --set like train, writes solution.vtk (with the part of each node), the data and
// scripts of the plots and, with gnuplot, the PNGs; --no-plots keeps the scripts only.
TEST(CliOutputs, SolveWritesVtkAndPlots) {
  const auto dir = tmp("solve_out");
  auto r =
      run("solve --set domain.shape=rectangle --set domain.n=400 --order 3 -o " + dir.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r.out, "relative l2 error")) << r.out;
  const std::string vtk = read(dir / "solution.vtk");
  EXPECT_TRUE(has(vtk, "SCALARS u double")) << vtk.substr(0, 400);
  EXPECT_TRUE(has(vtk, "SCALARS exact double"));
  EXPECT_TRUE(has(vtk, "SCALARS error double"));
  EXPECT_TRUE(has(vtk, "SCALARS part int"));
  EXPECT_TRUE(has(vtk, "FIELD FieldData 4\nleft 1 1 int\n0\n"));
  const auto j = read_json(dir / "results.json");
  EXPECT_EQ(j["order"], 3);
  EXPECT_LT(j["rel_l2"].get<double>(), 1e-2);
  EXPECT_FALSE(j["git_commit"].get<std::string>().empty());
  const std::string gp = read(dir / "solution.gp");
  EXPECT_TRUE(has(gp, "set xlabel 'x'") && has(gp, "set ylabel 'y'") && has(gp, "set cblabel 'u'"))
      << gp;
  EXPECT_TRUE(has(read(dir / "error.gp"), "set cblabel '|u - exact|'"));
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
    EXPECT_TRUE(fs::exists(dir / "solution.png"));
    EXPECT_TRUE(fs::exists(dir / "error.png"));
  }
  const auto quiet = tmp("solve_quiet");
  r = run("solve --n 200 -q --no-plots -o " + quiet.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::exists(quiet / "solution.gp"));
  EXPECT_FALSE(fs::exists(quiet / "solution.png"));
  // The help says what it solves and writes.
  const auto help = run("solve --help").out;
  EXPECT_TRUE(has(help, "steady equation")) << help;
  EXPECT_FALSE(has(help, "steady Poisson problem")) << help;
  EXPECT_TRUE(has(help, "--set")) << help;
}

// A 3D run: solution.vtk carries the part of every test node (and the part names), so the error
// per CAD face shows in ParaView; the 3D maps are slices through the centre, labelled; loss.gp
// has the loss terms and the test error in two labelled panels.
TEST(CliOutputs, TrainWritesPartsAndLabelledPlots) {
  const auto dir = tmp("train_box");
  const auto cfg = write(dir.parent_path() / "box.toml",
                         "[domain]\nshape = \"box\"\nn = 400\ntest_n = 700\n[rbffd]\norder = 2\n"
                         "[model]\ndepth = 1\nwidth = 8\n[train]\nepochs = 2\n");
  auto r = run("train " + cfg + " --no-plots -o " + dir.string());
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string vtk = read(dir / "solution.vtk");
  EXPECT_TRUE(has(vtk, "FIELD FieldData 6\n")) << vtk.substr(0, 300);
  EXPECT_TRUE(has(vtk, "SCALARS part int 1"));
  // Interior test nodes have part -1, boundary ones their face's index.
  const std::string head = "SCALARS part int 1\nLOOKUP_TABLE default\n";
  std::istringstream parts(vtk.substr(vtk.find(head) + head.size()));
  std::set<int> seen;
  int p;
  while (parts >> p) seen.insert(p);
  EXPECT_EQ(seen, (std::set<int>{-1, 0, 1, 2, 3, 4, 5}));
  const std::string gp = read(dir / "solution.gp");
  EXPECT_TRUE(has(gp, "set multiplot layout 1,3")) << gp;
  EXPECT_EQ(std::regex_search(gp, std::regex("set xlabel")), true);
  EXPECT_TRUE(has(gp, "set cblabel 'u'"));
  const std::string loss = read(dir / "loss.gp");
  EXPECT_TRUE(has(loss, "set multiplot layout 2,1")) << loss;
  EXPECT_TRUE(has(loss, "set ylabel 'loss (mean squared residual)'")) << loss;
  EXPECT_TRUE(has(loss, "set ylabel 'test relative l2 error'")) << loss;
  EXPECT_FALSE(fs::exists(dir / "loss.png"));  // --no-plots
  EXPECT_TRUE(fs::exists(dir / "loss.gp"));
  // results.json says which dtpinn made it; --version says the same.
  const auto j = read_json(dir / "results.json");
  const std::string version = j["dtpinn_version"], commit = j["git_commit"];
  EXPECT_TRUE(std::regex_match(version, std::regex(R"([0-9]+\.[0-9]+\.[0-9]+)"))) << version;
  EXPECT_FALSE(commit.empty());
  EXPECT_EQ(run("--version").out, "dtpinn " + version + " (commit " + commit + ")\n");
}

// train.save_optimizer = false: no optimizer.pt (the largest file), and --resume says why it
// cannot continue; --quiet prints nothing.
TEST(CliOutputs, WithoutTheOptimiserStateAResumeIsRefused) {
  const auto dir = tmp("no_optimizer");
  const auto cfg = write(dir.parent_path() / "tiny_noopt.toml", kTiny);
  auto r = run("train " + cfg + " --epochs 2 --set train.save_optimizer=false -q --no-plots -o " +
               dir.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::exists(dir / "model.pt"));
  EXPECT_FALSE(fs::exists(dir / "optimizer.pt"));
  r = run("train --resume " + dir.string() + " --epochs 3", true);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dtpinn train: error: --resume " + dir.string() +
                       ": no optimizer.pt: the run was made with train.save_optimizer = false, so "
                       "it cannot be continued (train it afresh)\n");
  // With the state, the same run resumes.
  const auto with = tmp("with_optimizer");
  ASSERT_EQ(run("train " + cfg + " --epochs 2 -q --no-plots -o " + with.string()).status, 0);
  EXPECT_TRUE(fs::exists(with / "optimizer.pt"));
  EXPECT_EQ(run("train --resume " + with.string() + " --epochs 3 -q --no-plots").status, 0);
}

// eval on a steady 2D model refuses a t column as it refuses a z column: one line, no output.
TEST(CliOutputs, EvalRefusesATimeColumnForASteadyModel) {
  const auto dir = tmp("eval_t");
  const auto cfg = write(dir.parent_path() / "tiny_eval.toml", kTiny);
  ASSERT_EQ(run("train " + cfg + " --epochs 1 -q --no-plots -o " + (dir / "run").string()).status,
            0);
  const auto points = write(dir / "pts.csv", "x,y,t\n0.1,0.2,0.5\n0.3,-0.1,0.5\n");
  const auto out = dir / "u.csv";
  auto r =
      run("eval " + (dir / "run").string() + " --points " + points + " -o " + out.string(), true);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dtpinn eval: error: " + points +
                       ":1: header has a 't' column, but the model is steady (no time input)\n");
  EXPECT_FALSE(fs::exists(out));
  const auto xy = write(dir / "xy.csv", "x,y\n0.1,0.2\n");
  r = run("eval " + (dir / "run").string() + " --points " + xy + " -o " + out.string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(read(out).substr(0, 6), "x,y,u\n");
}

// compare states its time resolution, and takes the test error at least that often.
TEST(CliOutputs, CompareStatesItsTimeResolution) {
  const auto dir = tmp("compare_resolution");
  const auto cfg = write(dir.parent_path() / "tiny_res.toml", kTiny);
  auto r = run("compare " + cfg + " --epochs 3 --resolution 0.25 --no-plots -o " + dir.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out,
      std::regex(R"(time resolution: the test error is taken at most [0-9.e-]+ s \(DT-PINN\))")))
      << r.out;
  const auto j = read_json(dir / "comparison.json");
  EXPECT_TRUE(j["time_resolution_seconds"]["dtpinn"].is_number());
  const auto run_cfg = read(dir / "dtpinn" / "config.toml");
  EXPECT_TRUE(has(run_cfg, "eval_seconds = 0.25")) << run_cfg;
}
