// Adam on the flat buffers with device-side bias correction; see device_adam.hpp.
#include <dtpinn/core/training/device_adam.hpp>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace dtpinn::core {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("DeviceAdamOptions: " + what);
}

}  // namespace

at::ScalarType adam_scalar_dtype(c10::DeviceType device, at::ScalarType params, bool fused) {
  return fused && device == c10::DeviceType::CUDA ? at::kFloat : params;
}

DeviceAdam::DeviceAdam(FlatParameters& params, DeviceAdamOptions options)
    : params_(params), options_(options) {
  require(std::isfinite(options.lr) && options.lr > 0, "lr must be > 0");
  require(options.beta1 >= 0 && options.beta1 < 1, "beta1 must be in [0, 1)");
  require(options.beta2 >= 0 && options.beta2 < 1, "beta2 must be in [0, 1)");
  require(options.eps >= 0, "eps must be >= 0");
  require(options.weight_decay >= 0, "weight_decay must be >= 0");
  const auto& x = params_.values();
  m_ = at::zeros_like(x);
  v_ = at::zeros_like(x);
  // On the parameters' device, so that step() reads nothing from the host (capturable).
  const auto scalars =
      x.options().dtype(adam_scalar_dtype(x.device().type(), x.scalar_type(), options.fused));
  step_ = at::zeros({}, scalars);
  lr_ = at::full({}, options.lr, scalars);
}

void DeviceAdam::set_lr(double lr) {
  require(std::isfinite(lr) && lr > 0, "lr must be > 0");
  options_.lr = lr;
  lr_.fill_(lr);
}

void DeviceAdam::reset() {
  m_.zero_();
  v_.zero_();
  step_.zero_();
}

void DeviceAdam::step() {
  const at::NoGradGuard no_grad;
  if (!params_.grads_aliased()) params_.rebind_grads();
  const auto& x = params_.values();
  const auto& g = params_.grads();
  const auto& o = options_;
  step_.add_(1);
  if (o.fused) {
    at::_fused_adam_({x}, {g}, {m_}, {v_}, {}, {step_}, lr_, o.beta1, o.beta2, o.weight_decay,
                     o.eps, /*amsgrad=*/false, /*maximize=*/false);
    return;
  }
  const auto grad = o.weight_decay != 0 ? g.add(x, o.weight_decay) : g;
  const auto bc1 = 1 - at::pow(o.beta1, step_);
  const auto bc2 = 1 - at::pow(o.beta2, step_);
  m_.mul_(o.beta1).add_(grad, 1 - o.beta1);
  v_.mul_(o.beta2).addcmul_(grad, grad, 1 - o.beta2);
  const auto denom = (v_.sqrt() / bc2.sqrt()).add_(o.eps);
  // torch's addcdiv_(m, denom, -lr / bc1) evaluates (value * m) / denom; same order here.
  x.add_((m_ * (-lr_ / bc1)) / denom);
}

}  // namespace dtpinn::core
