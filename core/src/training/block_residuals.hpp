#pragma once
// Inside the losses (not installed): the residual VECTORS of a block's terms, from which
// losses.cpp makes the terms (scaled sums of squares) and residuals.cpp the least-squares system
// (least_squares.hpp), so that both read the same residuals.
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/tape.hpp>

#include <ATen/Tensor.h>

#include <utility>

namespace dtpinn::core {

/// Unweighted residuals of one block. DT-PINN: pde [rows] or [rows, S], bc [nb] or [nb, S];
/// vanilla: pde [S rows], bc [S nb] (slice-major). ic [rows] (time-dependent only). mean [1]
/// (fix_mean only): the mean of u over the rows minus the mean rule's value.
struct BlockResiduals {
  at::Tensor ic, pde, bc, mean;
};

/// DT-PINN's fields at the block's rows from u at every node ([nodes] or [nodes, S]) and u_t
/// ([rows, S] or undefined): only those the residual uses.
FieldTensors dtpinn_fields(const LossBlock& b, const at::Tensor& u, const at::Tensor& ut);
/// u at every node ([nodes], or [nodes, S] in time) and u_t ([rows, S] or undefined) from the
/// network, as the DT-PINN loss takes them (fused kernel, tangent or autograd u_t).
std::pair<at::Tensor, at::Tensor> dtpinn_network_fields(const Network& net, const LossBlock& b);
/// DT-PINN: R = residual(fields), B u - g, u0 - u(., 0).
BlockResiduals dtpinn_residual_vectors(const LossBlock& b, const at::Tensor& u,
                                       const at::Tensor& ut);
/// Vanilla: the same from u = net(x) at the block's rows (x requires grad), the derivatives by
/// autograd (create_graph).
BlockResiduals vanilla_residual_vectors(const LossBlock& b, const at::Tensor& x,
                                        const at::Tensor& u);

}  // namespace dtpinn::core
