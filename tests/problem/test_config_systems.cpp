// The run configuration of systems of equations: problem.fields, problem.equations, the exact
// solution per field, [[bc]] entries naming their field and expression conditions; their round
// trip, the command line, and every refusal with its one line at the right file position.
#include <dtpinn/core/problem/config.hpp>

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/test_util.hpp"

namespace {

using namespace dtpinn::core;
using dtpinn::test::error_of;
using Strings = std::vector<std::string>;

std::string parse_error(const std::string& text) {
  return error_of<std::runtime_error>([&] { parse_config(text, "run.toml"); });
}

std::string set_error(RunConfig& c, const std::string& key, const std::string& value) {
  return error_of<std::runtime_error>([&] { set_option(c, key, value); });
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

// Kovasznay flow (Re = 20, l = Re/2 - sqrt(Re^2/4 + 4 pi^2)): three fields, the exact solution
// per field (expressions in x, y, z, t, as for one field: l written as its value), conditions
// on u and v only, and a traction-like expression condition on u.
const std::string kFlowProblem = R"toml([problem]
fields = ["u", "v", "p"]
equations = ["u*u_x + v*u_y + p_x - nu*lap(u)",
             "u*v_x + v*v_y + p_y - nu*lap(v)",
             "u_x + v_y"]
)toml";
const std::string kFlowParams = R"toml([problem.params]
nu = 0.05
)toml";
const std::string kFlowExact = R"toml([problem.exact]
u = "1 - exp(-1.81009812001397*x)*cos(2*pi*y)"
v = "-1.81009812001397/(2*pi)*exp(-1.81009812001397*x)*sin(2*pi*y)"
p = "(1 - exp(-3.62019624002793*x))/2"
)toml";
const std::string kFlowRest = R"toml(
[domain]
shape = "rectangle"

[[bc]]
on = ["left", "bottom", "top"]
field = "u"
type = "dirichlet"
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "v"
type = "dirichlet"
[[bc]]
where = "x > 0.999"
field = "u"
type = "expression"
residual = "(2*nu*u_x - p)*nx + nu*(u_y + v_x)*ny - 0.5"
)toml";
const std::string kFlow = kFlowProblem + kFlowParams + kFlowExact + kFlowRest;

TEST(ConfigSystems, AFlowConfigReadsAndRoundTrips) {
  const RunConfig c = parse_config(kFlow, "flow.toml");
  const ProblemConfig& p = c.problem;
  EXPECT_EQ(p.fields, (Strings{"u", "v", "p"}));
  EXPECT_EQ(field_names(p), (Strings{"u", "v", "p"}));
  ASSERT_EQ(p.equations.size(), 3u);
  EXPECT_EQ(p.equations[2], "u_x + v_y");
  EXPECT_FALSE(p.equation.has_value());
  // The table replaces the one-field exact solution, the default one included.
  EXPECT_FALSE(p.exact.has_value());
  ASSERT_EQ(p.exact_fields.size(), 3u);
  EXPECT_EQ(p.exact_fields.at("p"), "(1 - exp(-3.62019624002793*x))/2");
  ASSERT_EQ(p.bc.size(), 3u);
  EXPECT_EQ(p.bc[0].field, "u");
  EXPECT_EQ(p.bc[1].field, "v");
  EXPECT_EQ(p.bc[2].type, BcType::expression);
  EXPECT_EQ(p.bc[2].residual, "(2*nu*u_x - p)*nx + nu*(u_y + v_x)*ny - 0.5");
  EXPECT_FALSE(p.bc[2].value.has_value());
  EXPECT_FALSE(is_time_dependent(p));
  EXPECT_TRUE(config_warnings(c).empty());  // nu is used
  EXPECT_NO_THROW(validate_config(c));

  // Written and read back: equal, field by field too.
  const std::string text = to_toml(c);
  EXPECT_CONTAINS(text, "\nfields = [\"u\", \"v\", \"p\"]");
  EXPECT_CONTAINS(text, "\nexact = { p = \"(1 - exp(-3.62019624002793*x))/2\", u = ");
  EXPECT_CONTAINS(text, "\nfield = ");  // quoted as toml++ writes strings
  EXPECT_CONTAINS(text, "\nresidual = ");
  const RunConfig back = parse_config(text, "saved.toml");
  EXPECT_TRUE(back == c) << text;
  EXPECT_EQ(back.problem.fields, p.fields);
  EXPECT_EQ(back.problem.equations, p.equations);
  EXPECT_EQ(back.problem.exact_fields, p.exact_fields);
  EXPECT_FALSE(back.problem.exact.has_value());
  EXPECT_TRUE(back.problem.bc == p.bc);
  // operator== sees each new key.
  RunConfig changed = c;
  changed.problem.bc[2].residual = "u_n";
  EXPECT_FALSE(changed == c);
  changed = c;
  changed.problem.bc[0].field = "p";
  EXPECT_FALSE(changed == c);
  changed = c;
  changed.problem.exact_fields["p"] = "0";
  EXPECT_FALSE(changed == c);
  changed = c;
  changed.problem.equations[2] = "v_y + u_x";
  EXPECT_FALSE(changed == c);
  changed = c;
  changed.problem.fields = {"u", "v", "q"};
  EXPECT_FALSE(changed == c);

  // The inline table reads as the [problem.exact] section.
  const std::string inline_form =
      kFlowProblem +
      "exact = { u = \"1 - exp(-1.81009812001397*x)*cos(2*pi*y)\", v = "
      "\"-1.81009812001397/(2*pi)*exp(-1.81009812001397*x)*sin(2*pi*y)\", "
      "p = \"(1 - exp(-3.62019624002793*x))/2\" }\n" +
      kFlowParams + kFlowRest;
  EXPECT_TRUE(parse_config(inline_form, "flow.toml") == c) << inline_form;
}

TEST(ConfigSystems, ExactIsAStringOrATableAndEachClearsTheOther) {
  RunConfig one = parse_config("[problem]\nexact = { u = \"x*y\" }\n", "run.toml");
  EXPECT_EQ(one.problem.exact_fields, (std::map<std::string, std::string>{{"u", "x*y"}}));
  EXPECT_FALSE(one.problem.exact.has_value());
  set_option(one, "problem.exact", "x + y");
  EXPECT_TRUE(one.problem.exact_fields.empty());
  EXPECT_EQ(one.problem.exact.value_or(""), "x + y");
  set_option(one, "problem.exact", "{ u = \"x\" }");
  EXPECT_EQ(one.problem.exact_fields.at("u"), "x");
  EXPECT_FALSE(one.problem.exact.has_value());
  EXPECT_EQ(get_option(one, "problem.exact"), "{ u = \"x\" }");
  // Numbers are allowed in the table, as in [problem.params].
  one = parse_config("[problem]\nexact = { u = 2 }\n", "run.toml");
  EXPECT_EQ(one.problem.exact_fields.at("u"), "2");
  // exact = "" still means "no exact solution".
  const RunConfig none = parse_config("[problem]\nexact = \"\"\nf = \"1\"\ng = \"0\"\n", "r.toml");
  EXPECT_FALSE(none.problem.exact.has_value());
  EXPECT_TRUE(none.problem.exact_fields.empty());
  // One field given as a table takes problem.f and problem.g like the string form.
  EXPECT_NO_THROW(parse_config("[problem]\nexact = { u = \"x*y\" }\nf = \"0\"\n", "run.toml"));
  // Fields or equations of the file's own and no exact: the default exact (a solution of the
  // default equation in u) does not apply, so the data must be given.
  EXPECT_EQ(parse_error("[problem]\nfields = [\"u\"]\nequation = \"lap(u) + u - f\"\n"),
            "run.toml:1:1: problem.f is required when problem.exact is not given");
  const RunConfig given = parse_config(
      "[problem]\nequations = [\"lap(u) + u - f\"]\nf = \"1\"\ng = \"0\"\n", "run.toml");
  EXPECT_FALSE(given.problem.exact.has_value());
  // A one-field list of equations is a scalar problem; u_t makes it time-dependent.
  const RunConfig heat =
      parse_config("[problem]\nequations = [\"u_t - lap(u) - f\"]\nexact = \"x*t\"\n", "run.toml");
  EXPECT_TRUE(is_time_dependent(heat.problem));
  // A one-field problem of another name.
  const RunConfig w = parse_config(
      "[problem]\nfields = [\"w\"]\nequation = \"lap(w) - f\"\nexact = { w = \"x\" }\n",
      "run.toml");
  EXPECT_EQ(field_names(w.problem), (Strings{"w"}));
}

TEST(ConfigSystems, FieldsAndEquationsFromTheCommandLine) {
  RunConfig c = default_config();
  // Equations first: nothing is checked against fields that a later option may set.
  set_option(c, "problem.equations", R"x(["lap(u) - v - f", "lap(v) + u_x - f"])x");
  set_option(c, "problem.fields", R"(["u", "v"])");
  EXPECT_EQ(c.problem.fields, (Strings{"u", "v"}));
  EXPECT_EQ(c.problem.equations, (Strings{"lap(u) - v - f", "lap(v) + u_x - f"}));
  EXPECT_EQ(get_option(c, "problem.fields"), "[\"u\", \"v\"]");
  // The default exact solution (in u) is dropped with them.
  EXPECT_FALSE(c.problem.exact.has_value());
  set_option(c, "problem.exact", R"({ u = "x*y", v = "x - y" })");
  EXPECT_EQ(c.problem.exact_fields.size(), 2u);
  // A system needs [[bc]] entries: validate_config (what runs after the options) says so.
  EXPECT_EQ(error_of<std::runtime_error>([&] { validate_config(c); }),
            "[[bc]]: a system needs [[bc]] entries, each naming its field");
  for (const char* field : {"u", "v"}) {
    BoundaryConditionConfig bc;
    bc.on = {"boundary"};
    bc.field = field;
    c.problem.bc.push_back(bc);
  }
  EXPECT_NO_THROW(validate_config(c));
  // Gauss-Newton and (the equations being linear) the least-squares output layer train a
  // system.
  RunConfig gn = c;
  set_option(gn, "train.optimizer", "gauss_newton");
  EXPECT_NO_THROW(validate_config(gn));
  set_option(gn, "train.output_layer", "least_squares");
  EXPECT_NO_THROW(validate_config(gn));

  // Bad values: the option and the reason, and the config unchanged.
  const RunConfig before = c;
  EXPECT_EQ(set_error(c, "problem.fields", "u,v"),
            "--set problem.fields=u,v: expected an array of strings like [\"u\", \"v\"], got "
            "\"u,v\"");
  EXPECT_EQ(set_error(c, "problem.fields", "[1]"),
            "--set problem.fields=[1]: problem.fields: expected an array of strings, got an "
            "integer (1) as entry 1");
  EXPECT_CONTAINS(set_error(c, "problem.fields", R"(["u", "u_1"])"),
                  "problem.fields=[\"u\", \"u_1\"]: \"u_1\" is not a field name");
  EXPECT_CONTAINS(set_error(c, "problem.fields", R"(["u", "u"])"), ": \"u\" is listed twice");
  EXPECT_CONTAINS(set_error(c, "problem.fields", R"(["u", "pi"])"), "\"pi\" is not a field name");
  EXPECT_CONTAINS(set_error(c, "problem.equations", R"x(["lap(u)", " "])x"), "equation 2 is empty");
  EXPECT_CONTAINS(set_error(c, "problem.exact", "{ u = [1] }"),
                  "problem.exact.u: expected a number or an expression");
  EXPECT_TRUE(c == before);
  // An empty list is the default.
  set_option(c, "problem.fields", "[]");
  EXPECT_TRUE(c.problem.fields.empty());
}

// Each refusal: its one line, at the file position of what it is about.
struct Refusal {
  std::string text, expected;
};

const std::string kTwoFields = R"toml([problem]
fields = ["u", "v"]
equations = ["lap(u) - v - f", "lap(v) + u_x - f"]
)toml";
const std::string kTwoExact = R"toml([problem.exact]
u = "x*y"
v = "x + y"
)toml";
const std::string kTwoBc = R"toml([[bc]]
on = "boundary"
field = "u"
type = "dirichlet"
[[bc]]
on = "boundary"
field = "v"
type = "dirichlet"
)toml";

TEST(ConfigSystems, TheTwoFieldBaseIsAccepted) {
  const RunConfig c = parse_config(kTwoFields + kTwoExact + kTwoBc, "run.toml");
  EXPECT_EQ(c.problem.bc.size(), 2u);
  EXPECT_NO_THROW(validate_config(c));
}

TEST(ConfigSystems, FieldAndEquationRefusalsNameTheirLine) {
  const Refusal cases[] = {
      {"[problem]\nfields = [\"u\", \"u_1\"]\n",
       "run.toml:2:10: problem.fields: \"u_1\" is not a field name (a letter, then letters or "
       "digits; not x, y, z, t, nx, ny, nz, f, pi, e, lap, div or grad)"},
      {"[problem]\nfields = [\"u\", \"u\"]\n",
       "run.toml:2:10: problem.fields: \"u\" is listed twice"},
      {"[problem]\nfields = \"u\"\n",
       "run.toml:2:10: problem.fields: expected an array of strings like [\"u\", \"v\"], got a "
       "string (\"u\")"},
      {"[problem]\nfields = [\"u\", 2]\n",
       "run.toml:2:16: problem.fields: expected an array of strings, got an integer (2) as entry "
       "2"},
      {"[problem]\nfields = [\"u\", \"nu\"]\nequations = [\"lap(u) - nu - f\", \"nu - u\"]\n"
       "[problem.params]\nnu = 2\n",
       "run.toml:2:10: problem.fields: \"nu\" is also a parameter of [problem.params]: rename "
       "one"},
      {"[problem]\nfields = [\"u\", \"v\", \"p\"]\nequations = [\"lap(u) - f\", \"lap(v) - f\"]\n",
       "run.toml:3:13: problem.equations: 2 equations for 3 fields (u, v, p)"},
      {"[problem]\nequations = [\"lap(u) - f\", \"u - f\"]\n",
       "run.toml:2:13: problem.equations: 2 equations for 1 field (u)"},
      {"[problem]\nfields = [\"u\", \"v\"]\nequation = \"lap(u) - v - f\"\n",
       "run.toml:2:10: problem.fields: 2 fields (u, v) need problem.equations, one equation per "
       "field in this order"},
      {"[problem]\nequation = \"lap(u) - f\"\nequations = [\"lap(u) - f\"]\n",
       "run.toml:2:12: problem.equation: give either problem.equation (one field) or "
       "problem.equations, not both"},
      {"[problem]\nfields = [\"w\"]\nexact = \"x\"\n",
       "run.toml:2:10: problem.fields: the preset equation of problem.pde (\"lap(u) - f\") is in "
       "u: give problem.equation in w"},
      {"[problem]\nfields = [\"u\", \"v\", \"w\"]\n"
       "equations = [\"lap(u) - v - f\", \"lap(v) - u - f\", \"u - v\"]\n",
       "run.toml:2:10: problem.fields: w is not used by any equation"},
      {"[problem]\nfields = [\"u\", \"v\"]\nequations = [\"u_t - lap(u) - f\", \"lap(v) - u - "
       "f\"]\n",
       "run.toml:3:13: problem.equations: equation 1 has a time derivative and 2 has none; "
       "time-dependent systems are not supported yet (every equation steady, or one field)"},
      {"[problem]\nfields = [\"u\", \"v\"]\nequations = [\"u_t - lap(u) - f\", \"v_t - lap(v) - "
       "u - f\"]\n",
       "run.toml:3:13: problem.equations: time-dependent systems are not supported yet (every "
       "equation steady, or one field)"},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_error(c.text), c.expected) << c.text;
  // An equation that does not parse: the equation's own message, at its element of the array.
  const std::string msg = parse_error(
      "[problem]\nfields = [\"u\", \"v\"]\nequations = [\"lap(u) - v - f\",\n  \"lap(v) + q\"]\n");
  EXPECT_EQ(msg.rfind("run.toml:4:3: problem.equations[2]: ", 0), 0u) << msg;
  EXPECT_CONTAINS(msg, "q");
}

TEST(ConfigSystems, DataRefusalsNameTheirLine) {
  const Refusal cases[] = {
      // The exact table: its keys are fields, its values expressions of a steady problem.
      {kTwoFields + kTwoExact + "w = \"x\"\n" + kTwoBc,
       "run.toml:7:5: problem.exact.w: not a field (fields: u, v)"},
      {kTwoFields + "[problem.exact]\nu = \"x*y\"\nv = \"x*t\"\n" + kTwoBc,
       "run.toml:6:5: problem.exact.v: \"x*t\" uses t, but the equation is steady"},
      {kTwoFields + "exact = \"x\"\n" + kTwoBc,
       "run.toml:4:9: problem.exact: one expression for 2 fields (u, v): give one per field as "
       "a table ([problem.exact] u = \"...\"), or none (exact = \"\")"},
      {kTwoFields + "f = \"1\"\n" + kTwoExact + kTwoBc,
       "run.toml:4:5: problem.f: with several fields, f is derived from [problem.exact]"},
      // The sources: an equation that uses f needs the exact solution of its fields.
      {kTwoFields + kTwoBc,
       "run.toml:3:14: problem.equations[1]: uses f: give [problem.exact] to derive it"},
      {kTwoFields + "[problem.exact]\nu = \"x*y\"\n" + kTwoBc,
       "run.toml:3:14: problem.equations[1]: uses f, derived from [problem.exact], which gives "
       "no v"},
      // A preset condition on a field without an exact solution needs its value.
      {"[problem]\nfields = [\"u\", \"v\"]\nequations = [\"lap(u) - v\", \"lap(v) + u_x\"]\n"
       "[problem.exact]\nu = \"x*y\"\n" +
           kTwoBc,
       "run.toml:10:1: bc[2].value is required when [problem.exact] gives no v"},
      // The whole-boundary form is for one field.
      {kTwoFields + kTwoExact,
       "run.toml:1:1: [[bc]]: a system needs [[bc]] entries, each naming "
       "its field"},
      // The least-squares output layer needs every equation and expression condition linear.
      {kFlowProblem + kFlowParams + kFlowExact + kFlowRest +
           "[train]\noptimizer = \"gauss_newton\"\noutput_layer = \"least_squares\"\n",
       "run.toml:31:16: train.output_layer: \"least_squares\" needs a loss linear in the network's "
       "outputs, but problem.equations[1] \"u*u_x + v*u_y + p_x - nu*lap(u)\" is not linear in "
       "u, v, p (use \"trained\")"},
      {kTwoFields + kTwoExact + kTwoBc +
           "[[bc]]\non = \"right\"\nfield = \"u\"\ntype = \"expression\"\n"
           "residual = \"u_n + u*v - x\"\n[train]\noutput_layer = \"least_squares\"\n",
       "run.toml:21:16: train.output_layer: \"least_squares\" needs a loss linear in the network's "
       "outputs, but bc[3].residual \"u_n + u*v - x\" is not linear in u, v (use \"trained\")"},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_error(c.text), c.expected) << c.text;
}

TEST(ConfigSystems, ConditionRefusalsNameTheirEntry) {
  const std::string head = kTwoFields + kTwoExact + kTwoBc + "[[bc]]\n";  // entry 3 at line 15
  const Refusal cases[] = {
      {"on = \"lid\"\nfield = \"w\"\ntype = \"dirichlet\"\n",
       "run.toml:15:1: bc[3].field: \"w\" is not a field (fields: u, v)"},
      {"on = \"lid\"\nfield = \"u\"\ntype = \"expression\"\n",
       "run.toml:15:1: bc[3].residual: required for type = \"expression\": the expression that "
       "must vanish on these nodes, e.g. \"u_n - 1\""},
      {"on = \"lid\"\nfield = \"u\"\ntype = \"expression\"\nresidual = \"u_n\"\nvalue = \"1\"\n",
       "run.toml:15:1: bc[3].value: an expression condition takes no value (write it into "
       "residual)"},
      {"on = \"lid\"\nfield = \"u\"\ntype = \"expression\"\nresidual = \"u_n\"\nalpha = 1\n",
       "run.toml:15:1: bc[3].alpha: only a robin condition takes alpha and beta (this one is "
       "expression)"},
      {"on = \"lid\"\nfield = \"u\"\ntype = \"dirichlet\"\nresidual = \"u - 1\"\n",
       "run.toml:15:1: bc[3].residual: only an expression condition takes a residual (this one "
       "is dirichlet; its data is value)"},
      {"on = \"lid\"\nfield = \"u\"\ntype = \"expression\"\nresidual = \"(u_n - 1\"\n",
       "run.toml:15:1: bc[3].residual: unbalanced parentheses in \"(u_n - 1\""},
      {"on = \"lid\"\nfield = \"u\"\ntype = \"expression\"\nresidual = \"x - nx\"\n",
       "run.toml:15:1: bc[3].residual: \"x - nx\" uses no field (u, v) nor its derivatives"},
      // Default names carry the field; the same part twice for one field is refused.
      {"on = \"boundary\"\nfield = \"v\"\ntype = \"neumann\"\n",
       "run.toml:15:1: bc[3].name: two conditions are called \"boundary.v\" (their loss terms "
       "would share a name): give one a name = \"...\""},
      {"on = \"boundary\"\ntype = \"neumann\"\n",
       "run.toml:15:1: bc[3].name: two conditions are called \"boundary.u\" (their loss terms "
       "would share a name): give one a name = \"...\""},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_error(head + c.text), c.expected) << c.text;
  // An expression condition in a one-field problem: accepted, on the field u.
  const RunConfig one = parse_config(
      "[problem]\nexact = \"x\"\n[[bc]]\non = \"boundary\"\ntype = \"expression\"\n"
      "residual = \"u_n + u*u - (1 + x*x)*nx\"\n",
      "run.toml");
  EXPECT_EQ(one.problem.bc[0].residual, "u_n + u*u - (1 + x*x)*nx");
  EXPECT_TRUE(parse_config(to_toml(one), "saved.toml") == one);
}

TEST(ConfigSystems, UnusedParametersAcrossEquations) {
  RunConfig c = parse_config(kFlow, "flow.toml");
  c.problem.params["k"] = "3";
  EXPECT_EQ(config_warnings(c),
            (Strings{"problem.params.k: not used by any of problem.equations"}));
  // A parameter one equation reads is used.
  c.problem.params.erase("k");
  c.problem.equations[2] = "u_x + k*v_y";
  c.problem.params["k"] = "3";
  EXPECT_TRUE(config_warnings(c).empty());
}

}  // namespace
