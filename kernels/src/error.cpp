// Error conversion for CUDA runtime and cuSPARSE calls. cudaGetErrorString and
// cusparseGetErrorString are pure host lookups: they work without a driver or device.
#include <dtpinn/kernels/error.hpp>

#include <cusparse.h>

namespace dtpinn::kernels {

std::string cuda_error_message(cudaError_t code, const char* api) {
  const char* text = cudaGetErrorString(code);
  const char* name = cudaGetErrorName(code);
  std::string msg = api ? api : "CUDA";
  msg += ": ";
  msg += text ? text : "unknown error";
  msg += " (";
  msg += name ? name : "cudaError";
  msg += " = " + std::to_string(static_cast<int>(code)) + ")";
  return msg;
}

std::string cusparse_error_message(int status, const char* api) {
  const char* text = cusparseGetErrorString(static_cast<cusparseStatus_t>(status));
  std::string msg = api ? api : "cuSPARSE";
  msg += ": ";
  msg += text ? text : "unknown cuSPARSE status";
  msg += " (" + std::to_string(status) + ")";
  return msg;
}

void check_cuda(cudaError_t code, const char* api) {
  if (code != cudaSuccess) {
    // Clear the runtime's "last error" so a later cudaGetLastError() does not report it twice.
    (void)cudaGetLastError();
    throw CudaError(cuda_error_message(code, api), static_cast<int>(code));
  }
}

void check_cusparse(int status, const char* api) {
  if (status != CUSPARSE_STATUS_SUCCESS)
    throw CudaError(cusparse_error_message(status, api), status);
}

}  // namespace dtpinn::kernels
