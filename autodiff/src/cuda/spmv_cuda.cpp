// CUDA back end of SparseOperator: cuSPARSE (dtpinn_kernels) on LibTorch's current CUDA stream.
// The operator's descriptors and work buffers are made once (make_cuda_state) and per column
// count k on first use or by prepare_cuda; later applies neither allocate nor synchronise the
// host, so a warmed-up (or prepared) training step can be captured in a CUDA graph. A first use
// inside a capture throws std::runtime_error (kernels/capture.hpp) instead of invalidating it.
#include "../spmv_backend.hpp"

#include <dtpinn/kernels/capture.hpp>
#include <dtpinn/kernels/csr_kernels.hpp>
#include <dtpinn/kernels/csr_operator.hpp>

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace dtpinn::autodiff::detail {

namespace {

kernels::DataType kernel_dtype(at::ScalarType t) {
  if (t == at::kDouble) return kernels::DataType::fp64;
  if (t == at::kFloat) return kernels::DataType::fp32;
  throw std::invalid_argument(std::string("SparseOperator (CUDA): unsupported dtype ") +
                              c10::toString(t) + " (fp64 or fp32)");
}

kernels::CsrView view_of(const CsrTensors& m, const char* which) {
  const auto check = [&](const at::Tensor& t, const char* name, bool is_index) {
    if (!t.defined() || !t.is_cuda() || !t.is_contiguous() ||
        (is_index && t.scalar_type() != at::kInt)) {
      throw std::invalid_argument(std::string("SparseOperator (CUDA): ") + which + "." + name +
                                  " must be a contiguous CUDA tensor" +
                                  (is_index ? " of int32" : ""));
    }
  };
  check(m.row_ptr, "row_ptr", true);
  check(m.col_idx, "col_idx", true);
  check(m.values, "values", false);
  if (m.row_ptr.numel() != m.rows + 1 || m.col_idx.numel() != m.values.numel()) {
    throw std::invalid_argument(std::string("SparseOperator (CUDA): ") + which + " has " +
                                std::to_string(m.row_ptr.numel()) + " row pointers for " +
                                std::to_string(m.rows) + " rows, " +
                                std::to_string(m.col_idx.numel()) + " column indices for " +
                                std::to_string(m.values.numel()) + " values");
  }
  kernels::CsrView v;
  v.row_ptr = m.row_ptr.data_ptr<std::int32_t>();
  v.col_idx = m.col_idx.numel() ? m.col_idx.data_ptr<std::int32_t>() : nullptr;
  v.values = m.values.numel() ? m.values.data_ptr() : nullptr;
  v.rows = m.rows;
  v.cols = m.cols;
  v.nnz = m.values.numel();
  v.dtype = kernel_dtype(m.values.scalar_type());
  return v;
}

}  // namespace

struct CudaSpmvState {
  // The tensors are held so that the device arrays the descriptors point at stay alive.
  CsrTensors a, at;
  c10::Device device;
  kernels::CsrOperator op_a, op_at;
  kernels::CsrView view_a;
  std::unique_ptr<kernels::FusedResidual> fused;  // made by prepare_cuda or the first use
  // A CsrOperator is single-threaded; autograd may run backward on its own device thread.
  std::mutex mutex;

  CudaSpmvState(const CsrTensors& a_, const CsrTensors& at_)
      : a(a_),
        at(at_),
        device(a_.values.device()),
        op_a(view_of(a_, "A")),
        op_at(view_of(at_, "A^T")),
        view_a(view_of(a_, "A")) {}
};

std::shared_ptr<CudaSpmvState> make_cuda_state(const CsrTensors& a, const CsrTensors& at) {
  if (!a.values.defined() || !a.values.is_cuda()) {
    throw std::invalid_argument("SparseOperator (CUDA): the operator is not on a CUDA device");
  }
  if (at.values.device() != a.values.device()) {
    throw std::invalid_argument("SparseOperator (CUDA): A and A^T are on different devices");
  }
  // cuSPARSE handles and descriptors belong to the device that is current when made.
  const c10::cuda::CUDAGuard guard(a.values.device());
  kernels::refuse_during_capture(at::cuda::getCurrentCUDAStream().stream(),
                                 "SparseOperator (first CUDA use: cuSPARSE handles)");
  return std::make_shared<CudaSpmvState>(a, at);
}

void prepare_cuda(CudaSpmvState& state, std::int64_t k) {
  const c10::cuda::CUDAGuard guard(state.device);
  const std::lock_guard<std::mutex> lock(state.mutex);
  state.op_a.prepare(k);
  state.op_at.prepare(k);
  if (!state.fused) {
    state.fused = std::make_unique<kernels::FusedResidual>(
        state.a.rows, kernel_dtype(state.a.values.scalar_type()));
  }
}

void spmv_cuda(CudaSpmvState& state, bool transpose, const at::Tensor& u, at::Tensor& out) {
  const CsrTensors& m = transpose ? state.at : state.a;
  const std::string who = std::string("SparseOperator::") +
                          (transpose ? "multiply_transpose" : "multiply") + " (CUDA): ";
  if (!u.is_cuda() || u.device() != state.device || !out.is_cuda() ||
      out.device() != state.device) {
    throw std::invalid_argument(who + "input and output must be on " + state.device.str());
  }
  if (u.scalar_type() != m.values.scalar_type() || out.scalar_type() != m.values.scalar_type()) {
    throw std::invalid_argument(who + "dtype differs from the operator's");
  }
  if (!u.is_contiguous() || !out.is_contiguous() || (u.dim() != 1 && u.dim() != 2) ||
      u.dim() != out.dim() || u.size(0) != m.cols || out.size(0) != m.rows ||
      (u.dim() == 2 && u.size(1) != out.size(1))) {
    const std::string c = std::to_string(m.cols), r = std::to_string(m.rows);
    throw std::invalid_argument(who + "need contiguous u [" + c + "] or [" + c + ", k] and out [" +
                                r + "] or [" + r + ", k]");
  }
  const std::int64_t k = u.dim() == 1 ? 0 : u.size(1);
  if (u.dim() == 2 && k == 0) return;  // nothing to compute
  const c10::cuda::CUDAGuard guard(state.device);
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream(state.device.index()).stream();
  kernels::CsrOperator& op = transpose ? state.op_at : state.op_a;
  const std::lock_guard<std::mutex> lock(state.mutex);
  if (k == 0) {
    op.spmv(u.data_ptr(), out.data_ptr(), stream);
  } else {
    op.spmm(u.data_ptr(), out.data_ptr(), k, kernels::DenseLayout::row_major, stream);
  }
}

void residual_sq_cuda(CudaSpmvState& state, const at::Tensor& u, const at::Tensor& f, at::Tensor& r,
                      at::Tensor& out, double scale) {
  const std::string who = "SparseOperator residual (CUDA): ";
  const CsrTensors& m = state.a;
  const auto dtype = m.values.scalar_type();
  const auto ok = [&](const at::Tensor& t) {
    return t.defined() && t.is_cuda() && t.device() == state.device && t.is_contiguous() &&
           t.scalar_type() == dtype;
  };
  if (!ok(u) || !ok(r) || !ok(out) || (f.defined() && !ok(f))) {
    throw std::invalid_argument(who +
                                "u, f, r and out must be contiguous tensors of the "
                                "operator's dtype on " +
                                state.device.str());
  }
  const std::int64_t k = u.dim() == 1 ? 1 : u.size(1);
  const bool shapes = (u.dim() == 1 || u.dim() == 2) && u.size(0) == m.cols && r.dim() == u.dim() &&
                      r.size(0) == m.rows && r.numel() == m.rows * k &&
                      (!f.defined() || f.sizes() == r.sizes()) && out.numel() == 1;
  if (!shapes || k < 1) {
    const std::string c = std::to_string(m.cols), n = std::to_string(m.rows);
    throw std::invalid_argument(who + "need u [" + c + "] or [" + c + ", k >= 1], f and r [" + n +
                                "] or [" + n + ", k], out with one element");
  }
  const c10::cuda::CUDAGuard guard(state.device);
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream(state.device.index()).stream();
  const std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.fused) {
    kernels::refuse_during_capture(stream, "SparseOperator residual (CUDA, first call)");
    state.fused = std::make_unique<kernels::FusedResidual>(m.rows, kernel_dtype(dtype));
  }
  state.fused->run(state.view_a, u.data_ptr(), f.defined() ? f.data_ptr() : nullptr, r.data_ptr(),
                   out.data_ptr(), k, scale, stream);
}

}  // namespace dtpinn::autodiff::detail
