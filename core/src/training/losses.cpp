// DT-PINN and vanilla PINN losses (paper eq. 4, 12, 16).
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/tape.hpp>

#include "block_residuals.hpp"

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

/// The residual's coefficients at the block's rows and times, as tensors in the fields' layout:
/// [rows] (steady), [rows, S] (DT-PINN in time) or [S rows] slice-major (vanilla in time).
std::vector<torch::Tensor> coefficient_tensors(const Tape& tape, const BlockData& d, bool vanilla,
                                               const torch::TensorOptions& o) {
  std::vector<torch::Tensor> out;
  const nodegen::PointMatrix rows = d.points.topRows(d.rows);
  const bool in_time = d.equation->time_dependent();
  for (const auto& c : tape.coefficients) {
    Eigen::MatrixXd v(d.rows, in_time ? static_cast<Eigen::Index>(d.times.size()) : 1);
    for (Eigen::Index k = 0; k < v.cols(); ++k) v.col(k) = c.evaluate(rows, d.times[k]);
    auto t = matrix_tensor(v, o);  // [rows, S]
    out.push_back(!in_time ? t.squeeze(1) : (vanilla ? t.t().contiguous().view({-1}) : t));
  }
  return out;
}

/// The loss over one block of rows (the whole problem, or one rank's share): the block's
/// tensors, and for DT-PINN its rows of L and B as SparseOperators.
class BlockLoss : public Loss {
 public:
  BlockLoss(const BlockLoss&) = delete;  // the block points at L_ and B_
  BlockLoss& operator=(const BlockLoss&) = delete;
  BlockLoss(Method method, const BlockData& d, const Network& net, bool tangent)
      : vanilla_(method == Method::vanilla), equation_(*d.equation) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    const bool heat = d.equation->time_dependent();
    auto& b = b_;
    b.time_dependent = heat;
    b.residual = &equation_.residual();
    b.uses.assign(kDerivativeCount, false);
    for (int k : equation_.slots()) {
      if (k >= kDerivativeCount || derivative_order(static_cast<Derivative>(k)) == 2) {
        if (k != static_cast<int>(Derivative::lap))
          throw std::invalid_argument("loss: the equation uses a derivative training lacks");
      }
      b.uses[static_cast<std::size_t>(k)] = true;
    }
    b.coefficients = coefficient_tensors(*b.residual, d, vanilla_, o);
    b.slices = heat ? static_cast<std::int64_t>(d.times.size()) : 1;
    b.rows = d.rows;
    b.pde_scale = d.pde_scale;
    b.ic_scale = d.ic_scale;
    b.bc_scales = d.bc_scales;
    const auto nb = static_cast<std::int64_t>(d.boundary_rows.size());
    const auto index_options = torch::TensorOptions().dtype(torch::kLong).device(o.device());
    // The vanilla PINN evaluates the network at the block's rows only (no ghosts, no halo).
    b.nodes = vanilla_ ? d.rows : d.points.rows();
    auto x = matrix_tensor(Eigen::MatrixXd(d.points.topRows(b.nodes)), o);
    b.x = heat ? space_time(x, d.times) : x;
    if (heat) b.u0 = matrix_tensor(Eigen::MatrixXd(d.u0), o).view({-1});
    auto f = matrix_tensor(d.f, o), g = matrix_tensor(d.g, o);  // [rows, S], [nb, S]
    if (b.bc_scales.size() > 1) {
      std::vector<std::int64_t> index(d.bc_condition.begin(), d.bc_condition.end());
      b.bc_index = torch::tensor(index, index_options);
      if (vanilla_) b.bc_index = b.bc_index.repeat({b.slices});  // slice-major, as g
      b.bc_scale_tensor = torch::tensor(b.bc_scales, o);
    }
    if (vanilla_) {
      b.dim = static_cast<int>(d.points.cols());
      const auto coefficient = [&](const Eigen::VectorXd& v) {
        return v.size() == nb ? matrix_tensor(Eigen::MatrixXd(v), o).view({-1}).repeat({b.slices})
                              : torch::ones({b.slices * nb}, o);
      };
      b.alpha = coefficient(d.alpha);
      b.beta = coefficient(d.beta);
      b.f = f.t().contiguous().view({-1});  // slice-major, matching x
      b.g = g.t().contiguous().view({-1});
      b.normals = matrix_tensor(Eigen::MatrixXd(d.normals), o).repeat({b.slices, 1});
      b.boundary_rows = torch::tensor(d.boundary_rows, index_options);
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
      for (int i = 0; i < 3; ++i) {
        if (!equation_.uses(static_cast<Derivative>(static_cast<int>(Derivative::x) + i))) continue;
        if (!d.D[static_cast<std::size_t>(i)])
          throw std::invalid_argument("loss: the equation needs the gradient operators");
        D_[static_cast<std::size_t>(i)].emplace(*d.D[static_cast<std::size_t>(i)], o);
        D_[static_cast<std::size_t>(i)]->prepare(k);
        b.D[static_cast<std::size_t>(i)] = &*D_[static_cast<std::size_t>(i)];
      }
      b.tangent = tangent;
      // Heat keeps [rows, S] even for a block of one slice.
      b.f = heat ? f : f.squeeze(1);
      b.g = heat ? g : g.squeeze(1);
    }
    b.fix_mean = d.fix_mean;
    b.mean_value = d.mean_value;
    if (d.fix_mean && heat)
      throw std::invalid_argument("loss: the mean is fixed only for steady equations");
    names_ = loss_term_names(heat, d.bc_terms);
    if (d.fix_mean) names_.push_back("mean");
    if (d.bc_terms.size() != d.bc_scales.size())
      throw std::invalid_argument(fmt::format("loss: {} boundary terms but {} scales",
                                              d.bc_terms.size(), d.bc_scales.size()));
  }

  std::vector<at::Tensor> terms(const Network& net) const override {
    return vanilla_ ? vanilla_terms(net, b_) : dtpinn_terms(net, b_);
  }
  ResidualSystem residuals(const Network& net, const std::vector<double>& weights,
                           JacobianColumns columns) const override {
    return vanilla_ ? vanilla_residuals(net, b_, weights, columns)
                    : dtpinn_residuals(net, b_, weights, columns);
  }

 private:
  bool vanilla_;
  Equation equation_;  // b_.residual points into it
  std::optional<SparseOperator> L_, B_;
  std::array<std::optional<SparseOperator>, 3> D_;
  LossBlock b_;
};

/// The whole problem as one block: scales 1 / (rows S), 1 / (Nb S), 1 / rows give the means.
BlockData whole_problem(const Dataset& d) {
  BlockData b;
  b.equation = &d.problem->equation();
  b.points = d.nodes.points;
  b.rows = d.n_collocation();
  b.f = d.f;
  b.g = d.g;
  b.u0 = d.u0;
  b.times = d.times;
  const auto ni = d.nodes.n_interior, nb = d.nodes.n_boundary;
  for (std::int64_t k = 0; k < nb; ++k) b.boundary_rows.push_back(ni + k);
  const double S = b.equation->time_dependent() ? static_cast<double>(d.times.size()) : 1.0;
  b.pde_scale = 1.0 / (static_cast<double>(b.rows) * S);
  b.ic_scale = 1.0 / static_cast<double>(b.rows);
  // A data set put together by hand may leave its assignment to the problem.
  const BoundaryAssignment boundary =
      d.boundary.condition.empty() ? d.problem->assign_boundary(d.nodes) : d.boundary;
  b.bc_terms = boundary_term_names(*d.problem);
  b.bc_scales.clear();
  for (const auto count : boundary.counts)
    b.bc_scales.push_back(1.0 / (static_cast<double>(count) * S));
  b.bc_condition = boundary.condition;
  b.fix_mean = d.problem->fixes_mean();
  if (b.fix_mean) b.mean_value = d.problem->mean_value(d.nodes.points.topRows(b.rows));
  b.alpha = boundary.alpha;
  b.beta = boundary.beta;
  // The normal of each row's condition (a corner's side), as B's rows use it.
  b.normals = boundary.normals.rows() == nb ? boundary.normals : d.nodes.normals.middleRows(ni, nb);
  if (d.has_operators) {
    b.L = &d.L;
    b.B = &d.B;
    for (std::size_t i = 0; i < d.D.size() && i < 3; ++i) b.D[i] = &d.D[i];
  }
  return b;
}

/// The boundary terms from the squared residuals of the block's boundary rows ([nb] or
/// [nb, S] for DT-PINN, [S nb] for the vanilla PINN), appended to `terms`.
void add_boundary_terms(std::vector<at::Tensor>& terms, const at::Tensor& squares,
                        const LossBlock& b) {
  if (b.bc_scales.size() == 1) {
    terms.push_back(squares.sum() * b.bc_scales[0]);
    return;
  }
  const auto per_row = squares.dim() == 2 ? squares.sum(1) : squares;  // [nb] or [S nb]
  auto sums = torch::zeros({static_cast<std::int64_t>(b.bc_scales.size())}, per_row.options())
                  .index_add(0, b.bc_index, per_row);
  for (auto& t : (sums * b.bc_scale_tensor).unbind(0)) terms.push_back(t);
}

}  // namespace

std::vector<std::string> loss_term_names(bool time_dependent,
                                         const std::vector<std::string>& bc_terms) {
  std::vector<std::string> names;
  if (time_dependent) names.push_back("ic");
  names.push_back("pde");
  names.insert(names.end(), bc_terms.begin(), bc_terms.end());
  return names;
}

std::vector<std::string> boundary_term_names(const Problem& problem) {
  std::vector<std::string> names;
  for (const auto& bc : problem.conditions()) names.push_back(bc.term);
  return names;
}

/// DT-PINN's fields at the block's rows from u of every node ([nodes] or [nodes, S]) and u_t
/// ([rows, S], time-dependent): only those R uses, each a kernel (or a view) per step.
FieldTensors dtpinn_fields(const LossBlock& b, const at::Tensor& u, const at::Tensor& ut) {
  FieldTensors fields(kDerivativeCount);
  if (b.uses[static_cast<int>(Derivative::value)])
    fields[static_cast<int>(Derivative::value)] = u.narrow(0, 0, b.rows);
  if (b.uses[static_cast<int>(Derivative::lap)])
    fields[static_cast<int>(Derivative::lap)] = b.L->apply(u);
  for (int i = 0; i < 3; ++i)
    if (b.D[static_cast<std::size_t>(i)])
      fields[static_cast<int>(Derivative::x) + i] = b.D[static_cast<std::size_t>(i)]->apply(u);
  if (ut.defined()) fields[static_cast<int>(Derivative::t)] = ut;
  return fields;
}

std::pair<at::Tensor, at::Tensor> dtpinn_network_fields(const Network& net, const LossBlock& b) {
  if (!b.time_dependent) return {net.forward_in_weights(b.x), {}};  // [nodes]: the rows first
  // In time: one forward pass over all slices, u_t in the t column (tangent or autograd).
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
  return {U, ut};
}

BlockResiduals dtpinn_residual_vectors(const LossBlock& b, const at::Tensor& u,
                                       const at::Tensor& ut) {
  BlockResiduals out;
  out.pde = evaluate_tape(*b.residual, dtpinn_fields(b, u, ut), b.f, b.coefficients);
  out.bc = b.B->apply(u) - b.g;
  if (b.time_dependent) out.ic = b.u0 - u.select(1, 0).narrow(0, 0, b.rows);
  if (b.fix_mean) out.mean = (u.narrow(0, 0, b.rows).mean() - b.mean_value).reshape({1});
  return out;
}

BlockResiduals vanilla_residual_vectors(const LossBlock& b, const at::Tensor& x,
                                        const at::Tensor& u) {
  auto grad = autodiff::input_gradient(u, x, /*create_graph=*/true);
  FieldTensors fields(kDerivativeCount);
  // Only the fields R uses: the Laplacian costs d second-derivative passes.
  fields[static_cast<int>(Derivative::value)] = u;
  if (b.uses[static_cast<int>(Derivative::lap)])
    fields[static_cast<int>(Derivative::lap)] = autodiff::laplacian(grad, x, b.dim, true);
  for (int i = 0; i < b.dim; ++i)
    if (b.uses[static_cast<std::size_t>(static_cast<int>(Derivative::x) + i)])
      fields[static_cast<int>(Derivative::x) + i] = grad.select(1, i);
  if (b.time_dependent)
    fields[static_cast<int>(Derivative::t)] = autodiff::time_derivative(grad, b.dim);
  BlockResiduals out;
  out.pde = evaluate_tape(*b.residual, fields, b.f, b.coefficients);
  // The boundary rows of every slice: [S, rows] -> [S nb].
  const auto nb = b.boundary_rows.numel();
  auto ub = u.view({b.slices, b.rows}).index_select(1, b.boundary_rows).reshape({-1});
  auto gb = grad.view({b.slices, b.rows, -1})
                .index_select(1, b.boundary_rows)
                .reshape({b.slices * nb, -1});
  out.bc = b.alpha * autodiff::normal_derivative(gb, b.normals) + b.beta * ub - b.g;
  if (b.time_dependent) out.ic = b.u0 - u.narrow(0, 0, b.rows);
  if (b.fix_mean) out.mean = (u.mean() - b.mean_value).reshape({1});
  return out;
}

namespace {

/// The terms from the residual vectors: scaled sums of squares, in loss_term_names() order.
std::vector<at::Tensor> terms_from(const BlockResiduals& res, const LossBlock& b) {
  std::vector<at::Tensor> terms;
  if (b.time_dependent)
    terms.push_back(b.ic_scale != 0 ? res.ic.square().sum() * b.ic_scale
                                    : torch::zeros({}, res.pde.options()));
  terms.push_back(res.pde.square().sum() * b.pde_scale);
  add_boundary_terms(terms, res.bc.square(), b);
  if (b.fix_mean) terms.push_back(res.mean.square().sum());
  return terms;
}

}  // namespace

std::vector<at::Tensor> dtpinn_terms(const Network& net, const LossBlock& b) {
  const auto [u, ut] = dtpinn_network_fields(net, b);
  return terms_from(dtpinn_residual_vectors(b, u, ut), b);
}

std::vector<at::Tensor> vanilla_terms(const Network& net, const LossBlock& b) {
  auto x = b.x.detach().requires_grad_(true);
  return terms_from(vanilla_residual_vectors(b, x, net.forward(x)), b);
}

std::unique_ptr<Loss> make_block_loss(Method method, const BlockData& block, const Network& net,
                                      TimeDerivative time_derivative) {
  if (!block.equation) throw std::invalid_argument("loss: the block has no equation");
  const auto inputs = block.points.cols() + (block.equation->time_dependent() ? 1 : 0);
  if (net.in_dim() != static_cast<int>(inputs))
    throw std::invalid_argument(
        fmt::format("loss: the network takes {} inputs, the problem has {}", net.in_dim(), inputs));
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
