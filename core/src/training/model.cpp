// MLP and modified MLP (Wang, Teng & Perdikaris 2021) with built-in input normalisation.
#include <dtpinn/core/training/fused_mlp.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <torch/torch.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

namespace dtpinn::core {

namespace {

using ActFn = at::Tensor (*)(const at::Tensor&);
/// Host points and values: one row per point.
using HostRows = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

at::Tensor act_tanh(const at::Tensor& x) {
  return torch::tanh(x);
}
at::Tensor act_sin(const at::Tensor& x) {
  return torch::sin(x);
}
at::Tensor act_sigmoid(const at::Tensor& x) {
  return torch::sigmoid(x);
}
at::Tensor act_gelu(const at::Tensor& x) {
  return torch::gelu(x);
}
at::Tensor act_softplus(const at::Tensor& x) {
  return torch::softplus(x);
}
at::Tensor act_silu(const at::Tensor& x) {
  return torch::silu(x);
}

/// act'(z) from z and a = act(z); nullptr when it has no cheap closed form (gelu), in which case
/// derivatives fall back to autograd.
using ActDerivFn = at::Tensor (*)(const at::Tensor& z, const at::Tensor& a);

at::Tensor dtanh(const at::Tensor&, const at::Tensor& a) {
  return 1 - a * a;
}
at::Tensor dsin(const at::Tensor& z, const at::Tensor&) {
  return torch::cos(z);
}
at::Tensor dsigmoid(const at::Tensor&, const at::Tensor& a) {
  return a * (1 - a);
}
at::Tensor dsoftplus(const at::Tensor& z, const at::Tensor&) {
  return torch::sigmoid(z);
}
/// silu'(z) = s + z s (1 - s) = s + a (1 - s), s = sigmoid(z), a = z s.
at::Tensor dsilu(const at::Tensor& z, const at::Tensor& a) {
  const at::Tensor s = torch::sigmoid(z);
  return s + a * (1 - s);
}

/// Each activation with its derivative (nullptr: no cheap closed form, autograd instead).
struct ActivationFns {
  Activation kind;
  ActFn f;
  ActDerivFn df;
};
constexpr ActivationFns kActivations[] = {{Activation::tanh, act_tanh, dtanh},
                                          {Activation::sin, act_sin, dsin},
                                          {Activation::sigmoid, act_sigmoid, dsigmoid},
                                          {Activation::gelu, act_gelu, nullptr},
                                          {Activation::softplus, act_softplus, dsoftplus},
                                          {Activation::silu, act_silu, dsilu}};

const ActivationFns& activation(Activation a) {
  for (const auto& row : kActivations)
    if (row.kind == a) return row;
  throw std::invalid_argument("model.activation: not one of " + option_choices<Activation>());
}

/// The torch module: normalisation buffers, hidden layers, output layer; for modified_mlp the two
/// encoders U and V gate every hidden layer after the first: H = (1 - Z) U + Z V.
struct PinnModule : torch::nn::Module {
  PinnModule(const ModelConfig& c, int in_dim)
      : modified(c.architecture == Architecture::modified_mlp), outputs(c.outputs) {
    shift = register_buffer("input_shift", torch::zeros({in_dim}, torch::kFloat64));
    scale = register_buffer("input_scale", torch::ones({in_dim}, torch::kFloat64));
    for (int i = 0; i < c.depth; ++i)
      hidden.push_back(register_module(fmt::format("hidden{}", i),
                                       torch::nn::Linear(i == 0 ? in_dim : c.width, c.width)));
    if (modified) {
      enc_u = register_module("encoder_u", torch::nn::Linear(in_dim, c.width));
      enc_v = register_module("encoder_v", torch::nn::Linear(in_dim, c.width));
    }
    out = register_module("output", torch::nn::Linear(c.width, c.outputs));
    act = activation(c.activation).f;
    dact = activation(c.activation).df;
    fused = c.cpu_kernel == CpuKernel::fused && c.activation == Activation::tanh;
  }

  /// One layer and its tangent: a = act(W h + b), da = act'(.) * (dh W^T).
  std::pair<at::Tensor, at::Tensor> layer(torch::nn::Linear l, const at::Tensor& h,
                                          const at::Tensor& dh) {
    auto z = l->forward(h);
    auto a = act(z);
    return {a, dact(z, a) * torch::matmul(dh, l->weight.t())};
  }
  /// First layer: the input tangent is the constant e_c / scale_c, so d(W x + b) = W[:, c] /
  /// scale_c for every row (broadcast), no matmul.
  std::pair<at::Tensor, at::Tensor> first_layer(torch::nn::Linear l, const at::Tensor& x0,
                                                int column) {
    auto z = l->forward(x0);
    auto a = act(z);
    return {a, dact(z, a) * (l->weight.select(1, column) / scale[column])};
  }

  /// u and du/dx_column by forward-mode (tangent) propagation through the layers: about twice
  /// a forward pass, and a single reverse pass differentiates both in the weights, instead of
  /// the double backward that autograd's create_graph needs. Requires dact.
  std::pair<at::Tensor, at::Tensor> forward_tangent(const at::Tensor& x, int column) {
    auto z0 = (x - shift) / scale;
    if (!modified) {
      auto [a, da] = first_layer(hidden[0], z0, column);
      for (std::size_t i = 1; i < hidden.size(); ++i) std::tie(a, da) = layer(hidden[i], a, da);
      return {shaped(out->forward(a)), shaped(torch::matmul(da, out->weight.t()))};
    }
    auto [U, dU] = first_layer(enc_u, z0, column);
    auto [V, dV] = first_layer(enc_v, z0, column);
    auto [H, dH] = first_layer(hidden[0], z0, column);
    auto VU = V - U, dVU = dV - dU;
    for (std::size_t i = 1; i < hidden.size(); ++i) {
      auto [Z, dZ] = layer(hidden[i], H, dH);
      H = U + Z * VU;  // = (1 - Z) U + Z V
      dH = dU + dZ * VU + Z * dVU;
    }
    return {shaped(out->forward(H)), shaped(torch::matmul(dH, out->weight.t()))};
  }

  /// d(outputs)/dx_column by autograd's double backward (activations without a closed-form
  /// derivative): one input gradient per output, each differentiable in the weights.
  std::pair<at::Tensor, at::Tensor> forward_autograd_derivative(const at::Tensor& x, int column) {
    auto xr = x.detach().requires_grad_(true);
    auto u = forward_fields(xr);
    std::vector<at::Tensor> du;
    for (int k = 0; k < outputs; ++k) {
      const auto uk = u.select(1, k);
      du.push_back(torch::autograd::grad({uk}, {xr}, {torch::ones_like(uk)}, /*retain_graph=*/true,
                                         /*create_graph=*/true)[0]
                       .select(1, column));
    }
    return {shaped(u), shaped(torch::stack(du, 1))};
  }

  /// The fused CPU kernel where it applies (plain tanh MLP, fp64 CPU, x constant), else
  /// forward().
  at::Tensor forward_in_weights(const at::Tensor& x) {
    if (fused && !modified && !x.requires_grad()) {
      auto z = ((x - shift) / scale).contiguous();
      std::vector<at::Tensor> w, b;
      for (auto& l : hidden) w.push_back(l->weight), b.push_back(l->bias);
      w.push_back(out->weight);
      b.push_back(out->bias);
      if (fused_mlp_applicable(z, w, b)) return fused_tanh_mlp(z, w, b);  // shaped as forward
    }
    return forward(x);
  }

  at::Tensor forward(const at::Tensor& x) { return shaped(forward_fields(x)); }

  /// The outputs as [N, F] whatever F.
  at::Tensor forward_fields(const at::Tensor& x) {
    auto z = (x - shift) / scale;
    if (!modified) {
      for (auto& l : hidden) z = act(l->forward(z));
      return out->forward(z);
    }
    auto U = act(enc_u->forward(z));
    auto V = act(enc_v->forward(z));
    auto H = act(hidden[0]->forward(z));
    for (std::size_t i = 1; i < hidden.size(); ++i) {
      auto Z = act(hidden[i]->forward(H));
      H = (1 - Z) * U + Z * V;
    }
    return out->forward(H);
  }

  /// The network's output shape from [N, F]: [N] for a single output, else unchanged.
  at::Tensor shaped(const at::Tensor& fields) const {
    return outputs == 1 ? fields.squeeze(-1) : fields;
  }

  /// A layer whose row n runs with W + dW[n], b + db[n] (dW [N, out, in], db [N, out];
  /// undefined: shared). The delta terms are zero in value and carry the per-row gradient.
  static at::Tensor linear_per_row(torch::nn::Linear l, const at::Tensor& h, const at::Tensor& dW,
                                   const at::Tensor& db) {
    auto z = l->forward(h);
    if (dW.defined()) z = z + torch::matmul(dW, h.unsqueeze(-1)).squeeze(-1);
    if (db.defined()) z = z + db;
    return z;
  }

  /// The layers in parameters() order (weight, bias each): hidden, encoders, output.
  std::vector<torch::nn::Linear> layers_in_parameter_order() const {
    std::vector<torch::nn::Linear> l(hidden.begin(), hidden.end());
    if (modified) l.push_back(enc_u), l.push_back(enc_v);
    l.push_back(out);
    return l;
  }

  /// forward() with per-row weights (Network::forward_per_row).
  at::Tensor forward_per_row(const at::Tensor& x, const std::vector<at::Tensor>& deltas) {
    const auto layers = layers_in_parameter_order();
    const auto layer = [&](std::size_t i, const at::Tensor& h) {
      return linear_per_row(layers[i], h, deltas[2 * i], deltas[2 * i + 1]);
    };
    const std::size_t depth = hidden.size(), output = layers.size() - 1;
    auto z = (x - shift) / scale;
    if (!modified) {
      for (std::size_t i = 0; i < depth; ++i) z = act(layer(i, z));
      return shaped(layer(output, z));
    }
    auto U = act(layer(depth, z));
    auto V = act(layer(depth + 1, z));
    auto H = act(layer(0, z));
    for (std::size_t i = 1; i < depth; ++i) {
      auto Z = act(layer(i, H));
      H = (1 - Z) * U + Z * V;
    }
    return shaped(layer(output, H));
  }

  bool modified;
  int outputs;         ///< F, the output layer's rows
  bool fused = false;  ///< forward_in_weights may use the fused CPU kernel
  ActFn act = act_tanh;
  ActDerivFn dact = dtanh;
  at::Tensor shift, scale;
  std::vector<torch::nn::Linear> hidden;
  torch::nn::Linear enc_u{nullptr}, enc_v{nullptr}, out{nullptr};
};

}  // namespace

struct Network::Impl {
  ModelConfig config;
  int in_dim = 0;
  std::shared_ptr<PinnModule> module;
};

Network::Network(const ModelConfig& config, const Eigen::VectorXd& lower,
                 const Eigen::VectorXd& upper, c10::ScalarType dtype, c10::Device device,
                 std::uint64_t seed)
    : impl_(std::make_unique<Impl>()) {
  if (config.depth < 1 || config.width < 1)
    throw std::invalid_argument(
        fmt::format("model: depth and width must be >= 1 (got depth {}, width {})", config.depth,
                    config.width));
  if (config.outputs < 1)
    throw std::invalid_argument(
        fmt::format("model: the network needs at least one output (got {})", config.outputs));
  if (config.architecture == Architecture::modified_mlp && config.depth < 2)
    throw std::invalid_argument("model.depth: modified_mlp needs depth >= 2");
  if (dtype != c10::kDouble && dtype != c10::kFloat)
    throw std::invalid_argument("model: precision must be fp64 or fp32");
  const int d = static_cast<int>(lower.size());
  if (d < 1 || upper.size() != d)
    throw std::invalid_argument("model: normalisation box has inconsistent dimensions");
  for (int i = 0; i < d; ++i)
    if (!(upper[i] > lower[i]))
      throw std::invalid_argument(fmt::format(
          "model: empty normalisation box along input {} ([{}, {}])", i, lower[i], upper[i]));
  impl_->config = config;
  impl_->in_dim = d;
  // Xavier (Glorot) normal weights and zero biases, from a seeded generator.
  torch::manual_seed(seed);
  impl_->module = std::make_shared<PinnModule>(config, d);
  {
    torch::NoGradGuard ng;
    for (auto& p : impl_->module->named_parameters()) {
      if (p.key().find("weight") != std::string::npos)
        torch::nn::init::xavier_normal_(p.value());
      else
        torch::nn::init::zeros_(p.value());
    }
    for (int i = 0; i < d; ++i) {
      impl_->module->shift[i] = 0.5 * (lower[i] + upper[i]);
      impl_->module->scale[i] = 0.5 * (upper[i] - lower[i]);
    }
  }
  impl_->module->to(device, dtype);
}

Network::~Network() = default;
Network::Network(Network&&) noexcept = default;
Network& Network::operator=(Network&&) noexcept = default;

at::Tensor Network::forward(const at::Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != impl_->in_dim)
    throw std::invalid_argument(fmt::format("Network::forward: expected [N, {}] input, got {} dims",
                                            impl_->in_dim, x.dim()));
  return impl_->module->forward(x);
}

at::Tensor Network::forward_in_weights(const at::Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != impl_->in_dim)
    throw std::invalid_argument(
        fmt::format("Network::forward_in_weights: expected [N, {}] input, got {} dims",
                    impl_->in_dim, x.dim()));
  return impl_->module->forward_in_weights(x);
}

std::pair<at::Tensor, at::Tensor> Network::forward_with_derivative(const at::Tensor& x,
                                                                   int column) const {
  if (x.dim() != 2 || x.size(1) != impl_->in_dim)
    throw std::invalid_argument(
        fmt::format("Network::forward_with_derivative: expected [N, {}] input, got {} dims",
                    impl_->in_dim, x.dim()));
  if (column < 0 || column >= impl_->in_dim)
    throw std::invalid_argument(fmt::format(
        "Network::forward_with_derivative: column {} out of range [0, {})", column, impl_->in_dim));
  if (impl_->module->dact) return impl_->module->forward_tangent(x, column);
  // No closed-form act' (gelu): autograd with create_graph, as the vanilla PINN does.
  return impl_->module->forward_autograd_derivative(x, column);
}

at::Tensor Network::forward_per_row(const at::Tensor& x,
                                    const std::vector<at::Tensor>& deltas) const {
  const auto n_params = impl_->module->parameters().size();
  if (x.dim() != 2 || x.size(1) != impl_->in_dim || deltas.size() != n_params)
    throw std::invalid_argument(fmt::format(
        "Network::forward_per_row: expected [N, {}] input and {} deltas", impl_->in_dim, n_params));
  return impl_->module->forward_per_row(x, deltas);
}

std::vector<at::Tensor> Network::row_deltas(std::int64_t rows, bool output_layer_only) const {
  const auto params = impl_->module->parameters();
  std::vector<at::Tensor> d(params.size());
  for (std::size_t i = output_layer_only ? params.size() - 2 : 0; i < params.size(); ++i) {
    auto shape = params[i].sizes().vec();
    shape.insert(shape.begin(), rows);
    d[i] = torch::zeros(shape, params[i].options()).requires_grad_(true);
  }
  return d;
}

std::int64_t Network::num_output_parameters() const {
  return impl_->module->out->weight.numel() + impl_->module->out->bias.numel();
}

Eigen::MatrixXd Network::evaluate_fields(const Eigen::Ref<const HostRows>& x,
                                         std::int64_t batch) const {
  if (x.cols() != impl_->in_dim)
    throw std::invalid_argument(
        fmt::format("Network::evaluate_fields: points have {} columns, the model takes {}",
                    x.cols(), impl_->in_dim));
  if (batch < 1)
    throw std::invalid_argument(
        fmt::format("Network::evaluate_fields: batch must be >= 1, got {}", batch));
  torch::NoGradGuard ng;
  const std::int64_t n = x.rows(), f = outputs();
  Eigen::MatrixXd u(n, f);
  HostRows xc = x;
  auto all =
      torch::from_blob(xc.data(), {n, static_cast<std::int64_t>(impl_->in_dim)}, torch::kFloat64);
  for (std::int64_t b = 0; b < n; b += batch) {
    const std::int64_t m = std::min(batch, n - b);
    auto xb = all.narrow(0, b, m).to(device(), dtype());
    auto ub = impl_->module->forward_fields(xb).to(torch::kCPU, torch::kFloat64).contiguous();
    u.middleRows(b, m) = Eigen::Map<const HostRows>(ub.data_ptr<double>(), m, f);
  }
  return u;
}

Eigen::VectorXd Network::evaluate(const Eigen::Ref<const HostRows>& x, std::int64_t batch) const {
  if (outputs() != 1)
    throw std::invalid_argument(
        fmt::format("Network::evaluate: the network has {} outputs (one per field); "
                    "evaluate_fields gives them all",
                    outputs()));
  return evaluate_fields(x, batch).col(0);
}

std::vector<at::Tensor> Network::parameters() const {
  return impl_->module->parameters();
}

std::int64_t Network::num_parameters() const {
  std::int64_t n = 0;
  for (auto& p : impl_->module->parameters()) n += p.numel();
  return n;
}

int Network::in_dim() const {
  return impl_->in_dim;
}
int Network::outputs() const {
  return impl_->config.outputs;
}
c10::ScalarType Network::dtype() const {
  return impl_->module->shift.scalar_type();
}
c10::Device Network::device() const {
  return impl_->module->shift.device();
}
const ModelConfig& Network::config() const {
  return impl_->config;
}

Eigen::VectorXd Network::lower() const {
  auto s = impl_->module->shift.to(torch::kCPU, torch::kFloat64);
  auto c = impl_->module->scale.to(torch::kCPU, torch::kFloat64);
  Eigen::VectorXd v(impl_->in_dim);
  for (int i = 0; i < impl_->in_dim; ++i) v[i] = s[i].item<double>() - c[i].item<double>();
  return v;
}

Eigen::VectorXd Network::upper() const {
  auto s = impl_->module->shift.to(torch::kCPU, torch::kFloat64);
  auto c = impl_->module->scale.to(torch::kCPU, torch::kFloat64);
  Eigen::VectorXd v(impl_->in_dim);
  for (int i = 0; i < impl_->in_dim; ++i) v[i] = s[i].item<double>() + c[i].item<double>();
  return v;
}

void Network::save(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  impl_->module->save(archive);
  nodegen::AtomicFile file(path, /*binary=*/true);
  archive.save_to(file.stream());
  file.commit();
}

namespace {

std::string shape_text(const at::IntArrayRef& sizes) {
  return fmt::format("[{}]", fmt::join(sizes, ", "));
}

/// The output count of the network saved in `archive` (its output bias' length), -1 when the
/// archive has no output layer.
std::int64_t saved_outputs(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive output;
  at::Tensor bias;
  if (!archive.try_read("output", output) || !output.try_read("bias", bias)) return -1;
  return bias.dim() == 1 ? bias.size(0) : -1;
}

/// LibTorch's Module::load replaces each tensor by the one read, whatever its shape, and ignores
/// layers the module does not have: a file of another network would load "fine". Its layers
/// (the archive's top-level names) and shapes must be this network's; another output count (a
/// problem with other fields) is named as such.
void check_same_network(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                        const std::map<std::string, std::vector<std::int64_t>>& shapes,
                        const std::string& path) {
  const std::int64_t outputs = shapes.at("output.bias").at(0), there = saved_outputs(archive);
  if (there >= 0 && there != outputs)
    throw std::runtime_error(
        fmt::format("{}: the model there has {} output{} (fields), this one {}", path, there,
                    there == 1 ? "" : "s", outputs));
  std::set<std::string> names;
  for (const auto& p : module.named_parameters(/*recurse=*/false)) names.insert(p.key());
  for (const auto& b : module.named_buffers(/*recurse=*/false)) names.insert(b.key());
  for (const auto& c : module.named_children()) names.insert(c.key());
  const std::string hint =
      "it holds the weights of another network (model.width, model.depth, model.architecture or "
      "the dimension differ from this configuration)";
  for (const auto& k : archive.keys())
    if (!names.count(k))
      throw std::runtime_error(
          fmt::format("{}: {}: it has a layer '{}' this one has not", path, hint, k));
  module.load(archive);
  for (const auto& p : module.named_parameters())
    if (p.value().sizes().vec() != shapes.at(p.key()))
      throw std::runtime_error(fmt::format("{}: {}: '{}' is {} there, {} here", path, hint, p.key(),
                                           shape_text(p.value().sizes()),
                                           shape_text(shapes.at(p.key()))));
}

}  // namespace

void Network::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open the model weights", path));
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (const auto& p : impl_->module->named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(in, impl_->module->shift.device());
    check_same_network(*impl_->module, archive, shapes, path);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    if (const auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw std::runtime_error(fmt::format("{}: not a matching dtpinn model ({})", path, what));
  }
  impl_->module->to(device(), dtype());
}

}  // namespace dtpinn::core
