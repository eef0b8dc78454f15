// Second-order training (least_squares.hpp): the residual vector is the loss (r . r equals the
// weighted terms, 2 J^T r their gradient), its Jacobian equals row-by-row autograd, the dual,
// primal and CG forms give the dense solution of the damped normal equations, the
// least-squares output layer is the exact minimiser for fixed hidden layers, and short
// Gauss-Newton runs lower the test error by the factors stated below.
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/least_squares.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/objective.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <Eigen/Dense>

#include <cmath>
#include <memory>
#include <string>

#include "common/test_util.hpp"
#include "residual_checks.hpp"

using namespace dtpinn;
using core::Dataset;
using core::JacobianColumns;
using core::Network;
using core::RunConfig;
using test::flat_gradient;
using test::rel;
using test::uneven_weights;

namespace {

/// A small problem of each kind the losses distinguish.
enum class Case { poisson, nonlinear, heat, parts, advection };

RunConfig small_config(Case k, int n = 160) {
  RunConfig c = core::default_config();
  if (k == Case::parts) {
    c = core::load_config(std::string(DTPINN_SOURCE_DIR) +
                          "/data/configs/poisson_rectangle_parts.toml");
  }
  c.domain.n = n;
  c.domain.test_n = 600;
  c.model.depth = 2;
  c.model.width = 10;
  c.source = "test";
  if (k == Case::nonlinear) c.problem.pde = core::PdeKind::nonlinear_poisson;
  if (k == Case::heat) {
    c.problem.pde = core::PdeKind::heat;
    c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*exp(-t)";
    c.problem.nt = 3;
  }
  if (k == Case::advection) {
    c.problem.equation = "lap(u) - 2*u_x + u_y - f";
    c.problem.exact = "exp(x/2)*sin(pi*y)";
  }
  return c;
}

const char* name(Case k) {
  switch (k) {
    case Case::poisson:
      return "poisson";
    case Case::nonlinear:
      return "nonlinear";
    case Case::heat:
      return "heat";
    case Case::parts:
      return "parts";
    case Case::advection:
      return "advection";
  }
  return "?";
}

struct Setup {
  RunConfig config;
  std::unique_ptr<Dataset> data;
  std::unique_ptr<Network> net;
  std::unique_ptr<core::Loss> loss;
};

Setup make_setup(Case k, core::Method method, core::TimeDerivative td, int n = 160) {
  core::set_threads(1);  // tiny tensors: one thread, steady on a busy machine
  Setup s;
  s.config = small_config(k, n);
  s.config.model.cpu_kernel = core::CpuKernel::torch;
  s.data = std::make_unique<Dataset>(core::build_dataset(s.config));
  s.net = std::make_unique<Network>(core::make_network(s.config, *s.data));
  s.loss = core::make_loss(method, *s.data, *s.net, td);
  return s;
}

struct Variant {
  Case k;
  core::Method method;
  core::TimeDerivative td;
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  for (const auto k : {Case::poisson, Case::nonlinear, Case::heat, Case::parts, Case::advection})
    for (const auto m : {core::Method::dtpinn, core::Method::vanilla})
      v.push_back({k, m, core::TimeDerivative::tangent});
  v.push_back({Case::heat, core::Method::dtpinn, core::TimeDerivative::autograd});
  return v;
}

std::string label(const Variant& v) {
  return std::string(name(v.k)) + " " + core::to_string(v.method) + " " + core::to_string(v.td);
}

}  // namespace

TEST(ResidualVector, IsTheWeightedLossAndTwiceJtrIsItsGradient) {
  for (const auto& v : variants()) {
    auto s = make_setup(v.k, v.method, v.td);
    const auto w = uneven_weights(s.loss->names().size());
    auto terms = s.loss->terms(*s.net);
    auto total = terms[0] * w[0];
    for (std::size_t i = 1; i < terms.size(); ++i) total = total + terms[i] * w[i];
    const auto grad = flat_gradient(*s.net, total);

    const auto sys = s.loss->residuals(*s.net, w, JacobianColumns::all);
    const double rr = sys.r.dot(sys.r).item<double>(), loss = total.item<double>();
    EXPECT_NEAR(rr, loss, 1e-12 * loss) << label(v);
    EXPECT_EQ(sys.J.size(0), sys.r.size(0)) << label(v);
    EXPECT_EQ(sys.J.size(1), s.net->num_parameters()) << label(v);
    EXPECT_LT(rel(2 * torch::mv(sys.J.t(), sys.r), grad), 1e-10) << label(v);
    // The residuals without a Jacobian carry the graph: the same gradient by autograd.
    const auto r0 = s.loss->residuals(*s.net, w, JacobianColumns::none).r;
    EXPECT_LT(rel(r0.detach(), sys.r), 1e-13) << label(v);
    EXPECT_LT(rel(flat_gradient(*s.net, r0.dot(r0)), grad), 1e-11) << label(v);
    // The output-layer columns are the last columns of the full Jacobian.
    const auto Jc = s.loss->residuals(*s.net, w, JacobianColumns::output_layer).J;
    const auto pc = s.net->num_output_parameters();
    ASSERT_EQ(Jc.size(1), pc) << label(v);
    EXPECT_LT(rel(Jc, sys.J.narrow(1, sys.J.size(1) - pc, pc)), 1e-13) << label(v);
  }
}

TEST(ResidualVector, JacobianEqualsRowByRowAutograd) {
  for (const auto& v : variants()) {
    auto s = make_setup(v.k, v.method, v.td, 60);
    const auto w = uneven_weights(s.loss->names().size());
    const auto J = s.loss->residuals(*s.net, w, JacobianColumns::all).J;
    const auto r = s.loss->residuals(*s.net, w, JacobianColumns::none).r;
    double worst = 0;
    const double scale = J.abs().max().item<double>();
    for (std::int64_t m = 0; m < r.size(0); ++m) {
      const auto row = flat_gradient(*s.net, r[m]);
      worst = std::max(worst, (row - J[m]).abs().max().item<double>() / scale);
    }
    EXPECT_LT(worst, 1e-12) << label(v) << ", " << r.size(0) << " rows";
  }
}

TEST(DampedLeastSquares, DualPrimalAndCgGiveTheDenseSolution) {
  core::set_threads(1);
  torch::manual_seed(3);
  const auto o = torch::TensorOptions().dtype(torch::kFloat64);
  // Fewer residuals than parameters (the dual form's case) and more (the primal's).
  for (const auto& [M, P] : {std::pair<int, int>{30, 70}, std::pair<int, int>{90, 25}}) {
    const auto J = torch::randn({M, P}, o), r = torch::randn({M}, o);
    for (const double lambda : {1e-3, 1e-1, 3.0}) {  // condition numbers up to ~1e5
      const auto A = torch::mm(J.t(), J) + lambda * torch::eye(P, o);
      const auto dense = torch::linalg_solve(A, -torch::mv(J.t(), r).unsqueeze(1)).squeeze(1);
      for (const auto form : {core::GnSolver::dual, core::GnSolver::primal, core::GnSolver::cg}) {
        const core::DampedLeastSquares ls(J, r, form, 2000);
        const auto d = ls.step(lambda);
        ASSERT_TRUE(d.defined());
        EXPECT_LT(rel(d, dense), 1e-10)
            << core::to_string(form) << " M=" << M << " P=" << P << " lambda=" << lambda;
        const auto after = r + torch::mv(J, d);
        EXPECT_NEAR(ls.predicted_decrease(d), (r.dot(r) - after.dot(after)).item<double>(),
                    1e-10 * r.dot(r).item<double>());
      }
    }
  }
  EXPECT_EQ(core::choose_gn_solver(1000, 8000, 4096), core::GnSolver::dual);
  EXPECT_EQ(core::choose_gn_solver(20000, 8000, 4096), core::GnSolver::primal);  // 488 MB
  EXPECT_EQ(core::choose_gn_solver(20000, 8000, 100), core::GnSolver::cg);
}

TEST(LeastSquaresOutputLayer, IsTheExactMinimiserForFixedHiddenLayers) {
  for (const auto method : {core::Method::dtpinn, core::Method::vanilla}) {
    for (const auto k : {Case::poisson, Case::heat}) {
      auto s = make_setup(k, method, core::TimeDerivative::tangent);
      core::Objective obj(
          *s.net, s.loss->names(), [&](const Network& n) { return s.loss->terms(n); }, true);
      obj.set_residuals([&](const Network& n, const std::vector<double>& w, JacobianColumns c) {
        return s.loss->residuals(n, w, c);
      });
      obj.set_weights(uneven_weights(obj.names().size()));
      const auto P = obj.flat().numel(), pc = s.net->num_output_parameters();
      auto c = obj.flat().values().narrow(0, P - pc, pc);
      // The residuals are affine in c: column j of A is r(c + e_j) - r(c). Solve the dense
      // problem with Eigen, independently of the engine's solve.
      const auto residual = [&] {
        return s.loss->residuals(*s.net, obj.weights(), JacobianColumns::none).r.detach().clone();
      };
      const auto r0 = residual();
      Eigen::MatrixXd A(r0.size(0), pc);
      for (std::int64_t j = 0; j < pc; ++j) {
        {
          torch::NoGradGuard ng;
          c[j] += 1.0;
        }
        const auto rj = residual() - r0;
        {
          torch::NoGradGuard ng;
          c[j] -= 1.0;
        }
        for (std::int64_t m = 0; m < r0.size(0); ++m) A(m, j) = rj[m].item<double>();
      }
      Eigen::VectorXd b(r0.size(0));
      for (std::int64_t m = 0; m < r0.size(0); ++m) b[m] = -r0[m].item<double>();
      const Eigen::VectorXd step = A.completeOrthogonalDecomposition().solve(b);
      const double best = (A * step - b).squaredNorm();
      Eigen::VectorXd c_best(pc);
      for (std::int64_t j = 0; j < pc; ++j) c_best[j] = c[j].item<double>() + step[j];

      const double before = obj.loss_value();
      obj.set_output_layer_least_squares(true);
      const double after = obj.loss_value();
      const std::string what = std::string(core::to_string(method)) + " " + name(k);
      EXPECT_LT(after, before) << what;
      EXPECT_NEAR(after, best, 1e-9 * best) << what;
      double dc = 0;
      for (std::int64_t j = 0; j < pc; ++j)
        dc = std::max(dc, std::abs(c[j].item<double>() - c_best[j]) / c_best.cwiseAbs().maxCoeff());
      EXPECT_LT(dc, 1e-7) << what;
      // At the minimiser the gradient in the output layer vanishes.
      obj.closure();
      const auto g = obj.flat().grads();
      EXPECT_LT(g.narrow(0, P - pc, pc).norm().item<double>(),
                1e-8 * g.narrow(0, 0, P - pc).norm().item<double>())
          << what;
    }
  }
}

TEST(LeastSquaresOutputLayer, GradientOfTheReducedLossMatchesFiniteDifferences) {
  // With the output layer solved at every evaluation the loss is a function of the hidden
  // layers alone; closure()'s gradient (no extra term: the output layer is optimal) must be its
  // derivative. Central differences along a random direction of the hidden weights.
  for (const auto method : {core::Method::dtpinn, core::Method::vanilla}) {
    auto s = make_setup(Case::poisson, method, core::TimeDerivative::tangent);
    core::Objective obj(
        *s.net, s.loss->names(), [&](const Network& n) { return s.loss->terms(n); }, true);
    obj.set_residuals([&](const Network& n, const std::vector<double>& w, JacobianColumns c) {
      return s.loss->residuals(n, w, c);
    });
    obj.set_output_layer_least_squares(true);
    const auto P = obj.flat().numel(), pc = s.net->num_output_parameters();
    torch::manual_seed(5);
    auto dir = torch::randn({P}, obj.flat().values().options());
    dir.narrow(0, P - pc, pc).zero_();
    dir = dir / dir.norm();
    obj.closure();
    const double slope = obj.flat().grads().dot(dir).item<double>();
    const auto theta = obj.flat().clone_values();
    const double h = 1e-5;
    const auto at = [&](double t) {
      obj.flat().copy_from(theta + t * dir);
      return obj.loss_value();
    };
    const double fd = (at(h) - at(-h)) / (2 * h);
    obj.flat().copy_from(theta);
    EXPECT_NEAR(slope, fd, 1e-5 * std::abs(fd) + 1e-12) << core::to_string(method);
  }
}

namespace {

RunConfig training_config(core::Method method, core::Optimizer optimizer, std::int64_t epochs) {
  RunConfig c = core::default_config();
  c.domain.n = 400;
  c.domain.test_n = 2000;
  c.model.depth = 2;
  c.model.width = 20;
  c.train.method = method;
  c.train.optimizer = optimizer;
  c.train.epochs = epochs;
  c.train.time_budget = 0;
  c.train.eval_every = 1;
  c.train.log_every = 1000000;
  c.source = "test";
  return c;
}

core::TrainResult run(const RunConfig& c) {
  // Small problems: one thread is faster, and steady when the machine is busy.
  core::set_threads(1);
  const Dataset d = core::build_dataset(c, {c.train.method == core::Method::dtpinn});
  Network net = core::make_network(c, d);
  return core::train(c, d, net);
}

}  // namespace

TEST(GaussNewton, FortyStepsLowerTheErrorBelowTwoThousandthsOfTheStart) {
  // N = 400, 2 x 20 tanh (501 parameters): the initial test error is ~1; 40 Levenberg-Marquardt
  // steps (measured: DT-PINN 9.0e-4) must end below 2e-3 of it, with the dual form for DT-PINN
  // and matrix-free CG for the vanilla PINN.
  for (const auto& [method, solver] : {std::pair{core::Method::dtpinn, core::GnSolver::dual},
                                       std::pair{core::Method::vanilla, core::GnSolver::cg}}) {
    RunConfig c = training_config(method, core::Optimizer::gauss_newton, 40);
    c.train.gn_solver = solver;
    const auto r = run(c);
    const double first = r.history.front().test_rel_l2;
    EXPECT_LT(r.best_test_rel_l2, 2e-3 * first)
        << core::to_string(method) << " " << core::to_string(solver) << ": " << first << " -> "
        << r.best_test_rel_l2;
    // Levenberg-Marquardt never accepts a step that raises the loss.
    for (std::size_t i = 1; i < r.history.size(); ++i)
      EXPECT_LE(r.history[i].loss, r.history[i - 1].loss * (1 + 1e-12)) << "epoch " << i;
  }
}

TEST(GaussNewton, LeastSquaresOutputLayerSpeedsUpAdam) {
  // The same 100 Adam steps with the output layer trained and solved (measured: 4.1e-1 and
  // 3.6e-3): the solved one ends at least 30x lower.
  RunConfig c = training_config(core::Method::dtpinn, core::Optimizer::adam, 100);
  c.train.eval_every = 10;
  const auto trained = run(c);
  c.train.output_layer = core::OutputLayer::least_squares;
  const auto solved = run(c);
  EXPECT_LT(solved.best_test_rel_l2 * 30, trained.best_test_rel_l2)
      << solved.best_test_rel_l2 << " vs " << trained.best_test_rel_l2;
}

TEST(GaussNewton, RefusesWhatItCannotDo) {
  RunConfig c = training_config(core::Method::dtpinn, core::Optimizer::lbfgs, 1);
  c.problem.pde = core::PdeKind::nonlinear_poisson;
  c.train.output_layer = core::OutputLayer::least_squares;
  EXPECT_NE(test::error_of<std::runtime_error>([&] { run(c); }).find("not linear in u"),
            std::string::npos);
  c.problem.pde = core::PdeKind::poisson;
  c.train.optimizer = core::Optimizer::device_adam;
  EXPECT_NE(test::error_of<std::runtime_error>([&] {
              run(c);
            }).find("cannot run with train.optimizer = device_adam"),
            std::string::npos);
}
