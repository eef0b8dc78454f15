// The NCCL process group, compiled only where cmake/DtpinnDistributed.cmake found CUDA and the
// NCCL headers of the torch wheel (DTPINN_DIST_NCCL); elsewhere asking for nccl is an error.
#include <ATen/Tensor.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#ifdef DTPINN_DIST_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <stdexcept>

namespace dtpinn::core {

bool nccl_available() {
#ifdef DTPINN_DIST_NCCL
  return true;
#else
  return false;
#endif
}

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int size, double timeout_seconds) {
#ifdef DTPINN_DIST_NCCL
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1e3));
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, opts);
#else
  (void)store, (void)rank, (void)size, (void)timeout_seconds;
  throw std::runtime_error(
      "the NCCL backend is not built in (configure with CUDA and NCCL "
      "headers; see cmake/DtpinnDistributed.cmake)");
#endif
}

}  // namespace dtpinn::core
