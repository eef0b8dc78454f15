// The boundary rules of the classical solve, each against a manufactured solution:
// - corners and edges take one side's condition with that side's normal (Dirichlet wins): the
//   box with u = y, Dirichlet front/back and a WRITTEN zero flux elsewhere;
// - scale: a square of side 1e-9 solves like the unit one;
// - near-Neumann Robin (beta tiny against alpha / size) is estimated, warned about, refused;
// - pure Neumann is solved with the mean fixed (the mean of exact, or 0), incompatible data
//   refused;
// - every solve checks its own residual.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/solve.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/shapes.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/test_util.hpp"
#include "test_support.hpp"

namespace {

using namespace dtpinn;
using dtpinn::test::error_of;
using nodegen::NodeSet;

struct Outcome {
  double rel_l2 = 0, max_err = 0, shift = 0, mean = 0;
  rbffd::SolveResult solve;
};

/// The classical solve of `problem` on `nodes` at order p, against its exact solution.
Outcome solve_on(const NodeSet& nodes, const core::ProblemConfig& config, int p = 4) {
  const core::Problem problem(config, nodes.dim);
  const auto boundary = problem.assign_boundary(nodes);
  rbffd::OperatorRequest req;
  req.robin = {boundary.alpha, boundary.beta, boundary.normals};
  rbffd::RbffdParams params;
  params.order = p;
  const auto ops = rbffd::assemble(nodes, params, req);
  Outcome out;
  out.solve = core::solve_equation(problem, nodes, ops.laplacian, ops.gradient, ops.boundary,
                                   problem.boundary_data(nodes, boundary));
  const auto nc = nodes.n_collocation();
  const Eigen::VectorXd exact = problem.exact(nodes.points.topRows(nc));
  const Eigen::VectorXd u = out.solve.u.head(nc);
  out.rel_l2 = (u - exact).norm() / exact.norm();
  out.max_err = (u - exact).cwiseAbs().maxCoeff();
  out.shift = out.solve.source_shift;
  out.mean = u.mean();
  return out;
}

core::BoundaryConditionConfig on(std::vector<std::string> parts, core::BcType type,
                                 std::optional<std::string> value = std::nullopt) {
  core::BoundaryConditionConfig bc;
  bc.on = std::move(parts);
  bc.type = type;
  bc.value = std::move(value);
  return bc;
}

// ---- corners and edges ----------------------------------------------------------------------

core::ProblemConfig insulated_box(const std::string& exact, bool written) {
  core::ProblemConfig c;
  c.exact = exact;
  c.bc = {on({"front", "back"}, core::BcType::dirichlet),
          on({"left", "right", "bottom", "top"}, core::BcType::neumann,
             written ? std::optional<std::string>("0") : std::nullopt)};
  return c;
}

TEST(CornerRule, BoxWithUEqualsYAndAWrittenZeroFluxIsExact) {
  // u = y is a polynomial the stencils reproduce: the error is rounding once every edge node
  // imposes its condition along its own side's normal (the bisector gave 1e-2).
  for (long n : {4000, 8000}) {
    const NodeSet nodes = nodegen::make_nodes("box", n);
    ASSERT_FALSE(nodes.corners.empty());
    const Outcome o = solve_on(nodes, insulated_box("y", true), 3);
    std::printf("box u = y, written zero flux, N = %ld: rel l2 %.3e, max %.3e\n", n, o.rel_l2,
                o.max_err);
    EXPECT_LT(o.rel_l2, 1e-9);
  }
}

TEST(CornerRule, BoxInsulatedSidesConvergeAtOrderPLikeDerivedData) {
  // A solution with zero flux through left, right, bottom, top; the written "0" against g
  // derived from exact (which is consistent with any normal): the same errors, order ~p.
  const std::string u = "cos(pi*x)*cos(pi*z)*sin(y) + y";
  std::vector<double> hs, written, derived;
  for (long n : {2000, 4000, 8000}) {
    const NodeSet nodes = nodegen::make_nodes("box", n);
    hs.push_back(std::pow(static_cast<double>(nodes.n_collocation()), -1.0 / 3.0));
    written.push_back(solve_on(nodes, insulated_box(u, true), 3).rel_l2);
    derived.push_back(solve_on(nodes, insulated_box(u, false), 3).rel_l2);
    std::printf("box insulated, N = %ld: written 0: %.3e, derived: %.3e\n", n, written.back(),
                derived.back());
    EXPECT_LT(written.back(), 10.0 * derived.back());
  }
  const double order = rbffd_test::fitted_order(hs, written);
  std::printf("order %.2f\n", order);
  EXPECT_GT(order, 2.5);  // measured 3.85 at p = 3
  EXPECT_LT(order, 4.5);
}

TEST(CornerRule, RectangleCornersTakeTheDirichletSideWithItsValue) {
  // Dirichlet left / right, Neumann written per side: g = du/dn of u = x^2 - y^2 + x y on
  // each side (bottom: -du/dy = 2y - x = -x at y = 0; top: du/dy = -2y + x = x - 2 at y = 1).
  core::ProblemConfig c;
  c.exact = "x^2 - y^2 + x*y";
  c.bc = {on({"left", "right"}, core::BcType::dirichlet),
          on({"bottom"}, core::BcType::neumann, std::string("-x")),
          on({"top"}, core::BcType::neumann, std::string("x - 2"))};
  const NodeSet nodes = nodegen::make_nodes("rectangle", 2000);
  const core::Problem problem(c, 2);
  const auto a = problem.assign_boundary(nodes);
  int corners = 0;
  for (const auto& corner : nodes.corners) {
    ++corners;
    EXPECT_EQ(a.alpha[corner.boundary], 0.0) << "corner " << corner.boundary;  // Dirichlet wins
  }
  EXPECT_EQ(corners, 4);
  const Outcome o = solve_on(nodes, c);
  std::printf("rectangle, written Neumann values: rel l2 %.3e\n", o.rel_l2);
  EXPECT_LT(o.rel_l2, 1e-10);  // a polynomial of degree 2: exact up to rounding
}

// ---- scale and near-Neumann Robin ---------------------------------------------------------

constexpr double kPi = 3.14159265358979323846;

/// The square [0, side]^2 at 40 spacings per side.
NodeSet square(double side) {
  nodegen::FillOptions o;
  o.h = side / 40.0;
  return nodegen::generate_nodes(*nodegen::make_rectangle({0, 0}, {side, side}), o);
}

/// u = 1 + sin(pi x / side) cos(pi y / side) with alpha du/dn + beta u = g on the whole boundary.
core::ProblemConfig scaled(double side, double alpha, double beta) {
  core::ProblemConfig c;
  c.exact = fmt::format("1 + sin({0:.17g}*x)*cos({0:.17g}*y)", kPi / side);
  c.alpha = alpha;
  c.beta = beta;
  return c;
}

TEST(Scale, ASquareOfSide1e9SolvesLikeTheUnitSquare) {
  const NodeSet unit = square(1.0), tiny = square(1e-9);
  // Dirichlet, and the Robin condition whose physics matches: alpha scales with the length.
  for (const auto& [alpha, beta] : {std::pair{0.0, 1.0}, std::pair{1.0, 1.0}}) {
    const Outcome a = solve_on(unit, scaled(1.0, alpha, beta));
    const Outcome b = solve_on(tiny, scaled(1e-9, alpha * 1e-9, beta));
    std::printf("alpha = %g, beta = %g: unit square rel l2 %.3e, side 1e-9 (alpha %g) %.3e\n",
                alpha, beta, a.rel_l2, alpha * 1e-9, b.rel_l2);
    EXPECT_LT(b.rel_l2, 10.0 * a.rel_l2);
    EXPECT_GT(b.rel_l2, 0.1 * a.rel_l2);
  }
  // alpha = beta = 1 on the tiny square is nearly Neumann (kappa ~ 1e9): refused, with kappa.
  const core::Problem p(scaled(1e-9, 1.0, 1.0), 2);
  const auto boundary = p.assign_boundary(tiny);
  const double kappa = core::robin_condition(tiny, boundary);
  EXPECT_GT(kappa, 1e8);
  const std::string msg = error_of([&] { core::check_robin_condition(tiny, boundary); });
  std::printf("%s\n", msg.c_str());
  EXPECT_NE(msg.find("nearly Neumann"), std::string::npos) << msg;
  EXPECT_NE(msg.find("amplified about"), std::string::npos) << msg;
}

TEST(NearNeumannRobin, TheConditionEstimateBoundsTheErrorAndRefusesGarbage) {
  // The unit disk, u = 1 + sin(pi x) cos(pi y), alpha = 1, beta falling: kappa = 1 / (R beta)
  // with R = sqrt(2) (half the diagonal of the nodes' box). The error grows like kappa (about
  // 0.16 kappa times the error at beta = 1); warned above 1e2, refused above 1e5.
  const NodeSet nodes = nodegen::make_nodes("disk", 2000);
  core::ProblemConfig c;
  c.alpha = 1.0;
  c.beta = 1.0;
  const Outcome nice = solve_on(nodes, c);
  for (const double beta : {1e-2, 1e-4, 1e-6, 1e-12}) {
    c.beta = beta;
    const core::Problem p(c, 2);
    const auto boundary = p.assign_boundary(nodes);
    const double kappa = core::robin_condition(nodes, boundary);
    EXPECT_NEAR(kappa, 1.0 / (std::sqrt(2.0) * beta), 0.01 / beta);
    std::string warning;
    const std::string refusal =
        error_of([&] { warning = core::check_robin_condition(nodes, boundary); });
    std::printf("beta = %g: kappa %.3g%s%s\n", beta, kappa, warning.empty() ? "" : ", warned",
                refusal.empty() ? "" : (", refused: " + refusal).c_str());
    if (refusal.empty()) {
      const Outcome o = solve_on(nodes, c);
      std::printf("  rel l2 %.3e (beta = 1: %.3e)\n", o.rel_l2, nice.rel_l2);
      EXPECT_LT(o.rel_l2, kappa * nice.rel_l2);  // the estimate is honest
    }
    EXPECT_EQ(!warning.empty(),
              kappa > core::kWarnRobinCondition && kappa <= core::kMaxRobinCondition);
    EXPECT_EQ(!refusal.empty(), kappa > core::kMaxRobinCondition);
  }
}

// ---- pure Neumann -------------------------------------------------------------------------

TEST(PureNeumann, SolvedWithTheMeanOfExactLikeARobinProblem) {
  core::ProblemConfig neumann, robin;
  neumann.alpha = 1.0;
  neumann.beta = 0.0;
  robin.alpha = 1.0;
  robin.beta = 1.0;
  for (long n : {1000, 4000}) {
    const NodeSet nodes = nodegen::make_nodes("disk", n);
    const core::Problem p(neumann, 2);
    ASSERT_TRUE(p.fixes_mean());
    const double mean = p.mean_value(nodes.points.topRows(nodes.n_collocation()));
    const Outcome a = solve_on(nodes, neumann), b = solve_on(nodes, robin);
    std::printf(
        "pure Neumann disk N = %ld: rel l2 %.3e (Robin %.3e), mean %.15g (exact %.15g), "
        "source off by %.2e\n",
        n, a.rel_l2, b.rel_l2, a.mean, mean, a.shift);
    EXPECT_LT(a.rel_l2, 10.0 * b.rel_l2);
    EXPECT_NEAR(a.mean, mean, 1e-12);
    EXPECT_LT(std::abs(a.shift), 1e-4);
  }
}

TEST(PureNeumann, ZeroMeanWithoutExactAndIncompatibleDataRefused) {
  const NodeSet nodes = nodegen::make_nodes("disk", 1000);
  core::ProblemConfig c;
  c.exact.reset();
  c.alpha = 1.0;
  c.beta = 0.0;
  // Lap u = 4 with du/dn = 2 on the unit circle: u = r^2 + C, compatible (4 pi = 2 * 2 pi).
  c.f = "4";
  c.g = "2";
  const core::Problem p(c, 2);
  const auto boundary = p.assign_boundary(nodes);
  rbffd::OperatorRequest req;
  req.robin = {boundary.alpha, boundary.beta, boundary.normals};
  const auto ops = rbffd::assemble(nodes, rbffd::RbffdParams{}, req);
  const auto g = p.boundary_data(nodes, boundary);
  const auto s = core::solve_equation(p, nodes, ops.laplacian, ops.gradient, ops.boundary, g);
  const auto nc = nodes.n_collocation();
  Eigen::VectorXd r2 = nodes.points.topRows(nc).rowwise().squaredNorm();
  const Eigen::VectorXd exact = r2.array() - r2.mean();  // the zero-mean solution
  const double err = (s.u.head(nc) - exact).cwiseAbs().maxCoeff();
  std::printf("Lap u = 4, du/dn = 2: max error %.3e against r^2 - mean, mean %.2e\n", err,
              s.u.head(nc).mean());
  EXPECT_LT(err, 1e-9);
  EXPECT_NEAR(s.u.head(nc).mean(), 0.0, 1e-12);
  // du/dn = 1 instead: the flux (2 pi) is half of the source's integral (4 pi): refused.
  c.g = "1";
  const core::Problem bad(c, 2);
  const auto gb = bad.boundary_data(nodes, boundary);
  const std::string msg = error_of(
      [&] { core::solve_equation(bad, nodes, ops.laplacian, ops.gradient, ops.boundary, gb); });
  std::printf("%s\n", msg.c_str());
  EXPECT_NE(msg.find("incompatible"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

// ---- the solve checks itself ----------------------------------------------------------------

TEST(SolveCheck, ASingularSystemIsAnErrorNotAResult) {
  // Pure Neumann operators without the mean rule: [L; B] has the constants in its null space.
  const NodeSet nodes = nodegen::make_nodes("disk", 1000);
  rbffd::OperatorRequest request;
  request.robin = rbffd::RobinCoefficients::constant(1, 0);
  const auto ops = rbffd::assemble(nodes, rbffd::RbffdParams{}, request);
  const Eigen::VectorXd f = Eigen::VectorXd::Ones(nodes.n_collocation());
  const Eigen::VectorXd g = Eigen::VectorXd::Zero(nodes.n_boundary);  // incompatible too
  for (const auto solver : {rbffd::LinearSolver::direct, rbffd::LinearSolver::iterative}) {
    rbffd::SolveOptions o;
    o.linear_solver = solver;
    const std::string msg =
        error_of([&] { rbffd::solve_poisson(ops.laplacian, ops.boundary, f, g, o); });
    std::printf("%s\n", msg.c_str());
    EXPECT_TRUE(msg.find("relative residual") != std::string::npos ||
                msg.find("singular") != std::string::npos)
        << msg;
  }
}

}  // namespace
