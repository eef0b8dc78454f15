// FlatParameters, DeviceLbfgs and DeviceAdam: aliasing of the flat buffers, iterates against
// LibTorch's own torch::optim::LBFGS / Adam, the device line search, and (on a GPU) a
// CUDA-graph-captured run against an uncaptured one.
#include <dtpinn/autodiff/cuda_graph.hpp>
#include <dtpinn/core/training/device_adam.hpp>
#include <dtpinn/core/training/device_lbfgs.hpp>
#include <dtpinn/core/training/flat_parameters.hpp>

#include <torch/torch.h>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

namespace {

using dtpinn::core::DeviceAdam;
using dtpinn::core::DeviceAdamOptions;
using dtpinn::core::DeviceLbfgs;
using dtpinn::core::DeviceLbfgsOptions;
using dtpinn::core::FlatParameters;

torch::nn::Sequential make_mlp(std::uint64_t seed, torch::Device device = torch::kCPU) {
  torch::manual_seed(seed);
  torch::nn::Sequential net(torch::nn::Linear(2, 16), torch::nn::Tanh(), torch::nn::Linear(16, 16),
                            torch::nn::Tanh(), torch::nn::Linear(16, 1));
  net->to(torch::kFloat64);
  net->to(device);
  return net;
}

/// Fixed inputs / targets: u = sin(pi x) cos(pi y) at 64 points of [-1, 1]^2.
struct FitData {
  torch::Tensor x, u;
  explicit FitData(torch::Device device = torch::kCPU) {
    torch::manual_seed(7);
    x = (torch::rand({64, 2}, torch::kFloat64) * 2 - 1).to(device);
    u = torch::sin(M_PI * x.select(1, 0)) * torch::cos(M_PI * x.select(1, 1));
  }
  torch::Tensor loss(torch::nn::Sequential& net) const {
    return (net->forward(x).squeeze(1) - u).pow(2).mean();
  }
};

torch::Tensor flat_of(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : params) parts.push_back(p.detach().reshape({-1}));
  return torch::cat(parts);
}

double rel_dev(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

// ---------------------------------------------------------------------------------------------

TEST(FlatParameters, ParametersAndGradientsAliasTheFlatBuffers) {
  auto net = make_mlp(1);
  auto ref = make_mlp(1);
  const auto before = flat_of(net->parameters());
  FlatParameters flat(*net);
  ASSERT_EQ(flat.numel(), 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1);
  EXPECT_TRUE(torch::equal(flat.values(), before));

  const auto* v0 = flat.values().data_ptr<double>();
  const auto* g0 = flat.grads().data_ptr<double>();
  for (const auto& item : net->named_parameters()) {
    const auto* pv = item.value().data_ptr<double>();
    EXPECT_TRUE(pv >= v0 && pv < v0 + flat.numel()) << item.key();
  }

  const FitData data;
  flat.zero_grad();
  data.loss(net).backward();
  data.loss(ref).backward();
  EXPECT_TRUE(flat.grads_aliased());
  EXPECT_GT(flat.grads().abs().max().item<double>(), 0);
  EXPECT_LT(rel_dev(flat.grads(), flat_of([&] {
                      std::vector<torch::Tensor> g;
                      for (auto& p : ref->parameters()) g.push_back(p.grad());
                      return g;
                    }())),
            1e-14);
  for (const auto& item : net->named_parameters()) {
    const auto* pg = item.value().grad().data_ptr<double>();
    EXPECT_TRUE(pg >= g0 && pg < g0 + flat.numel()) << item.key();
  }

  // Writing the flat vector changes the module; zero_grad is one fill.
  flat.values().mul_(0.5);
  for (auto& p : ref->parameters()) p.detach().mul_(0.5);
  EXPECT_LT((net->forward(data.x) - ref->forward(data.x)).abs().max().item<double>(), 1e-15);
  flat.zero_grad();
  EXPECT_EQ(flat.grads().abs().max().item<double>(), 0.0);

  // Module::zero_grad() drops the .grad() tensors; rebind_grads() restores the views.
  data.loss(net).backward();
  const auto g_expected = flat.grads().clone();
  net->zero_grad();
  EXPECT_FALSE(flat.grads_aliased());
  flat.rebind_grads();
  EXPECT_TRUE(flat.grads_aliased());
  EXPECT_EQ(flat.grads().abs().max().item<double>(), 0.0);  // zeroed grads come back as zeros
  data.loss(net).backward();
  EXPECT_LT(rel_dev(flat.grads(), g_expected), 1e-14);
}

TEST(FlatParameters, RefusesMixedDtypes) {
  auto a = torch::zeros({3}, torch::kFloat64).requires_grad_();
  auto b = torch::zeros({3}, torch::kFloat32).requires_grad_();
  EXPECT_THROW(FlatParameters({a, b}), std::invalid_argument);
  EXPECT_THROW(FlatParameters(std::vector<torch::Tensor>{}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// DeviceLbfgs (fixed step) against torch::optim::LBFGS (line_search_fn none).

struct LbfgsCase {
  double lr;
  std::int64_t history;
  int iterations;
  bool host_algebra = true;  // false: the tensor path (as on CUDA), run on the CPU
};

/// torch with max_iter = 1: one step() = one iteration; compare after every iteration.
void compare_with_torch_mlp(const LbfgsCase& c, double* worst_out) {
  auto net_t = make_mlp(3);
  auto net_d = make_mlp(3);
  const FitData data;
  torch::optim::LBFGS torch_opt(
      net_t->parameters(), torch::optim::LBFGSOptions(c.lr).max_iter(1).history_size(c.history));
  FlatParameters flat(*net_d);
  DeviceLbfgsOptions o;
  o.lr = c.lr;
  o.history_size = c.history;
  o.host_algebra = c.host_algebra;
  DeviceLbfgs dev(flat, o);
  auto closure_t = [&] {
    torch_opt.zero_grad();
    auto l = data.loss(net_t);
    l.backward();
    return l;
  };
  auto closure_d = [&] {
    flat.zero_grad();
    auto l = data.loss(net_d);
    l.backward();
    return l;
  };
  double worst = 0;
  const double loss0 = data.loss(net_t).item<double>();
  for (int it = 0; it < c.iterations; ++it) {
    torch_opt.step(closure_t);
    dev.step(closure_d);
    const double dev_it = rel_dev(flat.values(), flat_of(net_t->parameters()));
    worst = std::max(worst, dev_it);
    ASSERT_LT(dev_it, 1e-10) << "iteration " << it;
  }
  const auto st = dev.status();
  EXPECT_EQ(st.iterations, c.iterations);
  EXPECT_GT(st.pairs, std::min<std::int64_t>(c.history, 2));  // the history was used
  EXPECT_LT(data.loss(net_d).item<double>(), 0.75 * loss0);   // and it trained
  *worst_out = worst;
}

TEST(DeviceLbfgs, FixedStepMatchesTorchLbfgsOnMlp) {
  for (bool host : {true, false}) {
    double worst = 0;
    compare_with_torch_mlp({0.2, 100, 30, host}, &worst);
    std::printf(
        "[ info ] DeviceLbfgs (%s path) vs torch LBFGS, MLP, m=100, 30 it: max rel dev %.3g\n",
        host ? "host" : "tensor", worst);
  }
}

TEST(DeviceLbfgs, FixedStepMatchesTorchLbfgsWhenHistoryWraps) {
  for (bool host : {true, false}) {
    double worst = 0;
    compare_with_torch_mlp({0.1, 4, 30, host}, &worst);  // ring of 4 overwritten ~7 times
    std::printf(
        "[ info ] DeviceLbfgs (%s path) vs torch LBFGS, MLP, m=4, 30 it: max rel dev %.3g\n",
        host ? "host" : "tensor", worst);
  }
}

// The host path (CPU fp64 default) and the tensor path (CUDA's, forced here on the CPU) take the
// same iterates, with the line search too, through a history that wraps.
TEST(DeviceLbfgs, HostAndTensorPathsTakeTheSameIterates) {
  for (auto mode : {DeviceLbfgsOptions::Mode::fixed_step, DeviceLbfgsOptions::Mode::line_search}) {
    auto net_h = make_mlp(9), net_t = make_mlp(9);
    const FitData data;
    FlatParameters flat_h(*net_h), flat_t(*net_t);
    DeviceLbfgsOptions o;
    o.lr = mode == DeviceLbfgsOptions::Mode::fixed_step ? 0.1 : 1.0;
    o.history_size = 7;
    o.mode = mode;
    DeviceLbfgs dev_h(flat_h, o);
    o.host_algebra = false;
    DeviceLbfgs dev_t(flat_t, o);
    auto closure = [&](FlatParameters& flat, torch::nn::Sequential& net) {
      return [&] {
        flat.zero_grad();
        auto l = data.loss(net);
        l.backward();
        return l;
      };
    };
    const double loss0 = data.loss(net_h).item<double>();
    double worst = 0;
    for (int it = 0; it < 40; ++it) {
      dev_h.step(closure(flat_h, net_h));
      dev_t.step(closure(flat_t, net_t));
      const double dev = rel_dev(flat_h.values(), flat_t.values());
      worst = std::max(worst, dev);
      // Rounding differs (Eigen vs ATen reductions) and L-BFGS amplifies it slowly.
      ASSERT_LT(dev, 1e-9) << "iteration " << it;
      ASSERT_EQ(dev_h.last_step_length().item<double>() == 0,
                dev_t.last_step_length().item<double>() == 0);
    }
    const auto sh = dev_h.status(), st = dev_t.status();
    EXPECT_EQ(sh.pairs, st.pairs);
    EXPECT_EQ(sh.stalled, st.stalled);
    EXPECT_NEAR(sh.gamma, st.gamma, 1e-7 * std::abs(st.gamma));  // s.y / y.y: y cancels
    EXPECT_LT(data.loss(net_h).item<double>(), 0.5 * loss0);
    std::printf("[ info ] host vs tensor path, %s, m=7, 40 it: max rel dev %.3g\n",
                mode == DeviceLbfgsOptions::Mode::fixed_step ? "fixed step" : "line search", worst);
  }
}

/// A nonconvex double well: pairs with y^T s <= 1e-10 occur and must be skipped like torch does.
torch::Tensor double_well(const torch::Tensor& x) {
  return ((x * x - 1).pow(2) * 0.25).sum() +
         0.3 * (x.narrow(0, 0, x.size(0) - 1) * x.narrow(0, 1, x.size(0) - 1)).sum();
}

TEST(DeviceLbfgs, MatchesTorchWithMaxIter20AndSkippedPairs) {
  torch::manual_seed(11);
  const auto x_init = torch::randn({12}, torch::kFloat64) * 0.3;
  auto xt = x_init.clone().requires_grad_();
  auto xd = x_init.clone().requires_grad_();
  // One torch step() of max_iter 20: record the point of each closure evaluation.
  torch::optim::LBFGS torch_opt({xt}, torch::optim::LBFGSOptions(0.5).max_iter(20).history_size(5));
  std::vector<torch::Tensor> torch_points;
  auto closure_t = [&] {
    torch_opt.zero_grad();
    torch_points.push_back(xt.detach().clone());
    auto l = double_well(xt);
    l.backward();
    return l;
  };
  torch_opt.step(closure_t);
  ASSERT_EQ(torch_points.size(), 20u);

  FlatParameters flat({xd});
  DeviceLbfgsOptions o;
  o.lr = 0.5;
  o.history_size = 5;
  o.host_algebra = false;  // the tensor path (the fixed-step MLP tests cover both)
  DeviceLbfgs dev(flat, o);
  auto closure_d = [&] {
    flat.zero_grad();
    auto l = double_well(xd);
    l.backward();
    return l;
  };
  double worst = 0;
  for (std::size_t i = 0; i < torch_points.size(); ++i) {
    const double e = rel_dev(flat.values(), torch_points[i]);
    worst = std::max(worst, e);
    ASSERT_LT(e, 1e-10) << "closure evaluation " << i;
    dev.step(closure_d);
  }
  const auto st = dev.status();
  EXPECT_LT(st.pairs, st.iterations - 1) << "the test should exercise skipped (y^T s <= 0) pairs";
  std::printf("[ info ] double well, m=5, 20 it, %lld pairs kept: max rel dev %.3g\n",
              static_cast<long long>(st.pairs), worst);
}

/// Rosenbrock in n dimensions (a valley; a fixed step is poor there).
torch::Tensor rosenbrock(const torch::Tensor& x) {
  const auto n = x.size(0);
  const auto a = x.narrow(0, 0, n - 1), b = x.narrow(0, 1, n - 1);
  return (100 * (b - a * a).pow(2) + (1 - a).pow(2)).sum();
}

TEST(DeviceLbfgs, LineSearchLowersRosenbrockMonotonically) {
  auto x = torch::tensor({-1.2, 1.0, -1.2, 1.0, -1.2, 1.0}, torch::kFloat64).requires_grad_();
  FlatParameters flat({x});
  DeviceLbfgsOptions o;
  o.mode = DeviceLbfgsOptions::Mode::line_search;
  o.lr = 1.0;
  o.history_size = 10;
  o.line_search_trials = 12;
  DeviceLbfgs dev(flat, o);
  auto closure = [&] {
    flat.zero_grad();
    auto l = rosenbrock(x);
    l.backward();
    return l;
  };
  auto loss_only = [&] { return rosenbrock(x); };
  const double f0 = rosenbrock(x).item<double>();
  double prev = f0;
  for (int it = 0; it < 150; ++it) {
    dev.step(closure, loss_only);
    const double f = rosenbrock(x).item<double>();
    ASSERT_LE(f, prev) << "iteration " << it;
    prev = f;
  }
  std::printf("[ info ] line search on 6-D Rosenbrock: f %.3g -> %.3g in 150 iterations\n", f0,
              prev);
  EXPECT_LT(prev, 1e-8 * f0);
  EXPECT_LT((x.detach() - 1).abs().max().item<double>(), 1e-3);
}

TEST(DeviceLbfgs, RunStopsWhenStalledAndReadsBackEveryK) {
  torch::manual_seed(5);
  const auto A = [] {
    auto M = torch::randn({8, 8}, torch::kFloat64);
    return M.mm(M.t()) + 8 * torch::eye(8, torch::kFloat64);
  }();
  auto x = torch::randn({8}, torch::kFloat64).requires_grad_();
  FlatParameters flat({x});
  DeviceLbfgsOptions o;
  o.lr = 1.0;
  o.check_every = 10;
  DeviceLbfgs dev(flat, o);
  auto closure = [&] {
    flat.zero_grad();
    auto l = 0.5 * x.dot(A.mv(x));
    l.backward();
    return l;
  };
  const auto st = dev.run(closure, 1000);
  EXPECT_TRUE(st.stalled);
  EXPECT_LT(st.iterations, 1000);
  EXPECT_EQ(st.iterations % 10, 0);
  EXPECT_LT(x.detach().abs().max().item<double>(), 1e-6);
}

TEST(DeviceLbfgs, RefusesBadOptions) {
  auto x = torch::zeros({3}, torch::kFloat64).requires_grad_();
  FlatParameters flat({x});
  DeviceLbfgsOptions o;
  o.history_size = 0;
  EXPECT_THROW(DeviceLbfgs(flat, o), std::invalid_argument);
  o = {};
  o.lr = -1;
  EXPECT_THROW(DeviceLbfgs(flat, o), std::invalid_argument);
  o = {};
  o.line_search_shrink = 1.5;
  EXPECT_THROW(DeviceLbfgs(flat, o), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// DeviceAdam against torch::optim::Adam.

void compare_adam(bool fused, double weight_decay) {
  auto net_t = make_mlp(9);
  auto net_d = make_mlp(9);
  const FitData data;
  torch::optim::Adam torch_opt(net_t->parameters(),
                               torch::optim::AdamOptions(3e-3).weight_decay(weight_decay));
  FlatParameters flat(*net_d);
  DeviceAdamOptions o;
  o.lr = 3e-3;
  o.weight_decay = weight_decay;
  o.fused = fused;
  DeviceAdam dev(flat, o);
  double worst = 0;
  for (int it = 0; it < 50; ++it) {
    torch_opt.zero_grad();
    data.loss(net_t).backward();
    torch_opt.step();
    flat.zero_grad();
    data.loss(net_d).backward();
    dev.step();
    const double e = rel_dev(flat.values(), flat_of(net_t->parameters()));
    worst = std::max(worst, e);
    ASSERT_LT(e, 1e-12) << "step " << it;
  }
  EXPECT_EQ(dev.step_count().item<double>(), 50.0);
  std::printf("[ info ] DeviceAdam%s (wd %g) vs torch Adam, 50 steps: max rel dev %.3g\n",
              fused ? " fused" : "", weight_decay, worst);
}

TEST(DeviceAdam, MatchesTorchAdam) {
  compare_adam(false, 0);
}
TEST(DeviceAdam, MatchesTorchAdamWithWeightDecay) {
  compare_adam(false, 1e-2);
}
TEST(DeviceAdam, FusedKernelMatchesTorchAdam) {
  compare_adam(true, 0);
}

TEST(DeviceAdam, SetLrTakesEffect) {
  auto x = torch::ones({4}, torch::kFloat64).requires_grad_();
  FlatParameters flat({x});
  DeviceAdam dev(flat, {});
  flat.grads().fill_(1);
  dev.set_lr(0.5);
  dev.step();
  // First Adam step moves by lr * g / (|g| + eps) ~ lr.
  EXPECT_NEAR(x.detach()[0].item<double>(), 0.5, 1e-7);
  DeviceAdamOptions bad;
  bad.beta1 = 1.0;
  EXPECT_THROW(DeviceAdam(flat, bad), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// GPU: a CUDA-graph-captured run gives the same iterates as an uncaptured one.

TEST(DeviceOptimCuda, GraphCapturedLbfgsAndAdamMatchEager) {
  if (!dtpinn::autodiff::cuda_graphs_available()) {
    GTEST_SKIP() << "no CUDA device visible to LibTorch (or built without CUDA): graph capture "
                    "of DeviceLbfgs / DeviceAdam not run";
  }
  const torch::Device dev_cuda(torch::kCUDA);
  const FitData data(dev_cuda);
  for (const bool line_search : {false, true}) {
    auto net_e = make_mlp(3, dev_cuda);
    auto net_g = make_mlp(3, dev_cuda);
    FlatParameters flat_e(*net_e), flat_g(*net_g);
    DeviceLbfgsOptions o;
    o.lr = line_search ? 1.0 : 0.2;
    o.history_size = 8;
    if (line_search) o.mode = DeviceLbfgsOptions::Mode::line_search;
    DeviceLbfgs opt_e(flat_e, o), opt_g(flat_g, o);
    auto closure_e = [&] {
      flat_e.zero_grad();
      auto l = data.loss(net_e);
      l.backward();
      return l;
    };
    auto closure_g = [&] {
      flat_g.zero_grad();
      auto l = data.loss(net_g);
      l.backward();
      return l;
    };
    auto loss_only_g = [&] { return data.loss(net_g); };
    auto loss_only_e = [&] { return data.loss(net_e); };
    dtpinn::autodiff::CudaGraphStep graph([&] { opt_g.step(closure_g, loss_only_g); }, 1);
    graph.replay();  // captures: 1 warm-up step + the captured step
    for (int i = 0; i < 2; ++i) opt_e.step(closure_e, loss_only_e);
    for (int it = 0; it < 20; ++it) {
      graph.replay();
      opt_e.step(closure_e, loss_only_e);
      ASSERT_LT(rel_dev(flat_g.values(), flat_e.values()), 1e-12)
          << (line_search ? "line search" : "fixed step") << ", replay " << it;
    }
    EXPECT_EQ(opt_g.status().iterations, 22);
  }
  {
    auto net_e = make_mlp(9, dev_cuda);
    auto net_g = make_mlp(9, dev_cuda);
    FlatParameters flat_e(*net_e), flat_g(*net_g);
    DeviceAdamOptions o;
    o.lr = 3e-3;
    o.fused = true;
    DeviceAdam adam_e(flat_e, o), adam_g(flat_g, o);
    dtpinn::autodiff::CudaGraphStep graph(
        [&] {
          flat_g.zero_grad();
          data.loss(net_g).backward();
          adam_g.step();
        },
        1);
    graph.replay();
    for (int i = 0; i < 2; ++i) {
      flat_e.zero_grad();
      data.loss(net_e).backward();
      adam_e.step();
    }
    for (int it = 0; it < 20; ++it) {
      graph.replay();
      flat_e.zero_grad();
      data.loss(net_e).backward();
      adam_e.step();
      ASSERT_LT(rel_dev(flat_g.values(), flat_e.values()), 1e-12) << "Adam replay " << it;
    }
  }
}

}  // namespace
