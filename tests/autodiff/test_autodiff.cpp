// The custom SpMV autograd op (forward A u, backward A^T g) against dense references and finite
// differences, and the autograd derivative helpers against analytic derivatives.
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

using dtpinn::autodiff::SparseOperator;
using dtpinn::rbffd::CsrMatrix;

namespace {

/// A random rows x cols CSR with up to `per_row` entries a row (sorted, distinct columns), one
/// empty row and columns that nothing touches, so the transpose has empty rows too.
CsrMatrix random_csr(int rows, int cols, int per_row, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> col(0, cols - 3);  // last two columns never used
  std::uniform_real_distribution<double> val(-2.0, 2.0);
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.row_ptr.push_back(0);
  for (int r = 0; r < rows; ++r) {
    std::vector<int> cs;
    if (r != rows / 2) {
      for (int k = 0; k < per_row; ++k) cs.push_back(col(rng));
      std::sort(cs.begin(), cs.end());
      cs.erase(std::unique(cs.begin(), cs.end()), cs.end());
    }
    for (int c : cs) {
      m.col_idx.push_back(c);
      m.values.push_back(val(rng));
    }
    m.row_ptr.push_back(static_cast<std::int32_t>(m.col_idx.size()));
  }
  return m;
}

torch::Tensor dense(const CsrMatrix& m, torch::Dtype dtype = torch::kFloat64) {
  auto d = torch::zeros({m.rows, m.cols}, torch::kFloat64);
  auto acc = d.accessor<double, 2>();
  for (int r = 0; r < m.rows; ++r)
    for (int k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) acc[r][m.col_idx[k]] += m.values[k];
  return d.to(dtype);
}

double rel(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-300);
}

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

}  // namespace

TEST(SparseOperator, ShapesAndTranspose) {
  auto m = random_csr(37, 53, 7, 1);
  SparseOperator op(m, f64);
  EXPECT_EQ(op.rows(), 37);
  EXPECT_EQ(op.cols(), 53);
  EXPECT_EQ(op.nnz(), m.nnz());
  EXPECT_EQ(op.transpose().rows, 53);
  EXPECT_EQ(op.transpose().cols, 37);
  // A^T stored explicitly equals the dense transpose.
  auto g = torch::randn({37}, f64);
  EXPECT_LT(rel(op.multiply_transpose(g), dense(m).t().matmul(g)), 1e-14);
}

TEST(SparseOperator, ForwardMatchesDense) {
  torch::manual_seed(0);
  auto m = random_csr(120, 150, 9, 2);
  SparseOperator op(m, f64);
  auto u = torch::randn({150}, f64);
  EXPECT_LT(rel(op.multiply(u), dense(m).matmul(u)), 1e-14);
  EXPECT_LT(rel(op.apply(u), dense(m).matmul(u)), 1e-14);
  // Multi-column: [cols, k] in one call equals k single SpMVs.
  auto U = torch::randn({150, 5}, f64);
  auto Y = op.multiply(U);
  ASSERT_EQ(Y.sizes(), (std::vector<std::int64_t>{120, 5}));
  EXPECT_LT(rel(Y, dense(m).matmul(U)), 1e-14);
  for (int c = 0; c < 5; ++c)
    EXPECT_LT(rel(Y.select(1, c), op.multiply(U.select(1, c).contiguous())), 1e-15);
  // Wide inputs (column tiles over row blocks, a Gauss-Newton Jacobian's shape), with a partial
  // last tile: the same columns as one at a time.
  auto W = torch::randn({150, 1000}, f64);
  auto YW = op.multiply(W);
  EXPECT_LT(rel(YW, dense(m).matmul(W)), 1e-14);
  for (const int c : {0, 255, 256, 767, 768, 999})
    EXPECT_LT(rel(YW.select(1, c), op.multiply(W.select(1, c).contiguous())), 1e-15) << c;
  // Non-contiguous input (a transposed view) is accepted.
  auto Ut = torch::randn({5, 150}, f64).t();
  EXPECT_LT(rel(op.multiply(Ut), dense(m).matmul(Ut)), 1e-14);
}

TEST(SparseOperator, Fp32) {
  torch::manual_seed(1);
  auto m = random_csr(80, 90, 8, 3);
  SparseOperator op(m, torch::TensorOptions().dtype(torch::kFloat32));
  EXPECT_EQ(op.dtype(), torch::kFloat32);
  auto u = torch::randn({90, 3}, torch::kFloat32).requires_grad_(true);
  auto y = op.apply(u);
  EXPECT_EQ(y.scalar_type(), torch::kFloat32);
  EXPECT_LT(rel(y.to(torch::kFloat64), dense(m).matmul(u.detach().to(torch::kFloat64))), 1e-6);
  y.pow(2).sum().backward();
  auto ref = 2 * dense(m).t().matmul(dense(m).matmul(u.detach().to(torch::kFloat64)));
  EXPECT_LT(rel(u.grad().to(torch::kFloat64), ref), 1e-5);
}

TEST(SparseOperator, GradientMatchesDenseAutograd) {
  torch::manual_seed(2);
  auto m = random_csr(60, 75, 10, 4);
  SparseOperator op(m, f64);
  auto D = dense(m);
  auto w = torch::randn({60, 4}, f64);
  auto u1 = torch::randn({75, 4}, f64).requires_grad_(true);
  auto u2 = u1.detach().clone().requires_grad_(true);
  (torch::sin(op.apply(u1)) * w).sum().backward();
  (torch::sin(D.matmul(u2)) * w).sum().backward();
  EXPECT_LT(rel(u1.grad(), u2.grad()), 1e-12);
}

TEST(SparseOperator, GradientMatchesFiniteDifferences) {
  torch::manual_seed(3);
  auto m = random_csr(30, 40, 6, 5);
  SparseOperator op(m, f64);
  auto loss = [&](const torch::Tensor& u) {
    auto y = op.apply(u);
    return (torch::sin(y) + 0.5 * y.pow(2)).sum();
  };
  auto u = torch::randn({40}, f64).requires_grad_(true);
  loss(u).backward();
  auto grad = u.grad().clone();
  auto fd = torch::zeros_like(grad);
  const double h = 1e-5;
  torch::NoGradGuard ng;
  for (int i = 0; i < 40; ++i) {
    auto up = u.detach().clone(), um = u.detach().clone();
    up[i] += h;
    um[i] -= h;
    fd[i] = (loss(up) - loss(um)) / (2 * h);
  }
  EXPECT_LT(rel(grad, fd), 1e-7);
}

TEST(SparseOperator, GradientFlowsToNetworkWeightsOnly) {
  // u = tanh(x W): the op passes A^T g back to W; the operator itself has no gradient.
  torch::manual_seed(4);
  auto m = random_csr(25, 30, 5, 6);
  SparseOperator op(m, f64);
  auto x = torch::randn({30, 3}, f64);
  auto W1 = torch::randn({3, 1}, f64).requires_grad_(true);
  auto W2 = W1.detach().clone().requires_grad_(true);
  op.apply(torch::tanh(x.matmul(W1)).squeeze(1)).pow(2).mean().backward();
  dense(m).matmul(torch::tanh(x.matmul(W2)).squeeze(1)).pow(2).mean().backward();
  EXPECT_LT(rel(W1.grad(), W2.grad()), 1e-12);
  EXPECT_FALSE(op.matrix().values.requires_grad());
}

TEST(SparseOperator, DoubleBackward) {
  // grad_u sum((A u)^2) = 2 A^T A u; its derivative along v is 2 A^T A v.
  torch::manual_seed(5);
  auto m = random_csr(20, 25, 5, 7);
  SparseOperator op(m, f64);
  auto u = torch::randn({25}, f64).requires_grad_(true);
  auto v = torch::randn({25}, f64);
  auto g = torch::autograd::grad({op.apply(u).pow(2).sum()}, {u}, {}, true, true)[0];
  auto h = torch::autograd::grad({(g * v).sum()}, {u})[0];
  auto D = dense(m);
  EXPECT_LT(rel(h, 2 * D.t().matmul(D.matmul(v))), 1e-12);
}

TEST(SparseOperator, RejectsBadInput) {
  auto m = random_csr(10, 12, 3, 8);
  SparseOperator op(m, f64);
  EXPECT_THROW(op.multiply(torch::zeros({11}, f64)), std::invalid_argument);
  EXPECT_THROW(op.multiply(torch::zeros({12}, torch::kFloat32)), std::invalid_argument);
  EXPECT_THROW(op.multiply(torch::zeros({12, 2, 2}, f64)), std::invalid_argument);
  auto bad = m;
  bad.col_idx[0] = 99;
  EXPECT_THROW(SparseOperator(bad, f64), std::invalid_argument);
  bad = m;
  bad.row_ptr.pop_back();
  EXPECT_THROW(SparseOperator(bad, f64), std::invalid_argument);
}

TEST(SparseOperator, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: CPU/CUDA comparison not run";
#ifndef DTPINN_HAVE_CUDA
  GTEST_SKIP() << "built without the CUDA path (nvcc not found at configure time)";
#else
  torch::manual_seed(6);
  auto m = random_csr(500, 520, 12, 9);
  SparseOperator cpu(m, f64);
  SparseOperator gpu(m, f64.device(torch::kCUDA));
  for (int k : {1, 7}) {
    auto u = k == 1 ? torch::randn({520}, f64) : torch::randn({520, k}, f64);
    auto yc = cpu.multiply(u);
    auto yg = gpu.multiply(u.to(torch::kCUDA)).cpu();
    EXPECT_LT(rel(yg, yc), 1e-12) << "k = " << k;
    auto g = k == 1 ? torch::randn({500}, f64) : torch::randn({500, k}, f64);
    EXPECT_LT(rel(gpu.multiply_transpose(g.to(torch::kCUDA)).cpu(), cpu.multiply_transpose(g)),
              1e-12);
    auto ug = u.to(torch::kCUDA).requires_grad_(true);
    auto uc = u.clone().requires_grad_(true);
    torch::sin(gpu.apply(ug)).sum().backward();
    torch::sin(cpu.apply(uc)).sum().backward();
    EXPECT_LT(rel(ug.grad().cpu(), uc.grad()), 1e-12);
  }
#endif
}

// ---- autograd derivative helpers ----------------------------------------------------------

using dtpinn::autodiff::input_gradient;
using dtpinn::autodiff::laplacian;
using dtpinn::autodiff::normal_derivative;
using dtpinn::autodiff::time_derivative;

TEST(Derivatives, LaplacianOfKnownFunction2D) {
  auto x = torch::rand({50, 2}, f64).mul(2).sub(1).requires_grad_(true);
  auto X = x.select(1, 0), Y = x.select(1, 1);
  auto u = torch::sin(M_PI * X) * torch::cos(M_PI * Y) + X.pow(2) * Y.pow(3);
  auto g = input_gradient(u, x);
  auto lap = laplacian(g, x, 2);
  auto Xd = X.detach(), Yd = Y.detach();
  auto lap_ref = -2 * M_PI * M_PI * torch::sin(M_PI * Xd) * torch::cos(M_PI * Yd) + 2 * Yd.pow(3) +
                 6 * Xd.pow(2) * Yd;
  EXPECT_LT(rel(lap.detach(), lap_ref), 1e-13);
  auto gx_ref = M_PI * torch::cos(M_PI * Xd) * torch::cos(M_PI * Yd) + 2 * Xd * Yd.pow(3);
  EXPECT_LT(rel(g.select(1, 0).detach(), gx_ref), 1e-13);
  // n . grad with n = (0.6, 0.8)
  auto n = torch::tensor({0.6, 0.8}, f64).expand({50, 2}).contiguous();
  auto gy_ref = -M_PI * torch::sin(M_PI * Xd) * torch::sin(M_PI * Yd) + 3 * Xd.pow(2) * Yd.pow(2);
  EXPECT_LT(rel(normal_derivative(g, n).detach(), 0.6 * gx_ref + 0.8 * gy_ref), 1e-13);
  // The Laplacian keeps the graph: it can be differentiated again (as the vanilla loss does).
  EXPECT_TRUE(lap.requires_grad());
}

TEST(Derivatives, LaplacianAndTimeDerivative3DPlusTime) {
  auto x = torch::rand({40, 4}, f64).requires_grad_(true);  // x, y, z, t
  auto X = x.select(1, 0), Y = x.select(1, 1), Z = x.select(1, 2), T = x.select(1, 3);
  auto u = torch::exp(X + 2 * Y) * torch::cos(Z) * torch::sin(T) + T.pow(2) * Z;
  auto g = input_gradient(u, x);
  auto lap = laplacian(g, x, 3);  // spatial only
  auto e = torch::exp(X + 2 * Y).detach() * torch::cos(Z).detach();
  auto lap_ref = (1 + 4 - 1) * e * torch::sin(T).detach();
  EXPECT_LT(rel(lap.detach(), lap_ref), 1e-13);
  auto ut_ref = e * torch::cos(T).detach() + 2 * T.detach() * Z.detach();
  EXPECT_LT(rel(time_derivative(g, 3).detach(), ut_ref), 1e-13);
}

TEST(Derivatives, LaplacianOfSmallNetworkVsFiniteDifferences) {
  torch::manual_seed(7);
  torch::nn::Sequential net(torch::nn::Linear(2, 20), torch::nn::Tanh(), torch::nn::Linear(20, 20),
                            torch::nn::Tanh(), torch::nn::Linear(20, 1));
  net->to(torch::kFloat64);
  auto x = torch::rand({30, 2}, f64).requires_grad_(true);
  auto lap = laplacian(net->forward(x).squeeze(1), x, 2, false, nullptr);
  torch::NoGradGuard ng;
  const double h = 1e-3;
  auto f = [&](const torch::Tensor& p) { return net->forward(p).squeeze(1); };
  auto x0 = x.detach();
  auto fd = -4 * f(x0);
  for (int i = 0; i < 2; ++i) {
    auto e = torch::zeros({1, 2}, f64);
    e[0][i] = h;
    fd = fd + f(x0 + e) + f(x0 - e);
  }
  fd = fd / (h * h);
  // Central differences are O(h^2) accurate: ~1e-6 relative here.
  EXPECT_LT(rel(lap, fd), 1e-5);
}
