// The run configuration: defaults, TOML round trip, the shipped example files, and the error
// messages for bad files and bad --set options.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <stdexcept>

#include "common/test_util.hpp"

namespace {

using namespace dtpinn::core;
using dtpinn::test::error_of;

std::string parse_error(const std::string& text) {
  return error_of<std::runtime_error>([&] { parse_config(text, "run.toml"); });
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

TEST(Config, DefaultIsThePaperExperiment) {
  const RunConfig c = default_config();
  EXPECT_EQ(c.problem.pde, PdeKind::poisson);
  EXPECT_EQ(c.problem.exact.value_or(""), "1 + sin(pi*x)*cos(pi*y)");
  EXPECT_EQ(c.problem.alpha, 1.0);
  EXPECT_EQ(c.problem.beta, 1.0);
  EXPECT_EQ(c.domain.shape, "disk");
  EXPECT_EQ(c.domain.n, 1663);
  EXPECT_EQ(c.rbffd.order, 4);
  EXPECT_EQ(c.model.depth, 4);
  EXPECT_EQ(c.model.width, 50);
  EXPECT_EQ(c.model.activation, Activation::tanh);
  EXPECT_EQ(c.train.precision, Precision::fp64);
  EXPECT_EQ(c.train.optimizer, Optimizer::lbfgs);
  EXPECT_EQ(c.train.line_search, LineSearch::strong_wolfe);
  // An empty file is the default experiment too.
  EXPECT_TRUE(parse_config("", "empty.toml") == c);
}

TEST(Config, RoundTripOfDefaultAndOfEveryKeyChanged) {
  const RunConfig d = default_config();
  EXPECT_TRUE(parse_config(to_toml(d), "rt.toml") == d);

  // Every key away from its default.
  RunConfig c = d;
  c.problem.pde = PdeKind::heat;
  c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*sin(pi*t)";
  c.problem.f = "x*y - t";
  c.problem.g = "nx*x + ny*y";
  c.problem.u0 = "1";
  c.problem.fields = {"w"};
  c.problem.equation = "w_t - nu*lap(w) + bx*w_x - f";
  c.problem.params = {{"nu", "0.5"}, {"bx", "1 + x^2"}};
  c.problem.alpha = 0.25;
  c.problem.beta = -3.5e-7;
  c.problem.t_final = 2.0;
  c.problem.nt = 10;
  c.domain.shape = "star";
  c.domain.file = "part \"A\".stl";
  c.domain.n = 4977;
  c.domain.seed = 42;
  c.domain.nodes = "C:\\nodes\tfile\n.csv";  // escapes survive
  c.domain.test_n = 30000;
  c.domain.test_nodes = "test.csv";
  c.domain.rescale = true;
  c.domain.keep_points = true;
  c.domain.allow_nonuniform = true;
  c.domain.ghost_distance = 0.75;
  c.rbffd.order = 6;
  c.rbffd.boundary_stencil_factor = 1.5;
  c.model = {Architecture::modified_mlp, 3, 64, Activation::sin, CpuKernel::torch};
  c.train.method = Method::vanilla;
  c.train.device = DeviceKind::cuda;
  c.train.precision = Precision::fp32;
  c.train.optimizer = Optimizer::adam_lbfgs;
  c.train.cuda_graph = false;
  c.train.gn_solver = GnSolver::cg;
  c.train.gn_damping = 0.25;
  c.train.gn_cg_iterations = 17;
  c.train.gn_memory_mb = 512;
  c.train.output_layer = OutputLayer::least_squares;
  c.train.epochs = 123;
  c.train.lr = 0.1;
  c.train.max_iter = 5;
  c.train.history = 7;
  c.train.line_search = LineSearch::none;
  c.train.time_derivative = TimeDerivative::autograd;
  c.train.adam_lr = 1.0 / 3.0;  // shortest round-trip printing keeps every bit
  c.train.adam_epochs = 11;
  c.train.lr_decay = 0.5;
  c.train.lr_decay_every = 13;
  c.train.time_budget = 60.5;
  c.train.target_error = 1e-4;
  c.train.eval_every = 3;
  c.train.eval_seconds = 0.5;
  c.train.save_optimizer = false;
  c.train.log_every = 4;
  c.train.seed = 9;
  c.train.loss_weights = LossWeighting::annealing;
  c.train.weights = {{"pde", 1.0}, {"bc", 10.0}, {"ic", 0.5}};
  c.train.annealing_alpha = 0.5;
  c.train.annealing_every = 20;
  const std::string text = to_toml(c);
  const RunConfig back = parse_config(text, "rt.toml");
  EXPECT_TRUE(back == c) << text;
  EXPECT_FALSE(back == d);

  // Field by field, not through operator== (which walks the writer's key table, so a key
  // missing from the table would be missing from both): each field read back equals the one
  // written, differs from its default, and alone makes operator== tell the config from the
  // default. The names checked are exactly the keys the config offers.
  std::set<std::string> checked;
  auto check = [&](const std::string& key, auto get) {
    checked.insert(key);
    EXPECT_EQ(get(back), get(c)) << key << " did not survive the round trip\n" << text;
    EXPECT_NE(get(c), get(d)) << key << " keeps its default in this test";
    RunConfig one = d;
    get(one) = get(c);
    EXPECT_FALSE(one == d) << "operator== does not see " << key;
  };
#define DTPINN_FIELD(section, name) \
  check(                            \
      #section "." #name, [](auto& r) -> auto& { return r.section.name; })
  DTPINN_FIELD(problem, pde);
  DTPINN_FIELD(problem, fields);
  DTPINN_FIELD(problem, equation);
  DTPINN_FIELD(problem, params);
  DTPINN_FIELD(problem, exact);
  DTPINN_FIELD(problem, f);
  DTPINN_FIELD(problem, g);
  DTPINN_FIELD(problem, u0);
  DTPINN_FIELD(problem, alpha);
  DTPINN_FIELD(problem, beta);
  DTPINN_FIELD(problem, t_final);
  DTPINN_FIELD(problem, nt);
  DTPINN_FIELD(domain, shape);
  DTPINN_FIELD(domain, file);
  DTPINN_FIELD(domain, n);
  DTPINN_FIELD(domain, seed);
  DTPINN_FIELD(domain, nodes);
  DTPINN_FIELD(domain, test_n);
  DTPINN_FIELD(domain, test_nodes);
  DTPINN_FIELD(domain, rescale);
  DTPINN_FIELD(domain, keep_points);
  DTPINN_FIELD(domain, allow_nonuniform);
  DTPINN_FIELD(domain, ghost_distance);
  DTPINN_FIELD(rbffd, order);
  DTPINN_FIELD(rbffd, boundary_stencil_factor);
  DTPINN_FIELD(model, architecture);
  DTPINN_FIELD(model, depth);
  DTPINN_FIELD(model, width);
  DTPINN_FIELD(model, activation);
  DTPINN_FIELD(model, cpu_kernel);
  DTPINN_FIELD(train, method);
  DTPINN_FIELD(train, device);
  DTPINN_FIELD(train, precision);
  DTPINN_FIELD(train, optimizer);
  DTPINN_FIELD(train, cuda_graph);
  DTPINN_FIELD(train, gn_solver);
  DTPINN_FIELD(train, gn_damping);
  DTPINN_FIELD(train, gn_cg_iterations);
  DTPINN_FIELD(train, gn_memory_mb);
  DTPINN_FIELD(train, output_layer);
  DTPINN_FIELD(train, epochs);
  DTPINN_FIELD(train, lr);
  DTPINN_FIELD(train, max_iter);
  DTPINN_FIELD(train, history);
  DTPINN_FIELD(train, line_search);
  DTPINN_FIELD(train, time_derivative);
  DTPINN_FIELD(train, adam_lr);
  DTPINN_FIELD(train, adam_epochs);
  DTPINN_FIELD(train, lr_decay);
  DTPINN_FIELD(train, lr_decay_every);
  DTPINN_FIELD(train, time_budget);
  DTPINN_FIELD(train, target_error);
  DTPINN_FIELD(train, eval_every);
  DTPINN_FIELD(train, eval_seconds);
  DTPINN_FIELD(train, save_optimizer);
  DTPINN_FIELD(train, log_every);
  DTPINN_FIELD(train, seed);
  DTPINN_FIELD(train, loss_weights);
  DTPINN_FIELD(train, weights);
  DTPINN_FIELD(train, annealing_alpha);
  DTPINN_FIELD(train, annealing_every);
#undef DTPINN_FIELD
  // problem.equations excludes problem.equation, so it leaves its default in a config of its
  // own; problem.exact as a table is the exact solution's other form (test_config_systems).
  {
    RunConfig e = d;
    e.problem.equations = {"lap(u) + k*u - f"};
    e.problem.params = {{"k", "2"}};
    const RunConfig eb = parse_config(to_toml(e), "rt.toml");
    EXPECT_EQ(eb.problem.equations, e.problem.equations);
    EXPECT_TRUE(eb == e);
    EXPECT_FALSE(e == d);
    checked.insert("problem.equations");
  }
  std::set<std::string> offered;
  for (const auto& opt : config_options()) offered.insert(opt.key);
  EXPECT_EQ(checked, offered) << "a key of config_options() has no field check here, or the "
                                 "reverse";
  EXPECT_EQ(back.train.adam_lr, 1.0 / 3.0);

  // Absent optionals survive as absent.
  RunConfig n = d;
  n.problem.exact.reset();
  n.problem.f = "1";
  n.problem.g = "0";
  const RunConfig nb = parse_config(to_toml(n), "rt.toml");
  EXPECT_TRUE(nb == n) << to_toml(n);
  EXPECT_FALSE(nb.problem.exact.has_value());
  EXPECT_FALSE(nb.domain.file.has_value());

  // to_toml writes every key.
  for (const auto& opt : config_options()) {
    const std::string name = opt.key.substr(opt.key.find('.') + 1);
    EXPECT_CONTAINS(text, "\n" + name + " = ");
  }
}

TEST(Config, EveryShippedConfigParsesAndBuildsItsProblem) {
  const std::filesystem::path dir = std::filesystem::path(DTPINN_SOURCE_DIR) / "data/configs";
  ASSERT_TRUE(std::filesystem::is_directory(dir));
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    RunConfig c;
    ASSERT_NO_THROW(c = load_config(entry.path().string()));
    EXPECT_EQ(c.source, entry.path().string());
    // Paths in a config file are relative to its folder; load_config makes them absolute.
    if (c.domain.file) {
      EXPECT_TRUE(std::filesystem::path(*c.domain.file).is_absolute());
    }
    const int dim = c.domain.file ? dtpinn::nodegen::load_domain(*c.domain.file)->dim()
                                  : dtpinn::nodegen::make_shape(c.domain.shape)->dim();
    EXPECT_NO_THROW(Problem(c.problem, dim));
    seen.insert(entry.path().filename().string());
  }
  for (const char* name :
       {"poisson_disk.toml", "nonlinear_poisson_disk.toml", "heat_disk.toml", "poisson_star.toml",
        "poisson_ball.toml", "poisson_rectangle_parts.toml", "poisson_plate_holes.toml"})
    EXPECT_TRUE(seen.count(name)) << name;
  // The documented file is exactly the default experiment.
  EXPECT_TRUE(load_config((dir / "poisson_disk.toml").string()) == default_config());
  const RunConfig heat = load_config((dir / "heat_disk.toml").string());
  EXPECT_EQ(heat.problem.pde, PdeKind::heat);
  EXPECT_EQ(heat.domain.n, 828);
  EXPECT_EQ(heat.problem.nt, 24);
}

TEST(Config, UnknownKeysNameFileLineAndSuggest) {
  std::string msg = parse_error("[train]\nepochs = 10\nlrr = 0.5\n");
  EXPECT_CONTAINS(msg, "run.toml:3:1: unknown key 'train.lrr' (did you mean 'train.lr'?)");
  msg = parse_error("[trian]\nlr = 1\n");
  EXPECT_CONTAINS(msg, "run.toml:1:");
  EXPECT_CONTAINS(msg, "unknown section [trian] (did you mean [train]?)");
  msg = parse_error("order = 4\n");
  EXPECT_CONTAINS(msg, "run.toml:1:1: unknown key 'order'");
  EXPECT_CONTAINS(msg, "did you mean 'rbffd.order'");
  msg = parse_error("[model]\norder = 4\n");
  EXPECT_CONTAINS(msg, "run.toml:2:1: unknown key 'model.order' (did you mean 'rbffd.order'?)");
  msg = parse_error("[problem.extra]\nx = 1\n");
  EXPECT_CONTAINS(msg, "unknown key 'problem.extra'");
  msg = parse_error("[problem]\nexact = \"x\"\nzzzzzz = 1\n");
  EXPECT_CONTAINS(msg, "run.toml:3:1: unknown key 'problem.zzzzzz'");
  EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg;
}

TEST(Config, WrongTypesAreRefused) {
  std::string msg = parse_error("[train]\n\nepochs = \"many\"\n");
  EXPECT_CONTAINS(msg, "run.toml:3:10: train.epochs: expected an integer, got a string (\"many\")");
  msg = parse_error("[train]\nepochs = 10.0\n");
  EXPECT_CONTAINS(msg, "run.toml:2:10: train.epochs: expected an integer, got a float");
  msg = parse_error("[domain]\nrescale = 1\n");
  EXPECT_CONTAINS(msg, "run.toml:2:11: domain.rescale: expected true or false");
  msg = parse_error("[problem]\nexact = 3\n");
  EXPECT_CONTAINS(msg, "run.toml:2:9: problem.exact: expected a string");
  msg = parse_error("train = 3\n");
  EXPECT_CONTAINS(msg, "run.toml:1:1: 'train' must be a section [train]");
  msg = parse_error("[train]\nweights = { pde = \"x\" }\n");
  EXPECT_CONTAINS(msg, "run.toml:2:");
  EXPECT_CONTAINS(msg, "train.weights.pde: expected a number");
  // Integers are fine where a real is expected.
  EXPECT_EQ(parse_config("[train]\nlr = 2\n", "run.toml").train.lr, 2.0);
}

TEST(Config, OutOfRangeValuesAreRefused) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"[rbffd]\norder = 7\n", "run.toml:2:9: rbffd.order: must be between 2 and 6, got 7"},
      {"[rbffd]\norder = 1\n", "rbffd.order: must be between 2 and 6, got 1"},
      {"[model]\ndepth = 0\n", "run.toml:2:9: model.depth: must be >= 1, got 0"},
      {"[model]\nwidth = -5\n", "model.width: must be >= 1, got -5"},
      {"[train]\nepochs = -1\n", "train.epochs: must be >= 0, got -1"},
      {"[domain]\nn = 9\n", "run.toml:2:5: domain.n: must be >= 10, got 9"},
      {"[problem]\nnt = 0\n", "problem.nt: must be >= 1, got 0"},
      {"[problem]\nt_final = 0.0\n", "problem.t_final: must be > 0, got 0"},
      {"[problem]\nalpha = nan\n", "problem.alpha: must be finite"},
      {"[train]\nlr = -1\n", "train.lr: must be > 0, got -1"},
      {"[train]\nlr_decay = 1.5\n", "train.lr_decay: must be in (0, 1], got 1.5"},
      {"[problem]\npde = \"wave\"\n",
       "run.toml:2:7: problem.pde: must be \"poisson\", \"nonlinear_poisson\" or \"heat\""},
      {"[train]\nmethod = \"pinn\"\n",
       "train.method: must be \"dtpinn\" or \"vanilla\", got \"pinn\""},
      {"[train]\ndevice = \"gpu\"\n", "train.device: must be \"cpu\" or \"cuda\""},
      {"[train]\nprecision = \"fp16\"\n", "train.precision: must be \"fp64\" or \"fp32\""},
      {"[train]\noptimizer = \"sgd\"\n",
       "train.optimizer: must be \"lbfgs\", \"adam\", \"adam_lbfgs\""},
      {"[model]\nactivation = \"relu\"\n", "model.activation: must be \"tanh\""},
      {"[model]\narchitecture = \"cnn\"\n", "model.architecture: must be"},
      {"[train]\nline_search = \"armijo\"\n", "train.line_search: must be"},
      {"[train]\nloss_weights = \"adaptive\"\n", "train.loss_weights: must be"},
      {"[train]\nweights = { pde = 1, data = 2 }\n",
       "run.toml:2:22: train.weights: unknown term 'data' (terms: pde, bc, ic, bc:NAME)"},
      {"[train]\nweights = { bc = -1 }\n", "train.weights: weight of 'bc' must be"},
      {"[domain]\nshape = \"\"\n", "domain.shape: unknown shape \"\" (shapes: disk,"},
      {"[domain]\nshape = \"circle\"\n", "run.toml:2:9: domain.shape: unknown shape \"circle\""},
  };
  for (const auto& c : cases) EXPECT_CONTAINS(parse_error(c.text), c.expect);
}

TEST(Config, ProblemDataRulesAndExpressions) {
  // Data without exact: the default exact is dropped.
  RunConfig c = parse_config("[problem]\nf = \"1\"\ng = \"0\"\n", "run.toml");
  EXPECT_FALSE(c.problem.exact.has_value());
  // ... and f, g are then required.
  EXPECT_CONTAINS(parse_error("[problem]\nexact = \"\"\n"),
                  "run.toml:1:1: problem.f is required when problem.exact is not given");
  EXPECT_CONTAINS(parse_error("[problem]\nf = \"1\"\n"),
                  "problem.g is required when problem.exact is not given");
  EXPECT_CONTAINS(parse_error("[problem]\npde = \"heat\"\nf = \"1\"\ng = \"1\"\n"),
                  "problem.u0 is required when problem.exact is not given");
  // Both exact and f: both kept (f overrides the derived one in Problem).
  c = parse_config("[problem]\nexact = \"x\"\nf = \"0\"\n", "run.toml");
  EXPECT_EQ(c.problem.exact.value_or(""), "x");
  EXPECT_EQ(c.problem.f.value_or(""), "0");
  // Expressions are checked with their position.
  EXPECT_CONTAINS(parse_error("[problem]\n\nexact = \"sin(pi*x\"\n"),
                  "run.toml:3:9: problem.exact: cannot parse \"sin(pi*x\"");
  EXPECT_CONTAINS(parse_error("[problem]\nexact = \"q*x\"\n"),
                  "run.toml:2:9: problem.exact: unknown variable 'q'");
  EXPECT_CONTAINS(parse_error("[problem]\nexact = \"x*t\"\n"),
                  "run.toml:2:9: problem.exact: \"x*t\" uses t, but the equation is steady");
  EXPECT_CONTAINS(parse_error("[problem]\nexact = \"x\"\nf = \"nx\"\n"),
                  "run.toml:3:5: problem.f: \"nx\" uses nx");
  EXPECT_NO_THROW(parse_config("[problem]\nexact = \"x\"\ng = \"nx*x\"\n", "run.toml"));
  // An f the equation does not read is refused at its line, before any node is made.
  EXPECT_CONTAINS(parse_error("[problem]\nequation = \"lap(u)\"\nf = \"0\"\ng = \"0\"\n"),
                  "run.toml:3:5: problem.f: the equation \"lap(u)\" has no f");
  EXPECT_NO_THROW(
      parse_config("[problem]\nequation = \"lap(u) - f\"\nf = \"0\"\ng = \"0\"\n", "run.toml"));
  // ... and an equation without f needs none, exact solution or not.
  c = parse_config("[problem]\nequation = \"lap(u)\"\nexact = \"\"\ng = \"x\"\n", "run.toml");
  EXPECT_FALSE(c.problem.f.has_value());
}

TEST(Config, SyntaxErrorsAndMissingFiles) {
  std::string msg = parse_error("[train]\nlr = \n");
  EXPECT_CONTAINS(msg, "run.toml:2:");
  EXPECT_CONTAINS(msg, "TOML syntax error");
  msg = error_of<std::runtime_error>([] { load_config("/nonexistent/run.toml"); });
  EXPECT_CONTAINS(msg, "/nonexistent/run.toml: cannot open the config file");
}

TEST(Config, SetOptionValidatesLikeTheFile) {
  RunConfig c = default_config();
  set_option(c, "train.lr", "0.5");
  set_option(c, "rbffd.order", "6");
  set_option(c, "train.method", "vanilla");
  set_option(c, "domain.rescale", "true");
  set_option(c, "problem.exact", "\"1 + x^2\"");
  set_option(c, "train.weights.bc", "10");
  set_option(c, "domain.file", "part.stl");
  EXPECT_EQ(c.train.lr, 0.5);
  EXPECT_EQ(c.rbffd.order, 6);
  EXPECT_EQ(c.train.method, Method::vanilla);
  EXPECT_TRUE(c.domain.rescale);
  EXPECT_EQ(c.problem.exact.value_or(""), "1 + x^2");
  EXPECT_EQ(c.train.weights.at("bc"), 10.0);
  set_option(c, "train.weights", "pde = 2, ic = 3");
  EXPECT_EQ(c.train.weights, (std::map<std::string, double>{{"pde", 2.0}, {"ic", 3.0}}));
  set_option(c, "domain.file", "");
  EXPECT_FALSE(c.domain.file.has_value());
  EXPECT_EQ(get_option(c, "train.lr"), "0.5");
  EXPECT_EQ(get_option(c, "rbffd.order"), "6");
  EXPECT_EQ(get_option(c, "problem.exact"), "1 + x^2");

  const RunConfig before = c;
  EXPECT_EQ(error_of<std::runtime_error>([&] { set_option(c, "train.lrx", "3"); }),
            "--set train.lrx=3: unknown key 'train.lrx' (did you mean 'train.lr'?)");
  EXPECT_CONTAINS(error_of<std::runtime_error>([&] { set_option(c, "order", "3"); }),
                  "--set order=3: unknown key 'order'");
  EXPECT_EQ(error_of<std::runtime_error>([&] { set_option(c, "train.epochs", "ten"); }),
            "--set train.epochs=ten: expected an integer, got \"ten\"");
  EXPECT_EQ(error_of<std::runtime_error>([&] { set_option(c, "rbffd.order", "9"); }),
            "--set rbffd.order=9: must be between 2 and 6, got 9");
  EXPECT_CONTAINS(error_of<std::runtime_error>([&] { set_option(c, "train.device", "tpu"); }),
                  "--set train.device=tpu: must be \"cpu\" or \"cuda\"");
  EXPECT_CONTAINS(error_of<std::runtime_error>([&] { set_option(c, "train.weights.data", "1"); }),
                  "--set train.weights.data=1: unknown term 'data'");
  EXPECT_CONTAINS(error_of<std::runtime_error>([&] { set_option(c, "problem.f", "sin(x"); }),
                  "--set problem.f=sin(x: problem.f: cannot parse \"sin(x\"");
  EXPECT_CONTAINS(error_of<std::runtime_error>([&] { set_option(c, "domain.rescale", "maybe"); }),
                  "expected true or false");
  EXPECT_TRUE(c == before);  // failed options change nothing

  // Every listed option can be set to its own default value.
  RunConfig d = default_config();
  for (const auto& opt : config_options()) {
    SCOPED_TRACE(opt.key);
    EXPECT_FALSE(opt.help.empty());
    EXPECT_NO_THROW(set_option(d, opt.key, opt.default_value));
  }
  EXPECT_TRUE(d == default_config());
}

}  // namespace

namespace {

const char* kBcFile = R"(
[problem]
exact = "x*y"

[[bc]]
on = "holes"
type = "dirichlet"

[[bc]]
where = "z > 0.449"
type = "robin"
alpha = 1.0
beta = 2
name = "lid"

[[bc]]
on = ["walls", "floor"]
type = "neumann"
value = "0"
)";

TEST(Config, BoundaryConditionEntriesParseAndRoundTrip) {
  const RunConfig c = parse_config(kBcFile, "bc.toml");
  ASSERT_EQ(c.problem.bc.size(), 3u);
  const auto& holes = c.problem.bc[0];
  EXPECT_EQ(holes.on, (std::vector<std::string>{"holes"}));
  EXPECT_EQ(holes.type, BcType::dirichlet);
  EXPECT_FALSE(holes.value);
  EXPECT_FALSE(holes.alpha);
  const auto& lid = c.problem.bc[1];
  EXPECT_EQ(lid.where, "z > 0.449");
  EXPECT_EQ(lid.type, BcType::robin);
  EXPECT_EQ(lid.alpha, 1.0);
  EXPECT_EQ(lid.beta, 2.0);
  EXPECT_EQ(lid.name, "lid");
  const auto& walls = c.problem.bc[2];
  EXPECT_EQ(walls.on, (std::vector<std::string>{"walls", "floor"}));
  EXPECT_EQ(walls.value, std::string("0"));
  // Written and read back: the same entries, in order.
  const RunConfig back = parse_config(to_toml(c), "saved.toml");
  EXPECT_TRUE(back == c);
  EXPECT_TRUE(back.problem.bc == c.problem.bc);
  RunConfig changed = c;
  changed.problem.bc[1].beta = 3.0;
  EXPECT_FALSE(changed == c);
  EXPECT_NO_THROW(validate_config(c));
  // Per-condition weights are accepted as terms.
  RunConfig w = c;
  EXPECT_NO_THROW(set_option(w, "train.weights.bc:holes", "10"));
  EXPECT_EQ(w.train.weights.at("bc:holes"), 10.0);
  EXPECT_CONTAINS(error_of<std::runtime_error>([&] { set_option(w, "train.weights.bc:", "1"); }),
                  "unknown term 'bc:'");
}

TEST(Config, BadBoundaryConditionEntriesNameFileLineAndKey) {
  const std::string head = "[problem]\nexact = \"x\"\n\n[[bc]]\n";
  struct Case {
    std::string body, expected;
  };
  const Case cases[] = {
      {"on = \"a\"\n", "run.toml:4:1: bc[1].type: missing"},
      {"on = \"a\"\ntype = \"fixed\"\n",
       "run.toml:6:8: bc[1].type: must be \"dirichlet\", \"neumann\", \"robin\" or "
       "\"expression\", got \"fixed\""},
      {"on = \"a\"\ntype = \"dirichlet\"\nalpha = 1\n",
       "bc[1].alpha: only a robin condition takes alpha and beta (this one is dirichlet)"},
      {"type = \"dirichlet\"\n", "bc[1].on: give the parts"},
      {"on = \"a\"\nwhere = \"x < 0\"\ntype = \"dirichlet\"\n", "give either on (parts) or where"},
      {"where = \"x <\"\ntype = \"dirichlet\"\n", "bc[1].where: cannot parse \"x <\""},
      {"on = \"a b\"\ntype = \"dirichlet\"\n", "bc[1].on: \"a b\" is not a part name"},
      {"on = []\ntype = \"dirichlet\"\n", "bc[1].on: the list of part names is empty"},
      {"on = 3\ntype = \"dirichlet\"\n", "bc[1].on: must be a part name or a list"},
      {"on = \"a\"\ntype = \"robin\"\nalpha = 0\nbeta = 0\n", "alpha and beta are both 0"},
      {"on = \"a\"\ntype = \"dirichlet\"\nvalue = \"t*x\"\n", "bc[1].value"},
      {"on = \"a\"\ntype = \"dirichlet\"\nside = 1\n", "bc[1].side: unknown key"},
      {"on = \"a\"\ntype = \"dirichlet\"\n[[bc]]\non = \"a\"\ntype = \"neumann\"\n",
       "run.toml:7:1: bc[2].name: two conditions are called \"a\""},
  };
  for (const auto& c : cases) EXPECT_CONTAINS(parse_error(head + c.body), c.expected);
  // problem.g next to [[bc]] entries is refused where it is written.
  EXPECT_CONTAINS(parse_error("[problem]\nexact = \"x\"\ng = \"1\"\n[[bc]]\non = \"a\"\ntype = "
                              "\"dirichlet\"\n"),
                  "run.toml:3:5: problem.g: not used with [[bc]] entries");
  // Without an exact solution every entry needs its value.
  EXPECT_CONTAINS(parse_error("[problem]\nf = \"1\"\n[[bc]]\non = \"a\"\ntype = \"dirichlet\"\n"),
                  "bc[1].value is required when problem.exact is not given");
  // A [bc] table instead of [[bc]] entries.
  EXPECT_CONTAINS(parse_error("[bc]\non = \"a\"\n"), "bc: must be an array of tables");
}

}  // namespace
