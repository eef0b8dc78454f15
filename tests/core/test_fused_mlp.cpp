// The fused CPU MLP kernel (core/fused_mlp.hpp): its tanh against std::tanh, its forward pass
// and weight gradients against LibTorch's layers and autograd, for several depths, widths,
// input dimensions, node counts (blocks of 256 plus a remainder) and thread counts; where it
// does not apply, Network::forward_in_weights falls back to forward(); the DT-PINN loss and a
// short L-BFGS run agree between the two kernels.
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/fused_mlp.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/autograd_graph.hpp"

using namespace dtpinn;
using core::Network;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

core::ModelConfig model(int depth, int width, const std::string& kernel) {  // "fused" | "torch"
  core::ModelConfig m;
  m.depth = depth;
  m.width = width;
  m.cpu_kernel = core::parse_option<core::CpuKernel>(kernel);
  return m;
}

double rel_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

/// Gradients of loss(u) = sum(c u) + 0.5 sum(u^2) in every parameter.
std::vector<at::Tensor> weight_gradients(const Network& net, const at::Tensor& u,
                                         const at::Tensor& c) {
  auto loss = (c * u).sum() + 0.5 * u.square().sum();
  return torch::autograd::grad({loss}, net.parameters());
}

}  // namespace

TEST(FusedMlp, TanhMatchesStdTanh) {
  std::vector<double> x;
  for (int i = -300000; i <= 300000; ++i) x.push_back(i * 1e-4);  // [-30, 30]
  for (double e = -300; e < 0; e += 0.5)
    x.push_back(std::pow(10.0, e)), x.push_back(-std::pow(10.0, e));
  for (double t : {0.3, -0.3}) {  // either side of the switch between the two forms
    x.push_back(std::nextafter(t, 0.0));
    x.push_back(std::nextafter(t, 2 * t));
  }
  x.push_back(0.0);
  x.push_back(std::numeric_limits<double>::denorm_min());
  x.push_back(800.0);
  x.push_back(-800.0);
  std::vector<double> y = x;
  core::tanh_in_place(y.data(), static_cast<long>(y.size()));
  double worst = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = std::tanh(x[i]);
    const double err = r == 0.0 ? std::abs(y[i]) : std::abs(y[i] - r) / std::abs(r);
    worst = std::max(worst, err);
  }
  EXPECT_LT(worst, 1e-15);
  double special[3] = {std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN()};
  core::tanh_in_place(special, 3);
  EXPECT_EQ(special[0], 1.0);
  EXPECT_EQ(special[1], -1.0);
  EXPECT_TRUE(std::isnan(special[2]));
}

TEST(FusedMlp, ForwardAndWeightGradientsMatchLibTorch) {
  const int threads_before = at::get_num_threads();
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (int dim : {2, 3}) {
      for (auto [depth, width] : {std::pair{1, 7}, std::pair{3, 50}, std::pair{4, 20}}) {
        for (long n : {1L, 700L, 1025L}) {
          const Eigen::VectorXd lo = Eigen::VectorXd::Constant(dim, -1.5),
                                hi = Eigen::VectorXd::Constant(dim, 2.0);
          Network fused(model(depth, width, "fused"), lo, hi, c10::kDouble, c10::kCPU, 11);
          Network plain(model(depth, width, "torch"), lo, hi, c10::kDouble, c10::kCPU, 11);
          torch::manual_seed(5);
          const auto x = torch::rand({n, dim}, f64) * 3.5 - 1.5;
          const auto c = torch::randn({n}, f64);
          const auto uf = fused.forward_in_weights(x), ut = plain.forward_in_weights(x);
          ASSERT_EQ(uf.sizes(), ut.sizes());
          // The path each side took: the fused kernel's node, or LibTorch's layers only.
          EXPECT_TRUE(test::autograd_graph_has(uf, "FusedTanhMlp"))
              << "cpu_kernel = fused did not run the fused kernel";
          EXPECT_FALSE(test::autograd_graph_has(ut, "FusedTanhMlp"));
          EXPECT_LT(rel_diff(uf, ut), 1e-14)
              << "u: dim " << dim << " depth " << depth << " n " << n;
          // The kernel called directly on the normalised inputs gives forward_in_weights' bits.
          {
            std::vector<at::Tensor> w, b;
            const auto p = fused.parameters();  // hidden0.weight, hidden0.bias, ..., output
            for (std::size_t k = 0; k < p.size(); k += 2) w.push_back(p[k]), b.push_back(p[k + 1]);
            const auto z = ((x - 0.25) / 1.75).contiguous();  // box [-1.5, 2] onto [-1, 1]
            ASSERT_TRUE(core::fused_mlp_applicable(z, w, b));
            const auto uk = core::fused_tanh_mlp(z, w, b);
            EXPECT_TRUE(torch::equal(uk, uf)) << "dim " << dim << " depth " << depth << " n " << n;
            EXPECT_LT(rel_diff(uk, ut), 1e-14);
          }
          const auto gf = weight_gradients(fused, uf, c), gt = weight_gradients(plain, ut, c);
          ASSERT_EQ(gf.size(), gt.size());
          for (std::size_t k = 0; k < gf.size(); ++k)
            EXPECT_LT(rel_diff(gf[k], gt[k]), 1e-12)
                << "parameter " << k << ": dim " << dim << " depth " << depth << " n " << n
                << " threads " << threads;
        }
      }
    }
  }
  at::set_num_threads(threads_before);
}

TEST(FusedMlp, FallsBackWhereItDoesNotApply) {
  const Eigen::Vector2d lo(-1, -1), hi(1, 1);
  const auto x = torch::rand({300, 2}, f64);
  // fp32, sin, the modified MLP, and an input that requires grad: forward_in_weights = forward.
  {
    Network net(model(2, 10, "fused"), lo, hi, c10::kFloat, c10::kCPU, 1);
    const auto xf = x.to(torch::kFloat32);
    EXPECT_TRUE(torch::equal(net.forward_in_weights(xf), net.forward(xf)));
  }
  for (const std::string variant : {"sin", "modified"}) {
    auto m = model(2, 10, "fused");
    if (variant == "sin") m.activation = core::Activation::sin;
    if (variant == "modified") m.architecture = core::Architecture::modified_mlp;
    Network net(m, lo, hi, c10::kDouble, c10::kCPU, 1);
    EXPECT_TRUE(torch::equal(net.forward_in_weights(x), net.forward(x))) << variant;
  }
  Network net(model(2, 10, "fused"), lo, hi, c10::kDouble, c10::kCPU, 1);
  const auto xg = x.clone().requires_grad_(true);
  const auto u = net.forward_in_weights(xg);
  EXPECT_TRUE(torch::equal(u, net.forward(x)));
  const auto gx = torch::autograd::grad({u.sum()}, {xg})[0];  // the LibTorch path: x has a grad
  EXPECT_TRUE(gx.defined());
  // The kernel itself refuses what it cannot do.
  std::vector<at::Tensor> w = {torch::ones({4, 2}, f64), torch::ones({1, 4}, f64)};
  std::vector<at::Tensor> b = {torch::zeros({4}, f64), torch::zeros({1}, f64)};
  EXPECT_TRUE(core::fused_mlp_applicable(x, w, b));
  EXPECT_FALSE(core::fused_mlp_applicable(x.to(torch::kFloat32), w, b));
  EXPECT_FALSE(core::fused_mlp_applicable(x.t(), w, b));
  b[0] = torch::zeros({3}, f64);
  EXPECT_FALSE(core::fused_mlp_applicable(x, w, b));
  EXPECT_THROW(core::fused_tanh_mlp(x, w, b), std::invalid_argument);
}

// The DT-PINN loss on a real node set and 40 fixed-step L-BFGS iterations: both kernels give
// the same terms and the same trajectory (to rounding, which L-BFGS amplifies only slowly).
TEST(FusedMlp, DtPinnLossAndTrainingAgreeWithLibTorch) {
  core::RunConfig c = core::default_config();
  c.domain.n = 400;
  c.domain.test_n = 500;
  c.rbffd.order = 3;
  c.model.depth = 3;
  c.model.width = 30;
  c.source = "test";
  const core::Dataset d = core::build_dataset(c);
  std::vector<double> first, final_loss;
  for (const std::string kernel : {"fused", "torch"}) {
    c.model.cpu_kernel = core::parse_option<core::CpuKernel>(kernel);
    Network net = core::make_network(c, d);
    auto loss = core::make_loss(core::Method::dtpinn, d, net);
    auto terms = loss->terms(net);
    // The loss ran the kernel asked for (not a silent fallback to LibTorch's layers).
    EXPECT_EQ(test::autograd_graph_has(terms[0], "FusedTanhMlp"), kernel == "fused") << kernel;
    EXPECT_EQ(test::autograd_graph_has(terms[1], "FusedTanhMlp"), kernel == "fused") << kernel;
    if (kernel == "fused") {
      first = {terms[0].item<double>(), terms[1].item<double>()};
    } else {
      EXPECT_NEAR(terms[0].item<double>(), first[0], 1e-12 * first[0]);
      EXPECT_NEAR(terms[1].item<double>(), first[1], 1e-12 * first[1]);
    }
    auto params = net.parameters();
    torch::optim::LBFGS opt(params, torch::optim::LBFGSOptions(0.04).max_iter(40).history_size(20));
    opt.step([&] {
      opt.zero_grad();
      auto t = loss->terms(net);
      auto l = t[0] + t[1];
      l.backward();
      return l;
    });
    auto t = loss->terms(net);
    EXPECT_EQ(test::autograd_graph_has(t[0], "FusedTanhMlp"), kernel == "fused") << kernel;
    final_loss.push_back((t[0] + t[1]).item<double>());
  }
  EXPECT_LT(final_loss[0], 0.5 * (first[0] + first[1]));  // the run did train
  EXPECT_NEAR(final_loss[0], final_loss[1], 1e-8 * final_loss[1]);
}
