#pragma once
// The PINN network u(x[, t]): an MLP (Xavier-initialised, seeded) or the gated "modified MLP" of
// Wang, Teng & Perdikaris (2021), with the input normalisation to [-1, 1]^D stored inside the
// model as buffers (so it travels with the checkpoint).
//
// Inputs are [N, D] with D = spatial dim d, or d + 1 for time-dependent problems (t is the last
// column). The network has F = config.outputs outputs, one per field of the problem (u, v, p,
// ...), sharing the hidden layers; the output layer is Linear(width, F), the last parameters.
// Outputs are [N] for the scalar network (F = 1) and [N, F] otherwise, column k being field k.
// dtype fp64 (default) or fp32; device cpu or cuda. Not thread-safe: one network per thread, or
// external locking.
#include <dtpinn/core/problem/config.hpp>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dtpinn::core {

class Network {
 public:
  /// `lower`, `upper`: the box (D entries) mapped onto [-1, 1]^D before the first layer (the
  /// domain's bounding box, and [0, t_final] for time). Throws std::invalid_argument on depth < 1
  /// (< 2 for modified_mlp), width < 1, outputs < 1, or an empty box side.
  Network(const ModelConfig& config, const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
          c10::ScalarType dtype = c10::kDouble, c10::Device device = c10::kCPU,
          std::uint64_t seed = 0);
  ~Network();
  Network(Network&&) noexcept;
  Network& operator=(Network&&) noexcept;

  /// The outputs at the rows of x ([N, D], the network's dtype and device): [N] (F = 1) or
  /// [N, F], differentiable.
  at::Tensor forward(const at::Tensor& x) const;
  /// The outputs as forward(x), differentiable in the weights only (x must not require grad, and
  /// the result admits no double backward): what the DT-PINN loss needs. A plain tanh MLP in fp64
  /// on the CPU runs the fused kernel of fused_mlp.hpp (model.cpu_kernel = fused), any other
  /// network forward(x).
  at::Tensor forward_in_weights(const at::Tensor& x) const;
  /// The outputs and their derivatives d/dx_column at the rows of x ([N, D]): two [N] (F = 1) or
  /// [N, F] tensors, both differentiable in the weights. Forward-mode (tangent) propagation for the
  /// closed-form activations (tanh, sin, sigmoid, softplus, silu): about half the cost of
  /// autograd's double backward; gelu falls back to autograd. Used for u_t of the heat equation
  /// (column D - 1).
  std::pair<at::Tensor, at::Tensor> forward_with_derivative(const at::Tensor& x, int column) const;
  /// The outputs ([N] or [N, F], as forward) at the rows of x where row n runs with its own copy
  /// of the weights, theta + deltas[.][n]:
  /// `deltas` holds, per parameter (parameters() order), a tensor [N, p.shape...] (zeros that
  /// require grad, see row_deltas) or an undefined tensor for a parameter left shared. The value
  /// equals forward(x); since row n, and anything computed from row n alone (input derivatives by
  /// autograd included), depends on deltas[.][n] only, one reverse pass of sum_n F_n gives the
  /// whole Jacobian dF_n / dtheta, a row per input row: what Gauss-Newton and the least-squares
  /// output layer use (least_squares.hpp). Memory: N x (the parameters given deltas).
  at::Tensor forward_per_row(const at::Tensor& x, const std::vector<at::Tensor>& deltas) const;
  /// Zero deltas for forward_per_row over `rows` input rows, requiring grad: for every
  /// parameter, or (output_layer_only) only for the output layer's weight and bias, the last
  /// two parameters (the rest undefined).
  std::vector<at::Tensor> row_deltas(std::int64_t rows, bool output_layer_only) const;
  /// The number of parameters of the output layer, F (width + 1): the last ones in the flat
  /// layout, weight [F, width] (row-major) then bias [F].
  std::int64_t num_output_parameters() const;

  /// The outputs at host points (N x D, row-major doubles), without autograd, in batches of
  /// `batch` rows: N x F doubles, column k being field k.
  Eigen::MatrixXd evaluate_fields(
      const Eigen::Ref<
          const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& x,
      std::int64_t batch = 65536) const;
  /// evaluate_fields of a single-output network as N values; throws std::invalid_argument when
  /// the network has more than one output.
  Eigen::VectorXd evaluate(
      const Eigen::Ref<
          const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& x,
      std::int64_t batch = 65536) const;

  std::vector<at::Tensor> parameters() const;
  std::int64_t num_parameters() const;
  int in_dim() const;
  /// F: the number of outputs (config().outputs).
  int outputs() const;
  c10::ScalarType dtype() const;
  c10::Device device() const;
  const ModelConfig& config() const;
  Eigen::VectorXd lower() const;
  Eigen::VectorXd upper() const;

  /// Weights and normalisation buffers (torch::serialize archive).
  void save(const std::string& path) const;
  /// Loads into a network built with the same config and in_dim; throws std::runtime_error
  /// naming the file on mismatch (for another output count, naming both counts). The
  /// normalisation is restored from the file.
  void load(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dtpinn::core
