#pragma once
// All trainable parameters of a network in ONE contiguous buffer, and all their gradients in a
// second one: every parameter becomes a view into `values()` (param.set_data(view)) and every
// parameter's .grad() a view into `grads()`. An optimiser then works on one vector of P values
// (one GEMV, one fused update) instead of a list of small tensors, with no gather / scatter copy;
// on a GPU this is also what makes a whole iteration capturable in a CUDA graph (fixed addresses).
//
// Layout: parameters in the order given (module.parameters() order for a module), each flattened
// row-major, concatenated; shape of both buffers [P], dtype and device of the parameters (all
// parameters must share them).
//
// Aliasing rules (why they matter: autograd accumulates into an existing .grad() in place, so
// backward() writes straight into grads(); anything that REPLACES a .grad() breaks the alias):
//   - zero gradients with zero_grad() here (one fill_), not Module::zero_grad() (which by default
//     sets grads to undefined); if that happened anyway, rebind_grads() restores the views (the
//     optimisers in this folder call it defensively; it costs a pointer compare per parameter);
//   - never assign a new tensor to a parameter (p = ...); in-place updates are fine.
#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace torch::nn {
class Module;
}

namespace dtpinn::core {

class FlatParameters {
 public:
  /// Every parameter of `module` (recursively, module.parameters() order).
  explicit FlatParameters(torch::nn::Module& module);
  /// The given leaf tensors (e.g. Network::parameters()); throws std::invalid_argument when the
  /// list is empty, a tensor is undefined, or dtypes / devices differ.
  explicit FlatParameters(std::vector<at::Tensor> parameters);

  /// P, the total number of scalars.
  std::int64_t numel() const { return values_.numel(); }
  /// The flat parameter vector [P]; writing into it changes the network.
  const at::Tensor& values() const { return values_; }
  /// The flat gradient vector [P]; backward() accumulates into it.
  const at::Tensor& grads() const { return grads_; }
  /// The parameters (same tensors as the module's, now views into values()).
  const std::vector<at::Tensor>& parameters() const { return params_; }
  /// Offset of parameter i in the flat buffers.
  std::int64_t offset(std::size_t i) const { return offsets_.at(i); }

  /// grads() <- 0 (one fill_, in place: safe inside a CUDA graph).
  void zero_grad();
  /// values() <- flat (shape [P], any dtype/device; copied in place).
  void copy_from(const at::Tensor& flat);
  /// A copy of values() (a new tensor, same dtype/device).
  at::Tensor clone_values() const;
  /// True when every parameter's .grad() is still the view into grads() (host check, no sync).
  bool grads_aliased() const;
  /// Restores the .grad() views: a gradient that was replaced is copied into grads() first, an
  /// undefined one becomes zeros. Host-side bookkeeping plus at most one copy per parameter.
  void rebind_grads();

 private:
  void build();

  std::vector<at::Tensor> params_;
  std::vector<std::int64_t> offsets_;
  std::vector<at::Tensor> grad_views_;
  at::Tensor values_;
  at::Tensor grads_;
};

}  // namespace dtpinn::core
