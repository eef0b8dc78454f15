// Boundary conditions per part: which condition each node gets ([[bc]] order, parts and
// selectors), the refusals (unknown part, uncovered nodes, Neumann only), g per condition, and
// the rows of B against the exact value and normal derivative.
#include "common/test_util.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/selector.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace {

using dtpinn::core::BcType;
using dtpinn::core::BoundaryConditionConfig;
using dtpinn::core::PdeKind;
using dtpinn::core::Problem;
using dtpinn::core::ProblemConfig;
using dtpinn::core::Selector;
using dtpinn::nodegen::Index;
using dtpinn::nodegen::NodeSet;
using dtpinn::nodegen::PointMatrix;
using dtpinn::test::error_of;

constexpr double kPi = 3.14159265358979323846;

/// The rectangle [0, 2] x [0, 1] with its sides as parts, labelled here from the coordinates
/// (corners go to left / right), so the test does not depend on the shape library's rule.
NodeSet labelled_rectangle(Index n) {
  NodeSet nodes = dtpinn::nodegen::make_nodes("rectangle", n, 0, true);
  nodes.part_names = {"left", "right", "bottom", "top"};
  nodes.boundary_part.resize(static_cast<std::size_t>(nodes.n_boundary));
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    const double x = nodes.points(nodes.n_interior + k, 0),
                 y = nodes.points(nodes.n_interior + k, 1);
    nodes.boundary_part[static_cast<std::size_t>(k)] =
        x < 1e-12 ? 0 : (x > 2 - 1e-12 ? 1 : (y < 0.5 ? 2 : 3));
  }
  nodes.validate();
  return nodes;
}

BoundaryConditionConfig on(std::vector<std::string> parts, BcType type) {
  BoundaryConditionConfig bc;
  bc.on = std::move(parts);
  bc.type = type;
  return bc;
}

BoundaryConditionConfig where(std::string selector, BcType type) {
  BoundaryConditionConfig bc;
  bc.where = std::move(selector);
  bc.type = type;
  return bc;
}

TEST(Selector, PicksNodesByCoordinatesAndNormals) {
  PointMatrix x(4, 2), n(4, 2);
  x << 0.18, 0.3, 0.25, 0.3, 0.0, 0.5, 1.0, 1.0;
  n << 0, 1, 0, -1, -1, 0, 0.6, 0.8;
  const auto disk = Selector::parse("(x-0.18)^2 + (y-0.3)^2 < 0.08^2", "bc[1].where", 2);
  EXPECT_EQ(disk.select(x, n), (std::vector<bool>{true, true, false, false}));
  const auto wall = Selector::parse("x < 1e-9 || ny > 0.79 && x > 0.5", "w", 2);
  EXPECT_EQ(wall.select(x, n), (std::vector<bool>{false, false, true, true}));
  // A comparison with pi, and !.
  const auto left = Selector::parse("!(x > pi/10)", "w", 2);
  EXPECT_EQ(left.select(x, n), (std::vector<bool>{true, true, true, false}));
}

TEST(Selector, BadSelectorsAreRefusedWithTheKey) {
  auto msg = error_of<std::runtime_error>([] { Selector::parse("x <", "bc[2].where", 2); });
  EXPECT_NE(msg.find("bc[2].where: cannot parse \"x <\""), std::string::npos) << msg;
  msg = error_of<std::runtime_error>([] { Selector::parse("w > 0", "bc[1].where", 2); });
  EXPECT_NE(msg.find("bc[1].where"), std::string::npos) << msg;
  msg = error_of<std::runtime_error>([] { Selector::parse("z > 0.4", "bc[3].where", 2); });
  EXPECT_NE(msg.find("the domain is 2D"), std::string::npos) << msg;
  msg = error_of<std::runtime_error>([] { Selector::parse("  ", "bc[1].where", 2); });
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Boundary, LaterEntriesWinAndEveryNodeGetsItsCoefficients) {
  const NodeSet nodes = labelled_rectangle(600);
  ProblemConfig cfg;
  cfg.exact = "x*y";
  cfg.bc = {on({"left", "right", "bottom", "top"}, BcType::neumann),
            on({"left"}, BcType::dirichlet), where("y > 0.9 && x > 1", BcType::robin)};
  cfg.bc[2].alpha = 2.0;
  cfg.bc[2].beta = 3.0;
  const Problem problem(cfg, 2);
  ASSERT_EQ(problem.conditions().size(), 3u);
  EXPECT_EQ(problem.conditions()[0].term, "bc:left+right+bottom+top");
  EXPECT_EQ(problem.conditions()[1].term, "bc:left");
  EXPECT_EQ(problem.conditions()[2].term, "bc:where3");
  const auto a = problem.assign_boundary(nodes);
  std::vector<std::int64_t> counts(3, 0);
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    const double x = nodes.points(nodes.n_interior + k, 0),
                 y = nodes.points(nodes.n_interior + k, 1);
    const int expected = (y > 0.9 && x > 1) ? 2 : (x < 1e-12 ? 1 : 0);
    ASSERT_EQ(a.condition[static_cast<std::size_t>(k)], expected) << "node at " << x << ", " << y;
    const double alpha = expected == 2 ? 2.0 : (expected == 1 ? 0.0 : 1.0);
    const double beta = expected == 2 ? 3.0 : (expected == 1 ? 1.0 : 0.0);
    EXPECT_EQ(a.alpha[k], alpha);
    EXPECT_EQ(a.beta[k], beta);
    ++counts[static_cast<std::size_t>(expected)];
  }
  EXPECT_EQ(a.counts, counts);
  EXPECT_GT(counts[2], 5);
}

TEST(Boundary, DataPerConditionIsValueNormalDerivativeOrRobin) {
  const NodeSet nodes = labelled_rectangle(600);
  ProblemConfig cfg;
  cfg.exact = "sin(pi*x)*cos(pi*y) + x*y";
  cfg.bc = {on({"left", "right"}, BcType::dirichlet), on({"bottom"}, BcType::neumann),
            on({"top"}, BcType::robin)};
  cfg.bc[2].alpha = 0.5;
  cfg.bc[2].beta = 2.0;
  const Problem problem(cfg, 2);
  const auto a = problem.assign_boundary(nodes);
  const Eigen::VectorXd g = problem.boundary_data(nodes, a);
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    const Index i = nodes.n_interior + k;
    const double x = nodes.points(i, 0), y = nodes.points(i, 1);
    const double u = std::sin(kPi * x) * std::cos(kPi * y) + x * y;
    const double ux = kPi * std::cos(kPi * x) * std::cos(kPi * y) + y;
    const double uy = -kPi * std::sin(kPi * x) * std::sin(kPi * y) + x;
    const double dn = ux * nodes.normals(i, 0) + uy * nodes.normals(i, 1);
    const int c = a.condition[static_cast<std::size_t>(k)];
    const double expected = c == 0 ? u : (c == 1 ? dn : 0.5 * dn + 2.0 * u);
    EXPECT_NEAR(g[k], expected, 1e-12) << "condition " << c << " at " << x << ", " << y;
  }
}

TEST(Boundary, CornersTakeOneSidesConditionWithThatSidesNormal) {
  // The rectangle's own parts and corners: Neumann on left and bottom, Robin on top, Dirichlet
  // on right. (0, 0): both sides Neumann, the normal of its own part (bottom, the side that
  // starts there); (0, 1): Neumann (left) against Robin (top): the later entry, with top's
  // normal; (2, 0) and (2, 1): Dirichlet wins.
  const NodeSet nodes = dtpinn::nodegen::make_nodes("rectangle", 600);
  ASSERT_EQ(nodes.corners.size(), 4u);
  ProblemConfig cfg;
  cfg.exact = "sin(x)*exp(y)";
  cfg.bc = {on({"left", "bottom"}, BcType::neumann), on({"top"}, BcType::robin),
            on({"right"}, BcType::dirichlet)};
  const Problem problem(cfg, 2);
  const auto a = problem.assign_boundary(nodes);
  const Eigen::VectorXd g = problem.boundary_data(nodes, a);
  for (const auto& corner : nodes.corners) {
    const Index k = corner.boundary, i = nodes.n_interior + k;
    const double x = nodes.points(i, 0), y = nodes.points(i, 1);
    const int c = a.condition[static_cast<std::size_t>(k)];
    const Eigen::Vector2d n = a.normals.row(k).transpose();
    const Eigen::Vector2d grad(std::cos(x) * std::exp(y), std::sin(x) * std::exp(y));
    const double u = std::sin(x) * std::exp(y);
    if (x > 1) {
      EXPECT_EQ(c, 2) << x << ", " << y;
      EXPECT_NEAR(g[k], u, 1e-14);
    } else if (y < 0.5) {
      EXPECT_EQ(c, 0);
      EXPECT_EQ(n, Eigen::Vector2d(0, -1));
      EXPECT_NEAR(g[k], grad.dot(n), 1e-14);
    } else {
      EXPECT_EQ(c, 1);
      EXPECT_EQ(n, Eigen::Vector2d(0, 1));
      EXPECT_NEAR(g[k], grad.dot(n) + u, 1e-14);
    }
  }
  // Away from the corners the node's own normal.
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    if (!nodes.corner_of(k)) {
      EXPECT_EQ(a.normals.row(k), nodes.normals.row(nodes.n_interior + k));
    }
  }
  // A selector sees each side's normal: "nx < -0.5" picks the left side, so at (0, 0) the
  // Dirichlet condition it carries wins over the bottom's Neumann one.
  cfg.bc = {on({"left", "right", "bottom", "top"}, BcType::neumann),
            where("nx < -0.5", BcType::dirichlet)};
  const auto b = Problem(cfg, 2).assign_boundary(nodes);
  for (const auto& corner : nodes.corners) {
    const bool left = nodes.points(nodes.n_interior + corner.boundary, 0) < 0.5;
    EXPECT_EQ(b.condition[static_cast<std::size_t>(corner.boundary)], left ? 1 : 0);
  }
}

TEST(Boundary, GivenValuesAndHeatTime) {
  const NodeSet nodes = labelled_rectangle(400);
  ProblemConfig cfg;
  cfg.pde = PdeKind::heat;
  cfg.exact.reset();
  cfg.f = "0";
  cfg.u0 = "x";
  cfg.bc = {on({"left", "right", "bottom", "top"}, BcType::neumann),
            on({"left"}, BcType::dirichlet)};
  cfg.bc[0].value = "0";
  cfg.bc[1].value = "t*(1 + y)";
  const Problem problem(cfg, 2);
  const auto a = problem.assign_boundary(nodes);
  const Eigen::VectorXd g = problem.boundary_data(nodes, a, 0.5);
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    const double y = nodes.points(nodes.n_interior + k, 1);
    const double expected = a.condition[static_cast<std::size_t>(k)] == 1 ? 0.5 * (1 + y) : 0.0;
    EXPECT_NEAR(g[k], expected, 1e-15);
  }
}

TEST(Boundary, RefusalsNameTheEntryThePartAndANode) {
  const NodeSet nodes = labelled_rectangle(400);
  ProblemConfig cfg;
  cfg.exact = "x*y";
  // An unknown part lists the parts the geometry has.
  cfg.bc = {on({"left", "holes"}, BcType::dirichlet)};
  auto msg = error_of<std::runtime_error>([&] { Problem(cfg, 2).assign_boundary(nodes); });
  EXPECT_NE(msg.find("bc[1].on: the geometry has no part \"holes\" (its parts: left, right, "
                     "bottom, top)"),
            std::string::npos)
      << msg;
  // Uncovered nodes: their part and one node's coordinates.
  cfg.bc = {on({"left", "right", "bottom"}, BcType::dirichlet)};
  msg = error_of<std::runtime_error>([&] { Problem(cfg, 2).assign_boundary(nodes); });
  EXPECT_NE(msg.find("of part \"top\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("at ("), std::string::npos) << msg;
  // A condition every node of which a later entry takes.
  cfg.bc = {on({"left"}, BcType::neumann),
            on({"left", "right", "bottom", "top"}, BcType::dirichlet)};
  msg = error_of<std::runtime_error>([&] { Problem(cfg, 2).assign_boundary(nodes); });
  EXPECT_NE(msg.find("bc[1]: the condition \"bc:left\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("holds at no boundary node"), std::string::npos) << msg;
  // Neumann only: u is fixed up to a constant for poisson, which the mean rule sets (the mean
  // of exact over the nodes); heat (u0) and the nonlinear problem need no rule.
  cfg.bc = {on({"left", "right"}, BcType::neumann), on({"bottom", "top"}, BcType::neumann)};
  const Problem pure(cfg, 2);
  EXPECT_TRUE(pure.fixes_mean());
  const PointMatrix xc = nodes.points.topRows(nodes.n_collocation());
  EXPECT_NEAR(pure.mean_value(xc), pure.exact(xc).mean(), 1e-15);
  cfg.pde = PdeKind::nonlinear_poisson;
  EXPECT_FALSE(Problem(cfg, 2).fixes_mean());
  EXPECT_NO_THROW(Problem(cfg, 2).assign_boundary(nodes));
  // The single condition without [[bc]]: problem.beta = 0 is Neumann on everything; without an
  // exact solution the mean is 0.
  ProblemConfig plain;
  plain.alpha = 1;
  plain.beta = 0;
  EXPECT_TRUE(Problem(plain, 2).fixes_mean());
  plain.exact.reset();
  plain.f = "0";
  plain.g = "0";
  EXPECT_EQ(Problem(plain, 2).mean_value(xc), 0.0);
  plain.beta = 1;
  EXPECT_FALSE(Problem(plain, 2).fixes_mean());
  msg = error_of<std::runtime_error>([&] { Problem(plain, 2).mean_value(xc); });
  EXPECT_NE(msg.find("not fixed by its mean"), std::string::npos) << msg;
  // A value without an exact solution.
  ProblemConfig no_exact;
  no_exact.exact.reset();
  no_exact.f = "1";
  no_exact.bc = {on({"left"}, BcType::dirichlet)};
  msg = error_of<std::runtime_error>([&] { Problem(no_exact, 2); });
  EXPECT_NE(msg.find("bc[1].value is required"), std::string::npos) << msg;
}

TEST(Boundary, WithoutEntriesOneConditionCoversEverything) {
  const NodeSet nodes = labelled_rectangle(400);
  ProblemConfig cfg;  // problem.alpha = beta = 1
  cfg.alpha = 0.7;
  cfg.beta = 1.3;
  const Problem problem(cfg, 2);
  ASSERT_EQ(problem.conditions().size(), 1u);
  EXPECT_EQ(problem.conditions()[0].term, "bc");
  const auto a = problem.assign_boundary(nodes);
  EXPECT_EQ(a.counts, (std::vector<std::int64_t>{nodes.n_boundary}));
  EXPECT_TRUE((a.alpha.array() == 0.7).all());
  EXPECT_TRUE((a.beta.array() == 1.3).all());
}

/// B's rows per condition applied to a quadratic (which the order-4 weights reproduce) against
/// its exact value (dirichlet), normal derivative (neumann) and Robin combination.
TEST(Boundary, RowsOfBMatchTheExactConditionPerPart) {
  const NodeSet nodes = labelled_rectangle(900);
  ProblemConfig cfg;
  cfg.exact = "1 + x*x - 0.5*x*y + 0.25*y*y + 0.3*x";
  cfg.bc = {on({"left", "right"}, BcType::dirichlet), on({"bottom"}, BcType::neumann),
            on({"top"}, BcType::robin)};
  cfg.bc[2].alpha = 1.5;
  cfg.bc[2].beta = 0.5;
  const Problem problem(cfg, 2);
  const auto a = problem.assign_boundary(nodes);
  dtpinn::rbffd::OperatorRequest req;
  req.laplacian = false;
  req.robin = {a.alpha, a.beta, a.normals};
  const auto ops = dtpinn::rbffd::assemble(nodes, {}, req);
  Eigen::VectorXd u(nodes.size());
  for (Index i = 0; i < nodes.size(); ++i) {
    const double x = nodes.points(i, 0), y = nodes.points(i, 1);
    u[i] = 1 + x * x - 0.5 * x * y + 0.25 * y * y + 0.3 * x;
  }
  const Eigen::VectorXd Bu = dtpinn::rbffd::multiply(ops.boundary, u);
  const Eigen::VectorXd g = problem.boundary_data(nodes, a);
  double worst[3] = {0, 0, 0};
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    const auto c = static_cast<std::size_t>(a.condition[static_cast<std::size_t>(k)]);
    worst[c] = std::max(worst[c], std::abs(Bu[k] - g[k]));
  }
  EXPECT_LT(worst[0], 1e-13);  // the value row: exact
  EXPECT_LT(worst[1], 1e-9);
  EXPECT_LT(worst[2], 1e-9);
}

}  // namespace
