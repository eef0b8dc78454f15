#pragma once
// Adam over the flat parameter / gradient buffers of FlatParameters: a handful of in-place ops
// on three [P] tensors (or one fused ATen kernel), with the step count, the learning rate and the
// bias corrections as device tensors, so step() never touches the host and can be captured in a
// CUDA graph together with the forward / backward pass.
//
// Update (identical to torch::optim::Adam, amsgrad off; tests check 1e-12 over 50 steps):
//   k += 1;  g' = g + weight_decay x
//   m = beta1 m + (1 - beta1) g';  v = beta2 v + (1 - beta2) g'^2
//   x -= lr / (1 - beta1^k) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
#include <dtpinn/core/training/flat_parameters.hpp>

#include <ATen/Tensor.h>

#include <cstdint>

namespace dtpinn::core {

struct DeviceAdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  /// Use ATen's fused multi-tensor Adam kernel (_fused_adam_, one kernel on CUDA) instead of
  /// the composite in-place ops; same formula, rounding may differ in the last bits. On CUDA
  /// the kernel takes lr and the step count in fp32 (see adam_scalar_dtype), so there lr is
  /// rounded to fp32 whatever the parameters' dtype.
  bool fused = false;
};

/// dtype of DeviceAdam's step count and lr tensors: the parameters' own, except for the fused
/// kernel on CUDA, which reads both through fp32 pointers whatever the parameters' dtype (an
/// fp64 lr is refused, "expected scalar type Float"; an fp64 step count read as fp32 is 0, a
/// zero bias correction). fp32 counts steps exactly up to 2^24.
at::ScalarType adam_scalar_dtype(c10::DeviceType device, at::ScalarType params, bool fused);

class DeviceAdam {
 public:
  /// Throws std::invalid_argument naming a bad option (lr <= 0, betas outside [0, 1), eps < 0).
  DeviceAdam(FlatParameters& params, DeviceAdamOptions options = {});

  /// One update from the current params.grads(); no host sync (capturable).
  void step();
  /// Sets lr for the next steps (a device write, so schedules work with a captured graph).
  void set_lr(double lr);
  double lr() const { return options_.lr; }
  /// Device scalar: number of steps taken (dtype: adam_scalar_dtype).
  const at::Tensor& step_count() const { return step_; }
  /// First and second moment buffers [P].
  const at::Tensor& exp_avg() const { return m_; }
  const at::Tensor& exp_avg_sq() const { return v_; }
  void reset();
  const DeviceAdamOptions& options() const { return options_; }

 private:
  FlatParameters& params_;
  DeviceAdamOptions options_;
  at::Tensor m_, v_, step_, lr_;
};

}  // namespace dtpinn::core
