// Autograd derivative helpers (vanilla PINN, time derivatives). Each second derivative costs one
// more backward pass through the graph of the first: d passes for a d-dimensional Laplacian.
#include <dtpinn/autodiff/derivatives.hpp>

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <fmt/format.h>

#include <stdexcept>

namespace dtpinn::autodiff {

at::Tensor input_gradient(const at::Tensor& u, const at::Tensor& x, bool create_graph) {
  if (!x.requires_grad()) throw std::invalid_argument("input_gradient: x must require grad");
  if (u.numel() != x.size(0))
    throw std::invalid_argument(
        fmt::format("input_gradient: u has {} entries, x has {} rows", u.numel(), x.size(0)));
  // d(sum u)/dx row i = du_i/dx_i since u_i depends on row i only.
  auto g = torch::autograd::grad({u.sum()}, {x}, {}, /*retain_graph=*/true, create_graph,
                                 /*allow_unused=*/true);
  if (!g[0].defined()) return at::zeros_like(x);
  return g[0];
}

at::Tensor laplacian(const at::Tensor& grad, const at::Tensor& x, int dims, bool create_graph) {
  if (dims < 1 || dims > x.size(1))
    throw std::invalid_argument(
        fmt::format("laplacian: {} dimensions requested, x has {} columns", dims, x.size(1)));
  at::Tensor lap;
  for (int i = 0; i < dims; ++i) {
    auto gi = grad.select(1, i);
    if (!gi.requires_grad()) {  // linear in x_i: no second derivative
      continue;
    }
    auto h = torch::autograd::grad({gi.sum()}, {x}, {}, /*retain_graph=*/true, create_graph,
                                   /*allow_unused=*/true);
    if (!h[0].defined()) continue;
    auto hii = h[0].select(1, i);
    lap = lap.defined() ? lap + hii : hii;
  }
  if (!lap.defined()) lap = at::zeros({x.size(0)}, x.options().requires_grad(false));
  return lap;
}

at::Tensor laplacian(const at::Tensor& u, const at::Tensor& x, int dims, bool create_graph,
                     std::nullptr_t) {
  return laplacian(input_gradient(u, x, true), x, dims, create_graph);
}

at::Tensor normal_derivative(const at::Tensor& grad, const at::Tensor& normals) {
  if (normals.dim() != 2 || normals.size(0) != grad.size(0) || normals.size(1) > grad.size(1))
    throw std::invalid_argument("normal_derivative: normals must be [N, d] with d <= grad columns");
  return (grad.narrow(1, 0, normals.size(1)) * normals).sum(1);
}

at::Tensor time_derivative(const at::Tensor& grad, int t_column) {
  if (t_column < 0 || t_column >= grad.size(1))
    throw std::invalid_argument(fmt::format("time_derivative: no input column {}", t_column));
  return grad.select(1, t_column);
}

}  // namespace dtpinn::autodiff
