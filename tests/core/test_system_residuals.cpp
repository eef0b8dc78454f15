// A system's loss as a least-squares problem (least_squares.hpp): the residual vector is the
// weighted loss (r . r against the terms, 1e-12), its Jacobian equals central differences of r
// and 2 J^T r the loss gradient, the least-squares output layer of a linear system (elasticity)
// is the dense least-squares solution of the same J and r and the minimum of the loss over the
// output layer, and a few Gauss-Newton steps on Kovasznay flow lower the loss by the factors
// stated below.
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/least_squares.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/objective.hpp>
#include <dtpinn/core/training/system_loss.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <Eigen/Dense>

#include <cmath>
#include <memory>
#include <string>

#include "residual_checks.hpp"
#include "system_configs.hpp"

using namespace dtpinn;
using core::Dataset;
using core::JacobianColumns;
using core::Network;
using core::RunConfig;
using test::flat_gradient;
using test::rel;
using test::uneven_weights;

namespace {

struct Setup {
  std::unique_ptr<Dataset> data;
  std::unique_ptr<Network> net;
  std::unique_ptr<core::Loss> loss;
};

Setup make_setup(const RunConfig& c, core::Method method) {
  core::set_threads(1);  // small tensors: one thread, steady on a busy machine
  Setup s;
  s.data = std::make_unique<Dataset>(core::build_dataset(c, {method == core::Method::dtpinn}));
  s.net = std::make_unique<Network>(core::make_network(c, *s.data));
  s.loss = core::make_system_loss(method, *s.data, *s.net);
  return s;
}

/// Parameter number k of the flat layout (a view into the network's weights).
torch::Tensor flat_entry(const Network& net, std::int64_t k) {
  for (const auto& p : net.parameters()) {
    if (k < p.numel()) return p.view({-1})[k];
    k -= p.numel();
  }
  throw std::out_of_range("flat_entry");
}

struct Case {
  const char* name;
  RunConfig config;
  core::Method method;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto method : {core::Method::dtpinn, core::Method::vanilla}) {
    out.push_back({"kovasznay", test::kovasznay_config(120), method});
    out.push_back({"elasticity", test::elasticity_config(120), method});
  }
  return out;
}

std::string label(const Case& c) {
  return std::string(c.name) + " " + core::to_string(c.method);
}

}  // namespace

TEST(SystemResiduals, AreTheWeightedLossAndTwiceJtrIsItsGradient) {
  for (const auto& k : cases()) {
    auto s = make_setup(k.config, k.method);
    const auto w = uneven_weights(s.loss->names().size());
    const auto terms = s.loss->terms(*s.net);
    auto total = terms[0] * w[0];
    for (std::size_t i = 1; i < terms.size(); ++i) total = total + terms[i] * w[i];
    const auto grad = flat_gradient(*s.net, total);

    const auto sys = s.loss->residuals(*s.net, w, JacobianColumns::all);
    const double rr = sys.r.dot(sys.r).item<double>(), loss = total.item<double>();
    EXPECT_NEAR(rr, loss, 1e-12 * loss) << label(k);
    // One row per residual row of every term: the equations at the collocation nodes, each
    // condition at its boundary nodes.
    std::int64_t rows = 0;
    for (std::size_t i = 0; i < terms.size(); ++i) rows += s.loss->names()[i].rfind("pde", 0) == 0;
    rows *= s.data->n_collocation();
    rows += 2 * s.data->nodes.n_boundary;  // two fields, each with conditions on every side
    EXPECT_EQ(sys.r.size(0), rows) << label(k);
    ASSERT_EQ(sys.J.size(0), sys.r.size(0)) << label(k);
    ASSERT_EQ(sys.J.size(1), s.net->num_parameters()) << label(k);
    EXPECT_LT(rel(2 * torch::mv(sys.J.t(), sys.r), grad), 1e-10) << label(k);
    // Without a Jacobian r keeps its graph: the same values and gradient.
    const auto r0 = s.loss->residuals(*s.net, w, JacobianColumns::none).r;
    EXPECT_LT(rel(r0.detach(), sys.r), 1e-13) << label(k);
    EXPECT_LT(rel(flat_gradient(*s.net, r0.dot(r0)), grad), 1e-11) << label(k);
    // The output-layer columns (F (width + 1) of them) are the last columns of the full J.
    const auto Jc = s.loss->residuals(*s.net, w, JacobianColumns::output_layer).J;
    const auto pc = s.net->num_output_parameters();
    ASSERT_EQ(pc, s.net->outputs() * (k.config.model.width + 1)) << label(k);
    ASSERT_EQ(Jc.size(1), pc) << label(k);
    EXPECT_LT(rel(Jc, sys.J.narrow(1, sys.J.size(1) - pc, pc)), 1e-13) << label(k);
  }
}

TEST(SystemResiduals, JacobianEqualsCentralDifferences) {
  for (const auto& k : cases()) {
    auto s = make_setup(k.config, k.method);
    const auto w = uneven_weights(s.loss->names().size());
    const auto J = s.loss->residuals(*s.net, w, JacobianColumns::all).J;
    const auto r = [&] {
      return s.loss->residuals(*s.net, w, JacobianColumns::none).r.detach().clone();
    };
    // Columns of the first layer, a hidden layer and the output layer (weights and biases).
    const auto P = s.net->num_parameters();
    // (The last column, the bias of the last field, is zero for Kovasznay: p is fixed up to a
    // constant.)
    const double scale = J.abs().max().item<double>();
    for (const std::int64_t col : {std::int64_t(0), std::int64_t(5), P / 2, P - 20, P - 1}) {
      auto theta = flat_entry(*s.net, col);
      const double t0 = theta.item<double>(), h = 1e-6;
      const auto set = [&](double value) {
        torch::NoGradGuard ng;
        theta.fill_(value);
      };
      set(t0 + h);
      const auto up = r();
      set(t0 - h);
      const auto down = r();
      set(t0);
      const auto fd = (up - down) / (2 * h);
      const double error = (J.select(1, col) - fd).norm().item<double>();
      EXPECT_LT(error, 1e-6 * std::max(fd.norm().item<double>(), 1e-3 * scale))
          << label(k) << ", column " << col;
    }
  }
}

TEST(SystemLeastSquaresOutputLayer, IsTheDenseSolutionAndTheMinimumOverTheOutputLayer) {
  // Elasticity is linear in its fields, so the residual is affine in the output layer: one
  // least-squares solve of J (the output-layer columns) and r is the exact minimiser.
  for (const auto method : {core::Method::dtpinn, core::Method::vanilla}) {
    auto s = make_setup(test::elasticity_config(120), method);
    const std::string what = core::to_string(method);
    core::Objective obj(
        *s.net, s.loss->names(), [&](const Network& n) { return s.loss->terms(n); }, true);
    obj.set_residuals([&](const Network& n, const std::vector<double>& w, JacobianColumns c) {
      return s.loss->residuals(n, w, c);
    });
    obj.set_weights(uneven_weights(obj.names().size()));
    const auto P = obj.flat().numel(), pc = s.net->num_output_parameters();
    auto c = obj.flat().values().narrow(0, P - pc, pc);
    // The dense problem, solved by Eigen from the same J and r.
    const auto sys = s.loss->residuals(*s.net, obj.weights(), JacobianColumns::output_layer);
    const auto M = sys.r.size(0);
    Eigen::MatrixXd A(M, pc);
    Eigen::VectorXd b(M), c0(pc);
    for (std::int64_t m = 0; m < M; ++m) {
      b[m] = -sys.r[m].item<double>();
      for (std::int64_t j = 0; j < pc; ++j) A(m, j) = sys.J[m][j].item<double>();
    }
    for (std::int64_t j = 0; j < pc; ++j) c0[j] = c[j].item<double>();
    const Eigen::VectorXd step = A.colPivHouseholderQr().solve(b);
    const Eigen::VectorXd c_dense = c0 + step;
    const double best = (A * step - b).squaredNorm();

    const double before = obj.loss_value();
    obj.set_output_layer_least_squares(true);
    const double after = obj.loss_value();  // solves the output layer, then evaluates
    obj.set_output_layer_least_squares(false);
    std::printf("%s: loss %.3e -> %.3e (dense minimum %.3e)\n", what.c_str(), before, after, best);
    EXPECT_LT(after, 0.5 * before) << what;  // measured: 23.8 -> 8.46 (12 random features)
    EXPECT_NEAR(after, best, 1e-10 * best) << what;
    Eigen::VectorXd c_ls(pc);
    for (std::int64_t j = 0; j < pc; ++j) c_ls[j] = c[j].item<double>();
    EXPECT_LT((c_ls - c_dense).norm(), 1e-10 * c_dense.norm()) << what;
    // A minimum over the output layer: moving any weight or bias (of either field) raises it.
    for (const std::int64_t j : {std::int64_t(0), pc / 3, pc - 2, pc - 1}) {
      for (const double d : {1e-3, -1e-3}) {
        {
          torch::NoGradGuard ng;
          c[j] += d;
        }
        EXPECT_GT(obj.loss_value(), after) << what << ", output parameter " << j << " by " << d;
        {
          torch::NoGradGuard ng;
          c[j] -= d;
        }
      }
    }
  }
}

TEST(SystemGaussNewton, EightStepsLowerTheKovasznayLoss) {
  // N = 300, 2 x 16 tanh (371 parameters), Levenberg-Marquardt from the seeded initial
  // network. Measured after 8 steps, both methods: loss 2.53 -> 1.4e-2, test error 1.20 ->
  // 5.9e-2 (0.4 s).
  RunConfig c = test::kovasznay_config(300);
  c.train.optimizer = core::Optimizer::gauss_newton;
  c.train.epochs = 8;
  c.train.eval_every = 1;
  c.train.log_every = 1000000;
  c.train.time_budget = 0;
  c.source = "test";
  for (const auto& [method, factor] :
       {std::pair{core::Method::dtpinn, 1.5e-2}, std::pair{core::Method::vanilla, 1.5e-2}}) {
    c.train.method = method;
    core::set_threads(1);
    const Dataset d = core::build_dataset(c, {method == core::Method::dtpinn});
    Network net = core::make_network(c, d);
    const double error0 = core::system_test_error(net, d).all;
    const auto r = core::train(c, d, net);
    const double first = r.history.front().loss, last = r.history.back().loss;
    const double error = core::system_test_error(net, d).all;
    std::printf("%s: loss %.3e -> %.3e, test error %.3e -> %.3e in %.2f s\n",
                core::to_string(method), first, last, error0, error, r.train_seconds);
    EXPECT_LT(last, factor * first) << core::to_string(method);
    EXPECT_LT(error, 0.1 * error0) << core::to_string(method);
    // Levenberg-Marquardt never accepts a step that raises the loss.
    for (std::size_t i = 1; i < r.history.size(); ++i)
      EXPECT_LE(r.history[i].loss, r.history[i - 1].loss * (1 + 1e-12)) << "epoch " << i;
  }
}
