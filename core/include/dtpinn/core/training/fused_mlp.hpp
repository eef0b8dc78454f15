#pragma once
// A fused CPU kernel for the forward pass of a tanh MLP and its backward pass in the weights:
// the DT-PINN loss needs u at the nodes and d(loss)/d(weights) only (its spatial derivatives are
// the sparse operators), so one pass over blocks of nodes does each layer's GEMM, bias and tanh
// while the block is in cache, and the backward pass does the same in reverse, where LibTorch
// runs one kernel (and one trip through memory) per operation. On the 2-core CPU the DT-PINN
// closure of the paper's 4 x 50 network at N = 1824 takes 4.5 ms against 8.5 ms with LibTorch's
// layers on one thread, 4.4 ms against 5.9 ms on two (bench/results/optim_cpu*.md).
//
// Shapes: z [N, D] (already normalised network inputs), weights[k] [out_k, in_k] and biases[k]
// [out_k] as in torch::nn::Linear, k = 0..H (H hidden layers then the linear output layer of
// F = out_H outputs); the result u is [N] when F = 1, else [N, F] (as Network::forward). fp64,
// CPU, contiguous. Nodes are processed in blocks of 256
// across LibTorch's intra-op threads (at::parallel_for), each thread summing its own weight
// gradients, reduced in a fixed order (deterministic for a given thread count).
//
// Autograd: u is differentiable in the weights and biases (first order only: the backward is
// not itself differentiable, so no create_graph / double backward through it) and NOT in z.
#include <ATen/Tensor.h>

#include <vector>

namespace dtpinn::core {

/// Whether fused_tanh_mlp accepts these tensors: fp64 CPU, consistent shapes, z without
/// requires_grad. Callers fall back to the LibTorch layers otherwise.
bool fused_mlp_applicable(const at::Tensor& z, const std::vector<at::Tensor>& weights,
                          const std::vector<at::Tensor>& biases);

/// u = W_H tanh(... tanh(W_0 z + b_0) ...) + b_H, [N] (F = 1) or [N, F]. Throws
/// std::invalid_argument if not fused_mlp_applicable.
at::Tensor fused_tanh_mlp(const at::Tensor& z, const std::vector<at::Tensor>& weights,
                          const std::vector<at::Tensor>& biases);

/// tanh of n doubles in place, vectorised: an odd Taylor polynomial (12 terms) for |x| < 0.3,
/// sign(x) (1 - e) / (1 + e) with e = exp(-2|x|) above; max relative error ~5e-16 (tested).
void tanh_in_place(double* x, long n);

}  // namespace dtpinn::core
