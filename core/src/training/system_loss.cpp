// The DT-PINN and vanilla PINN losses of a system (system_loss.hpp).
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/system_loss.hpp>
#include <dtpinn/core/training/tape.hpp>

#include <torch/torch.h>

#include "residual_jacobians.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <set>
#include <stdexcept>

namespace dtpinn::core {

namespace {

using autodiff::SparseOperator;

torch::Tensor vector_tensor(const Eigen::VectorXd& v, const torch::TensorOptions& o) {
  return torch::from_blob(const_cast<double*>(v.data()), {v.size()}, torch::kFloat64)
      .to(o, false, true);
}

torch::Tensor points_tensor(const nodegen::PointMatrix& p, const torch::TensorOptions& o) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = p;
  return torch::from_blob(r.data(), {r.rows(), r.cols()}, torch::kFloat64).to(o, false, true);
}

/// A tape's coefficients at points (with normals for boundary residuals), as [rows] tensors.
std::vector<torch::Tensor> coefficient_tensors(const Tape& tape, const nodegen::PointMatrix& x,
                                               const nodegen::PointMatrix* normals,
                                               const torch::TensorOptions& o) {
  std::vector<torch::Tensor> out;
  for (const auto& c : tape.coefficients)
    out.push_back(vector_tensor(c.evaluate(x, 0.0, normals), o));
  return out;
}

/// The network's outputs as [N, F] (a one-output network gives [N]).
torch::Tensor as_columns(const torch::Tensor& u) {
  return u.dim() == 1 ? u.unsqueeze(1) : u;
}

/// One boundary condition as a loss term.
struct ConditionTerm {
  int field = 0;
  bool expression = false;
  const Equation* residual = nullptr;       ///< expression conditions
  torch::Tensor rows;                       ///< int64 [k]: boundary rows (within Nb)
  torch::Tensor g;                          ///< presets: [k]
  torch::Tensor alpha, beta, normals;       ///< presets, vanilla: [k], [k], [k, d]
  std::vector<torch::Tensor> coefficients;  ///< expression conditions: of its residual
  double count = 1;
};

class SystemLoss : public Loss {
 public:
  SystemLoss(Method method, const Dataset& d, const Network& net)
      : vanilla_(method == Method::vanilla), problem_(*d.problem) {
    if (!d.system) throw std::invalid_argument("loss: the dataset holds no system");
    const SystemData& s = *d.system;
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    const auto io = torch::TensorOptions().dtype(torch::kLong).device(net.device());
    F_ = problem_.n_fields();
    if (net.outputs() != F_)
      throw std::invalid_argument(
          fmt::format("loss: a network of {} outputs for {} fields", net.outputs(), F_));
    if (net.in_dim() != d.dim())
      throw std::invalid_argument("loss: the network's inputs do not match the problem");
    dim_ = d.dim();
    ni_ = d.nodes.n_interior;
    nc_ = d.nodes.n_collocation();
    const nodegen::PointMatrix xc = d.nodes.points.topRows(nc_);
    x_ = points_tensor(vanilla_ ? xc : d.nodes.points, o);
    // The equations.
    for (std::size_t i = 0; i < problem_.equations().size(); ++i) {
      const Equation& eq = problem_.equations()[i];
      residual_coefficients_.push_back(coefficient_tensors(eq.residual(), xc, nullptr, o));
      sources_.push_back(vector_tensor(Eigen::VectorXd(s.f.col(static_cast<Eigen::Index>(i))), o));
      names_.push_back(F_ == 1 ? "pde" : "pde:" + problem_.fields()[i]);
      scales_.push_back(1.0 / static_cast<double>(nc_));
      for (int slot : eq.slots()) slots_.insert(slot);
    }
    // The conditions, in the problem's order.
    for (std::size_t c = 0; c < problem_.conditions().size(); ++c) {
      const auto& bc = problem_.conditions()[c];
      const auto& fb = s.boundary[static_cast<std::size_t>(bc.field)];
      const ConditionRows rows = condition_rows(d.nodes, fb.assignment, c);
      ConditionTerm t;
      t.field = bc.field;
      t.expression = bc.type == BcType::expression;
      t.rows = torch::tensor(std::vector<std::int64_t>(rows.rows.begin(), rows.rows.end()), io);
      t.count = static_cast<double>(std::max<std::size_t>(1, rows.rows.size()));
      if (t.expression) {
        t.residual = bc.residual.get();
        t.coefficients =
            coefficient_tensors(bc.residual->residual(), rows.points, &rows.normals, o);
        for (int slot : bc.residual->slots()) slots_.insert(slot);
      } else {
        Eigen::VectorXd g(static_cast<Eigen::Index>(rows.rows.size())), alpha(g.size()),
            beta(g.size());
        for (std::size_t k = 0; k < rows.rows.size(); ++k) {
          g[Eigen::Index(k)] = fb.g[rows.rows[k]];
          alpha[Eigen::Index(k)] = fb.assignment.alpha[rows.rows[k]];
          beta[Eigen::Index(k)] = fb.assignment.beta[rows.rows[k]];
        }
        t.g = vector_tensor(g, o);
        t.alpha = vector_tensor(alpha, o);
        t.beta = vector_tensor(beta, o);
        t.normals = points_tensor(rows.normals, o);
        // The vanilla PINN takes du/dn from the field's gradient; DT-PINN applies B.
        slots_.insert(variable_slot(bc.field, Derivative::value));
        if (vanilla_)
          for (int i = 0; i < dim_; ++i)
            slots_.insert(variable_slot(bc.field, static_cast<Derivative>(3 + i)));
      }
      names_.push_back(bc.term);
      scales_.push_back(1.0 / t.count);
      conditions_.push_back(std::move(t));
    }
    if (!vanilla_) make_operators(s, o);
  }

  std::vector<at::Tensor> terms(const Network& net) const override {
    std::vector<at::Tensor> out;
    const auto residuals = residual_vectors(net);
    for (std::size_t i = 0; i < residuals.size(); ++i)
      out.push_back(residuals[i].square().sum() * scales_[i]);
    return out;
  }

  /// r = [sqrt(w_i s_i) R_i]_i over the terms (names() order), s_i the term's 1 / rows, so
  /// r . r = sum_i w_i term_i; J its Jacobian in the columns asked for.
  ResidualSystem residuals(const Network& net, const std::vector<double>& weights,
                           JacobianColumns columns) const override {
    if (weights.size() != names_.size())
      throw std::invalid_argument("residuals: one weight per loss term expected");
    std::vector<double> factors;
    for (std::size_t i = 0; i < weights.size(); ++i)
      factors.push_back(std::sqrt(weights[i] * scales_[i]));
    if (columns == JacobianColumns::none) return {weighted(residual_vectors(net), factors), {}};
    const bool output_layer = columns == JacobianColumns::output_layer;
    const auto [r, J] =
        vanilla_ ? vanilla_jacobians(net, output_layer) : dtpinn_jacobians(net, output_layer);
    return {weighted(r, factors), weighted(J, factors)};
  }

 private:
  /// The unweighted residual vector of every term (names() order), differentiable in the
  /// weights.
  std::vector<at::Tensor> residual_vectors(const Network& net) const {
    if (vanilla_) {
      const auto x = x_.detach().requires_grad_(true);
      const auto U = as_columns(net.forward(x));
      return residual_vectors(U, vanilla_variables(U, x));
    }
    const auto U = as_columns(net.forward_in_weights(x_));
    return residual_vectors(U, dtpinn_variables(U));
  }

  /// The same from the outputs U and the variables made from them.
  std::vector<at::Tensor> residual_vectors(const at::Tensor& U,
                                           const std::vector<at::Tensor>& vars) const {
    std::vector<at::Tensor> out;
    for (std::size_t i = 0; i < problem_.equations().size(); ++i)
      out.push_back(evaluate_tape(problem_.equations()[i].residual(), vars, sources_[i],
                                  residual_coefficients_[i]));
    std::vector<at::Tensor> Bu(static_cast<std::size_t>(F_));  // B_w U_w, once per field
    for (const auto& t : conditions_) out.push_back(condition_residual(t, U, vars, Bu));
    return out;
  }

  /// Rows [n] (or [n, C]) of each term scaled by its factor, concatenated.
  static at::Tensor weighted(const std::vector<at::Tensor>& parts,
                             const std::vector<double>& factors) {
    std::vector<at::Tensor> scaled;
    for (std::size_t i = 0; i < parts.size(); ++i) scaled.push_back(parts[i] * factors[i]);
    return torch::cat(scaled);
  }

  /// The vanilla PINN: every residual row depends on one input row, so each term's rows of J
  /// come from one reverse pass of its autograd residual (as the scalar loss's).
  std::pair<std::vector<at::Tensor>, std::vector<at::Tensor>> vanilla_jacobians(
      const Network& net, bool output_layer) const {
    const auto x = x_.detach().requires_grad_(true);
    const auto deltas = net.row_deltas(nc_, output_layer);
    const auto U = as_columns(net.forward_per_row(x, deltas));
    const auto residuals = residual_vectors(U, vanilla_variables(U, x));
    std::vector<at::Tensor> J;
    for (std::size_t i = 0; i < residuals.size(); ++i) {
      auto Ji = row_jacobian(residuals[i], deltas, nc_);
      if (i >= problem_.equations().size())
        Ji = Ji.index_select(0, conditions_[i - problem_.equations().size()].rows + ni_);
      J.push_back(Ji);
    }
    std::vector<at::Tensor> r;
    for (const auto& res : residuals) r.push_back(res.detach());
    return {r, J};
  }

  /// DT-PINN: dU/dtheta at every node by one reverse pass per field, then each variable's
  /// Jacobian by the operator that makes it (op(d) applied to all F fields' columns at once),
  /// chained through each residual's tape.
  std::pair<std::vector<at::Tensor>, std::vector<at::Tensor>> dtpinn_jacobians(
      const Network& net, bool output_layer) const {
    const auto N = x_.size(0);
    const auto deltas = net.row_deltas(N, output_layer);
    const auto Uw = as_columns(net.forward_per_row(x_, deltas));  // [N, F]
    std::vector<at::Tensor> per_field;
    for (int w = 0; w < F_; ++w) per_field.push_back(row_jacobian(Uw.select(1, w), deltas, N));
    torch::NoGradGuard ng;
    const auto JU = torch::stack(per_field, 1);  // [N, F, C]
    const auto C = JU.size(2);
    const auto U = Uw.detach();
    const auto vars = dtpinn_variables(U);
    std::array<at::Tensor, kDerivativeCount> applied;  // op(d) JU: [nc, F, C]
    const auto variable_jacobian = [&](int slot) -> at::Tensor {
      const int w = slot / kDerivativeCount;
      const auto dv = static_cast<Derivative>(slot % kDerivativeCount);
      if (dv == Derivative::value) return JU.narrow(0, 0, nc_).select(1, w);
      auto& a = applied[static_cast<std::size_t>(dv)];
      if (!a.defined()) a = multiply_columns(*ops_[static_cast<std::size_t>(dv)], JU);
      return a.select(1, w);
    };
    const auto zeros = [&](std::int64_t rows) { return torch::zeros({rows, C}, JU.options()); };
    std::vector<at::Tensor> J;
    for (std::size_t i = 0; i < problem_.equations().size(); ++i)
      J.push_back(tape_jacobian(problem_.equations()[i].residual(), vars, sources_[i],
                                residual_coefficients_[i], variable_jacobian, zeros(nc_)));
    std::vector<at::Tensor> BJ(static_cast<std::size_t>(F_));  // B_w dU_w/dtheta: [nb, C]
    for (const auto& t : conditions_) {
      if (!t.expression) {
        auto& b = BJ[static_cast<std::size_t>(t.field)];
        if (!b.defined())
          b = multiply_columns(*B_[static_cast<std::size_t>(t.field)], JU.select(1, t.field));
        J.push_back(b.index_select(0, t.rows));
        continue;
      }
      const auto boundary_rows = t.rows + ni_;
      J.push_back(tape_jacobian(
          t.residual->residual(), boundary_variables(t, vars), at::Tensor(), t.coefficients,
          [&](int slot) { return variable_jacobian(slot).index_select(0, boundary_rows); },
          zeros(t.rows.numel())));
    }
    return {residual_vectors(U, vars), J};
  }

  /// DT-PINN: the operators of the derivatives used, and each conditioned field's B.
  void make_operators(const SystemData& s, const torch::TensorOptions& o) {
    if (!s.ops) throw std::invalid_argument("loss: DT-PINN needs the system's operators");
    std::set<Derivative> needed;
    for (int slot : slots_) needed.insert(static_cast<Derivative>(slot % kDerivativeCount));
    for (Derivative dv : needed) {
      if (dv == Derivative::value) continue;
      if (dv == Derivative::t) throw std::invalid_argument("loss: systems are steady");
      ops_[static_cast<std::size_t>(dv)].emplace(s.ops->op(dv), o);
      ops_[static_cast<std::size_t>(dv)]->prepare(F_);
    }
    for (int w = 0; w < F_; ++w) {
      const auto& fb = s.boundary[static_cast<std::size_t>(w)];
      B_.emplace_back();
      if (!fb.has_conditions) continue;
      B_.back().emplace(fb.B, o);
      B_.back()->prepare(0);
    }
  }

  /// DT-PINN: every derivative used, one sparse product over all F columns.
  std::vector<at::Tensor> dtpinn_variables(const at::Tensor& U) const {
    std::vector<at::Tensor> vars(static_cast<std::size_t>(F_) * kDerivativeCount);
    std::array<at::Tensor, kDerivativeCount> applied;
    for (int slot : slots_) {
      const int w = slot / kDerivativeCount;
      const auto dv = static_cast<Derivative>(slot % kDerivativeCount);
      auto& a = applied[static_cast<std::size_t>(dv)];
      if (dv == Derivative::value) {
        vars[std::size_t(slot)] = U.narrow(0, 0, nc_).select(1, w);
        continue;
      }
      if (!a.defined()) a = ops_[static_cast<std::size_t>(dv)]->apply(U);  // [nc, F]
      vars[std::size_t(slot)] = a.select(1, w);
    }
    return vars;
  }

  /// Vanilla: autograd, first derivatives of each field used, second ones where used.
  std::vector<at::Tensor> vanilla_variables(const at::Tensor& U, const at::Tensor& x) const {
    std::vector<at::Tensor> vars(static_cast<std::size_t>(F_) * kDerivativeCount);
    std::vector<at::Tensor> grads(static_cast<std::size_t>(F_));
    std::vector<std::array<at::Tensor, 3>> hess(static_cast<std::size_t>(F_));
    const auto gradient = [&](int w) -> const at::Tensor& {
      auto& g = grads[static_cast<std::size_t>(w)];
      if (!g.defined()) g = autodiff::input_gradient(U.select(1, w), x, true);
      return g;
    };
    const auto second = [&](int w, int i) -> const at::Tensor& {
      auto& h = hess[static_cast<std::size_t>(w)][static_cast<std::size_t>(i)];
      if (!h.defined()) h = autodiff::input_gradient(gradient(w).select(1, i), x, true);
      return h;
    };
    for (int slot : slots_) {
      const int w = slot / kDerivativeCount;
      const auto dv = static_cast<Derivative>(slot % kDerivativeCount);
      at::Tensor v;
      switch (dv) {
        case Derivative::value:
          v = U.select(1, w);
          break;
        case Derivative::x:
        case Derivative::y:
        case Derivative::z:
          v = gradient(w).select(1, static_cast<int>(dv) - static_cast<int>(Derivative::x));
          break;
        case Derivative::lap:
          v = second(w, 0).select(1, 0);
          for (int i = 1; i < dim_; ++i) v = v + second(w, i).select(1, i);
          break;
        case Derivative::xx:
          v = second(w, 0).select(1, 0);
          break;
        case Derivative::xy:
          v = second(w, 0).select(1, 1);
          break;
        case Derivative::yy:
          v = second(w, 1).select(1, 1);
          break;
        case Derivative::xz:
          v = second(w, 0).select(1, 2);
          break;
        case Derivative::yz:
          v = second(w, 1).select(1, 2);
          break;
        case Derivative::zz:
          v = second(w, 2).select(1, 2);
          break;
        case Derivative::t:
          throw std::invalid_argument("loss: systems are steady");
      }
      vars[std::size_t(slot)] = v;
    }
    return vars;
  }

  /// An expression condition's variables: those its residual uses, at its boundary rows.
  std::vector<at::Tensor> boundary_variables(const ConditionTerm& t,
                                             const std::vector<at::Tensor>& vars) const {
    const auto boundary_rows = t.rows + ni_;  // rows of the collocation arrays
    std::vector<at::Tensor> bvars(vars.size());
    for (int slot : t.residual->slots())
      bvars[std::size_t(slot)] = vars[std::size_t(slot)].index_select(0, boundary_rows);
    return bvars;
  }

  /// A condition's residual at its rows [k]. `Bu`: DT-PINN's B_w U_w per field, computed by
  /// the first preset condition on field w and shared by the others (walls and lid of u).
  at::Tensor condition_residual(const ConditionTerm& t, const at::Tensor& U,
                                const std::vector<at::Tensor>& vars,
                                std::vector<at::Tensor>& Bu) const {
    if (t.expression)
      return evaluate_tape(t.residual->residual(), boundary_variables(t, vars), at::Tensor(),
                           t.coefficients);
    if (vanilla_) {
      const auto boundary_rows = t.rows + ni_;
      const auto u = vars[std::size_t(variable_slot(t.field, Derivative::value))].index_select(
          0, boundary_rows);
      at::Tensor dn = torch::zeros_like(u);
      for (int i = 0; i < dim_; ++i)
        dn = dn +
             vars[std::size_t(variable_slot(t.field, static_cast<Derivative>(3 + i)))].index_select(
                 0, boundary_rows) *
                 t.normals.select(1, i);
      return t.alpha * dn + t.beta * u - t.g;
    }
    auto& b = Bu[static_cast<std::size_t>(t.field)];
    if (!b.defined())
      b = B_[static_cast<std::size_t>(t.field)]->apply(U.select(1, t.field).contiguous());
    return b.index_select(0, t.rows) - t.g;
  }

  bool vanilla_;
  const Problem& problem_;
  int F_ = 1, dim_ = 2;
  std::int64_t ni_ = 0, nc_ = 0;
  torch::Tensor x_;
  std::set<int> slots_;
  std::vector<std::vector<torch::Tensor>> residual_coefficients_;
  std::vector<torch::Tensor> sources_;
  std::vector<double> scales_;  ///< per term (names() order): 1 / its rows
  std::vector<ConditionTerm> conditions_;
  std::array<std::optional<SparseOperator>, kDerivativeCount> ops_;
  std::vector<std::optional<SparseOperator>> B_;
};

}  // namespace

std::unique_ptr<Loss> make_system_loss(Method method, const Dataset& data, const Network& net) {
  return std::make_unique<SystemLoss>(method, data, net);
}

TestError system_test_error(const Network& net, const Dataset& data) {
  TestError e;
  if (!data.system || !data.has_reference) return e;
  const SystemData& s = *data.system;
  const Eigen::MatrixXd u = net.evaluate_fields(data.test_points);
  double e2 = 0, r2 = 0;
  for (Eigen::Index w = 0; w < u.cols(); ++w) {
    if (!s.has_reference[static_cast<std::size_t>(w)]) {
      e.field.push_back(-1);
      continue;
    }
    Eigen::VectorXd got = u.col(w), ref = s.test_reference.col(w);
    if (s.constant_removed[static_cast<std::size_t>(w)]) {
      got.array() -= got.mean();
      ref.array() -= ref.mean();
    }
    const double d2 = (got - ref).squaredNorm(), n2 = ref.squaredNorm();
    e.field.push_back(std::sqrt(d2 / (n2 > 0 ? n2 : 1.0)));
    e2 += d2;
    r2 += n2;
  }
  e.all = std::sqrt(e2 / (r2 > 0 ? r2 : 1.0));
  return e;
}

}  // namespace dtpinn::core
