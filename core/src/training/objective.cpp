// The objective of the training loop: weighted loss terms over a flat parameter buffer.
#include <dtpinn/core/training/objective.hpp>

#include <torch/torch.h>

#include <stdexcept>

namespace dtpinn::core {

Objective::Objective(Network& net, std::vector<std::string> names, TermsFn terms,
                     bool input_derivatives)
    : net_(net),
      names_(std::move(names)),
      terms_(std::move(terms)),
      input_derivatives_(input_derivatives),
      flat_(net.parameters()),
      output_parameters_(net.num_output_parameters()) {
  if (names_.empty()) throw std::invalid_argument("objective: no loss terms");
  const auto o = flat_.values().options();
  weights_.assign(names_.size(), 1.0);
  weights_device_ = torch::ones({static_cast<std::int64_t>(names_.size())}, o);
  buffer_ = torch::zeros({flat_.numel() + 1}, o);
}

Objective::~Objective() = default;

void Objective::set_weights(const std::vector<double>& w) {
  if (w.size() != names_.size())
    throw std::invalid_argument("objective: loss weights differ in number from the terms");
  weights_ = w;
  // An in-place copy: the device tensor keeps its address (captured graphs read it).
  weights_device_.copy_(torch::tensor(w, torch::TensorOptions().dtype(torch::kFloat64)));
}

at::Tensor Objective::weighted_total(const std::vector<at::Tensor>& terms) const {
  if (terms.size() != names_.size())
    throw std::runtime_error("objective: the loss returned a different number of terms");
  at::Tensor total = terms[0] * weights_device_[0];
  for (std::size_t i = 1; i < terms.size(); ++i)
    total = total + terms[i] * weights_device_[static_cast<std::int64_t>(i)];
  return total;
}

at::Tensor Objective::closure() {
  fit_output_layer();
  flat_.rebind_grads();
  flat_.zero_grad();
  auto total = weighted_total(terms_(net_));
  total.backward();
  if (!reduces()) return total.detach();
  const auto P = flat_.numel();
  torch::NoGradGuard ng;
  buffer_.narrow(0, 0, P).copy_(flat_.grads());
  buffer_.narrow(0, P, 1).copy_(total.detach().view({1}));
  reduce(buffer_);
  flat_.grads().copy_(buffer_.narrow(0, 0, P));
  return buffer_[P].clone();
}

at::Tensor Objective::loss_only() {
  if (input_derivatives_)
    throw std::logic_error("objective: loss_only() needs terms without input derivatives");
  fit_output_layer();
  torch::NoGradGuard ng;
  auto total = weighted_total(terms_(net_)).view({1});
  reduce(total);
  return total[0];
}

double Objective::loss_value() {
  if (!input_derivatives_) return loss_only().item<double>();
  fit_output_layer();
  // Input derivatives need autograd; nothing is backpropagated in the weights.
  auto total = weighted_total(terms_(net_)).detach().view({1});
  reduce(total);
  return total.item<double>();
}

ResidualSystem Objective::residuals(JacobianColumns columns) {
  if (!residuals_) throw std::logic_error("objective: no residual function was set");
  if (reduces())
    throw std::logic_error("objective: the least-squares system of a distributed objective");
  return residuals_(net_, weights_, columns);
}

void Objective::set_output_layer_least_squares(bool on) {
  if (on && !residuals_)
    throw std::logic_error("objective: the least-squares output layer needs residuals");
  output_layer_ls_ = on;
}

void Objective::fit_output_layer() {
  if (!output_layer_ls_) return;
  // The residuals are affine in the output layer's weights c: r(c) = r + J (c' - c), so the
  // minimiser is c + argmin_d ||J d + r||.
  const auto sys = residuals(JacobianColumns::output_layer);
  torch::NoGradGuard ng;
  const auto P = flat_.numel();
  flat_.values()
      .narrow(0, P - output_parameters_, output_parameters_)
      .add_(least_squares_correction(sys.J, sys.r));
}

Objective::TermGradients Objective::term_gradients() {
  fit_output_layer();
  auto terms = terms_(net_);
  const auto T = static_cast<std::int64_t>(terms.size());
  const auto P = flat_.numel();
  const auto& params = flat_.parameters();
  // Row i: [d term_i / d theta (P values) | term_i]; one reduction for all of them.
  auto G = torch::zeros({T, P + 1}, flat_.values().options());
  for (std::int64_t i = 0; i < T; ++i) {
    const auto& term = terms[static_cast<std::size_t>(i)];
    // A term can be a constant on this rank (heat's initial condition on a block of later
    // slices): its gradient is zero, and autograd has nothing to differentiate.
    if (term.requires_grad()) {
      auto g = torch::autograd::grad({term}, params, {}, /*retain_graph=*/true,
                                     /*create_graph=*/false, /*allow_unused=*/true);
      torch::NoGradGuard ng;
      for (std::size_t j = 0; j < g.size(); ++j)
        if (g[j].defined()) G[i].narrow(0, flat_.offset(j), g[j].numel()).copy_(g[j].reshape({-1}));
    }
    torch::NoGradGuard ng;
    G[i][P].copy_(term.detach());
  }
  reduce(G);
  G = G.to(torch::kCPU, torch::kFloat64);
  TermGradients out;
  for (std::int64_t i = 0; i < T; ++i) out.terms.push_back(G[i][P].item<double>());
  out.grads = G.narrow(1, 0, P);
  return out;
}

}  // namespace dtpinn::core
