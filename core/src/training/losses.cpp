// DT-PINN and vanilla PINN losses (paper eq. 4, 12, 16).
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/losses.hpp>

#include <torch/torch.h>

#include <fmt/format.h>

#include <optional>
#include <stdexcept>
#include <tuple>

namespace dtpinn::core {

namespace {

using autodiff::SparseOperator;

/// Column-major Eigen (rows x cols) -> tensor [rows, cols] in the given dtype and device.
torch::Tensor matrix_tensor(const Eigen::MatrixXd& m, const torch::TensorOptions& o) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
  return torch::from_blob(r.data(), {r.rows(), r.cols()}, torch::kFloat64).to(o, false, true);
}

/// Inputs [S * N, d + 1]: slice k is the block of rows [k N, (k + 1) N) at time times[k].
torch::Tensor space_time(const torch::Tensor& x, const std::vector<double>& times) {
  std::vector<torch::Tensor> blocks;
  for (double t : times)
    blocks.push_back(torch::cat({x, torch::full({x.size(0), 1}, t, x.options())}, 1));
  return torch::cat(blocks, 0);
}

/// The loss over one block of rows (the whole problem, or one rank's share): the block's
/// tensors, and for DT-PINN its rows of L and B as SparseOperators.
class BlockLoss : public Loss {
 public:
  BlockLoss(const BlockLoss&) = delete;  // the block points at L_ and B_
  BlockLoss& operator=(const BlockLoss&) = delete;
  BlockLoss(Method method, const BlockData& d, const Network& net, bool tangent)
      : vanilla_(method == Method::vanilla) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    const bool heat = d.pde == PdeKind::heat;
    auto& b = b_;
    b.pde = d.pde;
    b.slices = heat ? static_cast<std::int64_t>(d.times.size()) : 1;
    b.rows = d.rows;
    b.pde_scale = d.pde_scale;
    b.bc_scale = d.bc_scale;
    b.ic_scale = d.ic_scale;
    // The vanilla PINN evaluates the network at the block's rows only (no ghosts, no halo).
    b.nodes = vanilla_ ? d.rows : d.points.rows();
    auto x = matrix_tensor(Eigen::MatrixXd(d.points.topRows(b.nodes)), o);
    b.x = heat ? space_time(x, d.times) : x;
    if (heat) b.u0 = matrix_tensor(Eigen::MatrixXd(d.u0), o).view({-1});
    auto f = matrix_tensor(d.f, o), g = matrix_tensor(d.g, o);  // [rows, S], [nb, S]
    if (vanilla_) {
      b.dim = static_cast<int>(d.points.cols());
      b.alpha = d.alpha;
      b.beta = d.beta;
      b.f = f.t().contiguous().view({-1});  // slice-major, matching x
      b.g = g.t().contiguous().view({-1});
      b.normals = matrix_tensor(Eigen::MatrixXd(d.normals), o).repeat({b.slices, 1});
      b.boundary_rows = torch::tensor(
          d.boundary_rows, torch::TensorOptions().dtype(torch::kLong).device(o.device()));
    } else {
      if (!d.L || !d.B) throw std::invalid_argument("loss: DT-PINN needs the operators L and B");
      L_.emplace(*d.L, o);
      B_.emplace(*d.B, o);
      b.L = &*L_;
      b.B = &*B_;
      // The shapes every epoch applies L, B (and L^T, B^T) to, prepared now: on CUDA the first
      // use then allocates nothing inside a captured training step (u [nodes] or [nodes, S]).
      const std::int64_t k = heat ? b.slices : 0;
      L_->prepare(k);
      B_->prepare(k);
      b.tangent = tangent;
      // Heat keeps [rows, S] even for a block of one slice.
      b.f = heat ? f : f.squeeze(1);
      b.g = heat ? g : g.squeeze(1);
    }
    names_ = loss_term_names(b.pde);
  }

  std::vector<at::Tensor> terms(const Network& net) const override {
    return vanilla_ ? vanilla_terms(net, b_) : dtpinn_terms(net, b_);
  }

 private:
  bool vanilla_;
  std::optional<SparseOperator> L_, B_;
  LossBlock b_;
};

/// The whole problem as one block: scales 1 / (rows S), 1 / (Nb S), 1 / rows give the means.
BlockData whole_problem(const Dataset& d) {
  BlockData b;
  b.pde = d.problem->pde();
  b.points = d.nodes.points;
  b.rows = d.n_collocation();
  b.f = d.f;
  b.g = d.g;
  b.u0 = d.u0;
  b.times = d.times;
  const auto ni = d.nodes.n_interior, nb = d.nodes.n_boundary;
  b.normals = d.nodes.normals.middleRows(ni, nb);
  for (std::int64_t k = 0; k < nb; ++k) b.boundary_rows.push_back(ni + k);
  const double S = b.pde == PdeKind::heat ? static_cast<double>(d.times.size()) : 1.0;
  b.pde_scale = 1.0 / (static_cast<double>(b.rows) * S);
  b.bc_scale = 1.0 / (static_cast<double>(nb) * S);
  b.ic_scale = 1.0 / static_cast<double>(b.rows);
  b.alpha = d.problem->alpha();
  b.beta = d.problem->beta();
  if (d.has_operators) {
    b.L = &d.L;
    b.B = &d.B;
  }
  return b;
}

}  // namespace

std::vector<std::string> loss_term_names(PdeKind pde) {
  if (pde == PdeKind::heat) return {"ic", "pde", "bc"};
  return {"pde", "bc"};
}

std::vector<at::Tensor> dtpinn_terms(const Network& net, const LossBlock& b) {
  if (b.pde != PdeKind::heat) {
    auto u = net.forward_in_weights(b.x);  // [nodes]: the block's rows first
    auto r = b.L->apply(u) - b.f;
    if (b.pde == PdeKind::nonlinear_poisson) r = r - torch::exp(u.narrow(0, 0, b.rows));
    auto e = b.B->apply(u) - b.g;
    return {r.square().sum() * b.pde_scale, e.square().sum() * b.bc_scale};
  }
  // Heat: one forward pass over all slices, u_t in the t column (tangent or autograd).
  const int t_col = static_cast<int>(b.x.size(1)) - 1;
  at::Tensor u, dudt;
  if (b.tangent) {
    std::tie(u, dudt) = net.forward_with_derivative(b.x, t_col);  // [S nodes] each
  } else {
    auto x = b.x.detach().requires_grad_(true);
    u = net.forward(x);
    dudt = autodiff::time_derivative(autodiff::input_gradient(u, x, /*create_graph=*/true), t_col);
  }
  auto ut = dudt.view({b.slices, b.nodes}).narrow(1, 0, b.rows).t();  // [rows, S]
  auto U = u.view({b.slices, b.nodes}).t().contiguous();  // [nodes, S]: a column per slice
  auto r = ut - b.L->apply(U) - b.f;
  auto e = b.B->apply(U) - b.g;
  auto ic = b.ic_scale != 0
                ? (b.u0 - U.select(1, 0).narrow(0, 0, b.rows)).square().sum() * b.ic_scale
                : torch::zeros({}, r.options());
  return {ic, r.square().sum() * b.pde_scale, e.square().sum() * b.bc_scale};
}

std::vector<at::Tensor> vanilla_terms(const Network& net, const LossBlock& b) {
  auto x = b.x.detach().requires_grad_(true);
  auto u = net.forward(x);  // [S rows]
  auto grad = autodiff::input_gradient(u, x, /*create_graph=*/true);
  auto lap = autodiff::laplacian(grad, x, b.dim, true);
  // The boundary rows of every slice: [S, rows] -> [S nb].
  const auto nb = b.boundary_rows.numel();
  auto ub = u.view({b.slices, b.rows}).index_select(1, b.boundary_rows).reshape({-1});
  auto gb = grad.view({b.slices, b.rows, -1})
                .index_select(1, b.boundary_rows)
                .reshape({b.slices * nb, -1});
  auto e = b.alpha * autodiff::normal_derivative(gb, b.normals) + b.beta * ub - b.g;
  auto bc = e.square().sum() * b.bc_scale;
  if (b.pde != PdeKind::heat) {
    auto r = lap - b.f;
    if (b.pde == PdeKind::nonlinear_poisson) r = r - torch::exp(u);
    return {r.square().sum() * b.pde_scale, bc};
  }
  auto r = autodiff::time_derivative(grad, b.dim) - lap - b.f;
  auto ic = b.ic_scale != 0 ? (b.u0 - u.narrow(0, 0, b.rows)).square().sum() * b.ic_scale
                            : torch::zeros({}, r.options());
  return {ic, r.square().sum() * b.pde_scale, bc};
}

std::unique_ptr<Loss> make_block_loss(Method method, const BlockData& block, const Network& net,
                                      TimeDerivative time_derivative) {
  if (net.in_dim() != static_cast<int>(block.points.cols()) + (block.pde == PdeKind::heat))
    throw std::invalid_argument(fmt::format("loss: the network takes {} inputs, the problem has {}",
                                            net.in_dim(),
                                            block.points.cols() + (block.pde == PdeKind::heat)));
  return std::make_unique<BlockLoss>(method, block, net,
                                     time_derivative == TimeDerivative::tangent);
}

std::unique_ptr<Loss> make_loss(Method method, const Dataset& data, const Network& net,
                                TimeDerivative time_derivative) {
  if (method == Method::dtpinn && !data.has_operators)
    throw std::invalid_argument("loss: DT-PINN needs the RBF-FD operators L and B");
  return make_block_loss(method, whole_problem(data), net, time_derivative);
}

}  // namespace dtpinn::core
