#pragma once
// Is there a CUDA device? Safe to call on a machine with no GPU or no driver: never throws,
// reports 0 devices and the reason.
#include <string>

namespace dtpinn::kernels {

/// Number of CUDA devices visible to this process; 0 when there is no driver or no device.
int device_count() noexcept;
/// device_count() > 0.
bool device_available() noexcept;
/// Empty when a device is available, else why not, e.g.
/// "no CUDA device: cudaGetDeviceCount: CUDA driver version is insufficient ... (35)".
std::string no_device_reason();
/// "NVIDIA H100 80GB HBM3" etc. Throws CudaError when the device does not exist.
std::string device_name(int device = 0);

}  // namespace dtpinn::kernels
