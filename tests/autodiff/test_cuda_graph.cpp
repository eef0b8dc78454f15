// CudaGraphStep: a step (SpMV autograd op + loss + backward + in-place update) captured in a
// CUDA graph and replayed gives the same iterates as the same step run eagerly. The GPU parts
// skip with the reason when LibTorch sees no CUDA device; the argument checks run everywhere.
#include <dtpinn/autodiff/cuda_graph.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

using dtpinn::autodiff::CudaGraphStep;
using dtpinn::autodiff::SparseOperator;

namespace {

dtpinn::rbffd::CsrMatrix tridiagonal(int n) {
  dtpinn::rbffd::CsrMatrix m;
  m.rows = m.cols = n;
  m.row_ptr.push_back(0);
  for (int i = 0; i < n; ++i) {
    for (int j = std::max(0, i - 1); j <= std::min(n - 1, i + 1); ++j) {
      m.col_idx.push_back(j);
      m.values.push_back(j == i ? -2.0 : 1.0 + 0.001 * i);
    }
    m.row_ptr.push_back(static_cast<std::int32_t>(m.col_idx.size()));
  }
  return m;
}

TEST(CudaGraphStep, AvailabilityMatchesLibTorch) {
  EXPECT_EQ(dtpinn::autodiff::cuda_graphs_available(), torch::cuda::is_available());
}

TEST(CudaGraphStep, RejectsBadArgumentsOrReportsNoCuda) {
#ifdef DTPINN_HAVE_CUDA
  EXPECT_THROW(CudaGraphStep(std::function<void()>{}), std::invalid_argument);
  EXPECT_THROW(CudaGraphStep([] {}, 0), std::invalid_argument);
  if (!torch::cuda::is_available()) {
    CudaGraphStep step([] {});
    EXPECT_THROW(step.capture(), std::runtime_error);
    EXPECT_THROW(step.warm_up_and_capture(), std::runtime_error);
    EXPECT_FALSE(step.captured());
  }
#else
  EXPECT_THROW(CudaGraphStep([] {}), std::runtime_error);
#endif
}

// Gradient descent on mean((A u - f)^2) in u: one step = forward, backward, in-place update.
struct Problem {
  SparseOperator op;
  torch::Tensor u, f;
  explicit Problem(const torch::Tensor& u0, const torch::Tensor& f0)
      : op(tridiagonal(static_cast<int>(u0.size(0))),
           torch::TensorOptions().dtype(torch::kDouble).device(torch::kCUDA)),
        u(u0.clone().requires_grad_(true)),
        f(f0.clone()) {}
  void step() {
    auto r = op.apply(u) - f;
    auto loss = (r * r).mean();
    loss.backward();
    {
      torch::NoGradGuard no_grad;
      u.sub_(20.0 * u.grad());  // stable: lr * 2/n * |A|^2 < 2
      u.grad().zero_();         // in place: the graph keeps the gradient's address
    }
  }
};

TEST(CudaGraphStep, ReplayMatchesEagerSteps) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device: torch::cuda::is_available() is false";
  torch::manual_seed(7);
  const auto u0 = torch::randn({4000}, torch::dtype(torch::kDouble).device(torch::kCUDA));
  const auto f0 = torch::randn({4000}, torch::dtype(torch::kDouble).device(torch::kCUDA));
  Problem eager(u0, f0), graphed(u0, f0);
  // Gradients exist (zeroed) before capture so that backward accumulates in place.
  for (Problem* p : {&eager, &graphed}) p->u.mutable_grad() = torch::zeros_like(p->u);
  graphed.op.prepare(0);  // cuSPARSE handles and buffers before any capture (so would warm-up)
  const int warmup = 2;
  CudaGraphStep step([&] { graphed.step(); }, warmup);
  step.capture();  // warmup + 1 steps
  EXPECT_TRUE(step.captured());
  const int replays = 20;
  for (int i = 0; i < replays; ++i) step.replay();
  for (int i = 0; i < warmup + 1 + replays; ++i) eager.step();
  torch::cuda::synchronize();
  const double diff = (graphed.u - eager.u).abs().max().item<double>();
  const double moved = (eager.u - u0).abs().max().item<double>();
  EXPECT_GT(moved, 1e-3) << "the steps did nothing: the test would prove nothing";
  EXPECT_LE(diff, 1e-12 * std::max(1.0, moved));
  step.reset();
  EXPECT_FALSE(step.captured());
}

// warm_up_and_capture() is capture() without the final replay: warmup steps, then a graph
// whose replays continue the same sequence (what DeviceLbfgs::run relies on with max_iter 1).
TEST(CudaGraphStep, WarmUpAndCaptureTakesOnlyTheWarmUpSteps) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device: torch::cuda::is_available() is false";
  torch::manual_seed(8);
  const auto u0 = torch::randn({3000}, torch::dtype(torch::kDouble).device(torch::kCUDA));
  const auto f0 = torch::randn({3000}, torch::dtype(torch::kDouble).device(torch::kCUDA));
  Problem eager(u0, f0), graphed(u0, f0);
  for (Problem* p : {&eager, &graphed}) p->u.mutable_grad() = torch::zeros_like(p->u);
  CudaGraphStep step([&] { graphed.step(); }, 1);
  step.warm_up_and_capture();
  EXPECT_TRUE(step.captured());
  eager.step();
  torch::cuda::synchronize();
  EXPECT_LE((graphed.u - eager.u).abs().max().item<double>(), 1e-12) << "after the warm-up";
  for (int i = 0; i < 5; ++i) {
    step.replay();
    eager.step();
  }
  torch::cuda::synchronize();
  EXPECT_GT((eager.u - u0).abs().max().item<double>(), 1e-3);
  EXPECT_LE((graphed.u - eager.u).abs().max().item<double>(), 1e-12) << "after 5 replays";
}

}  // namespace
