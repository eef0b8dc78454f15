// The device optimisers' CUDA-specific paths: DeviceAdam's scalar dtypes for ATen's fused
// kernel (fp32 lr and step count on CUDA, the parameters' dtype elsewhere), the fused fp64
// CUDA kernel against the composite update, and DeviceLbfgs::run using its CUDA graph when
// each call runs one iteration. The dtype rules run everywhere; the rest skips without a GPU.
#include <dtpinn/autodiff/cuda_graph.hpp>
#include <dtpinn/core/training/device_adam.hpp>
#include <dtpinn/core/training/device_lbfgs.hpp>
#include <dtpinn/core/training/flat_parameters.hpp>

#include <torch/torch.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace {

using dtpinn::core::adam_scalar_dtype;
using dtpinn::core::DeviceAdam;
using dtpinn::core::DeviceAdamOptions;
using dtpinn::core::DeviceLbfgs;
using dtpinn::core::DeviceLbfgsOptions;
using dtpinn::core::FlatParameters;

torch::nn::Sequential make_mlp(std::uint64_t seed, torch::Device device) {
  torch::manual_seed(seed);
  torch::nn::Sequential net(torch::nn::Linear(2, 16), torch::nn::Tanh(), torch::nn::Linear(16, 1));
  net->to(torch::kFloat64);
  net->to(device);
  return net;
}

torch::Tensor fit_loss(torch::nn::Sequential& net, const torch::Tensor& x) {
  const auto u = torch::sin(M_PI * x.select(1, 0)) * torch::cos(M_PI * x.select(1, 1));
  return (net->forward(x).squeeze(1) - u).pow(2).mean();
}

double rel_dev(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

#define DTPINN_REQUIRE_CUDA_GRAPHS()                                             \
  if (!dtpinn::autodiff::cuda_graphs_available())                                \
  GTEST_SKIP() << "no CUDA device visible to LibTorch (or built without CUDA), " \
               << static_cast<int>(torch::cuda::device_count()) << " devices: not run"

TEST(DeviceAdam, ScalarDtypeIsFp32OnlyForTheFusedCudaKernel) {
  using c10::DeviceType;
  EXPECT_EQ(adam_scalar_dtype(DeviceType::CUDA, torch::kFloat64, true), torch::kFloat32);
  EXPECT_EQ(adam_scalar_dtype(DeviceType::CUDA, torch::kFloat32, true), torch::kFloat32);
  EXPECT_EQ(adam_scalar_dtype(DeviceType::CUDA, torch::kFloat64, false), torch::kFloat64);
  EXPECT_EQ(adam_scalar_dtype(DeviceType::CPU, torch::kFloat64, true), torch::kFloat64);
  EXPECT_EQ(adam_scalar_dtype(DeviceType::CPU, torch::kFloat64, false), torch::kFloat64);
  EXPECT_EQ(adam_scalar_dtype(DeviceType::CPU, torch::kFloat32, true), torch::kFloat32);
}

// The CPU path is unchanged: fp64 parameters keep an fp64 step count, fused or not.
TEST(DeviceAdam, CpuStepCountKeepsTheParametersDtype) {
  for (const bool fused : {false, true}) {
    auto x = torch::ones({4}, torch::kFloat64).requires_grad_();
    FlatParameters flat({x});
    DeviceAdamOptions o;
    o.fused = fused;
    DeviceAdam adam(flat, o);
    flat.grads().fill_(1);
    adam.step();
    EXPECT_EQ(adam.step_count().scalar_type(), torch::kFloat64) << "fused " << fused;
    EXPECT_EQ(adam.step_count().item<double>(), 1.0);
  }
}

// fp64 network, fused CUDA kernel (fp32 lr and step) against the composite update (fp64): lr is
// a power of two, exact in fp32, so the two differ only by rounding in the update itself.
TEST(DeviceOptimCuda, FusedAdamWithFp64ParametersMatchesComposite) {
  DTPINN_REQUIRE_CUDA_GRAPHS();
  const torch::Device dev(torch::kCUDA);
  torch::manual_seed(5);
  const auto x = (torch::rand({64, 2}, torch::kFloat64) * 2 - 1).to(dev);
  auto net_f = make_mlp(11, dev), net_c = make_mlp(11, dev);
  FlatParameters flat_f(*net_f), flat_c(*net_c);
  DeviceAdamOptions o;
  o.lr = 1.0 / 256;
  o.fused = true;
  DeviceAdam fused(flat_f, o);
  o.fused = false;
  DeviceAdam composite(flat_c, o);
  EXPECT_EQ(fused.step_count().scalar_type(), torch::kFloat32);
  EXPECT_EQ(composite.step_count().scalar_type(), torch::kFloat64);
  double worst = 0;
  for (int it = 0; it < 50; ++it) {
    flat_f.zero_grad();
    fit_loss(net_f, x).backward();
    fused.step();
    flat_c.zero_grad();
    fit_loss(net_c, x).backward();
    composite.step();
    const double e = rel_dev(flat_f.values(), flat_c.values());
    worst = std::max(worst, e);
    ASSERT_LT(e, 1e-9) << "step " << it;
  }
  EXPECT_EQ(fused.step_count().item<double>(), 50.0);
  std::printf("[ info ] fused CUDA Adam (fp64 params) vs composite, 50 steps: max rel dev %.3g\n",
              worst);
}

// max_iter = 1: run() does one iteration per call. The first call is the warm-up, then the
// graph is captured and replayed: the iterates follow the eager run exactly.
TEST(DeviceOptimCuda, LbfgsRunUsesItsGraphWithOneIterationPerCall) {
  DTPINN_REQUIRE_CUDA_GRAPHS();
  const torch::Device dev(torch::kCUDA);
  torch::manual_seed(6);
  const auto x = (torch::rand({64, 2}, torch::kFloat64) * 2 - 1).to(dev);
  auto net_g = make_mlp(12, dev), net_e = make_mlp(12, dev);
  FlatParameters flat_g(*net_g), flat_e(*net_e);
  DeviceLbfgsOptions o;
  o.lr = 0.2;
  o.history_size = 8;
  o.check_every = 1;
  o.use_cuda_graph = true;
  DeviceLbfgs opt_g(flat_g, o);
  o.use_cuda_graph = false;
  DeviceLbfgs opt_e(flat_e, o);
  auto closure = [&x](FlatParameters& flat, torch::nn::Sequential& net) {
    return [&x, f = &flat, n = &net] {
      f->zero_grad();
      auto l = fit_loss(*n, x);
      l.backward();
      return l;
    };
  };
  for (int call = 0; call < 12; ++call) {
    opt_g.run(closure(flat_g, net_g), 1);
    opt_e.run(closure(flat_e, net_e), 1);
    EXPECT_TRUE(opt_g.graph_captured()) << "call " << call;
    ASSERT_LT(rel_dev(flat_g.values(), flat_e.values()), 1e-12) << "call " << call;
  }
  EXPECT_EQ(opt_g.status().iterations, 12);
  EXPECT_FALSE(opt_e.graph_captured());
}

}  // namespace
