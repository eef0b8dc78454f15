#pragma once
// Host-side helpers for the kernel tests: CPU CSR matrices (random and 2D Laplacian), the CPU
// reference products, and a small RAII device array. No LibTorch.
#include <dtpinn/kernels/csr.hpp>
#include <dtpinn/kernels/error.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace dtpinn::kernels::test {

/// A CPU CSR matrix: the engine's own (rbffd/csr_matrix.hpp), with its transpose.
using HostCsr = rbffd::CsrMatrix;
using rbffd::transpose;

/// Random CSR: row lengths uniform in [0, max_len] (some rows empty), sorted distinct columns,
/// values uniform in [-1, 1].
inline HostCsr random_csr(std::int64_t rows, std::int64_t cols, int max_len, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> len(0, max_len);
  std::uniform_int_distribution<std::int64_t> col(0, cols - 1);
  std::uniform_real_distribution<double> val(-1.0, 1.0);
  HostCsr a;
  a.rows = rows;
  a.cols = cols;
  a.row_ptr.push_back(0);
  for (std::int64_t i = 0; i < rows; ++i) {
    std::vector<std::int32_t> c;
    const int n = std::min<std::int64_t>(len(gen), cols);
    while (static_cast<int>(c.size()) < n) {
      const auto j = static_cast<std::int32_t>(col(gen));
      if (std::find(c.begin(), c.end(), j) == c.end()) c.push_back(j);
    }
    std::sort(c.begin(), c.end());
    for (auto j : c) {
      a.col_idx.push_back(j);
      a.values.push_back(val(gen));
    }
    a.row_ptr.push_back(static_cast<std::int32_t>(a.col_idx.size()));
  }
  return a;
}

/// 5-point Laplacian on an nx x ny grid with spacing h (Dirichlet rows kept as identity on the
/// border): the sparsity of a low-order finite-difference operator.
inline HostCsr laplacian_2d(int nx, int ny, double h = 1.0) {
  HostCsr a;
  a.rows = a.cols = static_cast<std::int64_t>(nx) * ny;
  a.row_ptr.push_back(0);
  const double s = 1.0 / (h * h);
  for (int j = 0; j < ny; ++j) {
    for (int i = 0; i < nx; ++i) {
      const std::int32_t id = j * nx + i;
      if (i == 0 || j == 0 || i == nx - 1 || j == ny - 1) {
        a.col_idx.push_back(id);
        a.values.push_back(1.0);
      } else {
        const std::int32_t nb[5] = {id - nx, id - 1, id, id + 1, id + nx};
        const double w[5] = {s, s, -4.0 * s, s, s};
        for (int t = 0; t < 5; ++t) {
          a.col_idx.push_back(nb[t]);
          a.values.push_back(w[t]);
        }
      }
      a.row_ptr.push_back(static_cast<std::int32_t>(a.col_idx.size()));
    }
  }
  return a;
}

/// Y = A X, X [cols, k] and Y [rows, k] row-major, in long double.
inline std::vector<double> multiply(const HostCsr& a, const std::vector<double>& x,
                                    std::int64_t k = 1) {
  std::vector<double> y(static_cast<std::size_t>(a.rows * k));
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (std::int64_t c = 0; c < k; ++c) {
      long double s = 0;
      for (auto e = a.row_ptr[i]; e < a.row_ptr[i + 1]; ++e)
        s += static_cast<long double>(a.values[e]) * x[a.col_idx[e] * k + c];
      y[i * k + c] = static_cast<double>(s);
    }
  }
  return y;
}

inline std::vector<double> random_vector(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<double> v(n);
  for (auto& e : v) e = d(gen);
  return v;
}

/// ||a - b|| / ||b|| (NaN anywhere in a gives NaN, which fails every <= comparison).
inline double rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  long double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (static_cast<long double>(a[i]) - b[i]) * (static_cast<long double>(a[i]) - b[i]);
    den += static_cast<long double>(b[i]) * b[i];
  }
  return static_cast<double>(std::sqrt(num) / std::sqrt(den));
}

/// Waits for all work on the device. The tests launch on a non-blocking stream, which does not
/// order against the legacy default stream of cudaMemcpy / cudaMemset: a kernel could read an
/// input before its upload (or poison) lands, and an upload could overwrite what a kernel still
/// reads. Fencing on both sides makes every host round trip below complete and ordered.
inline void device_fence() {
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

/// Device array of T with host round trips, each finished (on every stream) before it returns;
/// poisoned (all bytes 0xff: NaN) when made. Not for use inside a CUDA graph capture.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t n) : n_(n) {
    if (n_ == 0) return;
    void* p = nullptr;
    check_cuda(cudaMalloc(&p, n_ * sizeof(T)), "cudaMalloc");
    ptr_ = static_cast<T*>(p);
    poison();
  }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) { upload(host); }
  ~DeviceArray() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  void upload(const std::vector<T>& host) {
    if (!n_) return;
    device_fence();
    check_cuda(cudaMemcpy(ptr_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    device_fence();  // pageable H2D copies may return before the data reaches the device
  }
  std::vector<T> download() const {
    std::vector<T> h(n_);
    if (!n_) return h;
    device_fence();
    check_cuda(cudaMemcpy(h.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy");
    return h;
  }
  void poison() {
    if (!n_) return;
    device_fence();
    check_cuda(cudaMemset(ptr_, 0xff, n_ * sizeof(T)), "cudaMemset");
    device_fence();  // cudaMemset is asynchronous to the host
  }
  T* get() const { return ptr_; }
  std::size_t size() const { return n_; }

 private:
  std::size_t n_ = 0;
  T* ptr_ = nullptr;
};

template <typename T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}
template <typename T>
std::vector<double> widen(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

/// A HostCsr uploaded to the device in precision T.
template <typename T>
struct DeviceCsr {
  DeviceArray<std::int32_t> row_ptr, col_idx;
  DeviceArray<T> values;
  CsrView view;
  explicit DeviceCsr(const HostCsr& a)
      : row_ptr(a.row_ptr), col_idx(a.col_idx), values(cast<T>(a.values)) {
    view.row_ptr = row_ptr.get();
    view.col_idx = col_idx.get();
    view.values = values.get();
    view.rows = a.rows;
    view.cols = a.cols;
    view.nnz = static_cast<std::int64_t>(a.values.size());
    view.dtype = sizeof(T) == 8 ? DataType::fp64 : DataType::fp32;
  }
};

}  // namespace dtpinn::kernels::test
