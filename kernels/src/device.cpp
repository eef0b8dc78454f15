// Device query that never throws: on a machine without a driver cudaGetDeviceCount returns an
// error (cudaErrorNoDevice, cudaErrorInsufficientDriver...), which we report as 0 devices.
#include <dtpinn/kernels/device.hpp>
#include <dtpinn/kernels/error.hpp>

namespace dtpinn::kernels {
namespace {

struct Probe {
  int count = 0;
  cudaError_t error = cudaSuccess;
};

Probe probe() noexcept {
  Probe p;
  p.error = cudaGetDeviceCount(&p.count);
  if (p.error != cudaSuccess) {
    p.count = 0;
    (void)cudaGetLastError();  // do not leave a sticky "last error" behind
  }
  return p;
}

}  // namespace

int device_count() noexcept {
  return probe().count;
}

bool device_available() noexcept {
  return device_count() > 0;
}

std::string no_device_reason() {
  const Probe p = probe();
  if (p.count > 0) return {};
  if (p.error != cudaSuccess)
    return "no CUDA device: " + cuda_error_message(p.error, "cudaGetDeviceCount");
  return "no CUDA device: cudaGetDeviceCount reports 0 devices";
}

std::string device_name(int device) {
  cudaDeviceProp prop{};
  check_cuda(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return prop.name;
}

}  // namespace dtpinn::kernels
