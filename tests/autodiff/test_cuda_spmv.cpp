// The CUDA path of SparseOperator (cuSPARSE through dtpinn_kernels) against the CPU path:
// forward, transpose, multi-column and autograd backward, fp64 to 1e-12 and fp32 to 1e-5
// relative. Skips with the reason when LibTorch sees no CUDA device.
#include <dtpinn/autodiff/sparse_operator.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#ifdef DTPINN_HAVE_CUDA
#include "../../autodiff/src/spmv_backend.hpp"  // the private back end: fused residual

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

using dtpinn::autodiff::SparseOperator;
using dtpinn::rbffd::CsrMatrix;

namespace {

#define DTPINN_REQUIRE_CUDA()                                                            \
  if (!torch::cuda::is_available())                                                      \
  GTEST_SKIP() << "no CUDA device: torch::cuda::is_available() is false (LibTorch "      \
               << TORCH_VERSION << ", " << static_cast<int>(torch::cuda::device_count()) \
               << " devices)"

// RBF-FD-like matrix: each row couples a node to its n nearest neighbours in index space on a
// ring (local, sorted columns), plus wider rows and an empty row; rows x cols like L (more
// columns than rows: ghost nodes).
CsrMatrix stencil_csr(int rows, int cols, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> val(-3.0, 3.0);
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.row_ptr.push_back(0);
  for (int r = 0; r < rows; ++r) {
    std::vector<int> cs;
    const int len = r == rows / 3 ? 0 : (r % 7 == 0 ? 2 * n : n);
    const int centre = static_cast<int>(static_cast<long long>(r) * cols / rows);
    for (int t = 0; t < len; ++t) cs.push_back((centre + t * 3 + cols - len) % cols);
    std::sort(cs.begin(), cs.end());
    cs.erase(std::unique(cs.begin(), cs.end()), cs.end());
    for (int c : cs) {
      m.col_idx.push_back(c);
      m.values.push_back(val(rng));
    }
    m.row_ptr.push_back(static_cast<std::int32_t>(m.col_idx.size()));
  }
  return m;
}

double rel(const torch::Tensor& got, const torch::Tensor& ref) {
  const auto g = got.to(torch::kCPU, torch::kDouble);
  const auto r = ref.to(torch::kCPU, torch::kDouble);
  return ((g - r).norm() / r.norm()).item<double>();
}

void compare(torch::ScalarType dtype, double tol) {
  const CsrMatrix m = stencil_csr(1800, 2000, 43, 5);
  const SparseOperator cpu(m, torch::TensorOptions().dtype(dtype));
  const SparseOperator gpu(m, torch::TensorOptions().dtype(dtype).device(torch::kCUDA));
  ASSERT_TRUE(gpu.device().is_cuda());
  torch::manual_seed(3);
  for (std::int64_t k : {0, 1, 5}) {  // k = 0: a vector [cols]
    const auto u = k == 0 ? torch::randn({m.cols}, torch::dtype(dtype))
                          : torch::randn({m.cols, k}, torch::dtype(dtype));
    const auto g = k == 0 ? torch::randn({m.rows}, torch::dtype(dtype))
                          : torch::randn({m.rows, k}, torch::dtype(dtype));
    const auto y = gpu.multiply(u.cuda());
    EXPECT_TRUE(y.is_cuda());
    EXPECT_EQ(y.sizes(), cpu.multiply(u).sizes());
    EXPECT_LE(rel(y, cpu.multiply(u)), tol) << "A u, k = " << k;
    EXPECT_LE(rel(gpu.multiply_transpose(g.cuda()), cpu.multiply_transpose(g)), tol)
        << "A^T g, k = " << k;
    // Autograd: d/du sum(w * A u) = A^T w on both devices.
    auto uc = u.clone().requires_grad_(true);
    auto ug = u.cuda().requires_grad_(true);
    (cpu.apply(uc) * g).sum().backward();
    (gpu.apply(ug) * g.cuda()).sum().backward();
    ASSERT_TRUE(ug.grad().defined());
    EXPECT_LE(rel(ug.grad(), uc.grad()), tol) << "backward, k = " << k;
  }
}

TEST(CudaSparseOperator, MatchesCpuFp64) {
  DTPINN_REQUIRE_CUDA();
  compare(torch::kDouble, 1e-12);
}

TEST(CudaSparseOperator, MatchesCpuFp32) {
  DTPINN_REQUIRE_CUDA();
  compare(torch::kFloat, 1e-5);
}

TEST(CudaSparseOperator, NonContiguousInputAndRepeatedCalls) {
  DTPINN_REQUIRE_CUDA();
  const CsrMatrix m = stencil_csr(300, 340, 31, 9);
  const SparseOperator cpu(m, torch::TensorOptions().dtype(torch::kDouble));
  const SparseOperator gpu(m, torch::TensorOptions().dtype(torch::kDouble).device(torch::kCUDA));
  torch::manual_seed(4);
  const auto wide = torch::randn({4, m.cols}, torch::kDouble);
  const auto u = wide.t();  // [cols, 4], not contiguous
  for (int rep = 0; rep < 3; ++rep) {
    EXPECT_LE(rel(gpu.multiply(u.cuda()), cpu.multiply(u)), 1e-12) << "rep " << rep;
  }
}

#ifdef DTPINN_HAVE_CUDA
TEST(CudaSparseOperator, RunsOnANonDefaultStream) {
  DTPINN_REQUIRE_CUDA();
  const CsrMatrix m = stencil_csr(500, 520, 43, 10);
  const SparseOperator cpu(m, torch::TensorOptions().dtype(torch::kDouble));
  const SparseOperator gpu(m, torch::TensorOptions().dtype(torch::kDouble).device(torch::kCUDA));
  const auto u = torch::randn({m.cols}, torch::kDouble);
  auto stream = c10::cuda::getStreamFromPool();
  torch::Tensor y;
  {
    const c10::cuda::CUDAStreamGuard guard(stream);
    const auto ud = u.cuda();
    y = gpu.multiply(ud);
  }
  stream.synchronize();
  EXPECT_LE(rel(y, cpu.multiply(u)), 1e-12);
}
#endif

#ifdef DTPINN_HAVE_CUDA
TEST(CudaSparseOperator, FusedResidualMatchesCpu) {
  DTPINN_REQUIRE_CUDA();
  namespace detail = dtpinn::autodiff::detail;
  const CsrMatrix m = stencil_csr(2500, 2700, 57, 12);
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    const double tol = dtype == torch::kDouble ? 1e-12 : 1e-5;
    const SparseOperator cpu(m, torch::TensorOptions().dtype(dtype));
    const SparseOperator gpu(m, torch::TensorOptions().dtype(dtype).device(torch::kCUDA));
    auto state = detail::make_cuda_state(gpu.matrix(), gpu.transpose());
    for (std::int64_t k : {0, 3}) {
      const auto u = k == 0 ? torch::randn({m.cols}, dtype) : torch::randn({m.cols, k}, dtype);
      const auto f = k == 0 ? torch::randn({m.rows}, dtype) : torch::randn({m.rows, k}, dtype);
      const auto ref_r = cpu.multiply(u) - f;
      const double ref = ref_r.to(torch::kDouble).square().mean().item<double>();
      auto r = torch::full(ref_r.sizes(), std::nan(""), ref_r.options().device(torch::kCUDA));
      auto out = torch::full({}, std::nan(""), r.options());
      detail::residual_sq_cuda(*state, u.cuda(), f.cuda(), r, out, 1.0 / ref_r.numel());
      EXPECT_LE(rel(r, ref_r), tol) << "r, k = " << k;
      EXPECT_LE(std::abs(out.item<double>() - ref), tol * ref) << "mean r^2, k = " << k;
    }
  }
}
#endif

#ifdef DTPINN_HAVE_CUDA
// What `call` throws inside a LibTorch graph capture on a side stream ("" if nothing). A kernel
// is captured after it so that the capture, which the refusal must leave valid, is not empty.
std::string refusal_in_capture(const std::function<void()>& call, torch::Tensor& scratch) {
  const c10::cuda::CUDAStreamGuard guard(c10::cuda::getStreamFromPool());
  at::cuda::CUDAGraph graph;
  graph.capture_begin();
  std::string what;
  try {
    call();
  } catch (const std::runtime_error& e) {
    what = e.what();
  }
  scratch.mul_(2.0);
  graph.capture_end();
  return what;
}

// First uses allocate (handles, a new k's work buffer): inside a capture they are refused with
// an error that says what to do, instead of invalidating the capture; prepared, they capture.
TEST(CudaSparseOperator, FirstUseInsideCaptureIsRefusedUnlessPrepared) {
  DTPINN_REQUIRE_CUDA();
  const CsrMatrix m = stencil_csr(400, 430, 31, 13);
  const auto o = torch::TensorOptions().dtype(torch::kDouble);
  const SparseOperator cpu(m, o);
  const SparseOperator gpu(m, o.device(torch::kCUDA));
  const auto u = torch::randn({m.cols, 3}, o).cuda();
  auto scratch = torch::ones({8}, o.device(torch::kCUDA));
  const auto handles = refusal_in_capture([&] { gpu.multiply(u); }, scratch);
  EXPECT_NE(handles.find("first CUDA use"), std::string::npos) << handles;
  EXPECT_NE(handles.find("prepare"), std::string::npos) << handles;
  gpu.prepare(0);  // handles and the SpMV buffers, not k = 3
  const auto width = refusal_in_capture([&] { gpu.multiply(u); }, scratch);
  EXPECT_NE(width.find("k = 3"), std::string::npos) << width;
  gpu.prepare(3);
  (void)gpu.multiply(u);  // warm-up: cuSPARSE's first launches stay out of the capture
  torch::Tensor y;
  EXPECT_EQ(refusal_in_capture([&] { y = gpu.multiply(u); }, scratch), "");
  torch::cuda::synchronize();
  EXPECT_EQ(scratch[0].item<double>(), 1.0) << "captured work ran without a replay";
  EXPECT_THROW(gpu.prepare(-1), std::invalid_argument);
}
#endif

TEST(SparseOperatorPrepare, IsANoOpOnTheCpuAndRejectsNegativeK) {
  const CsrMatrix m = stencil_csr(50, 60, 5, 2);
  const SparseOperator cpu(m, torch::TensorOptions().dtype(torch::kDouble));
  EXPECT_NO_THROW(cpu.prepare(0));
  EXPECT_NO_THROW(cpu.prepare(24));
  EXPECT_THROW(cpu.prepare(-1), std::invalid_argument);
  const auto u = torch::randn({m.cols}, torch::kDouble);
  EXPECT_EQ(cpu.multiply(u).size(0), m.rows);
}

TEST(CudaSparseOperator, DeviceMismatchIsAnError) {
  DTPINN_REQUIRE_CUDA();
  const CsrMatrix m = stencil_csr(50, 60, 5, 1);
  const SparseOperator gpu(m, torch::TensorOptions().dtype(torch::kDouble).device(torch::kCUDA));
  EXPECT_THROW(gpu.multiply(torch::randn({m.cols}, torch::kDouble)), std::invalid_argument);
  EXPECT_THROW(gpu.multiply(torch::randn({m.cols}, torch::kFloat).cuda()), std::invalid_argument);
}

}  // namespace
