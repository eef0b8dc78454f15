// Parameters and gradients as views into two flat buffers (see flat_parameters.hpp).
#include <dtpinn/core/training/flat_parameters.hpp>

#include <torch/nn/module.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <stdexcept>
#include <string>

namespace dtpinn::core {

FlatParameters::FlatParameters(torch::nn::Module& module) : params_(module.parameters(true)) {
  build();
}

FlatParameters::FlatParameters(std::vector<at::Tensor> parameters)
    : params_(std::move(parameters)) {
  build();
}

void FlatParameters::build() {
  if (params_.empty()) throw std::invalid_argument("FlatParameters: no parameters");
  const auto& first = params_.front();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto& p = params_[i];
    if (!p.defined()) {
      throw std::invalid_argument("FlatParameters: parameter " + std::to_string(i) +
                                  " is undefined");
    }
    if (p.scalar_type() != first.scalar_type() || p.device() != first.device()) {
      throw std::invalid_argument("FlatParameters: parameter " + std::to_string(i) +
                                  " has another dtype or device than parameter 0");
    }
  }
  std::int64_t total = 0;
  offsets_.clear();
  for (const auto& p : params_) {
    offsets_.push_back(total);
    total += p.numel();
  }
  const at::NoGradGuard no_grad;
  values_ = at::empty({total}, first.options().requires_grad(false));
  grads_ = at::zeros({total}, first.options().requires_grad(false));
  grad_views_.clear();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    const auto n = p.numel();
    auto value_view = values_.narrow(0, offsets_[i], n).view(p.sizes());
    value_view.copy_(p.detach());
    // set_data swaps the storage of the parameter's TensorImpl: every handle to this parameter
    // (the module's, named_parameters(), Network::parameters()) now reads the flat buffer.
    p.set_data(value_view);
    auto grad_view = grads_.narrow(0, offsets_[i], n).view(p.sizes());
    if (p.grad().defined()) grad_view.copy_(p.grad());
    p.mutable_grad() = grad_view;
    grad_views_.push_back(grad_view);
  }
}

void FlatParameters::zero_grad() {
  rebind_grads();
  grads_.zero_();
}

void FlatParameters::copy_from(const at::Tensor& flat) {
  if (!flat.defined() || flat.numel() != numel()) {
    throw std::invalid_argument("FlatParameters::copy_from: expected " + std::to_string(numel()) +
                                " values");
  }
  const at::NoGradGuard no_grad;
  values_.copy_(flat.reshape({-1}));
}

at::Tensor FlatParameters::clone_values() const {
  return values_.clone();
}

bool FlatParameters::grads_aliased() const {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto& g = params_[i].grad();
    if (!g.defined() || !g.is_same(grad_views_[i])) return false;
  }
  return true;
}

void FlatParameters::rebind_grads() {
  const at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    const auto g = p.grad();
    if (g.defined() && g.is_same(grad_views_[i])) continue;
    if (g.defined()) {
      grad_views_[i].copy_(g);
    } else {
      grad_views_[i].zero_();
    }
    p.mutable_grad() = grad_views_[i];
  }
}

}  // namespace dtpinn::core
