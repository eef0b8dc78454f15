// Part 1 of the study: Lap u (and the biharmonic) of random fp64 tanh MLPs of depth 1..D on a
// unit-disk node set, by autograd in fp32 and fp64 and by RBF-FD (L u, p in the orders), with
// the relative l2 error against fp64 autograd and the seconds per application.
#include "study_parts.hpp"

#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

namespace dtpinn::lab::detail {

using namespace dtpinn::core;

namespace {

using Clock = std::chrono::steady_clock;
using Operators = std::map<int, autodiff::SparseOperator>;  // by order p

/// Lap u (or Lap^2 u) of the network at x by autograd; the last differentiation builds no graph.
at::Tensor autograd_operator(const Network& net, const at::Tensor& x, bool biharmonic) {
  auto xg = x.detach().clone().requires_grad_(true);
  auto u = net.forward(xg);
  auto g = autodiff::input_gradient(u, xg, true);
  auto lap = autodiff::laplacian(g, xg, 2, biharmonic);
  if (!biharmonic) return lap.detach();
  auto g2 = autodiff::input_gradient(lap, xg, true);
  return autodiff::laplacian(g2, xg, 2, false).detach();
}

double rel_l2(const at::Tensor& a, const at::Tensor& ref) {
  const double r = ref.norm().item<double>();
  return (a.to(torch::kFloat64) - ref).norm().item<double>() / (r > 0 ? r : 1.0);
}

template <class F>
double median_seconds(int repeats, bool cuda, F&& f) {
  std::vector<double> t;
  f();  // warm-up
  for (int i = 0; i < repeats; ++i) {
    if (cuda) torch::cuda::synchronize();
    const auto t0 = Clock::now();
    f();
    if (cuda) torch::cuda::synchronize();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return spread(t).median;
}

/// One operator's node set on the device: all nodes (with ghosts) and the collocation nodes.
struct OpSetting {
  DerivOp op = DerivOp::laplacian;
  bool biharmonic = false;
  c10::Device device{c10::kCPU};
  at::Tensor xall, xc, xc32;
  Operators ops;
};

/// The RBF-FD matrix of `op` for each order that assembles on `nodes` (a failing order is
/// skipped with a line on `log`).
Operators rbffd_operators(const nodegen::NodeSet& nodes, DerivOp op, const std::vector<int>& orders,
                          c10::Device device, std::ostream* log) {
  const bool bih = op == DerivOp::biharmonic;
  const auto dopt = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  Operators ops;
  for (int p : orders) {
    rbffd::RbffdParams params;
    params.order = p;
    rbffd::OperatorRequest req;
    // L and B as build_dataset requests them (B is cheap and unused here), plus the
    // biharmonic when asked for.
    req.laplacian = true;
    req.boundary = true;
    req.biharmonic = bih;
    try {
      auto set = rbffd::assemble(nodes, params, req);
      ops.emplace(p, autodiff::SparseOperator(bih ? set.biharmonic : set.laplacian, dopt));
    } catch (const std::exception& e) {
      say(log,
          fmt::format("[study] derivatives: {} p = {} skipped: {}", to_string(op), p, e.what()));
    }
  }
  return ops;
}

/// The fp64 network of (depth, seed) and an fp32 copy with the same weights.
std::pair<Network, Network> twin_networks(int depth, std::uint64_t seed, c10::Device device) {
  ModelConfig mc;
  mc.depth = depth;
  mc.width = 50;
  mc.activation = Activation::tanh;
  const Eigen::VectorXd lo = Eigen::VectorXd::Constant(2, -1.0);
  const Eigen::VectorXd hi = Eigen::VectorXd::Constant(2, 1.0);
  Network net64(mc, lo, hi, torch::kFloat64, device, seed);
  Network net32(mc, lo, hi, torch::kFloat32, device, seed);
  torch::NoGradGuard ng;
  auto p64 = net64.parameters();
  auto p32 = net32.parameters();
  for (std::size_t i = 0; i < p64.size(); ++i) p32[i].copy_(p64[i]);
  return {std::move(net64), std::move(net32)};
}

/// The cells of one depth, by column.
class DepthRow {
 public:
  DepthRow(DerivOp op, int depth) : op_(op), depth_(depth) {}
  DerivCell& operator()(DerivMethod m, int order = 0) {
    auto& c = cells_[DerivColumn{m, order}];
    c.op = op_;
    c.column = DerivColumn{m, order};
    c.depth = depth_;
    return c;
  }
  const std::map<DerivColumn, DerivCell>& cells() const { return cells_; }

 private:
  DerivOp op_;
  int depth_;
  std::map<DerivColumn, DerivCell> cells_;
};

/// Seconds per application of each method on the twin networks (median of `repeats`).
void time_methods(const OpSetting& s, const Network& net64, const Network& net32,
                  const at::Tensor& u, int repeats, DepthRow& row) {
  const bool cuda = s.device.is_cuda();
  const bool bih = s.biharmonic;
  row(DerivMethod::autograd_fp64).seconds.push_back(median_seconds(repeats, cuda, [&] {
    (void)autograd_operator(net64, s.xc, bih);
  }));
  row(DerivMethod::autograd_fp32).seconds.push_back(median_seconds(repeats, cuda, [&] {
    (void)autograd_operator(net32, s.xc32, bih);
  }));
  row(DerivMethod::forward_fp64).seconds.push_back(median_seconds(repeats, cuda, [&] {
    torch::NoGradGuard ng;
    (void)net64.forward(s.xall);
  }));
  for (const auto& [p, A] : s.ops)
    row(DerivMethod::rbffd, p)
        .seconds.push_back(
            median_seconds(std::max(repeats, 20), cuda, [&, &A = A] { (void)A.multiply(u); }));
}

/// Errors (every network) and times (the first network) of every method at one depth.
DepthRow measure_depth(const OpSetting& s, int depth, const StudyOptions& o) {
  DepthRow row(s.op, depth);
  for (int r = 0; r < o.derivative_repeats; ++r) {
    const std::uint64_t seed = 1000u * static_cast<unsigned>(depth) + static_cast<unsigned>(r);
    const auto [net64, net32] = twin_networks(depth, seed, s.device);
    const auto ref = autograd_operator(net64, s.xc, s.biharmonic);
    row(DerivMethod::autograd_fp32)
        .errors.push_back(rel_l2(autograd_operator(net32, s.xc32, s.biharmonic), ref));
    at::Tensor u;
    {
      torch::NoGradGuard ng;
      u = net64.forward(s.xall);
    }
    for (const auto& [p, A] : s.ops)
      row(DerivMethod::rbffd, p).errors.push_back(rel_l2(A.multiply(u), ref));
    if (r == 0) time_methods(s, net64, net32, u, o.timing_repeats, row);
    row(DerivMethod::autograd_fp64).errors.push_back(0.0);
  }
  return row;
}

/// "  RBF-FD p=2: err 1.2e-03 t 0.5 ms  autograd fp32: ...": a depth's progress line.
std::string row_line(const DepthRow& row) {
  std::string line;
  for (const auto& [col, c] : row.cells()) {
    line += fmt::format("  {}: err {}", col.label(), format_spread(spread(c.errors)));
    if (!c.seconds.empty()) line += fmt::format(" t {:.3g} ms", 1e3 * c.seconds[0]);
  }
  return line;
}

/// Every depth of one operator, appended to `out`.
void study_operator(DerivOp op, const StudyOptions& o, c10::Device device, std::ostream* log,
                    DerivativeResults& out) {
  const bool bih = op == DerivOp::biharmonic;
  const auto nodes = nodegen::make_nodes("disk", bih ? o.biharmonic_n : o.derivative_n, 0, true);
  const auto Nc = nodes.n_collocation();
  out.nodes[op] = {Nc, nodes.n_interior, nodes.n_boundary};
  say(log, fmt::format("[study] derivatives: {} on {} disk nodes (+{} ghosts), depth 1..{}, {} "
                       "networks per depth",
                       to_string(op), Nc, nodes.n_ghost, o.max_depth, o.derivative_repeats));
  OpSetting s;
  s.op = op;
  s.biharmonic = bih;
  s.device = device;
  s.ops = rbffd_operators(nodes, op, o.orders, device, log);
  s.xall = torch::from_blob(const_cast<double*>(nodes.points.data()),
                            {nodes.points.rows(), nodes.points.cols()}, torch::kFloat64)
               .clone()
               .to(device);
  s.xc = s.xall.slice(0, 0, Nc);
  s.xc32 = s.xc.to(torch::kFloat32);
  for (int depth = 1; depth <= o.max_depth; ++depth) {
    const DepthRow row = measure_depth(s, depth, o);
    for (const auto& kv : row.cells()) out.cells.push_back(kv.second);
    say(log, fmt::format("[study] {} depth {}:{}", to_string(op), depth, row_line(row)));
  }
}

}  // namespace

std::string DerivColumn::label() const {
  return method == DerivMethod::rbffd ? fmt::format("RBF-FD p={}", order) : to_string(method);
}

std::vector<DerivColumn> DerivativeResults::columns(DerivOp op) const {
  std::vector<DerivColumn> out;
  for (const auto& c : cells)
    if (c.op == op && std::find(out.begin(), out.end(), c.column) == out.end())
      out.push_back(c.column);
  return out;
}

const DerivCell* DerivativeResults::find(DerivOp op, const DerivColumn& column, int depth) const {
  for (const auto& c : cells)
    if (c.op == op && c.column == column && c.depth == depth) return &c;
  return nullptr;
}

DerivativeResults derivative_study(const StudyOptions& o, std::ostream* log) {
  const c10::Device device =
      o.device == DeviceKind::cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  DerivativeResults out;
  for (const DerivOp op : kDerivOps) study_operator(op, o, device, log, out);
  return out;
}

}  // namespace dtpinn::lab::detail
