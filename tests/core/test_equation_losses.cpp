// Equations as expressions in the losses: the presets give the loss and the weight gradient of
// the formulas the engine had written out before (a copy of them is kept here as the
// reference), to 1e-12, for DT-PINN and the vanilla PINN; equations given as text (Helmholtz,
// advection-diffusion in space and time, Fisher-KPP, a varying diffusivity) train DT-PINN and the
// vanilla PINN below a test error of 1e-3.
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

using namespace dtpinn;
using core::Dataset;
using core::Network;
using core::RunConfig;

namespace {

torch::Tensor tensor_of(const Eigen::MatrixXd& m) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
  return torch::from_blob(r.data(), {r.rows(), r.cols()}, torch::kFloat64).clone();
}

/// The PDE term as the engine computed it before equations were expressions (DT-PINN).
torch::Tensor reference_dtpinn_pde(const Network& net, const Dataset& d) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  autodiff::SparseOperator L(d.L, opts);
  const auto rows = d.n_collocation();
  auto x = tensor_of(Eigen::MatrixXd(d.nodes.points));
  const auto pde = d.problem->pde();
  if (pde != core::PdeKind::heat) {
    auto u = net.forward(x);
    auto r = L.apply(u) - tensor_of(d.f).squeeze(1);
    if (pde == core::PdeKind::nonlinear_poisson) r = r - torch::exp(u.narrow(0, 0, rows));
    return r.square().mean();
  }
  std::vector<torch::Tensor> blocks;
  for (double t : d.times)
    blocks.push_back(torch::cat({x, torch::full({x.size(0), 1}, t, opts)}, 1));
  auto xt = torch::cat(blocks, 0).requires_grad_(true);
  auto u = net.forward(xt);
  auto ut = autodiff::time_derivative(autodiff::input_gradient(u, xt, true), 2);
  const auto S = static_cast<std::int64_t>(d.times.size()), N = x.size(0);
  auto U = u.view({S, N}).t().contiguous();
  auto r = ut.view({S, N}).narrow(1, 0, rows).t() - L.apply(U) - tensor_of(d.f);
  return r.square().mean();
}

/// The same for the vanilla PINN (autograd at the collocation nodes).
torch::Tensor reference_vanilla_pde(const Network& net, const Dataset& d) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto rows = d.n_collocation();
  auto x0 = tensor_of(Eigen::MatrixXd(d.nodes.points.topRows(rows)));
  const auto pde = d.problem->pde();
  const bool heat = pde == core::PdeKind::heat;
  torch::Tensor x = x0;
  if (heat) {
    std::vector<torch::Tensor> blocks;
    for (double t : d.times) blocks.push_back(torch::cat({x0, torch::full({rows, 1}, t, opts)}, 1));
    x = torch::cat(blocks, 0);
  }
  x = x.requires_grad_(true);
  auto u = net.forward(x);
  auto grad = autodiff::input_gradient(u, x, true);
  auto lap = autodiff::laplacian(grad, x, 2, true);
  auto f = tensor_of(d.f).t().contiguous().view({-1});
  torch::Tensor r = heat ? autodiff::time_derivative(grad, 2) - lap - f : lap - f;
  if (pde == core::PdeKind::nonlinear_poisson) r = r - torch::exp(u);
  return r.square().mean();
}

std::vector<double> gradient(const Network& net, const torch::Tensor& loss) {
  // The output bias does not reach Lap u: unused in the vanilla graph, zero in its gradient.
  const auto params = net.parameters();
  auto g = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/true, false,
                                 /*allow_unused=*/true);
  std::vector<double> out;
  for (std::size_t i = 0; i < g.size(); ++i) {
    auto c = g[i].defined() ? g[i].contiguous() : torch::zeros_like(params[i]);
    out.insert(out.end(), c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  }
  return out;
}

double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

TEST(EquationLoss, PresetsMatchTheWrittenOutFormulas) {
  for (const auto pde :
       {core::PdeKind::poisson, core::PdeKind::nonlinear_poisson, core::PdeKind::heat}) {
    for (const auto method : {core::Method::dtpinn, core::Method::vanilla}) {
      RunConfig c = core::default_config();
      c.problem.pde = pde;
      c.domain.n = 300;
      c.domain.test_n = 300;
      c.model.depth = 2;
      c.model.width = 12;
      c.model.cpu_kernel = core::CpuKernel::torch;
      if (pde == core::PdeKind::heat) {
        c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*sin(pi*t)";
        c.problem.nt = 3;
      }
      const Dataset d = core::build_dataset(c);
      Network net = core::make_network(c, d);
      auto loss = core::make_loss(method, d, net, core::TimeDerivative::autograd);
      const auto& names = loss->names();
      const auto at = std::find(names.begin(), names.end(), "pde") - names.begin();
      auto terms = loss->terms(net);
      const auto pde_term = terms[static_cast<std::size_t>(at)];
      const auto ref = method == core::Method::dtpinn ? reference_dtpinn_pde(net, d)
                                                      : reference_vanilla_pde(net, d);
      const double a = pde_term.item<double>(), b = ref.item<double>();
      EXPECT_NEAR(a, b, 1e-12 * b) << core::to_string(pde) << " " << core::to_string(method);
      EXPECT_LT(relative_difference(gradient(net, pde_term), gradient(net, ref)), 1e-12)
          << core::to_string(pde) << " " << core::to_string(method);
    }
  }
}

RunConfig equation_run(const std::string& equation, const std::string& exact) {
  RunConfig c = core::default_config();
  c.problem.equation = equation;
  c.problem.exact = exact;
  c.domain.n = 500;
  c.domain.test_n = 2000;
  c.model.depth = 3;
  c.model.width = 30;
  c.train.epochs = 150;
  c.train.time_budget = 0;
  c.train.target_error = 1e-3;
  c.train.eval_every = 5;
  c.train.log_every = 1000000;
  c.source = "test";
  return c;
}

void expect_trains(RunConfig c) {
  for (const auto method : {core::Method::dtpinn, core::Method::vanilla}) {
    c.train.method = method;
    const Dataset d = core::build_dataset(c, {method == core::Method::dtpinn});
    Network net = core::make_network(c, d);
    const auto r = core::train(c, d, net);
    EXPECT_LT(r.best_test_rel_l2, 1e-3)
        << *c.problem.equation << ", " << core::to_string(method) << ", " << r.epochs << " epochs";
  }
}

TEST(EquationTraining, Helmholtz) {
  RunConfig c = equation_run("lap(u) + k^2*u - f", "sin(x)*cos(y) + x*y");
  c.problem.params = {{"k", "1.5"}};
  expect_trains(c);
}

TEST(EquationTraining, AdvectionDiffusionSteady) {
  RunConfig c = equation_run("bx*u_x + by*u_y - nu*lap(u) - f", "sin(pi*x)*cos(pi*y) + x");
  c.problem.params = {{"bx", "1"}, {"by", "-0.5"}, {"nu", "0.5"}};
  expect_trains(c);
}

TEST(EquationTraining, VaryingDiffusivity) {
  RunConfig c = equation_run("div(kappa*grad(u)) - f", "1 + sin(pi*x)*cos(pi*y)");
  c.problem.params = {{"kappa", "1 + 0.5*x^2 + 0.25*y"}};
  expect_trains(c);
}

TEST(EquationTraining, FisherKppAndAdvectionDiffusionInTime) {
  RunConfig fisher =
      equation_run("u_t - D*lap(u) - r*u*(1 - u) - f", "0.5 + 0.25*sin(x)*cos(y)*exp(-t)");
  fisher.problem.params = {{"D", "0.5"}, {"r", "1"}};
  fisher.problem.nt = 6;
  fisher.domain.n = 300;
  expect_trains(fisher);
  RunConfig adv =
      equation_run("u_t + bx*u_x + by*u_y - nu*lap(u) - f", "1 + sin(x + y)*exp(-0.5*t)");
  adv.problem.params = {{"bx", "0.5"}, {"by", "0.5"}, {"nu", "0.5"}};
  adv.problem.nt = 6;
  adv.domain.n = 300;
  expect_trains(adv);
}

}  // namespace

namespace {

TEST(EquationReference, TimeDependentWithoutExactUsesTheBdf2Solve) {
  // u = exp(-t) sin(x) cos(y) given only through f, g and u0: the reference on the test nodes is
  // the BDF2 solve, within its space and time error of u.
  RunConfig c = core::default_config();
  c.problem.pde = core::PdeKind::heat;
  c.problem.exact.reset();
  c.problem.f = "exp(-t)*sin(x)*cos(y)";  // u_t - lap u = -u + 2u
  c.problem.g = "exp(-t)*(cos(x)*cos(y)*nx - sin(x)*sin(y)*ny + sin(x)*cos(y))";
  c.problem.u0 = "sin(x)*cos(y)";
  c.problem.nt = 4;
  c.domain.n = 300;
  c.domain.test_n = 1500;
  const Dataset d = core::build_dataset(c, {false});
  EXPECT_EQ(d.reference_kind, "rbffd solve");
  ASSERT_TRUE(d.has_reference);
  const auto M = d.test_nodes.n_collocation();
  double e2 = 0, u2 = 0;
  for (Eigen::Index i = 0; i < d.test_points.rows(); ++i) {
    const double x = d.test_points(i, 0), y = d.test_points(i, 1), t = d.test_points(i, 2);
    const double u = std::exp(-t) * std::sin(x) * std::cos(y);
    e2 += (d.test_reference[i] - u) * (d.test_reference[i] - u);
    u2 += u * u;
  }
  EXPECT_GT(d.test_points.rows(), M);  // several test times
  EXPECT_LT(std::sqrt(e2 / u2), 1e-3);
}

}  // namespace
