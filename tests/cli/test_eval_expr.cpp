// `dtpinn eval --expr NAME=EXPR` as a user runs it: the expressions of the fields' values and
// first derivatives against central differences of the saved network (scalar, time-dependent
// and system runs, with the run's parameters); every bad definition refused in one line with
// nothing written. Also a system run's history.csv: one test-error column per field, equal to
// results.json's at the last row.
#include "cli_util.hpp"

#include <dtpinn/core/training/run.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using cli_test::count_lines;
using cli_test::kTiny;
using cli_test::read;
using cli_test::run;
using cli_test::write;
using dtpinn::nodegen::PointMatrix;

namespace {

fs::path tmp(const std::string& name) {
  return cli_test::tmp("eval_expr_" + name);
}

/// Two fields with two parameters, trained for a few cheap Adam epochs.
const char* kSystem = R"toml(
[problem]
fields = ["u", "v"]
equations = ["mu*lap(u) + lam*v - f", "lap(v) - f"]
[problem.params]
lam = 2
mu = 0.5
[problem.exact]
u = "sin(x)*cos(y)"
v = "x*y + 1"
[domain]
shape = "rectangle"
n = 200
test_n = 400
[rbffd]
order = 3
[model]
depth = 2
width = 12
[train]
optimizer = "adam"
epochs = 4
eval_every = 2
log_every = 2
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "u"
type = "dirichlet"
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "v"
type = "dirichlet"
)toml";

/// The rows of a CSV with a header: the header's names and the values.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  std::size_t column(const std::string& name) const {
    for (std::size_t k = 0; k < header.size(); ++k)
      if (header[k] == name) return k;
    ADD_FAILURE() << "no column " << name;
    return 0;
  }
};

Table read_table(const fs::path& p) {
  Table t;
  std::istringstream in(read(p));
  std::string line, cell;
  std::getline(in, line);
  std::istringstream h(line);
  while (std::getline(h, cell, ',')) t.header.push_back(cell);
  while (std::getline(in, line)) {
    std::istringstream r(line);
    std::vector<double> row;
    while (std::getline(r, cell, ',')) row.push_back(cell.empty() ? -1.0 : std::stod(cell));
    if (line.back() == ',') row.push_back(-1.0);
    t.rows.push_back(row);
  }
  return t;
}

/// The network's fields at the points, and their central differences in input column j.
struct Fields {
  Eigen::MatrixXd u;
  std::vector<Eigen::MatrixXd> d;  ///< per input column
};

Fields network_fields(const fs::path& run_dir, const PointMatrix& x) {
  const auto net = dtpinn::core::load_checkpoint(run_dir.string());
  Fields f;
  f.u = net.evaluate_fields(x);
  const double h = 1e-5;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    PointMatrix plus = x, minus = x;
    plus.col(j).array() += h;
    minus.col(j).array() -= h;
    f.d.push_back((net.evaluate_fields(plus) - net.evaluate_fields(minus)) / (2 * h));
  }
  return f;
}

PointMatrix points_of(const std::vector<std::vector<double>>& p) {
  PointMatrix x(static_cast<Eigen::Index>(p.size()), static_cast<Eigen::Index>(p[0].size()));
  for (std::size_t i = 0; i < p.size(); ++i)
    for (std::size_t j = 0; j < p[i].size(); ++j)
      x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = p[i][j];
  return x;
}

std::string csv_of(const std::string& header, const std::vector<std::vector<double>>& p) {
  std::string s = header + "\n";
  for (const auto& row : p) {
    for (std::size_t j = 0; j < row.size(); ++j) s += (j ? "," : "") + std::to_string(row[j]);
    s += "\n";
  }
  return s;
}

/// A tiny scalar run (cli_util's kTiny) trained with the extra flags `args`, in base/run.
fs::path train_tiny(const fs::path& base, const std::string& args) {
  const auto dir = base / "run";
  const auto r =
      run("train " + write(base / "tiny.toml", kTiny) + " " + args + " -o " + dir.string());
  EXPECT_EQ(r.status, 0) << r.out;
  return dir;
}

}  // namespace

// g = u_x + 2 u and h = x u_y - y on a trained scalar run: the columns after u, equal to the
// network's central differences (h = 1e-5: truncation and rounding ~1e-10). Its history.csv
// has the columns of a one-field run.
TEST(EvalExpr, ScalarExpressionsEqualTheNetworksDerivatives) {
  const auto base = tmp("scalar");
  const auto dir = train_tiny(base, "--epochs 2");
  const std::vector<std::vector<double>> p = {{0.1, 0.2}, {-0.5, 0.3}, {0.6, -0.7}, {0, 0}};
  const auto pts = write(base / "p.csv", csv_of("x,y", p));
  const auto out = base / "g.csv";
  auto r = run("eval " + dir.string() + " --points " + pts + " -o " + out.string() +
               " --expr g=\"u_x + 2*u\" --expr 'h = x*u_y - y'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "evaluated 4 points -> " + out.string() + "\n");
  const Table t = read_table(out);
  EXPECT_EQ(t.header, (std::vector<std::string>{"x", "y", "u", "g", "h"}));
  const PointMatrix x = points_of(p);
  const Fields f = network_fields(dir, x);
  ASSERT_EQ(t.rows.size(), p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto k = static_cast<Eigen::Index>(i);
    EXPECT_EQ(t.rows[i][2], f.u(k, 0));
    EXPECT_NEAR(t.rows[i][3], f.d[0](k, 0) + 2 * f.u(k, 0), 1e-8) << i;
    EXPECT_NEAR(t.rows[i][4], x(k, 0) * f.d[1](k, 0) - x(k, 1), 1e-8) << i;
    EXPECT_GT(std::abs(f.d[0](k, 0)), 1e-3) << i;  // the derivative is not trivially zero
  }
  // One field: history.csv keeps its columns (no per-field error), results.json its history.
  const std::string history = read(dir / "history.csv");
  EXPECT_EQ(history.substr(0, history.find('\n')),
            "epoch,seconds,loss,pde,bc,w_pde,w_bc,gnorm_pde,gnorm_bc,test_rel_l2");
  nlohmann::json j;
  std::ifstream(dir / "results.json") >> j;
  EXPECT_FALSE(j["history"][0].contains("fields"));
}

// A time-dependent run: u_t (the network's derivative in its t input) and t as a coefficient,
// at points with their own times.
TEST(EvalExpr, TimeDerivativeOfAHeatRun) {
  const auto base = tmp("heat");
  const auto dir = train_tiny(base, "--epochs 1 --set problem.pde=heat --set problem.nt=4");
  const std::vector<std::vector<double>> p = {{0.1, 0.2, 0.5}, {-0.5, 0.3, 0.25}, {0.6, -0.7, 0.5}};
  const auto out = base / "r.csv";
  auto r = run("eval " + dir.string() + " --points " + write(base / "p.csv", csv_of("x,y,t", p)) +
               " -o " + out.string() + " --expr 'r=u_t + t*u_x'");
  ASSERT_EQ(r.status, 0) << r.out;
  const Table t = read_table(out);
  EXPECT_EQ(t.header, (std::vector<std::string>{"x", "y", "t", "u", "r"}));
  const PointMatrix x = points_of(p);
  const Fields f = network_fields(dir, x);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto k = static_cast<Eigen::Index>(i);
    EXPECT_NEAR(t.rows[i][4], f.d[2](k, 0) + x(k, 2) * f.d[0](k, 0), 1e-8) << i;
  }
  // A steady run has no t and no u_t: see BadDefinitionsAreRefused.
}

// A system: an expression mixing both fields and the run's parameters (a plane-strain stress),
// and one of the values only; history.csv has each field's test error.
TEST(EvalExpr, SystemExpressionWithParametersAndHistoryPerField) {
  const auto base = tmp("system");
  const auto dir = base / "run";
  auto tr = run("train " + write(base / "system.toml", kSystem) + " -o " + dir.string());
  ASSERT_EQ(tr.status, 0) << tr.out;
  const std::vector<std::vector<double>> p = {{0.3, 0.4}, {1.1, 0.7}, {1.9, 0.05}};
  const auto out = base / "s.csv";
  auto r =
      run("eval " + dir.string() + " --points " + write(base / "p.csv", csv_of("x,y", p)) + " -o " +
          out.string() + " --expr sxx=\"(lam + 2*mu)*u_x + lam*v_y\" --expr 'q=u*v + mu*x'");
  ASSERT_EQ(r.status, 0) << r.out;
  const Table t = read_table(out);
  EXPECT_EQ(t.header, (std::vector<std::string>{"x", "y", "u", "v", "sxx", "q"}));
  const PointMatrix x = points_of(p);
  const Fields f = network_fields(dir, x);
  const double lam = 2, mu = 0.5;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto k = static_cast<Eigen::Index>(i);
    EXPECT_EQ(t.rows[i][2], f.u(k, 0));
    EXPECT_EQ(t.rows[i][3], f.u(k, 1));
    EXPECT_NEAR(t.rows[i][4], (lam + 2 * mu) * f.d[0](k, 0) + lam * f.d[1](k, 1), 1e-8) << i;
    EXPECT_NEAR(t.rows[i][5], f.u(k, 0) * f.u(k, 1) + mu * x(k, 0), 1e-14) << i;
  }

  // history.csv: test_rel_l2 over both fields, then one column per field; the last row's equal
  // results.json's per-field errors (10 significant digits in the CSV).
  const Table h = read_table(dir / "history.csv");
  ASSERT_GE(h.header.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(h.header.end() - 3, h.header.end()),
            (std::vector<std::string>{"test_rel_l2", "test_rel_l2:u", "test_rel_l2:v"}));
  EXPECT_EQ(h.rows.size(), 3u);  // epochs 0, 2, 4
  nlohmann::json j;
  std::ifstream(dir / "results.json") >> j;
  const auto& last = h.rows.back();
  const std::size_t n = h.header.size();
  ASSERT_EQ(last.size(), n);
  for (const char* field : {"u", "v"}) {
    const double want = j["fields"][field]["test_rel_l2"].get<double>();
    EXPECT_GT(want, 0);
    EXPECT_NEAR(last[h.column(std::string("test_rel_l2:") + field)], want, 1e-9 * want) << field;
    EXPECT_EQ(j["history"].back()["fields"][field]["test_rel_l2"].get<double>(), want) << field;
  }
  // The error over both fields lies between the two fields' errors.
  const double eu = last[n - 2], ev = last[n - 1], all = last[n - 3];
  EXPECT_LE(all, std::max(eu, ev));
  EXPECT_GE(all, std::min(eu, ev));
  EXPECT_NEAR(all, j["test_rel_l2"].get<double>(), 1e-9 * all);

  // Continued (its per-field folders u/, v/ replaced with the rest of the run): 6 epochs, the
  // rows of the first 4 kept with their per-field errors.
  auto rr = run("train --resume " + dir.string() + " --epochs 6");
  ASSERT_EQ(rr.status, 0) << rr.out;
  const Table h2 = read_table(dir / "history.csv");
  EXPECT_EQ(h2.header, h.header);
  ASSERT_EQ(h2.rows.size(), 4u);  // epochs 0, 2, 4, 6
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t k = n - 3; k < n; ++k) EXPECT_EQ(h2.rows[i][k], h.rows[i][k]) << i;
  EXPECT_GT(h2.rows[3][n - 1], 0);
  EXPECT_TRUE(fs::exists(dir / "v" / "solution.vtk"));
}

// Bad definitions: one line "dtpinn eval: error: --expr ...", exit 1, no output file.
TEST(EvalExpr, BadDefinitionsAreRefused) {
  const auto base = tmp("bad");
  const auto dir = train_tiny(base, "--epochs 1");
  const auto pts = write(base / "p.csv", "x,y\n0.1,0.2\n0.5,-0.5\n");
  const auto out = base / "g.csv";
  struct Case {
    std::string expr, needle;
  };
  // One case of each kind (every refusal and its message: tests/core/test_output_expressions).
  const Case cases[] = {
      {"g", "--expr g: expected NAME=EXPR"},
      {"u=u_x", "NAME 'u' is a field of the model"},
      {"g=foo*u", "--expr g: unknown name 'foo'"},
      {"g=u_xx",
       "--expr g: \"u_xx\" uses u_xx: an expression takes the fields' values and first "
       "derivatives only (u, u_x, u_y)"},
      {"g=u_t", "uses u_t, but the model is steady"},
      {"'g=log(u - 100)'",
       "--expr g: \"log(u - 100)\" is not a finite number at point 1 (0.1, 0.2)"},
  };
  for (const auto& c : cases) {
    auto r = run("eval " + dir.string() + " --points " + pts + " -o " + out.string() + " --expr " +
                 c.expr);
    EXPECT_EQ(r.status, 1) << c.expr;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_EQ(r.out.rfind("dtpinn eval: error: --expr ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.expr << ": " << r.out;
    EXPECT_FALSE(fs::exists(out)) << c.expr;
  }
  // The same name twice.
  auto r = run("eval " + dir.string() + " --points " + pts + " -o " + out.string() +
               " --expr g=u --expr g=2*u");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dtpinn eval: error: --expr g=2*u: NAME 'g' is defined twice\n");
  EXPECT_FALSE(fs::exists(out));
}
