// DT-PINN and vanilla PINN losses (paper eq. 4, 12, 16).
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/losses.hpp>

#include <torch/torch.h>

#include <fmt/format.h>

#include <stdexcept>
#include <tuple>

namespace dtpinn::core {

namespace {

using autodiff::SparseOperator;

torch::Tensor points_tensor(const nodegen::PointMatrix& c, const torch::TensorOptions& o) {
  return torch::from_blob(const_cast<double*>(c.data()), {c.rows(), c.cols()}, torch::kFloat64)
      .to(o, false, true);
}

/// Column-major Eigen (rows x S) -> tensor [rows, S] (or [rows] when S == 1 and squeeze).
torch::Tensor matrix_tensor(const Eigen::MatrixXd& m, const torch::TensorOptions& o) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
  return torch::from_blob(r.data(), {r.rows(), r.cols()}, torch::kFloat64).to(o, false, true);
}

torch::Tensor vector_tensor(const Eigen::VectorXd& c, const torch::TensorOptions& o) {
  return torch::from_blob(const_cast<double*>(c.data()), {c.size()}, torch::kFloat64)
      .to(o, false, true);
}

/// Inputs [S * N, d + 1]: slice k is the block of rows [k N, (k + 1) N) at time times[k].
torch::Tensor space_time(const torch::Tensor& x, const std::vector<double>& times) {
  std::vector<torch::Tensor> blocks;
  for (double t : times)
    blocks.push_back(torch::cat({x, torch::full({x.size(0), 1}, t, x.options())}, 1));
  return torch::cat(blocks, 0);
}

/// Node i's boundary rows as block rows: [ni, ni + nb).
torch::Tensor boundary_range(std::int64_t ni, std::int64_t nb, const torch::TensorOptions& o) {
  return torch::arange(ni, ni + nb, torch::TensorOptions().dtype(torch::kLong).device(o.device()));
}

/// The whole problem as one block: scales 1 / (rows S), 1 / (Nb S), 1 / rows give the means.
LossBlock whole_block(const Dataset& d, const torch::TensorOptions& o) {
  LossBlock b;
  b.pde = d.problem->pde();
  b.slices = b.pde == PdeKind::heat ? static_cast<std::int64_t>(d.times.size()) : 1;
  b.rows = d.n_collocation();
  const auto S = static_cast<double>(b.slices);
  b.pde_scale = 1.0 / (static_cast<double>(b.rows) * S);
  b.bc_scale = 1.0 / (static_cast<double>(d.nodes.n_boundary) * S);
  b.ic_scale = 1.0 / static_cast<double>(b.rows);
  if (b.pde == PdeKind::heat) b.u0 = vector_tensor(d.u0, o);
  return b;
}

class DtPinnLoss : public Loss {
 public:
  DtPinnLoss(const DtPinnLoss&) = delete;  // the block points at L_ and B_
  DtPinnLoss& operator=(const DtPinnLoss&) = delete;
  DtPinnLoss(const Dataset& d, const Network& net, bool tangent)
      : L_(d.L, torch::TensorOptions().dtype(net.dtype()).device(net.device())),
        B_(d.B, torch::TensorOptions().dtype(net.dtype()).device(net.device())) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    b_ = whole_block(d, o);
    b_.nodes = d.nodes.size();  // interior, boundary, ghost
    auto x = points_tensor(d.nodes.points, o);
    b_.x = b_.pde == PdeKind::heat ? space_time(x, d.times) : x;
    b_.f = matrix_tensor(d.f, o);  // [Nc, S]
    b_.g = matrix_tensor(d.g, o);  // [Nb, S]
    if (b_.pde != PdeKind::heat) {
      b_.f = b_.f.squeeze(1);
      b_.g = b_.g.squeeze(1);
    }
    b_.L = &L_;
    b_.B = &B_;
    // The shapes every epoch applies L, B (and L^T, B^T) to, prepared now: on CUDA the first
    // use then allocates nothing inside a captured training step (u [nodes] or [nodes, S]).
    const std::int64_t k = b_.pde == PdeKind::heat ? b_.slices : 0;
    L_.prepare(k);
    B_.prepare(k);
    b_.tangent = tangent;
    names_ = loss_term_names(b_.pde);
  }

  std::vector<at::Tensor> terms(const Network& net) const override { return dtpinn_terms(net, b_); }

 private:
  SparseOperator L_, B_;
  LossBlock b_;
};

class VanillaLoss : public Loss {
 public:
  VanillaLoss(const Dataset& d, const Network& net) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    b_ = whole_block(d, o);
    b_.nodes = b_.rows;  // the collocation nodes only: no ghosts
    b_.dim = d.dim();
    b_.alpha = d.problem->alpha();
    b_.beta = d.problem->beta();
    const auto ni = d.nodes.n_interior, nb = d.nodes.n_boundary;
    auto x = points_tensor(d.nodes.points.topRows(b_.rows), o);
    b_.x = b_.pde == PdeKind::heat ? space_time(x, d.times) : x;
    b_.normals = points_tensor(d.nodes.normals.middleRows(ni, nb), o).repeat({b_.slices, 1});
    b_.boundary_rows = boundary_range(ni, nb, o);
    // f, g as [S, rows] flattened in slice-major order, matching x.
    b_.f = matrix_tensor(d.f, o).t().contiguous().view({-1});
    b_.g = matrix_tensor(d.g, o).t().contiguous().view({-1});
    names_ = loss_term_names(b_.pde);
  }

  std::vector<at::Tensor> terms(const Network& net) const override {
    return vanilla_terms(net, b_);
  }

 private:
  LossBlock b_;
};

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

std::unique_ptr<Loss> make_loss(const std::string& method, const Dataset& data, const Network& net,
                                const std::string& time_derivative) {
  if (time_derivative != "tangent" && time_derivative != "autograd")
    throw std::invalid_argument(fmt::format(
        "train.time_derivative: unknown choice '{}' (tangent, autograd)", time_derivative));
  if (net.in_dim() != data.input_dim())
    throw std::invalid_argument(fmt::format("loss: the network takes {} inputs, the problem has {}",
                                            net.in_dim(), data.input_dim()));
  if (method == "dtpinn") {
    if (!data.has_operators)
      throw std::invalid_argument("loss: DT-PINN needs the RBF-FD operators L and B");
    return std::make_unique<DtPinnLoss>(data, net, time_derivative == "tangent");
  }
  if (method == "vanilla") return std::make_unique<VanillaLoss>(data, net);
  throw std::invalid_argument(
      fmt::format("train.method: unknown method '{}' (dtpinn, vanilla)", method));
}

}  // namespace dtpinn::core
