#pragma once
// Autograd derivatives of a network output with respect to its inputs: what the vanilla PINN
// uses for Lap u and du/dn, and what both methods use for u_t (heat). All results keep the graph
// (create_graph = true by default) so a loss built from them can be differentiated in the
// network weights.
//
// Shapes: x is [N, D] with requires_grad (D = spatial dim d, or d + 1 with time as the last
// column); u is [N] or [N, 1], computed from x row by row (row i of u depends on row i of x
// only, as for any pointwise network). Results are [N, d] (gradient) or [N].
#include <ATen/Tensor.h>

namespace dtpinn::autodiff {

/// du/dx for all D input columns: [N, D].
at::Tensor input_gradient(const at::Tensor& u, const at::Tensor& x, bool create_graph = true);

/// Sum over the first `dims` input columns of d2u/dx_i^2: [N]. `grad` is input_gradient(u, x)
/// (pass it when already computed, it must have been made with create_graph = true).
at::Tensor laplacian(const at::Tensor& grad, const at::Tensor& x, int dims,
                     bool create_graph = true);
at::Tensor laplacian(const at::Tensor& u, const at::Tensor& x, int dims, bool create_graph,
                     std::nullptr_t /*compute the gradient here*/);

/// n . grad u over the first d = normals.size(1) columns: [N]. normals [N, d], same dtype.
at::Tensor normal_derivative(const at::Tensor& grad, const at::Tensor& normals);

/// du/dt where t is input column `t_column` (usually the last one): [N].
at::Tensor time_derivative(const at::Tensor& grad, int t_column);

}  // namespace dtpinn::autodiff
