// Checks of the problem layer behind the command's refusals: an exact solution must solve an
// equation without f, the functions of u that can leave their domain are found, a selector
// with '=' is an assignment, and the memory estimate names the key that cannot fit.
#include "common/test_util.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/core/problem/expression.hpp>
#include <dtpinn/core/problem/memory.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/selector.hpp>

#include <gtest/gtest.h>

#include <string>

namespace core = dtpinn::core;
using dtpinn::test::error_of;

namespace {

core::Expression exact(const std::string& text) {
  return core::Expression::parse(text, "problem.exact", core::expression_variables());
}

core::ProblemConfig problem(const std::string& equation, const std::string& u) {
  core::ProblemConfig p;
  p.equation = equation;
  p.exact = u;
  return p;
}

}  // namespace

TEST(ExactSolution, MustSolveAnEquationWithoutF) {
  const auto lap = core::Equation::parse("lap(u)", {}, 2);
  EXPECT_TRUE(lap.solved_by(exact("exp(x)*sin(y) + x*x - y*y")));
  EXPECT_TRUE(lap.solved_by(exact("log(x*x + y*y)")));  // harmonic off the origin
  std::string r;
  EXPECT_FALSE(lap.solved_by(exact("sin(pi*x)*sin(pi*y)"), &r));
  EXPECT_NE(r.find("sin"), std::string::npos) << r;
  // An identity the algebra leaves alone (sin^2 + cos^2 = 1): decided at sample points.
  const auto shifted = core::Equation::parse("lap(u) - u + 1", {}, 2);
  EXPECT_TRUE(shifted.solved_by(exact("sin(x)^2 + cos(x)^2")));
  EXPECT_FALSE(shifted.solved_by(exact("sin(x)^2 + cos(x)^2 + 1e-6*x")));
  // 3D and time: u_t = lap(u) with a heat kernel mode.
  const auto heat = core::Equation::parse("u_t - lap(u)", {}, 3);
  EXPECT_TRUE(heat.solved_by(exact("exp(-3*t)*sin(x)*sin(y)*sin(z)")));
  EXPECT_FALSE(heat.solved_by(exact("exp(-t)*sin(x)*sin(y)*sin(z)")));

  // Problem refuses what the run would otherwise measure against the wrong function.
  const std::string msg = error_of<std::runtime_error>(
      [] { core::Problem(problem("lap(u)", "1 + sin(pi*x)*cos(pi*y)"), 2); });
  EXPECT_NE(msg.find("problem.exact: \"1 + sin(pi*x)*cos(pi*y)\" does not solve the equation "
                     "\"lap(u)\" = 0"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("add f (\"lap(u) - f\")"), std::string::npos) << msg;
  // f multiplied by 0 is no f.
  EXPECT_THROW(core::Problem(problem("lap(u) - u*0*f", "x*y + sin(x)"), 2), std::runtime_error);
  EXPECT_NO_THROW(core::Problem(problem("lap(u)", "x*y"), 2));
  EXPECT_NO_THROW(core::Problem(problem("lap(u) - f", "sin(x)"), 2));  // f takes it up
}

TEST(ExactSolution, FunctionsOfUThatLeaveTheirDomain) {
  EXPECT_EQ(core::Equation::parse("lap(u) - log(u) - f", {}, 2).restricted_functions_of_u(),
            "log(u)");
  EXPECT_EQ(core::Equation::parse("lap(u) - sqrt(u) - f", {}, 2).restricted_functions_of_u(),
            "sqrt(u)");
  EXPECT_EQ(core::Equation::parse("lap(u) - u^1.5 - asin(u_x) - f", {}, 2)
                    .restricted_functions_of_u()
                    .size() > 0,
            true);
  // Defined for every u, or a restricted function of x only: nothing to blame.
  EXPECT_EQ(core::Equation::parse("lap(u) - exp(u) - u^3 - f", {}, 2).restricted_functions_of_u(),
            "");
  EXPECT_EQ(
      core::Equation::parse("lap(u) - sqrt(1 + x*x)*u - f", {}, 2).restricted_functions_of_u(), "");
}

TEST(Selector, AnAssignmentIsNotAComparison) {
  const std::string msg =
      error_of<std::runtime_error>([] { core::Selector::parse("x = 0", "bc[1].where", 2); });
  EXPECT_EQ(msg,
            "bc[1].where: \"x = 0\" assigns with '=', it does not compare: write \"x == 0\" (or a "
            "tolerance, e.g. abs(x) < 1e-9)");
  EXPECT_NE(error_of<std::runtime_error>([] {
              core::Selector::parse("y > 0 && x = 1", "w", 2);
            }).find("write \"y > 0 && x == 1\""),
            std::string::npos);
  for (const char* ok : {"x == 0", "x <= 0", "x >= 0", "x != 0", "!(x > 0) || y == 1"})
    EXPECT_NO_THROW(core::Selector::parse(ok, "w", 2)) << ok;
}

TEST(Memory, TheEstimateNamesTheKeyThatCannotFit) {
  const core::RunConfig def = core::default_config();
  // The default network: 2 inputs, 4 x 50 tanh, 1 output.
  EXPECT_EQ(core::parameter_count(def), 2 * 50 + 50 + 3 * (50 * 50 + 50) + 51);
  const double total = core::estimate_memory(def).total();
  EXPECT_GT(total, 1e6);
  EXPECT_LT(total, 2e8);  // the default experiment fits anywhere
  EXPECT_NO_THROW(core::check_memory(def, 1e9));
  EXPECT_NO_THROW(core::check_memory(def, 0));  // 0: unknown, no check

  auto refusal = [](core::RunConfig c, double available) {
    return error_of<std::runtime_error>([&] { core::check_memory(c, available); });
  };
  core::RunConfig wide = def;
  wide.model.width = 100000;
  wide.model.depth = 100;
  // 99 hidden 10^5 x 10^5 layers: ~10^12 parameters, their L-BFGS history 100 x 2 x 8 bytes each.
  const std::string too_wide = refusal(wide, 16e9);
  EXPECT_EQ(too_wide.rfind("model.width = 100000: the run needs about ", 0), 0u) << too_wide;
  EXPECT_NE(too_wide.find("(the L-BFGS history: 1.4 PB), more than the 15 GB available on this "
                          "machine"),
            std::string::npos)
      << too_wide;
  core::RunConfig history = def;
  history.train.history = 100000000;
  EXPECT_EQ(refusal(history, 16e9).rfind("train.history = 100000000: ", 0), 0u);
  core::RunConfig heat = def;
  heat.problem.pde = core::PdeKind::heat;
  heat.problem.nt = 100000000;
  EXPECT_EQ(refusal(heat, 16e9).rfind("problem.nt = 100000000: ", 0), 0u);
  core::RunConfig steady = def;
  steady.problem.nt = 100000000;  // unused by a steady problem
  EXPECT_NO_THROW(core::check_memory(steady, 16e9));
  core::RunConfig gn = def;
  gn.train.optimizer = core::Optimizer::gauss_newton;
  gn.domain.n = 200000;  // J: 2.1e5 residuals x 7851 parameters x 8 bytes = 13 GB
  EXPECT_NO_THROW(core::check_memory(gn, 64e9));
  EXPECT_EQ(refusal(gn, 8e9).rfind("domain.n = 200000: ", 0), 0u) << refusal(gn, 8e9);

  EXPECT_EQ(core::format_bytes(1536), "1.5 KB");
  EXPECT_EQ(core::format_bytes(21.4 * 1073741824.0), "21 GB");
  EXPECT_EQ(core::format_bytes(512), "512 bytes");
}
