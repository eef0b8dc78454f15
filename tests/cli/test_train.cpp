// `dtpinn train / compare / eval` as a user runs them: a tiny config trains and writes a
// complete run folder; eval reads it back; bad input is refused with one line, no results.json.
#include "cli_util.hpp"

#include <dtpinn/core/training/run.hpp>

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using cli_test::count_lines;
using cli_test::kTiny;
using cli_test::run;
using cli_test::write;

fs::path tmp(const std::string& name) {
  return cli_test::tmp("train_" + name);
}

}  // namespace

TEST(CliTrain, TinyConfigWritesACompleteRunFolder) {
  const auto dir = tmp("train");
  const auto cfg = write(dir.parent_path() / "tiny.toml", kTiny);
  auto r = run("train " + cfg + " --seed 3 -o " + dir.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("epoch 12"), std::string::npos) << r.out;
  for (const char* f : {"results.json", "history.csv", "config.toml", "model.pt", "checkpoint.json",
                        "solution.vtk"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_FALSE(fs::exists(dir / ("results.json.tmp")));
  nlohmann::json j;
  std::ifstream(dir / "results.json") >> j;
  for (const char* k : {"method",
                        "precision",
                        "device",
                        "pde",
                        "n_nodes",
                        "order",
                        "epochs",
                        "train_seconds",
                        "seconds_per_epoch",
                        "final_loss",
                        "loss_terms",
                        "test_rel_l2",
                        "best_test_rel_l2",
                        "epochs_to_best",
                        "seconds_to_best",
                        "history",
                        "stop_reason",
                        "n_interior",
                        "n_boundary",
                        "n_test"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["method"], "dtpinn");
  EXPECT_EQ(j["precision"], "fp64");
  EXPECT_EQ(j["pde"], "poisson");
  EXPECT_EQ(j["order"], 3);
  EXPECT_EQ(j["epochs"], 12);
  EXPECT_EQ(j["stop_reason"], "epochs");
  EXPECT_EQ(j["n_nodes"].get<int>(), j["n_interior"].get<int>() + j["n_boundary"].get<int>());
  EXPECT_NEAR(j["n_nodes"].get<double>(), 250, 15);
  EXPECT_TRUE(j["loss_terms"].contains("pde") && j["loss_terms"].contains("bc"));
  EXPECT_EQ(j["history"].size(), 4u);  // epochs 0, 4, 8, 12
  EXPECT_LT(j["test_rel_l2"].get<double>(), j["history"][0]["test_rel_l2"].get<double>());
  // Measured once (seed 3): 1.02 at epoch 0, 3.25e-3 at epoch 12; about 4.5x margin.
  EXPECT_LT(j["test_rel_l2"].get<double>(), 1.5e-2);
  // The config saved with the weights reproduces the run's settings.
  std::stringstream toml;
  toml << std::ifstream(dir / "config.toml").rdbuf();
  EXPECT_NE(toml.str().find("seed = 3"), std::string::npos);

  // eval at a plain x,y CSV
  const auto pts = write(dir.parent_path() / "pts.csv", "x,y\n0,0\n0.5,0.25\n-0.3,0.7\n");
  const auto out = (dir.parent_path() / "u.csv").string();
  auto e = run("eval " + dir.string() + " --points " + pts + " -o " + out);
  ASSERT_EQ(e.status, 0) << e.out;
  std::stringstream u;
  u << std::ifstream(out).rdbuf();
  EXPECT_EQ(u.str().substr(0, 6), "x,y,u\n");
  EXPECT_EQ(count_lines(u.str()), 4);
  // The values: the points as given, u as the saved network computes it (to the bit: 17
  // significant digits), and near the exact solution 1 + sin(pi x) cos(pi y).
  {
    const dtpinn::core::Network net = dtpinn::core::load_checkpoint(dir.string());
    const double pts_xy[3][2] = {{0, 0}, {0.5, 0.25}, {-0.3, 0.7}};
    dtpinn::nodegen::PointMatrix x(3, 2);
    for (int i = 0; i < 3; ++i) x.row(i) << pts_xy[i][0], pts_xy[i][1];
    const Eigen::VectorXd want = net.evaluate(x);
    std::istringstream rows(u.str());
    std::string line;
    std::getline(rows, line);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(std::getline(rows, line));
      double xi, yi, ui;
      char c1, c2;
      std::istringstream row(line);
      ASSERT_TRUE(row >> xi >> c1 >> yi >> c2 >> ui) << line;
      EXPECT_EQ(xi, pts_xy[i][0]) << line;
      EXPECT_EQ(yi, pts_xy[i][1]) << line;
      EXPECT_EQ(ui, want[i]) << line;
      // Measured once: |u - exact| = 2.2e-3, 1.2e-3, 4.5e-5 at the three points.
      EXPECT_NEAR(ui, 1 + std::sin(M_PI * xi) * std::cos(M_PI * yi), 1e-2) << line;
    }
  }
  // eval: a malformed points file is refused with file:line
  const auto bad = write(dir.parent_path() / "bad.csv", "x,y\n0,0\n0.5,abc\n");
  auto eb = run("eval " + dir.string() + " --points " + bad + " -o " + out + ".2");
  EXPECT_NE(eb.status, 0);
  EXPECT_NE(eb.out.find("bad.csv:3"), std::string::npos) << eb.out;
  EXPECT_FALSE(fs::exists(out + ".2"));
}

TEST(CliTrain, BadInputIsRefusedWithOneLineAndNoResults) {
  const auto base = tmp("bad");
  struct Case {
    std::string args, needle;
  };
  const auto unknown = write(base / "unknown.toml", "[train]\nepochz = 3\n");
  const auto badexpr = write(base / "badexpr.toml", "[problem]\nexact = \"1 + sin(pi*x\"\n");
  const auto toohigh = write(base / "toohigh.toml", "[domain]\nn = 30\n[rbffd]\norder = 6\n");
  const Case cases[] = {
      {"train " + unknown, "epochz"},
      {"train " + badexpr, "exact"},
      {"train " + toohigh, "rbffd.order"},
      {"train --set train.lr=abc", "train.lr"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const auto dir = base / ("out" + std::to_string(i++));
    auto r = run(c.args + " -o " + dir.string(), /*stderr_only=*/true);
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_EQ(count_lines(r.out), 1) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_FALSE(fs::exists(dir / "results.json")) << c.args;
  }
  auto m = run("train " + base.string() + "/missing.toml -o " + (base / "m").string());
  EXPECT_NE(m.status, 0);
  EXPECT_NE(m.out.find("missing.toml"), std::string::npos) << m.out;
}

// Boundary conditions per part: a bad [[bc]] entry is refused with one line before any output
// (unknown part, uncovered nodes, bad selector, alpha on a Dirichlet condition); a good one
// reports a loss term and a results entry per condition.
TEST(CliTrain, BoundaryConditionsPerPart) {
  const auto base = tmp("bc");
  const std::string head = std::string(kTiny) + "\n[problem]\nexact = \"x*y + 1\"\n";
  struct Case {
    std::string body, needle;
  };
  const Case cases[] = {
      {"[[bc]]\non = \"holes\"\ntype = \"dirichlet\"\n",
       "bc[1].on: the geometry has no part \"holes\" (its parts: boundary)"},
      {"[[bc]]\nwhere = \"y > 0\"\ntype = \"dirichlet\"\n", "have no condition"},
      {"[[bc]]\nwhere = \"y >> 0\"\ntype = \"dirichlet\"\n", "bc[1].where: cannot parse"},
      {"[[bc]]\non = \"boundary\"\ntype = \"dirichlet\"\nalpha = 2\n",
       "bc[1].alpha: only a robin condition takes alpha"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const auto cfg = write(base / ("bad" + std::to_string(i) + ".toml"), head + c.body);
    const auto dir = base / ("out" + std::to_string(i++));
    auto r = run("train " + cfg + " -o " + dir.string(), /*stderr_only=*/true);
    EXPECT_NE(r.status, 0) << c.body;
    EXPECT_EQ(count_lines(r.out), 1) << c.body << "\n" << r.out;
    EXPECT_NE(r.out.find("dtpinn train: error: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.body << "\n" << r.out;
    EXPECT_FALSE(fs::exists(dir)) << c.body;
  }
  // Neumann only: the mean of u is fixed (the mean of exact), one more loss term "mean".
  {
    const auto cfg =
        write(base / "neumann.toml", head + "[[bc]]\non = \"boundary\"\ntype = \"neumann\"\n");
    const auto dir = base / "neumann";
    auto r = run("train " + cfg + " -o " + dir.string());
    ASSERT_EQ(r.status, 0) << r.out;
    nlohmann::json j;
    std::ifstream(dir / "results.json") >> j;
    EXPECT_TRUE(j["loss_terms"].contains("mean")) << j["loss_terms"].dump();
  }
  // Two conditions: a Neumann one on the whole boundary, overridden by a Dirichlet one on top.
  const auto cfg =
      write(base / "good.toml", head +
                                    "[[bc]]\non = \"boundary\"\ntype = \"neumann\"\n"
                                    "[[bc]]\nwhere = \"y > 0.5\"\ntype = \"dirichlet\"\n"
                                    "name = \"top\"\n");
  const auto dir = base / "good";
  auto r = run("train " + cfg + " -o " + dir.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("bc:boundary"), std::string::npos) << r.out;  // the progress lines
  EXPECT_NE(r.out.find("bc:top"), std::string::npos) << r.out;
  nlohmann::json j;
  std::ifstream(dir / "results.json") >> j;
  EXPECT_TRUE(j["loss_terms"].contains("bc:boundary"));
  EXPECT_TRUE(j["loss_terms"].contains("bc:top"));
  ASSERT_EQ(j["boundary_conditions"].size(), 2u);
  const auto nb = j["n_boundary"].get<int>();
  const auto n0 = j["boundary_conditions"][0]["nodes"].get<int>();
  const auto n1 = j["boundary_conditions"][1]["nodes"].get<int>();
  EXPECT_EQ(n0 + n1, nb);
  EXPECT_NEAR(static_cast<double>(n1) / nb, 1.0 / 3.0, 0.05);  // y > 0.5: a third of the circle
  EXPECT_GT(j["boundary_conditions"][1]["max_error"].get<double>(), 0.0);
  std::ifstream h(dir / "history.csv");
  std::string header;
  std::getline(h, header);
  EXPECT_NE(header.find("bc:top"), std::string::npos) << header;
}

// Without a CUDA device, `train --device cuda` is refused like any bad input. On a GPU machine
// it trains (next test), so the refusal is tested only where LibTorch sees no device.
TEST(CliTrain, DeviceCudaIsRefusedWithoutAGpu) {
  if (torch::cuda::is_available()) {
    GTEST_SKIP() << "LibTorch sees " << static_cast<int>(torch::cuda::device_count())
                 << " CUDA device(s): --device cuda trains here (CliTrain.DeviceCudaTrainsOnAGpu)";
  }
  const auto dir = tmp("cuda_refused") / "out";
  auto r = run("train --device cuda --epochs 1 --n 200 --order 3 -o " + dir.string(),
               /*stderr_only=*/true);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("cuda"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "results.json"));
}

// The whole CUDA training path as a user runs it: LibTorch's L-BFGS, and the device optimisers
// with their CUDA graphs (device_lbfgs with max_iter 1 and 3, device_adam).
TEST(CliTrain, DeviceCudaTrainsOnAGpu) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device: torch::cuda::is_available() is false";
  const auto base = tmp("cuda_train");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const std::string variants[] = {
      "",
      "--set train.optimizer=device_lbfgs --set train.max_iter=1",
      "--set train.optimizer=device_lbfgs --set train.max_iter=3 --set train.line_search=none",
      "--set train.optimizer=device_adam --set train.adam_lr=0.003",
  };
  int i = 0;
  for (const auto& v : variants) {
    const auto dir = base / ("out" + std::to_string(i++));
    auto r = run("train " + cfg + " --device cuda --epochs 6 " + v + " -o " + dir.string());
    ASSERT_EQ(r.status, 0) << v << "\n" << r.out;
    nlohmann::json j;
    std::ifstream(dir / "results.json") >> j;
    EXPECT_EQ(j["device"], "cuda") << v;
    EXPECT_GE(j["epochs"].get<int>(), 1) << v;  // a stall may end a run early
    EXPECT_TRUE(std::isfinite(j["final_loss"].get<double>())) << v;
  }
}

TEST(CliTrain, CompareWritesBothRunsAndATable) {
  const auto dir = tmp("compare");
  const auto cfg = write(dir.parent_path() / "tiny_cmp.toml", kTiny);
  auto r = run("compare " + cfg + " --epochs 6 -o " + dir.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("method"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "comparison.json"));
  EXPECT_TRUE(fs::exists(dir / "dtpinn" / "results.json"));
  EXPECT_TRUE(fs::exists(dir / "vanilla" / "results.json"));
  nlohmann::json j;
  std::ifstream(dir / "comparison.json") >> j;
  EXPECT_EQ(j["dtpinn"]["precision"], "fp64");
  EXPECT_EQ(j["vanilla"]["precision"], "fp32");
  EXPECT_EQ(j["dtpinn"]["epochs"], 6);
  EXPECT_EQ(j["vanilla"]["epochs"], 6);
}
