// cuSPARSE SpMV / SpMM / transpose and the hand-written CSR kernels against the CPU reference.
// Every test skips with the reason when there is no CUDA device (this machine); on the GPU
// machine they all run (scripts/gpu_test.sh fails if they skipped there).
#include "csr_reference.hpp"

#include <dtpinn/kernels/csr_kernels.hpp>
#include <dtpinn/kernels/csr_operator.hpp>
#include <dtpinn/kernels/device.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace dtpinn::kernels::test {
namespace {

constexpr double kTol64 = 1e-12;
constexpr double kTol32 = 1e-5;

class GpuCsr : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!device_available()) GTEST_SKIP() << no_device_reason();
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  }
  void TearDown() override {
    if (stream_) cudaStreamDestroy(stream_);
  }
  void sync() { check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }
  cudaStream_t stream_ = nullptr;
};

// Rounds A's values to T so that the fp32 reference measures arithmetic, not input rounding.
template <typename T>
HostCsr rounded(HostCsr a) {
  for (auto& v : a.values) v = static_cast<double>(static_cast<T>(v));
  return a;
}
template <typename T>
std::vector<double> rounded(std::vector<double> x) {
  for (auto& v : x) v = static_cast<double>(static_cast<T>(v));
  return x;
}

std::vector<HostCsr> matrices() {
  return {random_csr(1000, 1200, 60, 1), random_csr(777, 301, 9, 2), random_csr(64, 5000, 200, 3),
          random_csr(500, 800, 24, 4), laplacian_2d(60, 70, 0.01)};
}

template <typename T>
void check_spmv(cudaStream_t stream, double tol) {
  std::uint64_t seed = 100;
  for (const HostCsr& a0 : matrices()) {
    const HostCsr a = rounded<T>(a0);
    const HostCsr at = transpose(a);
    const std::vector<double> x = rounded<T>(random_vector(a.cols, ++seed));
    const std::vector<double> g = rounded<T>(random_vector(a.rows, ++seed));
    DeviceCsr<T> da(a), dat(at);
    DeviceArray<T> dx(cast<T>(x)), dg(cast<T>(g)), dy(a.rows), dz(a.cols);
    CsrOperator op(da.view), opt(dat.view);
    for (int rep = 0; rep < 2; ++rep) {  // second call reuses the cached buffer
      dy.poison();
      dz.poison();
      op.spmv(dx.get(), dy.get(), stream);
      opt.spmv(dg.get(), dz.get(), stream);
      check_cuda(cudaStreamSynchronize(stream), "sync");
      EXPECT_LE(rel_diff(widen(dy.download()), multiply(a, x)), tol) << "A x, rows " << a.rows;
      EXPECT_LE(rel_diff(widen(dz.download()), multiply(at, g)), tol) << "A^T g, rows " << a.rows;
    }
    // Hand-written kernel, same product.
    dy.poison();
    csr_spmv(da.view, dx.get(), dy.get(), stream);
    check_cuda(cudaStreamSynchronize(stream), "sync");
    EXPECT_LE(rel_diff(widen(dy.download()), multiply(a, x)), tol) << "csr_spmv, rows " << a.rows;
  }
}

TEST_F(GpuCsr, SpmvAndTransposeFp64) {
  check_spmv<double>(stream_, kTol64);
}
TEST_F(GpuCsr, SpmvAndTransposeFp32) {
  check_spmv<float>(stream_, kTol32);
}

template <typename T>
void check_spmm(cudaStream_t stream, double tol, DenseLayout layout) {
  std::uint64_t seed = 200;
  for (const HostCsr& a0 : matrices()) {
    const HostCsr a = rounded<T>(a0);
    DeviceCsr<T> da(a);
    CsrOperator op(da.view);
    for (std::int64_t k : {1, 3, 7}) {
      const std::vector<double> x = rounded<T>(random_vector(a.cols * k, ++seed));
      // Device layout: row-major as is; column-major transposed.
      std::vector<double> xd(x.size());
      for (std::int64_t i = 0; i < a.cols; ++i)
        for (std::int64_t c = 0; c < k; ++c)
          xd[layout == DenseLayout::row_major ? i * k + c : c * a.cols + i] = x[i * k + c];
      DeviceArray<T> dx(cast<T>(xd)), dy(a.rows * k);
      op.prepare(k, layout);
      const std::size_t bytes = op.workspace_bytes();
      op.spmm(dx.get(), dy.get(), k, layout, stream);
      check_cuda(cudaStreamSynchronize(stream), "sync");
      EXPECT_EQ(op.workspace_bytes(), bytes) << "apply after prepare allocated";
      const std::vector<double> yd = widen(dy.download());
      std::vector<double> y(yd.size());
      for (std::int64_t i = 0; i < a.rows; ++i)
        for (std::int64_t c = 0; c < k; ++c)
          y[i * k + c] = yd[layout == DenseLayout::row_major ? i * k + c : c * a.rows + i];
      EXPECT_LE(rel_diff(y, multiply(a, x, k)), tol) << "rows " << a.rows << " k " << k;
    }
  }
}

TEST_F(GpuCsr, SpmmRowMajorFp64) {
  check_spmm<double>(stream_, kTol64, DenseLayout::row_major);
}
TEST_F(GpuCsr, SpmmColMajorFp64) {
  check_spmm<double>(stream_, kTol64, DenseLayout::col_major);
}
TEST_F(GpuCsr, SpmmRowMajorFp32) {
  check_spmm<float>(stream_, kTol32, DenseLayout::row_major);
}

TEST_F(GpuCsr, AlphaBetaAccumulate) {
  const HostCsr a = random_csr(500, 400, 40, 7);
  const auto x = random_vector(a.cols, 8);
  const auto y0 = random_vector(a.rows, 9);
  DeviceCsr<double> da(a);
  DeviceArray<double> dx(x), dy(y0);
  CsrOperator op(da.view);
  op.spmv(dx.get(), dy.get(), stream_, 2.0, 0.5);
  sync();
  auto ref = multiply(a, x);
  for (std::size_t i = 0; i < ref.size(); ++i) ref[i] = 2.0 * ref[i] + 0.5 * y0[i];
  EXPECT_LE(rel_diff(dy.download(), ref), kTol64);
}

TEST_F(GpuCsr, EmptyMatrixWritesZeros) {
  HostCsr a;
  a.rows = 10;
  a.cols = 4;
  a.row_ptr.assign(11, 0);
  DeviceArray<std::int32_t> rp(a.row_ptr);
  CsrView v;
  v.row_ptr = rp.get();
  v.rows = 10;
  v.cols = 4;
  DeviceArray<double> dx(random_vector(4, 1)), dy(10);
  CsrOperator op(v);
  op.spmv(dx.get(), dy.get(), stream_);
  sync();
  for (double e : dy.download()) EXPECT_EQ(e, 0.0);
}

template <typename T>
void check_fused(cudaStream_t stream, double tol) {
  std::uint64_t seed = 300;
  for (const HostCsr& a0 : matrices()) {
    const HostCsr a = rounded<T>(a0);
    DeviceCsr<T> da(a);
    FusedResidual fused(a.rows, da.view.dtype);
    for (std::int64_t k : {1, 4}) {
      for (bool with_f : {true, false}) {
        const auto u = rounded<T>(random_vector(a.cols * k, ++seed));
        const auto f = rounded<T>(random_vector(a.rows * k, ++seed));
        DeviceArray<T> du(cast<T>(u)), df(cast<T>(f)), dr(a.rows * k), dout(1);
        const double scale = 1.0 / static_cast<double>(a.rows * k);
        fused.run(da.view, du.get(), with_f ? df.get() : nullptr, dr.get(), dout.get(), k, scale,
                  stream);
        check_cuda(cudaStreamSynchronize(stream), "sync");
        auto r = multiply(a, u, k);
        long double ss = 0;
        for (std::size_t i = 0; i < r.size(); ++i) {
          if (with_f) r[i] -= f[i];
          ss += static_cast<long double>(r[i]) * r[i];
        }
        const double mean = static_cast<double>(ss) * scale;
        EXPECT_LE(rel_diff(widen(dr.download()), r), tol) << "r, rows " << a.rows << " k " << k;
        const double got = static_cast<double>(dout.download()[0]);
        EXPECT_LE(std::abs(got - mean), tol * mean) << "mean r^2, rows " << a.rows << " k " << k;
      }
    }
  }
}

TEST_F(GpuCsr, FusedResidualFp64) {
  check_fused<double>(stream_, kTol64);
}
TEST_F(GpuCsr, FusedResidualFp32) {
  check_fused<float>(stream_, kTol32);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// SpMV, the row-major SpMM of the heat equation (k = 24 slices, CSR_ALG2) and the fused residual.
TEST_F(GpuCsr, ResultsAreBitwiseReproducible) {
  const HostCsr a = random_csr(3000, 3000, 50, 11);
  const std::int64_t k = 24;
  DeviceCsr<double> da(a);
  DeviceArray<double> dx(random_vector(a.cols, 12)), dX(random_vector(a.cols * k, 13)), dy(a.rows),
      dY(a.rows * k), dr(a.rows), dout(1);
  CsrOperator op(da.view);
  FusedResidual fused(a.rows, DataType::fp64);
  std::vector<double> y[2], Y[2], r[2];
  for (int rep = 0; rep < 2; ++rep) {
    op.spmv(dx.get(), dy.get(), stream_);
    op.spmm(dX.get(), dY.get(), k, DenseLayout::row_major, stream_);
    fused.run(da.view, dx.get(), nullptr, dr.get(), dout.get(), 1, 1.0, stream_);
    sync();
    y[rep] = dy.download();
    Y[rep] = dY.download();
    r[rep] = dout.download();
  }
  EXPECT_TRUE(same_bits(y[0], y[1])) << "SpMV";
  EXPECT_TRUE(same_bits(Y[0], Y[1])) << "SpMM row-major k = " << k;
  EXPECT_EQ(r[0][0], r[1][0]) << "fused residual";
  EXPECT_LE(rel_diff(Y[0], multiply(a, random_vector(a.cols * k, 13), k)), kTol64);
}

// Operators sharing one cuSPARSE handle (the benchmark's hundreds of copies of A) each give
// their own matrix's product, and outlive the operator whose handle they share.
TEST_F(GpuCsr, SharedHandleOperatorsAreIndependent) {
  const HostCsr a = random_csr(400, 300, 20, 31), b = random_csr(400, 300, 20, 32);
  const auto x = random_vector(300, 33);
  DeviceCsr<double> da(a), db(b);
  DeviceArray<double> dx(x), dy(400), dz(400);
  auto first = std::make_unique<CsrOperator>(da.view);
  CsrOperator second(db.view, *first);
  first->spmv(dx.get(), dy.get(), stream_);
  sync();  // its work buffer is freed with it
  first.reset();
  second.spmv(dx.get(), dz.get(), stream_);
  sync();
  EXPECT_LE(rel_diff(dy.download(), multiply(a, x)), kTol64);
  EXPECT_LE(rel_diff(dz.download(), multiply(b, x)), kTol64);
}

// A first use inside a capture would cudaMalloc (invalidating it): refused with a clear error
// before any CUDA call, so the capture itself stays valid and ends cleanly.
TEST_F(GpuCsr, FirstUseInsideCaptureIsRefused) {
  const HostCsr a = random_csr(300, 300, 20, 41);
  DeviceCsr<double> da(a);
  DeviceArray<double> dx(300 * 5), dy(300 * 5);
  CsrOperator op(da.view);
  op.prepare(0);
  op.spmv(dx.get(), dy.get(), stream_);  // warm-up: cuSPARSE's first launch outside the capture
  sync();
  const std::size_t bytes = op.workspace_bytes();
  check_cuda(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeGlobal), "BeginCapture");
  bool refused = false;
  try {
    op.spmm(dx.get(), dy.get(), 5, DenseLayout::row_major, stream_);
  } catch (const std::runtime_error& e) {
    refused = std::string(e.what()).find("prepare") != std::string::npos;
  }
  op.spmv(dx.get(), dy.get(), stream_);  // prepared: captured normally
  cudaGraph_t graph = nullptr;
  const cudaError_t end = cudaStreamEndCapture(stream_, &graph);
  if (graph) cudaGraphDestroy(graph);
  EXPECT_TRUE(refused) << "spmm with a new k inside a capture was not refused";
  EXPECT_EQ(end, cudaSuccess) << cuda_error_message(end, "cudaStreamEndCapture");
  EXPECT_EQ(op.workspace_bytes(), bytes) << "the refused call allocated";
}

// The apply path must be capturable: prepare(), capture SpMV + SpMM + fused residual into a
// CUDA graph, replay it on new inputs (same addresses) and compare with the CPU.
TEST_F(GpuCsr, CapturedInCudaGraph) {
  const HostCsr a = laplacian_2d(50, 40, 0.02);
  const std::int64_t k = 3;
  DeviceCsr<double> da(a);
  DeviceArray<double> dx(a.cols), dX(a.cols * k), dy(a.rows), dY(a.rows * k), dr(a.rows), dout(1);
  CsrOperator op(da.view);
  FusedResidual fused(a.rows, DataType::fp64);
  op.prepare(0);
  op.prepare(k, DenseLayout::row_major);
  // Warm-up: the first launch of each kernel (cuSPARSE's and ours) loads its module and may
  // set up library state, none of which belongs in a capture. Global mode, as LibTorch uses.
  op.spmv(dx.get(), dy.get(), stream_);
  op.spmm(dX.get(), dY.get(), k, DenseLayout::row_major, stream_);
  fused.run(da.view, dx.get(), nullptr, dr.get(), dout.get(), 1, 1.0, stream_);
  sync();
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  check_cuda(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeGlobal), "BeginCapture");
  op.spmv(dx.get(), dy.get(), stream_);
  op.spmm(dX.get(), dY.get(), k, DenseLayout::row_major, stream_);
  fused.run(da.view, dx.get(), nullptr, dr.get(), dout.get(), 1, 1.0, stream_);
  check_cuda(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
  check_cuda(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
  for (std::uint64_t seed : {21u, 22u}) {
    const auto x = random_vector(a.cols, seed);
    const auto X = random_vector(a.cols * k, seed + 100);
    dx.upload(x);
    dX.upload(X);
    dy.poison();
    dY.poison();
    check_cuda(cudaGraphLaunch(exec, stream_), "cudaGraphLaunch");
    sync();
    const auto ref = multiply(a, x);
    EXPECT_LE(rel_diff(dy.download(), ref), kTol64);
    EXPECT_LE(rel_diff(dY.download(), multiply(a, X, k)), kTol64);
    long double ss = 0;
    for (double v : ref) ss += static_cast<long double>(v) * v;
    EXPECT_LE(std::abs(dout.download()[0] - static_cast<double>(ss)),
              kTol64 * static_cast<double>(ss));
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
}

}  // namespace
}  // namespace dtpinn::kernels::test
