#pragma once
// Errors from the CUDA runtime and cuSPARSE, turned into exceptions that name the API call and
// carry the library's own error string. Host-only: usable (and testable) without a GPU.
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace dtpinn::kernels {

/// Thrown for any failed CUDA runtime or cuSPARSE call; what() is "<api>: <error string> (<code>)".
class CudaError : public std::runtime_error {
 public:
  CudaError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  /// The raw cudaError_t or cusparseStatus_t value.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// "api: <cudaGetErrorString> (cudaErrorName = code)".
std::string cuda_error_message(cudaError_t code, const char* api);
/// "api: <cusparseGetErrorString> (code)"; status is a cusparseStatus_t value (taken as int so
/// that this header needs no cuSPARSE header).
std::string cusparse_error_message(int status, const char* api);

/// Throws CudaError when code != cudaSuccess.
void check_cuda(cudaError_t code, const char* api);
/// Throws CudaError when status != CUSPARSE_STATUS_SUCCESS (0).
void check_cusparse(int status, const char* api);

}  // namespace dtpinn::kernels
