#pragma once
// Helpers of the least-squares tests (the residual vector and its Jacobian): per-term weights,
// relative differences and flat gradients of the network's parameters.
#include <dtpinn/core/training/model.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <vector>

namespace dtpinn::test {

/// Weights that differ per term, so that a mix-up of term and weight shows.
inline std::vector<double> uneven_weights(std::size_t terms) {
  std::vector<double> w;
  for (std::size_t i = 0; i < terms; ++i) w.push_back(0.5 + 0.75 * static_cast<double>(i));
  return w;
}

/// ||a - b|| / ||b||.
inline double rel(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).norm().item<double>() / std::max(1e-300, b.norm().item<double>());
}

/// The flat gradient of a scalar in the network's parameters (zeros where it does not reach).
inline torch::Tensor flat_gradient(const core::Network& net, const torch::Tensor& s) {
  const auto params = net.parameters();
  auto g = torch::autograd::grad({s}, params, {}, /*retain_graph=*/true, false, true);
  std::vector<torch::Tensor> parts;
  for (std::size_t i = 0; i < g.size(); ++i)
    parts.push_back(g[i].defined() ? g[i].reshape({-1})
                                   : torch::zeros({params[i].numel()}, params[i].options()));
  return torch::cat(parts);
}

}  // namespace dtpinn::test
