// Hand-written CSR kernels: row-per-group SpMV and the fused DT-PINN residual.
//
// RBF-FD rows hold n = 31 (p = 3), 43 (p = 4) or 57 (p = 5) entries for the 2D Laplacian, so a
// group of 32 lanes per row reads each row's col_idx/values in one or two coalesced sweeps;
// shorter rows (boundary operators, tests) use 8 or 16 lanes so that lanes are not idle.
#include <dtpinn/kernels/csr_kernels.hpp>
#include <dtpinn/kernels/error.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dtpinn::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr unsigned kFull = 0xffffffffu;

// Dot product of row `row` of A with column `j` of the row-major [cols, k] block x, computed by
// a group of G lanes (lane = index within the group); every lane returns the full sum.
// All 32 lanes of the warp must call this together (the shuffles use the full mask).
template <int G, typename T>
__device__ __forceinline__ T row_dot(const std::int32_t* __restrict__ row_ptr,
                                     const std::int32_t* __restrict__ col_idx,
                                     const T* __restrict__ values, const T* __restrict__ x,
                                     std::int64_t row, bool valid, std::int64_t k, std::int64_t j,
                                     int lane) {
  T sum = T(0);
  if (valid) {
    const int begin = row_ptr[row];
    const int end = row_ptr[row + 1];
    for (int e = begin + lane; e < end; e += G) {
      sum += values[e] * x[static_cast<std::int64_t>(col_idx[e]) * k + j];
    }
  }
#pragma unroll
  for (int offset = G / 2; offset > 0; offset /= 2) sum += __shfl_xor_sync(kFull, sum, offset, G);
  return sum;
}

template <int G, typename T>
__global__ void __launch_bounds__(kThreads)
    spmv_kernel(std::int64_t rows, const std::int32_t* __restrict__ row_ptr,
                const std::int32_t* __restrict__ col_idx, const T* __restrict__ values,
                const T* __restrict__ x, T* __restrict__ y) {
  constexpr int kGroups = kThreads / G;
  const int lane = threadIdx.x % G;
  const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * kGroups;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kGroups;
  // Uniform trip count across the warp (the base advances by whole blocks), so every lane
  // reaches every shuffle; rows past the end only skip loads and stores.
  for (std::int64_t base = first; base < rows; base += stride) {
    const std::int64_t row = base + threadIdx.x / G;
    const bool valid = row < rows;
    const T sum = row_dot<G, T>(row_ptr, col_idx, values, x, row, valid, 1, 0, lane);
    if (valid && lane == 0) y[row] = sum;
  }
}

// One warp per row (and column): r = A u - f, and per-block partial sums of r^2.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    residual_kernel(std::int64_t rows, std::int64_t k, const std::int32_t* __restrict__ row_ptr,
                    const std::int32_t* __restrict__ col_idx, const T* __restrict__ values,
                    const T* __restrict__ u, const T* __restrict__ f, T* __restrict__ r,
                    T* __restrict__ partials) {
  __shared__ T warp_sums[kWarps];
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * kWarps;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kWarps;
  T acc = T(0);
  for (std::int64_t base = first; base < rows; base += stride) {
    const std::int64_t row = base + warp;
    const bool valid = row < rows;
    for (std::int64_t j = 0; j < k; ++j) {
      const T au = row_dot<32, T>(row_ptr, col_idx, values, u, row, valid, k, j, lane);
      if (valid && lane == 0) {
        const std::int64_t at = row * k + j;
        const T res = f ? au - f[at] : au;
        r[at] = res;
        acc += res * res;
      }
    }
  }
  if (lane == 0) warp_sums[warp] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    T s = T(0);
    for (int w = 0; w < kWarps; ++w) s += warp_sums[w];  // fixed order: deterministic
    partials[blockIdx.x] = s;
  }
}

// Single block: out = scale * sum(partials), in a fixed order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    reduce_kernel(int n, const T* __restrict__ partials, T scale, T* __restrict__ out) {
  __shared__ T buf[kThreads];
  T s = T(0);
  for (int i = threadIdx.x; i < n; i += kThreads) s += partials[i];
  buf[threadIdx.x] = s;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) buf[threadIdx.x] += buf[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = scale * buf[0];
}

int grid_for(std::int64_t groups_needed, std::int64_t groups_per_block) {
  // Enough blocks to cover every row once, capped: a grid-stride loop covers the rest.
  const std::int64_t blocks = (groups_needed + groups_per_block - 1) / groups_per_block;
  return static_cast<int>(std::clamp<std::int64_t>(blocks, 1, 65535));
}

template <int G, typename T>
void launch_spmv(const CsrView& a, const void* x, void* y, cudaStream_t stream) {
  spmv_kernel<G, T><<<grid_for(a.rows, kThreads / G), kThreads, 0, stream>>>(
      a.rows, a.row_ptr, a.col_idx, static_cast<const T*>(a.values), static_cast<const T*>(x),
      static_cast<T*>(y));
}

template <typename T>
void spmv_typed(const CsrView& a, const void* x, void* y, cudaStream_t stream) {
  const double mean = a.rows > 0 ? static_cast<double>(a.nnz) / static_cast<double>(a.rows) : 0;
  if (mean > 16)
    launch_spmv<32, T>(a, x, y, stream);
  else if (mean > 8)
    launch_spmv<16, T>(a, x, y, stream);
  else
    launch_spmv<8, T>(a, x, y, stream);
}

}  // namespace

void csr_spmv(const CsrView& a, const void* x, void* y, cudaStream_t stream) {
  validate(a);
  if (a.rows == 0) return;
  if (y == nullptr || (a.nnz > 0 && x == nullptr)) {
    throw std::invalid_argument("dtpinn::kernels::csr_spmv: null input or output pointer");
  }
  if (a.dtype == DataType::fp64)
    spmv_typed<double>(a, x, y, stream);
  else
    spmv_typed<float>(a, x, y, stream);
  check_cuda(cudaGetLastError(), "csr_spmv kernel launch");
}

FusedResidual::FusedResidual(std::int64_t rows, DataType dtype) : rows_(rows), dtype_(dtype) {
  if (rows < 0) {
    throw std::invalid_argument("dtpinn::kernels::FusedResidual: rows = " + std::to_string(rows) +
                                " < 0");
  }
  // Grid fixed per operator: enough warps for one row each up to 1024 blocks, so the final
  // single-block reduction reads at most 1024 partials.
  blocks_ = std::min(grid_for(std::max<std::int64_t>(rows, 1), kWarps), 1024);
  check_cuda(cudaMalloc(&partials_, static_cast<std::size_t>(blocks_) * element_size(dtype)),
             "cudaMalloc (FusedResidual partials)");
}

FusedResidual::~FusedResidual() {
  if (partials_) cudaFree(partials_);
}

FusedResidual::FusedResidual(FusedResidual&& o) noexcept
    : rows_(o.rows_), dtype_(o.dtype_), blocks_(o.blocks_), partials_(o.partials_) {
  o.partials_ = nullptr;
}

FusedResidual& FusedResidual::operator=(FusedResidual&& o) noexcept {
  if (this != &o) {
    if (partials_) cudaFree(partials_);
    rows_ = o.rows_;
    dtype_ = o.dtype_;
    blocks_ = o.blocks_;
    partials_ = o.partials_;
    o.partials_ = nullptr;
  }
  return *this;
}

void FusedResidual::run(const CsrView& a, const void* u, const void* f, void* r, void* out,
                        std::int64_t k, double scale, cudaStream_t stream) const {
  validate(a);
  const std::string who = "dtpinn::kernels::FusedResidual::run: ";
  if (a.rows != rows_) {
    throw std::invalid_argument(who + "matrix has " + std::to_string(a.rows) +
                                " rows, workspace was made for " + std::to_string(rows_));
  }
  if (a.dtype != dtype_) throw std::invalid_argument(who + "dtype differs from the workspace's");
  if (k < 1) throw std::invalid_argument(who + "k = " + std::to_string(k) + " < 1");
  if (out == nullptr || (a.rows > 0 && r == nullptr) || (a.nnz > 0 && u == nullptr)) {
    throw std::invalid_argument(who + "null u, r or out pointer");
  }
  if (partials_ == nullptr) throw std::logic_error(who + "moved-from workspace");
  if (dtype_ == DataType::fp64) {
    residual_kernel<double><<<blocks_, kThreads, 0, stream>>>(
        a.rows, k, a.row_ptr, a.col_idx, static_cast<const double*>(a.values),
        static_cast<const double*>(u), static_cast<const double*>(f), static_cast<double*>(r),
        static_cast<double*>(partials_));
    reduce_kernel<double><<<1, kThreads, 0, stream>>>(
        blocks_, static_cast<const double*>(partials_), scale, static_cast<double*>(out));
  } else {
    residual_kernel<float><<<blocks_, kThreads, 0, stream>>>(
        a.rows, k, a.row_ptr, a.col_idx, static_cast<const float*>(a.values),
        static_cast<const float*>(u), static_cast<const float*>(f), static_cast<float*>(r),
        static_cast<float*>(partials_));
    reduce_kernel<float><<<1, kThreads, 0, stream>>>(blocks_, static_cast<const float*>(partials_),
                                                     static_cast<float>(scale),
                                                     static_cast<float*>(out));
  }
  check_cuda(cudaGetLastError(), "FusedResidual kernel launch");
}

}  // namespace dtpinn::kernels
