// Host-side validation of a device CSR description.
#include <dtpinn/kernels/csr.hpp>

#include <limits>
#include <stdexcept>
#include <string>

namespace dtpinn::kernels {

void validate(const CsrView& a) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  auto fail = [](const std::string& what) {
    throw std::invalid_argument("dtpinn::kernels::CsrView: " + what);
  };
  if (a.rows < 0 || a.rows > kMax) fail("rows = " + std::to_string(a.rows) + " out of [0, 2^31)");
  if (a.cols < 0 || a.cols > kMax) fail("cols = " + std::to_string(a.cols) + " out of [0, 2^31)");
  if (a.nnz < 0 || a.nnz > kMax) fail("nnz = " + std::to_string(a.nnz) + " out of [0, 2^31)");
  if (a.row_ptr == nullptr) fail("row_ptr is null");
  if (a.nnz > 0 && a.col_idx == nullptr) fail("col_idx is null with nnz > 0");
  if (a.nnz > 0 && a.values == nullptr) fail("values is null with nnz > 0");
  if (a.dtype != DataType::fp64 && a.dtype != DataType::fp32) fail("unknown dtype");
}

}  // namespace dtpinn::kernels
