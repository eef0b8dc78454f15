// `dtpinn check` and `dtpinn config`: check runs what train runs before training (every shipped
// config passes; a bad config fails with train's own line), config prints every key, and the
// reference (docs/user/config.md) and the commented default (data/configs/poisson_disk.toml)
// hold exactly the keys the engine knows. Paths in a config are taken against its folder.
#include "cli_util.hpp"

#include <dtpinn/core/problem/config.hpp>

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

using namespace cli_test;

namespace {

const fs::path kSource = DTPINN_SOURCE_DIR;

/// The message after "dtpinn CMD: error: " of a failed run (one line), or "" when it did not
/// fail with one.
std::string error_line(const Output& r, const std::string& cmd) {
  const std::string head = "dtpinn " + cmd + ": error: ";
  if (r.status != 1 || count_lines(r.out) != 1 || r.out.rfind(head, 0) != 0) return "";
  return r.out.substr(head.size());
}

std::set<std::string> engine_keys() {
  std::set<std::string> keys;
  for (const auto& o : dtpinn::core::config_options()) keys.insert(o.key);
  for (const auto& o : dtpinn::core::bc_options()) keys.insert(o.key);
  return keys;
}

}  // namespace

// Every shipped config passes the check, which prints what it found: the nodes, the parts with
// their nodes and the condition on each, the derived data, the network's parameters.
TEST(CliCheck, EveryShippedConfigPasses) {
  std::map<std::string, std::string> printed;
  for (const auto& entry : fs::directory_iterator(kSource / "data/configs")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    const auto r = run("check " + entry.path().string());
    printed[entry.path().filename().string()] = r.out;
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("ok: " + entry.path().string() + " would start training"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("nodes: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("boundary: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("operators: p = "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("network: "), std::string::npos) << r.out;
  }
  // The default experiment: 2 -> 50 -> 50 -> 50 -> 50 -> 1 is 7851 parameters; f and g are
  // derived from the exact solution; one Robin condition on the whole boundary.
  const std::string& disk = printed["poisson_disk.toml"];
  EXPECT_NE(disk.find("7851 parameters"), std::string::npos) << disk;
  EXPECT_NE(disk.find("(derived from exact)"), std::string::npos) << disk;
  EXPECT_NE(disk.find("bc: robin (alpha = 1, beta = 1) on the whole boundary"), std::string::npos)
      << disk;
  // Conditions per part: the rectangle's, with their node counts.
  const std::string& parts = printed["poisson_rectangle_parts.toml"];
  EXPECT_TRUE(
      std::regex_search(parts, std::regex(R"(bc:sides: dirichlet on left, right, [0-9]+ nodes)")))
      << parts;
  EXPECT_TRUE(
      std::regex_search(parts, std::regex(R"(bc:top_right: dirichlet where .*, [0-9]+ nodes)")))
      << parts;
}

// A config that train refuses is refused by check with the same line (check runs train's own
// preparation), and check trains nothing.
TEST(CliCheck, RefusesWhatTrainRefusesWithTheSameLine) {
  const auto base = tmp("check_bad");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"unknown_part.toml",
       "[domain]\nshape = \"rectangle\"\nn = 300\ntest_n = 600\n[[bc]]\non = \"lid\"\n"
       "type = \"dirichlet\"\n"},
      {"uncovered.toml",
       "[domain]\nshape = \"rectangle\"\nn = 300\ntest_n = 600\n[[bc]]\non = \"left\"\n"
       "type = \"dirichlet\"\n"},
      {"order.toml", "[domain]\nn = 30\ntest_n = 100\n[rbffd]\norder = 6\n"},
      {"weight.toml", "[domain]\nn = 300\ntest_n = 600\n[train]\nweights = { \"bc:lid\" = 2.0 }\n"},
      {"typo.toml", "[train]\nepoch = 3\n"},
      {"selector.toml",
       "[domain]\nn = 300\ntest_n = 600\n[[bc]]\nwhere = \"x >\"\ntype = \"dirichlet\"\n"},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    const auto cfg = write(base / name, text);
    const auto out = base / ("run_" + name);
    const std::string train =
        error_line(run("train " + cfg + " -o " + out.string(), true), "train");
    const std::string check = error_line(run("check " + cfg, true), "check");
    EXPECT_FALSE(train.empty()) << name;
    EXPECT_EQ(check, train);
    EXPECT_FALSE(fs::exists(out / "results.json"));
  }
}

// A parameter the equation does not use: one rule everywhere, a warning (and the run goes on).
TEST(CliCheck, AnUnusedParameterIsAWarning) {
  const auto base = tmp("check_params");
  const auto cfg = write(base / "p.toml",
                         "[problem]\nequation = \"lap(u) + k^2*u - f\"\nparams = { k = 2.0, "
                         "c = 5.0 }\n[domain]\nn = 300\ntest_n = 600\n");
  const auto r = run("check " + cfg, /*stderr_only=*/true);
  EXPECT_EQ(r.out,
            "dtpinn check: warning: problem.params.c: not used by problem.equation = \"lap(u) + "
            "k^2*u - f\"\n");
  EXPECT_EQ(run("check " + cfg).status, 0);
  // Without an equation every parameter is unused; solve says so too.
  const auto preset = run("solve --set problem.params.k=1 --n 200", true);
  EXPECT_NE(preset.out.find("dtpinn solve: warning: problem.params.k: not used: without "
                            "problem.equation"),
            std::string::npos)
      << preset.out;
}

// A system trains with Gauss-Newton; the least-squares output layer needs equations linear in
// the fields, so Kovasznay flow is refused at that key, with train's line.
TEST(CliCheck, GaussNewtonForASystem) {
  const std::string cfg =
      (kSource / "data/configs/kovasznay.toml").string() + " --set domain.n=300 --set ";
  const auto ok = run("check " + cfg + "train.optimizer=gauss_newton");
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("would start training"), std::string::npos) << ok.out;
  const std::string ls = cfg + "train.output_layer=least_squares";
  const auto out = tmp("check_gn") / "run";
  const std::string check = error_line(run("check " + ls, true), "check");
  EXPECT_EQ(check,
            "train.output_layer: \"least_squares\" needs a loss linear in the network's outputs, "
            "but problem.equations[1] \"u*u_x + v*u_y + p_x - nu*lap(u)\" is not linear in u, v, "
            "p (use \"trained\")\n");
  EXPECT_EQ(error_line(run("train " + ls + " -o " + out.string(), true), "train"), check);
  EXPECT_FALSE(fs::exists(out / "results.json"));
}

// `dtpinn config` writes every key, reading back as the default experiment; with a file and
// flags, that config.
TEST(CliConfig, PrintsEveryKeyAndReadsBack) {
  const auto base = tmp("config_print");
  const auto r = run("config", true);
  EXPECT_EQ(r.out, "");
  const auto text = run("config").out;
  const auto file = write(base / "all.toml", text);
  EXPECT_TRUE(dtpinn::core::load_config(file) == dtpinn::core::default_config());
  for (const auto& o : dtpinn::core::config_options()) {
    const std::string name = o.key.substr(o.key.find('.') + 1);
    EXPECT_TRUE(std::regex_search(text, std::regex("\n" + name + " = "))) << o.key;
  }
  const auto set = run("config " + file + " --set train.lr=0.5 --epochs 7").out;
  EXPECT_NE(set.find("\nlr = 0.5 "), std::string::npos) << set;
  EXPECT_NE(set.find("\nepochs = 7 "), std::string::npos) << set;
}

// The reference in docs/user/config.md is generated from the key table: it names exactly the
// keys the engine knows, with the same text the command prints.
TEST(CliConfig, TheReferenceHoldsEveryKeyAndNoOther) {
  const std::string doc = read(kSource / "docs/user/config.md");
  ASSERT_FALSE(doc.empty()) << "docs/user/config.md is missing: `dtpinn config --reference > "
                               "docs/user/config.md`";
  std::set<std::string> documented;
  std::string section;
  std::istringstream in(doc);
  std::string line;
  const std::regex heading(R"(^## \[\[?([a-z_]+)\]\]?)"), row(R"(^\| `([a-z_0-9]+)` \|)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, heading)) section = m[1];
    if (std::regex_search(line, m, row)) documented.insert(section + "." + m[1].str());
  }
  EXPECT_EQ(documented, engine_keys()) << "regenerate with `dtpinn config --reference > "
                                          "docs/user/config.md`";
  EXPECT_EQ(doc, run("config --reference").out)
      << "docs/user/config.md differs from `dtpinn config --reference`: regenerate it";
}

// The commented default experiment sets every key of the table to its default (it reads back
// as default_config()) and shows every [[bc]] key in its commented example.
TEST(CliConfig, TheDefaultExperimentFileHoldsEveryKey) {
  const fs::path path = kSource / "data/configs/poisson_disk.toml";
  const std::string text = read(path);
  std::set<std::string> named, bc_named;
  std::string section, line;
  std::istringstream in(text);
  const std::regex heading(R"(^\[([a-z]+)\])"), key(R"(^([a-z_0-9]+) *=)"),
      bc_key(R"(^#   ([a-z]+) *= )");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, heading)) section = m[1];
    if (std::regex_search(line, m, key)) named.insert(section + "." + m[1].str());
    if (std::regex_search(line, m, bc_key)) bc_named.insert("bc." + m[1].str());
  }
  std::set<std::string> table, bc;
  for (const auto& o : dtpinn::core::config_options()) table.insert(o.key);
  for (const auto& o : dtpinn::core::bc_options()) bc.insert(o.key);
  EXPECT_EQ(named, table);
  EXPECT_EQ(bc_named, bc);
  EXPECT_TRUE(dtpinn::core::load_config(path.string()) == dtpinn::core::default_config());
}

// Paths in a config are taken against the config's folder, so a config runs from anywhere:
// a node file next to the config, and the shipped geometry config from another folder.
TEST(CliPaths, AConfigRunsFromAnotherFolder) {
  const auto base = tmp("paths");
  fs::create_directories(base / "cfg");
  ASSERT_EQ(
      run("nodes --domain disk --n 300 --seed 2 -o " + (base / "cfg/disk.csv").string()).status, 0);
  write(base / "cfg/run.toml",
        "[domain]\nnodes = \"disk.csv\"\n[model]\ndepth = 1\nwidth = 8\n[train]\nepochs = 2\n");
  fs::create_directories(base / "elsewhere");
  const std::string elsewhere = (base / "elsewhere").string();
  auto sh = [&](const std::string& args) { return run_in(elsewhere, args); };
  auto r = sh("train ../cfg/run.toml -o run");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(fs::exists(base / "elsewhere/run/results.json"));
  // The saved config names the file absolutely, so the run resumes from anywhere.
  const std::string saved = read(base / "elsewhere/run/config.toml");
  EXPECT_NE(saved.find("nodes = \"" + (base / "cfg/disk.csv").string() + "\""), std::string::npos)
      << saved;
  r = run("train --resume " + (base / "elsewhere/run").string() + " --epochs 3");
  EXPECT_EQ(r.status, 0) << r.out;
  // The shipped part with its geometry beside the configs.
  r = sh("check " + (kSource / "data/configs/poisson_plate_holes.toml").string() +
         " --n 800 --set domain.test_n=1000 -q");
  EXPECT_EQ(r.status, 0) << r.out;
  // A path on the command line is the user's: relative to the current folder.
  r = sh("check --set domain.nodes=../cfg/disk.csv -q");
  EXPECT_EQ(r.status, 0) << r.out;
}
