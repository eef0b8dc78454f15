// Host-only tests of the kernels library: they run (and must pass) on a machine without a GPU.
#include <dtpinn/kernels/capture.hpp>
#include <dtpinn/kernels/csr_kernels.hpp>
#include <dtpinn/kernels/csr_operator.hpp>
#include <dtpinn/kernels/device.hpp>
#include <dtpinn/kernels/error.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace dtpinn::kernels {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(KernelsHost, CudaErrorMessageNamesApiAndError) {
  const std::string m = cuda_error_message(cudaErrorInvalidValue, "cudaMemcpyAsync");
  EXPECT_TRUE(contains(m, "cudaMemcpyAsync: ")) << m;
  EXPECT_TRUE(contains(m, "invalid argument")) << m;
  EXPECT_TRUE(contains(m, "cudaErrorInvalidValue = 1")) << m;
}

TEST(KernelsHost, CusparseErrorMessageNamesApiAndStatus) {
  const std::string ok = cusparse_error_message(0, "cusparseSpMV");
  const std::string bad = cusparse_error_message(3, "cusparseSpMV");  // INVALID_VALUE
  EXPECT_TRUE(contains(bad, "cusparseSpMV: ")) << bad;
  EXPECT_TRUE(contains(bad, "(3)")) << bad;
  EXPECT_NE(ok, bad);
  EXPECT_GT(bad.size(), std::string("cusparseSpMV:  (3)").size()) << "empty error string";
}

TEST(KernelsHost, CheckFunctionsThrowOnlyOnFailure) {
  EXPECT_NO_THROW(check_cuda(cudaSuccess, "x"));
  EXPECT_NO_THROW(check_cusparse(0, "x"));
  try {
    check_cuda(cudaErrorMemoryAllocation, "cudaMalloc");
    FAIL() << "no exception";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.code(), static_cast<int>(cudaErrorMemoryAllocation));
    EXPECT_TRUE(contains(e.what(), "cudaMalloc: ")) << e.what();
  }
  try {
    check_cusparse(2, "cusparseCreate");  // ALLOC_FAILED
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {  // CudaError is a std::runtime_error
    EXPECT_TRUE(contains(e.what(), "cusparseCreate: ")) << e.what();
  }
}

TEST(KernelsHost, DeviceQueryNeverThrowsAndIsConsistent) {
  int n = -1;
  ASSERT_NO_THROW(n = device_count());
  EXPECT_GE(n, 0);
  EXPECT_EQ(device_available(), n > 0);
  const std::string reason = no_device_reason();
  if (n == 0) {
    EXPECT_EQ(reason.rfind("no CUDA device: ", 0), 0u) << reason;
    EXPECT_THROW(device_name(0), CudaError);
  } else {
    EXPECT_TRUE(reason.empty()) << reason;
    EXPECT_FALSE(device_name(0).empty());
  }
  // A failed query must not leave a sticky error behind for the next CUDA call to report.
  EXPECT_EQ(device_count(), n);
}

CsrView fake_view() {
  // Host-side validation never dereferences: any non-null address will do.
  static std::int32_t ints[4] = {0, 1, 2, 0};
  static double vals[2] = {1.0, 2.0};
  CsrView v;
  v.row_ptr = ints;
  v.col_idx = ints;
  v.values = vals;
  v.rows = 2;
  v.cols = 3;
  v.nnz = 2;
  return v;
}

void expect_invalid(const CsrView& v, const std::string& field) {
  try {
    validate(v);
    FAIL() << "no exception for " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), field)) << e.what();
  }
}

TEST(KernelsHost, ValidateRejectsBadViews) {
  EXPECT_NO_THROW(validate(fake_view()));
  CsrView v = fake_view();
  v.rows = -1;
  expect_invalid(v, "rows");
  v = fake_view();
  v.cols = std::int64_t{1} << 40;
  expect_invalid(v, "cols");
  v = fake_view();
  v.nnz = -5;
  expect_invalid(v, "nnz");
  v = fake_view();
  v.row_ptr = nullptr;
  expect_invalid(v, "row_ptr");
  v = fake_view();
  v.col_idx = nullptr;
  expect_invalid(v, "col_idx");
  v = fake_view();
  v.values = nullptr;
  expect_invalid(v, "values");
  // An empty matrix needs no col_idx/values.
  v = fake_view();
  v.nnz = 0;
  v.col_idx = nullptr;
  v.values = nullptr;
  EXPECT_NO_THROW(validate(v));
}

TEST(KernelsHost, EntryPointsValidateBeforeTouchingTheDevice) {
  CsrView v = fake_view();
  v.row_ptr = nullptr;
  EXPECT_THROW(CsrOperator op(v), std::invalid_argument);
  EXPECT_THROW(csr_spmv(v, nullptr, nullptr, nullptr), std::invalid_argument);
  EXPECT_THROW(FusedResidual(-3, DataType::fp64), std::invalid_argument);
}

// The decision behind refuse_during_capture, for every answer cudaStreamIsCapturing can give.
TEST(KernelsHost, CaptureRefusalOnlyWhileCapturing) {
  EXPECT_EQ(capture_refusal(cudaSuccess, cudaStreamCaptureStatusNone, "op"), "");
  const std::string active = capture_refusal(cudaSuccess, cudaStreamCaptureStatusActive, "op x");
  EXPECT_TRUE(contains(active, "op x would allocate")) << active;
  EXPECT_TRUE(contains(active, "prepare")) << active;
  EXPECT_NE(capture_refusal(cudaSuccess, cudaStreamCaptureStatusInvalidated, "op"), "");
  // The legacy stream while another (blocking) stream captures.
  EXPECT_NE(capture_refusal(cudaErrorStreamCaptureImplicit, cudaStreamCaptureStatusNone, "op"), "");
  // Not a capture: the allocation reports its own error.
  EXPECT_EQ(capture_refusal(cudaErrorNoDevice, cudaStreamCaptureStatusActive, "op"), "");
  EXPECT_EQ(capture_refusal(cudaErrorInsufficientDriver, cudaStreamCaptureStatusNone, "op"), "");
}

TEST(KernelsHost, RefuseDuringCaptureWithoutADeviceDoesNotThrow) {
  if (device_available()) GTEST_SKIP() << "a CUDA device is present (the GPU tests cover this)";
  EXPECT_NO_THROW(refuse_during_capture(nullptr, "op"));
  (void)cudaGetLastError();  // leave no error behind for the next test
}

TEST(KernelsHost, ElementSizes) {
  EXPECT_EQ(element_size(DataType::fp64), 8);
  EXPECT_EQ(element_size(DataType::fp32), 4);
}

}  // namespace
}  // namespace dtpinn::kernels
