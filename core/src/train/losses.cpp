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

class DtPinnLoss : public Loss {
 public:
  DtPinnLoss(const Dataset& d, const Network& net, bool tangent)
      : L_(d.L, torch::TensorOptions().dtype(net.dtype()).device(net.device())),
        B_(d.B, torch::TensorOptions().dtype(net.dtype()).device(net.device())),
        tangent_(tangent) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    pde_ = d.problem->pde();
    nc_ = d.n_collocation();
    n_ = d.nodes.size();
    auto x = points_tensor(d.nodes.points, o);
    if (pde_ == PdeKind::heat) {
      x_ = space_time(x, d.times).requires_grad_(false);
      slices_ = static_cast<std::int64_t>(d.times.size());
      u0_ = vector_tensor(d.u0, o);
      names_ = {"ic", "pde", "bc"};
    } else {
      x_ = x;
      slices_ = 1;
      names_ = {"pde", "bc"};
    }
    f_ = matrix_tensor(d.f, o);  // [Nc, S]
    g_ = matrix_tensor(d.g, o);  // [Nb, S]
    if (pde_ != PdeKind::heat) {
      f_ = f_.squeeze(1);
      g_ = g_.squeeze(1);
    }
  }

  std::vector<at::Tensor> terms(const Network& net) const override {
    if (pde_ != PdeKind::heat) {
      auto u = net.forward(x_);  // [N]: interior, boundary, ghost
      auto r = L_.apply(u) - f_;
      if (pde_ == PdeKind::nonlinear_poisson) r = r - torch::exp(u.narrow(0, 0, nc_));
      auto b = B_.apply(u) - g_;
      return {r.square().mean(), b.square().mean()};
    }
    // Heat: one forward pass over all slices, u_t in the t column (tangent or autograd).
    const int t_col = static_cast<int>(x_.size(1)) - 1;
    at::Tensor u, dudt;
    if (tangent_) {
      std::tie(u, dudt) = net.forward_with_derivative(x_, t_col);  // [S N] each
    } else {
      auto x = x_.detach().requires_grad_(true);
      u = net.forward(x);
      dudt =
          autodiff::time_derivative(autodiff::input_gradient(u, x, /*create_graph=*/true), t_col);
    }
    auto ut = dudt.view({slices_, n_}).narrow(1, 0, nc_).t();  // [Nc, S]
    auto U = u.view({slices_, n_}).t().contiguous();           // [N, S]: one column per slice
    auto lu = L_.apply(U);                                     // [Nc, S]
    auto bu = B_.apply(U);                                     // [Nb, S]
    auto ic = u0_ - U.select(1, 0).narrow(0, 0, nc_);
    auto r = ut - lu - f_;
    auto b = bu - g_;
    return {ic.square().mean(), r.square().mean(), b.square().mean()};
  }

 private:
  SparseOperator L_, B_;
  bool tangent_ = true;
  PdeKind pde_;
  std::int64_t nc_ = 0, n_ = 0, slices_ = 1;
  torch::Tensor x_, f_, g_, u0_;
};

class VanillaLoss : public Loss {
 public:
  VanillaLoss(const Dataset& d, const Network& net) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    pde_ = d.problem->pde();
    dim_ = d.dim();
    nc_ = d.n_collocation();
    ni_ = d.nodes.n_interior;
    nb_ = d.nodes.n_boundary;
    alpha_ = d.problem->alpha();
    beta_ = d.problem->beta();
    auto x = points_tensor(d.nodes.points.topRows(nc_), o);
    normals_ = points_tensor(d.nodes.normals.middleRows(ni_, nb_), o);
    if (pde_ == PdeKind::heat) {
      slices_ = static_cast<std::int64_t>(d.times.size());
      x_ = space_time(x, d.times);
      u0_ = vector_tensor(d.u0, o);
      names_ = {"ic", "pde", "bc"};
      normals_ = normals_.repeat({slices_, 1});  // per slice, [S Nb, d]
    } else {
      x_ = x;
      names_ = {"pde", "bc"};
    }
    // f as [S, Nc] flattened in slice-major order, matching x_.
    f_ = matrix_tensor(d.f, o).t().contiguous().view({-1});
    g_ = matrix_tensor(d.g, o).t().contiguous().view({-1});
  }

  std::vector<at::Tensor> terms(const Network& net) const override {
    auto x = x_.detach().requires_grad_(true);
    auto u = net.forward(x);  // [S Nc]
    auto grad = autodiff::input_gradient(u, x, true);
    auto lap = autodiff::laplacian(grad, x, dim_, true);
    // Boundary rows of every slice: [S, Nc] -> [S, Nb].
    auto sel_b = [&](const torch::Tensor& t) {
      return t.view({slices_, nc_}).narrow(1, ni_, nb_).reshape({-1});
    };
    auto gb = grad.view({slices_, nc_, -1}).narrow(1, ni_, nb_).reshape({slices_ * nb_, -1});
    auto bu = alpha_ * autodiff::normal_derivative(gb, normals_) + beta_ * sel_b(u);
    auto b = bu - g_;
    if (pde_ != PdeKind::heat) {
      auto r = lap - f_;
      if (pde_ == PdeKind::nonlinear_poisson) r = r - torch::exp(u);
      return {r.square().mean(), b.square().mean()};
    }
    auto ut = autodiff::time_derivative(grad, dim_);
    auto r = ut - lap - f_;
    auto ic = u0_ - u.narrow(0, 0, nc_);
    return {ic.square().mean(), r.square().mean(), b.square().mean()};
  }

 private:
  PdeKind pde_;
  int dim_ = 2;
  std::int64_t nc_ = 0, ni_ = 0, nb_ = 0, slices_ = 1;
  double alpha_ = 1, beta_ = 1;
  torch::Tensor x_, normals_, f_, g_, u0_;
};

}  // namespace

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
