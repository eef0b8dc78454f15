// cuSPARSE generic-API SpMV / SpMM with descriptors and work buffers made once.
//
// Graph capture: every apply only sets the stream, points the cached dense descriptors at the
// caller's arrays (host-side), and calls cusparseSpMV/SpMM with host-side alpha/beta and a
// preallocated buffer: nothing synchronises the host or allocates, so a warmed-up (or
// prepare()d) operator can be captured in a CUDA graph. A first use of a shape inside a
// capture would allocate: it throws instead (capture.hpp).
#include <dtpinn/kernels/capture.hpp>
#include <dtpinn/kernels/csr_operator.hpp>
#include <dtpinn/kernels/error.hpp>

#include <cusparse.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace dtpinn::kernels {
namespace {

cudaDataType cuda_type(DataType t) {
  return t == DataType::fp64 ? CUDA_R_64F : CUDA_R_32F;
}

#define DTPINN_CUSPARSE(call) check_cusparse(static_cast<int>(call), #call)
#define DTPINN_CUDA(call) check_cuda(call, #call)

// Deterministic CSR algorithms: results are reproducible run to run (the paper's experiments
// are reproducible for a seed; so are ours). cuSPARSE documents CSR_ALG2 as the SpMV and the
// row-major SpMM algorithm with bit-wise reproducible results; row-major is the layout of
// LibTorch's contiguous [cols, k] (the heat equation's time slices). Column-major, used only
// by tests and benchmarks, keeps CSR_ALG1, the column-major algorithm (no determinism claimed).
constexpr cusparseSpMVAlg_t kSpmvAlg = CUSPARSE_SPMV_CSR_ALG2;

cusparseSpMMAlg_t spmm_alg(DenseLayout layout) {
  return layout == DenseLayout::row_major ? CUSPARSE_SPMM_CSR_ALG2 : CUSPARSE_SPMM_CSR_ALG1;
}

using Handle = std::shared_ptr<cusparseContext>;

Handle make_handle() {
  cusparseHandle_t h = nullptr;
  DTPINN_CUSPARSE(cusparseCreate(&h));
  return Handle(h, [](cusparseHandle_t p) { cusparseDestroy(p); });
}

// Descriptors and buffer for one dense shape (k == 0: vectors for SpMV).
struct DenseSlot {
  cusparseDnVecDescr_t x_vec = nullptr;
  cusparseDnVecDescr_t y_vec = nullptr;
  cusparseDnMatDescr_t x_mat = nullptr;
  cusparseDnMatDescr_t y_mat = nullptr;
  void* buffer = nullptr;
  std::size_t buffer_bytes = 0;

  DenseSlot() = default;
  DenseSlot(const DenseSlot&) = delete;
  DenseSlot& operator=(const DenseSlot&) = delete;
  ~DenseSlot() {
    // Destructors must not throw: errors while tearing down are ignored.
    if (x_vec) cusparseDestroyDnVec(x_vec);
    if (y_vec) cusparseDestroyDnVec(y_vec);
    if (x_mat) cusparseDestroyDnMat(x_mat);
    if (y_mat) cusparseDestroyDnMat(y_mat);
    if (buffer) cudaFree(buffer);
  }
};

}  // namespace

struct CsrOperator::Impl {
  CsrView a;
  Handle handle;  // shared by operators made with the sharing constructor
  cusparseSpMatDescr_t mat = nullptr;
  // Key: (k, layout); k == 0 is the SpMV slot. std::map: stable addresses, few entries.
  std::map<std::pair<std::int64_t, int>, DenseSlot> slots;
  // Scalars as the compute type: cuSPARSE reads alpha/beta as the compute type's width.
  double alpha64 = 1.0, beta64 = 0.0;
  float alpha32 = 1.0f, beta32 = 0.0f;

  bool empty() const { return a.rows == 0 || a.cols == 0 || a.nnz == 0; }

  ~Impl() {
    slots.clear();
    if (mat) cusparseDestroySpMat(mat);
  }

  const void* scalar(double v, bool is_alpha) {
    if (a.dtype == DataType::fp64) {
      (is_alpha ? alpha64 : beta64) = v;
      return is_alpha ? static_cast<const void*>(&alpha64) : &beta64;
    }
    (is_alpha ? alpha32 : beta32) = static_cast<float>(v);
    return is_alpha ? static_cast<const void*>(&alpha32) : &beta32;
  }

  // The slot of an apply: a first use of (k, layout) allocates, refused inside a capture.
  DenseSlot& slot_for_apply(std::int64_t k, DenseLayout layout, cudaStream_t stream) {
    const auto it = slots.find(std::make_pair(k, static_cast<int>(layout)));
    if (it != slots.end()) return it->second;
    refuse_during_capture(
        stream, k == 0 ? std::string("CsrOperator::spmv (first call)")
                       : "CsrOperator::spmm (first call with k = " + std::to_string(k) + ")");
    return slot(k, layout);
  }

  DenseSlot& slot(std::int64_t k, DenseLayout layout) {
    const auto key = std::make_pair(k, static_cast<int>(layout));
    auto it = slots.find(key);
    if (it != slots.end()) return it->second;
    DenseSlot& s = slots[key];
    try {
      const cudaDataType t = cuda_type(a.dtype);
      // Placeholder non-null pointers: the real arrays are set before every call.
      void* dummy = const_cast<void*>(a.values);
      const void* one = scalar(1.0, true);
      const void* zero = scalar(0.0, false);
      if (k == 0) {
        DTPINN_CUSPARSE(cusparseCreateDnVec(&s.x_vec, a.cols, dummy, t));
        DTPINN_CUSPARSE(cusparseCreateDnVec(&s.y_vec, a.rows, dummy, t));
        DTPINN_CUSPARSE(cusparseSpMV_bufferSize(handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE, one,
                                                mat, s.x_vec, zero, s.y_vec, t, kSpmvAlg,
                                                &s.buffer_bytes));
      } else {
        const bool row = layout == DenseLayout::row_major;
        const cusparseOrder_t order = row ? CUSPARSE_ORDER_ROW : CUSPARSE_ORDER_COL;
        DTPINN_CUSPARSE(
            cusparseCreateDnMat(&s.x_mat, a.cols, k, row ? k : a.cols, dummy, t, order));
        DTPINN_CUSPARSE(
            cusparseCreateDnMat(&s.y_mat, a.rows, k, row ? k : a.rows, dummy, t, order));
        DTPINN_CUSPARSE(cusparseSpMM_bufferSize(
            handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, one,
            mat, s.x_mat, zero, s.y_mat, t, spmm_alg(layout), &s.buffer_bytes));
      }
      if (s.buffer_bytes > 0) DTPINN_CUDA(cudaMalloc(&s.buffer, s.buffer_bytes));
    } catch (...) {
      slots.erase(key);
      throw;
    }
    return s;
  }
};

CsrOperator::CsrOperator(const CsrView& a) : CsrOperator(a, nullptr) {}

CsrOperator::CsrOperator(const CsrView& a, const CsrOperator& share_handle_of)
    : CsrOperator(a, &share_handle_of) {}

CsrOperator::CsrOperator(const CsrView& a, const CsrOperator* share)
    : impl_(std::make_unique<Impl>()) {
  validate(a);
  impl_->a = a;
  if (impl_->empty()) return;  // nothing to multiply: applies write zeros (or scale y)
  impl_->handle =
      share && share->impl_ && share->impl_->handle ? share->impl_->handle : make_handle();
  DTPINN_CUSPARSE(cusparseCreateCsr(
      &impl_->mat, a.rows, a.cols, a.nnz, const_cast<std::int32_t*>(a.row_ptr),
      const_cast<std::int32_t*>(a.col_idx), const_cast<void*>(a.values), CUSPARSE_INDEX_32I,
      CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, cuda_type(a.dtype)));
}

CsrOperator::~CsrOperator() = default;
CsrOperator::CsrOperator(CsrOperator&&) noexcept = default;
CsrOperator& CsrOperator::operator=(CsrOperator&&) noexcept = default;

const CsrView& CsrOperator::view() const {
  return impl_->a;
}

namespace {

// y = beta y for an empty operator (A x == 0).
void scale_output(void* y, std::int64_t n, DataType t, double beta, cudaStream_t stream) {
  if (n == 0) return;
  if (beta != 0.0) {
    throw std::invalid_argument(
        "dtpinn::kernels::CsrOperator: beta != 0 with an empty matrix is not supported");
  }
  DTPINN_CUDA(cudaMemsetAsync(y, 0, static_cast<std::size_t>(n * element_size(t)), stream));
}

void check_pointers(const void* x, const void* y, const char* what) {
  if (x == nullptr || y == nullptr) {
    throw std::invalid_argument(std::string("dtpinn::kernels::CsrOperator::") + what +
                                ": null input or output pointer");
  }
}

}  // namespace

void CsrOperator::spmv(const void* x, void* y, cudaStream_t stream, double alpha, double beta) {
  Impl& m = *impl_;
  if (m.a.rows == 0) return;
  check_pointers(m.a.cols == 0 ? y : x, y, "spmv");
  if (m.empty()) return scale_output(y, m.a.rows, m.a.dtype, beta, stream);
  DenseSlot& s = m.slot_for_apply(0, DenseLayout::row_major, stream);
  DTPINN_CUSPARSE(cusparseSetStream(m.handle.get(), stream));
  DTPINN_CUSPARSE(cusparseDnVecSetValues(s.x_vec, const_cast<void*>(x)));
  DTPINN_CUSPARSE(cusparseDnVecSetValues(s.y_vec, y));
  const void* pa = m.scalar(alpha, true);
  const void* pb = m.scalar(beta, false);
  DTPINN_CUSPARSE(cusparseSpMV(m.handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE, pa, m.mat, s.x_vec,
                               pb, s.y_vec, cuda_type(m.a.dtype), kSpmvAlg, s.buffer));
}

void CsrOperator::spmm(const void* x, void* y, std::int64_t k, DenseLayout layout,
                       cudaStream_t stream, double alpha, double beta) {
  Impl& m = *impl_;
  if (k < 1) {
    throw std::invalid_argument("dtpinn::kernels::CsrOperator::spmm: k = " + std::to_string(k) +
                                " < 1");
  }
  if (m.a.rows == 0) return;
  check_pointers(m.a.cols == 0 ? y : x, y, "spmm");
  if (m.empty()) return scale_output(y, m.a.rows * k, m.a.dtype, beta, stream);
  DenseSlot& s = m.slot_for_apply(k, layout, stream);
  DTPINN_CUSPARSE(cusparseSetStream(m.handle.get(), stream));
  DTPINN_CUSPARSE(cusparseDnMatSetValues(s.x_mat, const_cast<void*>(x)));
  DTPINN_CUSPARSE(cusparseDnMatSetValues(s.y_mat, y));
  const void* pa = m.scalar(alpha, true);
  const void* pb = m.scalar(beta, false);
  DTPINN_CUSPARSE(cusparseSpMM(m.handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE,
                               CUSPARSE_OPERATION_NON_TRANSPOSE, pa, m.mat, s.x_mat, pb, s.y_mat,
                               cuda_type(m.a.dtype), spmm_alg(layout), s.buffer));
}

void CsrOperator::prepare(std::int64_t k, DenseLayout layout) {
  if (k < 0) {
    throw std::invalid_argument("dtpinn::kernels::CsrOperator::prepare: k = " + std::to_string(k) +
                                " < 0");
  }
  if (impl_->empty()) return;
  impl_->slot(k, k == 0 ? DenseLayout::row_major : layout);
}

std::size_t CsrOperator::workspace_bytes() const {
  std::size_t total = 0;
  for (const auto& kv : impl_->slots) total += kv.second.buffer_bytes;
  return total;
}

}  // namespace dtpinn::kernels
