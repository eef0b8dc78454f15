#pragma once
// The PINN loss terms, each a scalar tensor differentiable in the network weights.
//
// DT-PINN (paper eq. 12 and 16): the network is evaluated at ALL nodes (interior, boundary,
// ghost) and the sparse RBF-FD operators L, B are applied by the SpMV autograd op:
//   poisson:            pde = mean((L u - f)^2)            over Ni + Nb rows
//   nonlinear_poisson:  pde = mean((L u - exp(u) - f)^2)   (u at the Ni + Nb collocation nodes)
//   both:               bc  = mean((B u - g)^2)            over Nb rows
//   heat:               ic  = mean((u0 - u(., 0))^2) over Ni + Nb,
//                       pde = mean((u_t - L u - f)^2) over (Nt + 1)(Ni + Nb),
//                       bc  = mean((B u - g)^2) over (Nt + 1) Nb,
//                       u_t by autograd in the t input; L and B applied to all Nt + 1 slices
//                       at once as one multi-column SpMV ([N, Nt + 1]).
// Vanilla PINN: the same terms with Lap u, du/dn and u_t by autograd (create_graph) at the
// Ni + Nb collocation nodes (no ghosts).
#include <dtpinn/core/dataset.hpp>
#include <dtpinn/core/model.hpp>

#include <ATen/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

class Loss {
 public:
  virtual ~Loss() = default;
  /// "pde", "bc" (Poisson) or "ic", "pde", "bc" (heat).
  const std::vector<std::string>& names() const { return names_; }
  /// The unweighted terms at the network's current weights, in names() order.
  virtual std::vector<at::Tensor> terms(const Network& net) const = 0;

 protected:
  std::vector<std::string> names_;
};

/// method "dtpinn" (needs data.has_operators) or "vanilla"; tensors are made on the network's
/// device and dtype. `time_derivative` (heat, DT-PINN): "tangent" (forward mode) or "autograd".
/// Throws std::invalid_argument for an unknown method or time derivative.
std::unique_ptr<Loss> make_loss(const std::string& method, const Dataset& data, const Network& net,
                                const std::string& time_derivative = "tangent");

}  // namespace dtpinn::core
