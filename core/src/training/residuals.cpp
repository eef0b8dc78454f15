// The loss terms as one weighted residual vector and its Jacobian (least_squares.hpp), from the
// residual vectors the terms are made of (block_residuals.hpp).
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/losses.hpp>

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "block_residuals.hpp"
#include "residual_jacobians.hpp"

namespace dtpinn::core {

namespace {

/// sqrt(weight x scale) of every term's rows: a scalar for ic and pde, and per boundary row
/// (one factor per condition, gathered by the rows' condition) for bc.
struct RowFactors {
  double ic = 0, pde = 0, mean = 0;
  at::Tensor bc;  ///< [nb] (DT-PINN) or [S nb] (vanilla), or a 0-dim tensor (one condition)
};

RowFactors row_factors(const LossBlock& b, const std::vector<double>& w,
                       const torch::TensorOptions& o) {
  const std::size_t first_bc = b.time_dependent ? 2 : 1;
  const std::size_t end_bc = first_bc + b.bc_scales.size();
  if (w.size() != end_bc + (b.fix_mean ? 1 : 0))
    throw std::invalid_argument("residuals: one weight per loss term expected");
  RowFactors f;
  if (b.time_dependent) f.ic = std::sqrt(w[0] * b.ic_scale);
  f.pde = std::sqrt(w[first_bc - 1] * b.pde_scale);
  if (b.fix_mean) f.mean = std::sqrt(w[end_bc]);
  if (b.bc_scales.size() == 1) {
    f.bc = torch::full({}, std::sqrt(w[first_bc] * b.bc_scales[0]), o);
  } else {
    const std::vector<double> wb(w.begin() + static_cast<std::ptrdiff_t>(first_bc),
                                 w.begin() + static_cast<std::ptrdiff_t>(end_bc));
    f.bc = (torch::tensor(wb, o) * b.bc_scale_tensor).sqrt().index_select(0, b.bc_index);
  }
  return f;
}

/// r = [f_ic ic ; f_pde pde ; f_bc bc], each flattened row-major.
/// The per-row factors broadcast along the trailing axes of `like` (slices, columns).
at::Tensor along_rows(at::Tensor factor, const at::Tensor& like) {
  while (factor.dim() > 0 && factor.dim() < like.dim()) factor = factor.unsqueeze(-1);
  return factor;
}

at::Tensor weighted_vector(const BlockResiduals& res, const RowFactors& f) {
  std::vector<at::Tensor> parts;
  if (res.ic.defined()) parts.push_back(res.ic.reshape({-1}) * f.ic);
  parts.push_back(res.pde.reshape({-1}) * f.pde);
  parts.push_back((res.bc * along_rows(f.bc, res.bc)).reshape({-1}));
  if (res.mean.defined()) parts.push_back(res.mean.reshape({-1}) * f.mean);
  return torch::cat(parts);
}

/// The same weighting of Jacobian blocks [rows..., C] (flattened to [-1, C]).
at::Tensor weighted_jacobian(const at::Tensor& Jic, const at::Tensor& Jpde, const at::Tensor& Jbc,
                             const at::Tensor& Jmean, const RowFactors& f) {
  const auto C = Jpde.size(-1);
  std::vector<at::Tensor> parts;
  if (Jic.defined()) parts.push_back(Jic.reshape({-1, C}) * f.ic);
  parts.push_back(Jpde.reshape({-1, C}) * f.pde);
  parts.push_back((Jbc * along_rows(f.bc, Jbc)).reshape({-1, C}));
  if (Jmean.defined()) parts.push_back(Jmean.reshape({-1, C}) * f.mean);
  return torch::cat(parts);
}

}  // namespace

at::Tensor row_jacobian(const at::Tensor& F, const std::vector<at::Tensor>& deltas,
                        std::int64_t rows) {
  std::vector<at::Tensor> inputs;
  for (const auto& d : deltas)
    if (d.defined()) inputs.push_back(d);
  std::vector<at::Tensor> g(inputs.size());
  if (F.requires_grad())
    g = torch::autograd::grad({F.sum()}, inputs, {}, /*retain_graph=*/true,
                              /*create_graph=*/false, /*allow_unused=*/true);
  std::vector<at::Tensor> cols;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    cols.push_back(g[i].defined()
                       ? g[i].reshape({rows, -1})
                       : torch::zeros({rows, inputs[i][0].numel()}, inputs[i].options()));
  return torch::cat(cols, 1);
}

at::Tensor multiply_columns(const autodiff::SparseOperator& A, const at::Tensor& X) {
  const auto flat = X.reshape({X.size(0), -1}).contiguous();
  auto y = A.multiply(flat);
  auto shape = X.sizes().vec();
  shape[0] = A.rows();
  return y.view(shape);
}

at::Tensor tape_jacobian(const Tape& tape, FieldTensors fields, const at::Tensor& source,
                         const std::vector<at::Tensor>& coefficients,
                         const std::function<at::Tensor(int slot)>& field_jacobian,
                         const at::Tensor& zero) {
  std::vector<at::Tensor> leaves;
  std::vector<int> slots;
  for (std::size_t k = 0; k < fields.size(); ++k)
    if (fields[k].defined()) {
      fields[k] = fields[k].detach().requires_grad_(true);
      leaves.push_back(fields[k]);
      slots.push_back(static_cast<int>(k));
    }
  std::vector<at::Tensor> dR(leaves.size());
  {
    torch::AutoGradMode on(true);
    auto R = evaluate_tape(tape, fields, source, coefficients);
    if (R.requires_grad())
      dR = torch::autograd::grad({R.sum()}, leaves, {}, false, false, /*allow_unused=*/true);
  }
  torch::NoGradGuard ng;
  at::Tensor J = zero;
  for (std::size_t i = 0; i < leaves.size(); ++i)
    if (dR[i].defined()) J = J + dR[i].unsqueeze(-1) * field_jacobian(slots[i]);
  return J;
}

ResidualSystem dtpinn_residuals(const Network& net, const LossBlock& b,
                                const std::vector<double>& weights, JacobianColumns columns) {
  const auto o = b.x.options();
  const RowFactors f = row_factors(b, weights, o);
  if (columns == JacobianColumns::none) {
    const auto [u, ut] = dtpinn_network_fields(net, b);
    return {weighted_vector(dtpinn_residual_vectors(b, u, ut), f), {}};
  }
  // u at every (slice, node) row with per-row weights: U = du/dtheta in one reverse pass.
  const auto S = b.slices, N = b.nodes, rows = b.rows;
  auto deltas = net.row_deltas(S * N, columns == JacobianColumns::output_layer);
  auto x = b.time_dependent ? b.x.detach().requires_grad_(true) : b.x;
  auto u = net.forward_per_row(x, deltas);  // [S N]
  at::Tensor ut, JUt;
  if (b.time_dependent) {
    const int t_col = static_cast<int>(x.size(1)) - 1;
    ut = autodiff::time_derivative(autodiff::input_gradient(u, x, /*create_graph=*/true), t_col);
    JUt = row_jacobian(ut, deltas, S * N);
  }
  auto JU = row_jacobian(u, deltas, S * N);  // [S N, C]
  const auto C = JU.size(1);
  torch::NoGradGuard ng;
  // Values, laid out as the loss has them: u [nodes] or [nodes, S], u_t [rows, S].
  auto U = b.time_dependent ? u.detach().view({S, N}).t().contiguous() : u.detach();
  auto UT = b.time_dependent ? ut.detach().view({S, N}).narrow(1, 0, rows).t() : at::Tensor();
  // Jacobians in the same layout with a trailing column axis: [nodes, C] or [nodes, S, C].
  auto JUn = b.time_dependent ? JU.view({S, N, C}).permute({1, 0, 2}).contiguous() : JU;
  const BlockResiduals res = dtpinn_residual_vectors(b, U, UT);

  // R is pointwise in its fields: J = sum_k diag(dR/dF_k) J_k, J_k from U by the operators.
  const auto field_jacobian = [&](int k) -> at::Tensor {
    const auto field = static_cast<Derivative>(k);
    if (field == Derivative::value) return JUn.narrow(0, 0, rows);
    if (field == Derivative::lap) return multiply_columns(*b.L, JUn);
    if (field == Derivative::t) return JUt.view({S, N, C}).narrow(1, 0, rows).permute({1, 0, 2});
    return multiply_columns(*b.D[static_cast<std::size_t>(k - static_cast<int>(Derivative::x))],
                            JUn);
  };
  const at::Tensor Jpde = tape_jacobian(*b.residual, dtpinn_fields(b, U, UT), b.f, b.coefficients,
                                        field_jacobian, torch::zeros_like(JUn.narrow(0, 0, rows)));
  auto Jbc = multiply_columns(*b.B, JUn);
  at::Tensor Jic, Jmean;
  if (b.time_dependent) Jic = -JUn.select(1, 0).narrow(0, 0, rows);
  if (b.fix_mean) Jmean = JUn.narrow(0, 0, rows).mean(0, /*keepdim=*/true);
  return {weighted_vector(res, f), weighted_jacobian(Jic, Jpde, Jbc, Jmean, f)};
}

ResidualSystem vanilla_residuals(const Network& net, const LossBlock& b,
                                 const std::vector<double>& weights, JacobianColumns columns) {
  const auto o = b.x.options();
  const RowFactors f = row_factors(b, weights, o);
  auto x = b.x.detach().requires_grad_(true);
  if (columns == JacobianColumns::none)
    return {weighted_vector(vanilla_residual_vectors(b, x, net.forward(x)), f), {}};
  // Every residual row depends on one input row: one reverse pass per term gives its rows of J.
  const auto n = x.size(0);  // S rows
  auto deltas = net.row_deltas(n, columns == JacobianColumns::output_layer);
  const auto u = net.forward_per_row(x, deltas);
  const BlockResiduals res = vanilla_residual_vectors(b, x, u);
  at::Tensor Jic, Jmean;
  if (res.ic.defined()) Jic = row_jacobian(res.ic, deltas, n).narrow(0, 0, b.rows);
  if (b.fix_mean) Jmean = row_jacobian(u, deltas, n).mean(0, /*keepdim=*/true);
  auto Jpde = row_jacobian(res.pde, deltas, n);
  // Boundary row (s, k) is input row s * rows + boundary_rows[k].
  const auto slice_start =
      torch::arange(b.slices, b.boundary_rows.options()).mul(b.rows).unsqueeze(1);
  const auto index = (slice_start + b.boundary_rows.unsqueeze(0)).reshape({-1});
  auto Jbc = row_jacobian(res.bc, deltas, n).index_select(0, index);
  torch::NoGradGuard ng;
  BlockResiduals values{res.ic.defined() ? res.ic.detach() : at::Tensor(), res.pde.detach(),
                        res.bc.detach(), res.mean.defined() ? res.mean.detach() : at::Tensor()};
  return {weighted_vector(values, f), weighted_jacobian(Jic, Jpde, Jbc, Jmean, f)};
}

}  // namespace dtpinn::core
