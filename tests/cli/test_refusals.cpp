// The second round of the refusal catalogue (docs/user/errors.md): sizes that
// cannot fit, non-finite or silent results, nonsense that was accepted, and messages that named
// the wrong thing. Every case is one line "dtpinn CMD: error: ...", exit status 1, and nothing
// written.
#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <string>
#include <vector>

using namespace cli_test;

namespace {

/// `dtpinn ARGS` fails with one line starting "dtpinn CMD: error: ", containing `needle`, and
/// none of `absent` exists afterwards.
void expect_refused(const std::string& cmd, const std::string& args, const std::string& needle,
                    const std::vector<fs::path>& absent = {}) {
  auto r = run(cmd + " " + args, /*stderr_only=*/true);
  EXPECT_EQ(r.status, 1) << args << "\n" << r.out;
  EXPECT_EQ(count_lines(r.out), 1) << args << "\n" << r.out;
  EXPECT_EQ(r.out.rfind("dtpinn " + cmd + ": error: ", 0), 0u) << args << "\n" << r.out;
  EXPECT_NE(r.out.find(needle), std::string::npos) << args << "\n" << r.out;
  for (const auto& p : absent) EXPECT_FALSE(fs::exists(p)) << args << ": " << p << " was written";
}

/// A closed 2D outline (a circle of radius 1 around (cx, 0)) as a point table.
std::string circle_csv(double cx) {
  std::string s = "x,y\n";
  for (int k = 0; k < 64; ++k) {
    const double a = 2 * M_PI * k / 64;
    s += std::to_string(cx + std::cos(a)) + "," + std::to_string(std::sin(a)) + "\n";
  }
  return s;
}

/// A tetrahedron with its corners at 0 and `s` along each axis, outward faces (OBJ).
std::string tetrahedron_obj(const std::string& s) {
  return "v 0 0 0\nv " + s + " 0 0\nv 0 " + s + " 0\nv 0 0 " + s +
         "\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n";
}

}  // namespace

// Sizes that cannot fit are refused before anything is allocated, naming the flag or key.
TEST(CliRefusals, SizesThatCannotFit) {
  const auto base = tmp("refuse_sizes");
  const auto out = base / "n.csv";
  expect_refused("nodes", "--domain disk --n 9999999999999 -o " + out.string(),
                 "--n: 9999999999999 is above the limit of 200000000 nodes", {out});
  expect_refused("nodes", "--domain disk --n 0 -o " + out.string(), "--n: 0 is below 10", {out});
  expect_refused("nodes", "--domain disk --h 1e-7 -o " + out.string(), "--h 1e-07", {out});

  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  const std::string train = cfg + " -o " + dir.string() + " ";
  expect_refused("train", train + "--n 9999999999999",
                 "--n 9999999999999 (domain.n): must be at most 200000000", {dir});
  expect_refused("train", train + "--set model.width=100000 --set model.depth=100",
                 "model.width = 100000: the run needs about", {dir});
  expect_refused("train", train + "--set train.history=100000000",
                 "train.history = 100000000: the run needs about", {dir});
  expect_refused("train", train + "--set problem.pde=heat --set problem.nt=100000000",
                 "problem.nt = 100000000: the run needs about", {dir});
  expect_refused("train",
                 write(base / "wide.toml", "[model]\nwidth = 9999999999\n") + " -o " + dir.string(),
                 "model.width: must be at most 2147483647, got 9999999999", {dir});
  expect_refused("train", train + "--threads 4096", "--threads: must be a whole number from 0",
                 {dir});
}

// Results that were not finite or silently wrong.
TEST(CliRefusals, NonFiniteResultsAreRefused) {
  const auto base = tmp("refuse_nonfinite");
  const auto nodes = base / "n.csv";
  ASSERT_EQ(run("nodes --domain disk --n 120 -o " + nodes.string()).status, 0);
  const auto ops = base / "ops";
  expect_refused("operators",
                 "--nodes " + nodes.string() + " --alpha 1e308 --beta 1e308 -o " + ops.string(),
                 "B: entry", {ops});
  expect_refused("operators",
                 "--nodes " + nodes.string() + " --alpha 0 --beta 0 -o " + ops.string(),
                 "--alpha 0 --beta 0: alpha = 0 and beta = 0", {ops});

  const auto big =
      write(base / "big.toml", "[problem]\nexact = \"1e300*x*x\"\n[domain]\nn = 150\n");
  const auto solved = base / "solve";
  expect_refused("solve", big + " -o " + solved.string(), "out of range: problem.exact reaches",
                 {solved});
}

// Nonsense that used to be accepted.
TEST(CliRefusals, NonsenseIsRefused) {
  const auto base = tmp("refuse_nonsense");
  const auto out = base / "n.csv";
  expect_refused("nodes", "--domain disk --n 100 --seed -1 -o " + out.string(),
                 "--seed: must be a whole number from 0 to 2^64 - 1, got -1", {out});

  const auto dir = base / "run";
  auto cfg = [&](const std::string& name, const std::string& text) {
    return write(base / name, std::string(kTiny) + text) + " -o " + dir.string();
  };
  expect_refused("train", cfg("lap.toml", "\n[problem]\nequation = \"lap(u)\"\n"),
                 "does not solve the equation \"lap(u)\" = 0", {dir});
  expect_refused("train", cfg("zero_f.toml", "\n[problem]\nequation = \"lap(u) - u*0*f\"\n"),
                 "does not solve the equation", {dir});
  // A harmonic exact solution of lap(u) = 0 needs no f: accepted.
  const auto harmonic = write(base / "harmonic.toml", std::string(kTiny) + R"toml(
[problem]
equation = "lap(u)"
exact = "exp(x)*sin(y) + x*x - y*y"
)toml");
  auto ok = run("train " + harmonic + " --epochs 1 -o " + (base / "harmonic").string());
  EXPECT_EQ(ok.status, 0) << ok.out;

  const auto assign = write(base / "assign.toml", R"([domain]
shape = "rectangle"
n = 200

[[bc]]
where = "x = 0"
type = "dirichlet"

[[bc]]
on = ["left", "right", "top", "bottom"]
type = "neumann"
)");
  expect_refused("train", assign + " -o " + dir.string(),
                 "\"x = 0\" assigns with '=', it does not compare: write \"x == 0\"", {dir});
}

// The study's flags go through the same validation as train's, and a study none of whose runs
// could train fails.
TEST(CliRefusals, StudyFlagsAreValidatedAsTrainsAre) {
  const auto base = tmp("refuse_study");
  const auto dir = base / "study";
  const std::string study = "--quick --no-derivatives -o " + dir.string() + " ";
  const std::pair<std::string, std::string> cases[] = {
      {"--epochs -3", "--epochs -3 (train.epochs): must be >= 0"},
      {"--time-budget nan", "--time-budget nan (train.time_budget): must be finite"},
      {"--time-budget -1", "--time-budget -1 (train.time_budget)"},
      {"--test-n 0", "--test-n 0 (domain.test_n)"},
      {"--max-depth -1", "--max-depth -1 (model.depth): must be >= 1"},
      {"--threads -4", "--threads: must be a whole number"},
      {"--source-dir /nonexistent", "--source-dir /nonexistent: no such folder"},
      {"--output-layer least_squares --problems nonlinear",
       "--problems nonlinear: train.output_layer: \"least_squares\" needs a loss linear"},
  };
  for (const auto& [args, needle] : cases) expect_refused("study", study + args, needle, {dir});
  // Every problem skipped (the 3D geometry is not under --source-dir): no run, a failure.
  fs::create_directories(base / "empty");
  expect_refused("study", study + "--problems 3d --source-dir " + (base / "empty").string(),
                 "no PINN run could start", {dir});
}

// Messages that named the wrong thing, and outputs checked only after work was done.
TEST(CliRefusals, OutputsAreCheckedBeforeAnyWork) {
  const auto base = tmp("refuse_outputs");
  const auto file = write(base / "a_file", "x\n");
  // nodes: the second -o cannot be made; the first is not written either.
  const auto first = base / "ok.csv";
  expect_refused("nodes", "--domain disk --n 100 -o " + first.string() + " -o " + file + "/x.vtk",
                 "a_file is a file", {first});
  // compare: a bad vanilla folder is found before the DT-PINN run trains (no set-up lines).
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto cmp = base / "cmp";
  write(cmp / "vanilla", "in the way\n");
  auto r = run("compare " + cfg + " -o " + cmp.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(count_lines(r.out), 1) << r.out;  // stdout + stderr: nothing trained
  EXPECT_NE(r.out.find("vanilla is a file"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(cmp / "dtpinn"));
  // compare --set KEY=VALUE CONFIG: the config is the config, not a second --set value.
  expect_refused(
      "compare",
      "--set train.epochs=2 " + (base / "missing.toml").string() + " -o " + (base / "c2").string(),
      "config " + (base / "missing.toml").string() + ": no such file", {base / "c2"});
}

// Geometry that is not a geometry file, or that fp64 cannot work with, is named as such.
TEST(CliRefusals, GeometryFilesSayWhatIsWrong) {
  const auto base = tmp("refuse_geometry");
  const auto out = base / "n.csv";
  fs::create_directories(base / "shapes.stl");
  expect_refused("nodes", "--domain " + (base / "shapes.stl").string() + " -o " + out.string(),
                 "shapes.stl: is a folder, not a geometry file", {out});
  fs::create_directories(base / "folder");
  expect_refused("nodes", "--domain " + (base / "folder").string() + " --n 100 -o " + out.string(),
                 "folder: is a folder, not a geometry file", {out});
  const auto fifo = base / "pipe.obj";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_refused("nodes", "--domain " + fifo.string() + " -o " + out.string(),
                 "pipe.obj: is not a regular file", {out});
  const auto huge = write(base / "huge.obj", tetrahedron_obj("1e300"));
  expect_refused("nodes", "--domain " + huge + " --n 300 -o " + out.string(),
                 "huge.obj: coordinates reach 1e+300", {out});
  auto rescaled = run("nodes --domain " + huge + " --n 300 --rescale -o " + out.string());
  EXPECT_EQ(rescaled.status, 0) << rescaled.out;  // --rescale brings it into the unit box
  fs::remove(out);
  const auto far = write(base / "far_circle.csv", circle_csv(1e12));
  expect_refused("nodes", "--domain " + far + " --n 200 -o " + out.string(),
                 "far_circle.csv: the geometry is 2 across but lies 1e+12 from the origin", {out});
}

// eval --t: a time for a steady model, a time that is not a finite t >= 0; a byte-order mark
// in the points file is read as nodes files are.
TEST(CliRefusals, EvalTimesAndByteOrderMarks) {
  const auto base = tmp("refuse_eval");
  const auto steady = base / "steady";
  const auto cfg = write(base / "tiny.toml", kTiny);
  ASSERT_EQ(run("train " + cfg + " --epochs 1 -o " + steady.string()).status, 0);
  const auto heat = base / "heat";
  const auto heat_cfg = write(
      base / "heat.toml",
      std::string(kTiny) +
          "\n[problem]\npde = \"heat\"\nexact = \"1 + sin(pi*x)*cos(pi*y)*exp(-t)\"\nnt = 2\n");
  ASSERT_EQ(run("train " + heat_cfg + " --epochs 1 -o " + heat.string()).status, 0);
  const auto pts = write(base / "p.csv", "x,y\n0,0\n0.5,0.1\n");
  const auto u = base / "u.csv";
  auto eval = [&](const fs::path& dir, const std::string& t) {
    return dir.string() + " --points " + pts + " -o " + u.string() + " --t " + t;
  };
  expect_refused("eval", eval(steady, "0.5"),
                 "--t 0.5: the model in " + steady.string() + " is steady", {u});
  for (const char* t : {"inf", "nan", "-5"})
    expect_refused("eval", eval(heat, t), "must be a finite time >= 0", {u});
  auto past = run("eval " + eval(heat, "5"), /*stderr_only=*/true);
  EXPECT_EQ(past.status, 0) << past.out;
  EXPECT_NE(past.out.find("warning: --t 5: past t_final = 1"), std::string::npos) << past.out;
  fs::remove(u);

  const auto bom = write(base / "bom.csv", "\xEF\xBB\xBFx,y\n0,0\n0.25,0.5\n");
  auto b = run("eval " + steady.string() + " --points " + bom + " -o " + u.string());
  EXPECT_EQ(b.status, 0) << b.out;
  EXPECT_EQ(count_lines(read(u)), 3);  // header + 2 points
}

// train --resume: a config.toml edited after the run, or a model.pt / optimizer.pt of another
// run, are refused naming the file, before anything is written.
TEST(CliRefusals, ResumeChecksTheCheckpointAgainstTheConfig) {
  const auto base = tmp("refuse_resume");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto a = base / "a", b = base / "b";
  ASSERT_EQ(run("train " + cfg + " --epochs 2 -o " + a.string()).status, 0);
  ASSERT_EQ(run("train " + cfg + " --epochs 2 --set model.width=20 -o " + b.string()).status, 0);
  const std::string results = read(a / "results.json");
  const std::string resume = "--resume " + a.string() + " --epochs 4";
  auto swap_in = [&](const char* name, const std::string& text, const std::string& needle) {
    const std::string saved = read(a / name);
    write(a / name, text);
    expect_refused("train", resume, needle);
    write(a / name, saved);
    EXPECT_EQ(read(a / "results.json"), results) << name;
  };
  std::string edited = read(a / "config.toml");
  edited.replace(edited.find("width = 16"), 10, "width = 20");
  swap_in("config.toml", edited,
          "--resume " + a.string() + ": model.width is 20 in config.toml but 16 in the checkpoint");
  swap_in("model.pt", read(b / "model.pt"),
          (a / "model.pt").string() + ": it holds the weights of another network");
  swap_in("optimizer.pt", read(b / "optimizer.pt"), (a / "optimizer.pt").string() + ": ");
}

// A NaN loss from log(u) / sqrt(u) of a u that left their domain is blamed on the equation,
// not on the problem's data.
TEST(CliRefusals, LogAndSqrtOfUAreNamed) {
  const auto base = tmp("refuse_domain_of_u");
  const auto dir = base / "run";
  for (const std::string f : {"log", "sqrt"}) {
    const auto cfg = write(base / (f + ".toml"), std::string(kTiny) +
                                                     "\n[problem]\nequation = "
                                                     "\"lap(u) - " +
                                                     f + "(u) - f\"\nexact = \"2 + sin(pi*x)\"\n");
    expect_refused("train", cfg + " -o " + dir.string(),
                   "the loss is nan: the equation's " + f + "(u) is not defined for every u",
                   {dir});
  }
}
