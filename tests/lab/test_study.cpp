// The study's arithmetic (speed-up at equal error, spreads, tables) on synthetic histories, and
// one tiny end-to-end study through the engine (derivatives + two short runs).
#include <dtpinn/lab/study.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

using namespace dtpinn::lab;

TEST(Study, TimeToErrorReadsTheFirstCrossing) {
  const ErrorHistory h = {{0.0, 1.0}, {1.0, 0.1}, {2.0, 0.2}, {3.0, 0.05}};
  EXPECT_DOUBLE_EQ(time_to_error(h, 0.1), 1.0);
  EXPECT_DOUBLE_EQ(time_to_error(h, 0.15), 1.0);
  EXPECT_DOUBLE_EQ(time_to_error(h, 0.06), 3.0);
  EXPECT_DOUBLE_EQ(time_to_error(h, 0.01), -1.0);
  EXPECT_DOUBLE_EQ(best_error(h), 0.05);
  EXPECT_DOUBLE_EQ(best_error({}), -1.0);
}

TEST(Study, SpeedupAtEqualErrorUsesTheLargerBestError) {
  // DT-PINN reaches 1e-2 at t = 2 and goes on to 5e-3; vanilla's best is 1e-2 at t = 8.
  const ErrorHistory dt = {{0.0, 1.0}, {1.0, 0.1}, {2.0, 0.01}, {3.0, 0.005}};
  const ErrorHistory va = {{0.0, 1.0}, {2.0, 0.1}, {4.0, 0.02}, {8.0, 0.01}};
  auto s = speedup_at_equal_error(dt, va);
  EXPECT_DOUBLE_EQ(s.common_error, 0.01);
  EXPECT_DOUBLE_EQ(s.dtpinn_seconds, 2.0);
  EXPECT_DOUBLE_EQ(s.vanilla_seconds, 8.0);
  EXPECT_DOUBLE_EQ(s.speedup, 4.0);
  // Vanilla more accurate: e* is DT-PINN's best (0.02, reached at t = 3); vanilla got to 0.02
  // at t = 1: speed-up 1/3.
  const ErrorHistory dt2 = {{0.0, 1.0}, {3.0, 0.02}};
  const ErrorHistory va2 = {{0.0, 1.0}, {1.0, 0.02}, {5.0, 0.001}};
  s = speedup_at_equal_error(dt2, va2);
  EXPECT_DOUBLE_EQ(s.common_error, 0.02);
  EXPECT_NEAR(s.speedup, 1.0 / 3.0, 1e-15);
  // No history: undefined; best error at t = 0 only: a zero time is undefined too.
  EXPECT_DOUBLE_EQ(speedup_at_equal_error({}, va).speedup, -1.0);
  EXPECT_DOUBLE_EQ(speedup_at_equal_error({{0.0, 0.5}}, {{0.0, 0.5}}).speedup, -1.0);
}

TEST(Study, SpreadIgnoresMissingValues) {
  auto s = spread({3.0, 1.0, 2.0, -1.0, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(s.count, 3);
  EXPECT_DOUBLE_EQ(s.median, 2.0);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 3.0);
  s = spread({4.0, 1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_EQ(spread({}).count, 0);
  EXPECT_EQ(format_spread(spread({})), "n/a");
  EXPECT_EQ(format_spread(spread({1.5e-3})), "1.50e-03");
  EXPECT_EQ(format_spread(spread({1.0, 2.0, 4.0}), false), "2 [1, 4]");
}

TEST(Study, MarkdownTable) {
  EXPECT_EQ(markdown_table({"N", "error"}, {{"582", "1e-3"}, {"1663", "2e-4"}}),
            "| N | error |\n| --- | --- |\n| 582 | 1e-3 |\n| 1663 | 2e-4 |\n");
  EXPECT_THROW(markdown_table({"N", "error"}, {{"582"}}), std::invalid_argument);
}

TEST(Study, MethodsAndProblemsParseFromTheirTables) {
  using dtpinn::core::parse_option;
  EXPECT_EQ(parse_option<StudyMethod>("dtpinn"), StudyMethod::dtpinn);
  EXPECT_EQ(parse_option<StudyMethod>("vanilla32"), StudyMethod::vanilla32);
  EXPECT_EQ(parse_option<StudyMethod>("vanilla64"), StudyMethod::vanilla64);
  EXPECT_STREQ(dtpinn::core::to_string(StudyMethod::vanilla32), "vanilla32");
  EXPECT_EQ(method_label(StudyMethod::vanilla32), "vanilla fp32");
  EXPECT_EQ(method_label(StudyMethod::vanilla64), "vanilla fp64");
  EXPECT_EQ(method_label(StudyMethod::dtpinn), "DT-PINN fp64");
  EXPECT_EQ(engine_method(StudyMethod::vanilla32).precision, dtpinn::core::Precision::fp32);
  EXPECT_EQ(engine_method(StudyMethod::dtpinn).method, dtpinn::core::Method::dtpinn);
  try {
    (void)parse_option<StudyMethod>("bogus");
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "must be \"dtpinn\", \"vanilla32\" or \"vanilla64\", got \"bogus\"");
  }
  EXPECT_EQ(parse_option<StudyProblemKind>("3d"), StudyProblemKind::torus3d);
  EXPECT_STREQ(dtpinn::core::to_string(StudyProblemKind::nonlinear), "nonlinear");
  EXPECT_EQ(dtpinn::core::option_list<StudyProblemKind>(),
            "poisson | nonlinear | heat | star | 3d | helmholtz | advection");
  EXPECT_THROW(parse_option<StudyProblemKind>("Poisson"), std::invalid_argument);
}

TEST(Study, PresetsNameKnownProblems) {
  for (const auto& o : {quick_study_options(), full_study_options()})
    for (const auto& p : o.problems) {
      EXPECT_FALSE(p.sizes.empty());
      EXPECT_FALSE(p.seeds.empty());
    }
  // The paper's disk sizes and orders in the full study.
  const auto full = full_study_options();
  EXPECT_EQ(full.problems.front().sizes.size(), 9u);
  EXPECT_EQ(full.orders, (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(full.epochs, 5000);
  // The quick study covers every problem of the paper too (heat with a longer budget).
  const auto quick = quick_study_options();
  EXPECT_EQ(quick.problems.size(), dtpinn::core::option_table<StudyProblemKind>().size());
  for (const auto& p : quick.problems)
    if (p.kind == StudyProblemKind::heat) {
      EXPECT_GT(p.time_budget, quick.time_budget);
    }
}

TEST(Study, RejectsBadOptionsBeforeWork) {
  const auto out = std::filesystem::temp_directory_path() / "dtpinn_study_bad";
  auto bad = [&](auto&& change) {
    auto o = quick_study_options();
    o.output = out.string();
    change(o);
    EXPECT_THROW(run_study(o, nullptr), std::runtime_error);
  };
  bad([](StudyOptions& o) { o.orders = {7}; });
  bad([](StudyOptions& o) { o.problems.back().orders = {1}; });
  bad([](StudyOptions& o) { o.problems.front().sizes = {20}; });
  bad([](StudyOptions& o) { o.orders.clear(); });  // DT-PINN without an order
  bad([](StudyOptions& o) { o.epochs = 0; });
  EXPECT_FALSE(std::filesystem::exists(out / "study.json"));
}

TEST(Study, TinyEndToEnd) {
  namespace fs = std::filesystem;
  StudyOptions o = quick_study_options();
  // A fresh folder per process; no fs::remove_all: in this link it resolves to a libtorch copy
  // of the symbol that crashes.
  o.output =
      (fs::temp_directory_path() / ("dtpinn_study_tiny_" + std::to_string(::getpid()))).string();
  o.source_dir = DTPINN_SOURCE_DIR;
  o.command = "test_core TinyEndToEnd";
  o.max_depth = 2;
  o.derivative_n = 500;
  o.biharmonic_n = 500;
  o.derivative_repeats = 2;
  o.timing_repeats = 1;
  o.problems = {{StudyProblemKind::poisson, {400}, {0}}};
  o.orders = {2, 4};
  o.methods = {StudyMethod::dtpinn, StudyMethod::vanilla32};
  o.epochs = 4;
  o.time_budget = 0;
  o.eval_every = 1;
  o.test_n = 600;
  run_study(o, nullptr);
  for (const char* f : {"study.md", "study.json", "poisson_error.dat", "deriv_laplacian_error.dat"})
    EXPECT_TRUE(fs::exists(fs::path(o.output) / f)) << f;
  std::ifstream in(fs::path(o.output) / "study.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["runs"].size(), 3u);  // DT-PINN p = 2, 4 and vanilla fp32
  for (const auto& r : j["runs"]) {
    EXPECT_TRUE(r["ok"].get<bool>()) << r["error"];
    EXPECT_EQ(r["epochs"].get<int>(), 4);
    // Training lowers the test error from the random initial network's.
    EXPECT_LT(r["best_test_rel_l2"].get<double>(), r["history"][0][2].get<double>());
    // Measured (from 1.05 at epoch 0): DT-PINN p = 2 4.69e-2 / 4.90e-2 (two runs), p = 4
    // 3.14e-2, vanilla fp32 5.20e-2 after 4 epochs: margins 2.3-3.8x. With the boundary data
    // 10% low the three reach 0.104, 0.094, 0.169.
    EXPECT_LT(r["best_test_rel_l2"].get<double>(), 0.12) << r["error"];
  }
  EXPECT_EQ(j["speedups"].size(), 2u);
  // Derivatives: a higher order is more accurate on the same network; fp32 autograd is far
  // from fp64 round-off but well below the RBF-FD truncation error at this N.
  auto median_err = [&](const std::string& op, const std::string& m, int depth) {
    for (const auto& c : j["derivatives"]["cells"])
      if (c["op"] == op && c["method"] == m && c["depth"] == depth)
        return spread(c["errors"].get<std::vector<double>>()).median;
    return -1.0;
  };
  for (int depth : {1, 2}) {
    const double e2 = median_err("laplacian", "RBF-FD p=2", depth);
    const double e4 = median_err("laplacian", "RBF-FD p=4", depth);
    const double f32 = median_err("laplacian", "autograd fp32", depth);
    EXPECT_GT(e2, 0.0);
    EXPECT_LT(e4, e2) << "depth " << depth;
    EXPECT_LT(e4, 0.1);
    EXPECT_GT(f32, 1e-12);
    EXPECT_LT(f32, 1e-3);
    // Absolute targets, measured once (median relative errors of the Laplacian, depth 1 / 2):
    // p = 2 4.16e-4 / 2.20e-3, p = 4 5.63e-6 / 2.93e-5, fp32 autograd 1.36e-7 / 4.58e-7;
    // about 5x margin.
    EXPECT_LT(e2, depth == 1 ? 2e-3 : 1e-2) << "depth " << depth;
    EXPECT_LT(e4, depth == 1 ? 3e-5 : 1.5e-4) << "depth " << depth;
    EXPECT_LT(f32, depth == 1 ? 7e-7 : 2.5e-6) << "depth " << depth;
  }
  EXPECT_EQ(std::system(("rm -rf '" + o.output + "'").c_str()), 0);
}
