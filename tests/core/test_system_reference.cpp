// The reference of a system without an exact solution: the classical solve of the system on
// its own collocation nodes (a coupled Newton solve on a finer test set would cost more than
// the training it measures), equal to `dtpinn solve`'s answer and close to the true solution.
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/system.hpp>
#include <dtpinn/core/training/dataset.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace dtpinn;

namespace {

// Kovasznay flow (Re = 20) posed without [problem.exact]: the velocity's boundary values are
// written out, so nothing tells the engine the solution.
constexpr const char* kKovasznayWithoutExact = R"toml(
[problem]
fields = ["u", "v", "p"]
equations = ["u*u_x + v*u_y + p_x - nu*lap(u)", "u*v_x + v*v_y + p_y - nu*lap(v)", "u_x + v_y"]
[problem.params]
nu = 0.05
[domain]
shape = "rectangle"
n = 400
test_n = 5000
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "u"
type = "dirichlet"
value = "1 - exp(-1.81009812001397*x)*cos(2*pi*y)"
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "v"
type = "dirichlet"
value = "-1.81009812001397/(2*pi)*exp(-1.81009812001397*x)*sin(2*pi*y)"
)toml";

TEST(SystemReference, IsTheClassicalSolveOnTheCollocationNodes) {
  const core::RunConfig c = core::parse_config(kKovasznayWithoutExact, "kovasznay.toml");
  const core::Dataset d = core::build_dataset(c, {false});
  ASSERT_TRUE(d.system);
  EXPECT_EQ(d.reference_kind, "rbffd solve");
  EXPECT_EQ(d.test_source, "collocation nodes");
  const auto nc = d.nodes.n_collocation();
  ASSERT_EQ(d.test_nodes.n_collocation(), nc);  // not domain.test_n = 5000
  EXPECT_TRUE(d.test_nodes.points.isApprox(d.nodes.points.topRows(nc), 0.0));

  const core::SystemSolution solved =
      core::solve_system(*d.problem, d.nodes, core::rbffd_params(c));
  EXPECT_LT((d.system->test_reference - solved.u).cwiseAbs().maxCoeff(), 1e-12);

  // ... and it is Kovasznay's flow: u to about 1e-3 at N = 400, p = 4 (p's constant removed).
  constexpr double l = -1.81009812001397;
  const auto& x = d.test_nodes.points;
  Eigen::ArrayXd u(nc), p(nc);
  for (Eigen::Index i = 0; i < nc; ++i) {
    u[i] = 1 - std::exp(l * x(i, 0)) * std::cos(2 * M_PI * x(i, 1));
    p[i] = (1 - std::exp(2 * l * x(i, 0))) / 2;
  }
  const Eigen::ArrayXd ur = d.system->test_reference.col(0).array();
  Eigen::ArrayXd pr = d.system->test_reference.col(2).array();
  pr -= pr.mean();
  const Eigen::ArrayXd pe = p - p.mean();
  const double u_error = std::sqrt((ur - u).square().sum() / u.square().sum());
  const double p_error = std::sqrt((pr - pe).square().sum() / pe.square().sum());
  std::printf("reference against the exact flow: u %.2e, p %.2e\n", u_error, p_error);
  EXPECT_LT(u_error, 1e-3);
  EXPECT_LT(p_error, 1e-2);
}

}  // namespace
