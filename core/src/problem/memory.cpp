// The memory estimate of a run configuration and the refusal of one that cannot fit.
#include <dtpinn/core/problem/memory.hpp>
#include <dtpinn/nodegen/request.hpp>
#include <dtpinn/nodegen/shapes.hpp>
#include <dtpinn/rbffd/params.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dtpinn::core {

namespace {

// Measured peaks per unit on the CPU path (fp64), rounded down: the estimate is a lower bound.
// (The node sets: nodegen::node_memory.)
// A CSR entry (value + column) of L, B and their transposes (the SpMV's backward), and the
// assembly's per-stencil work: 3 copies of 12 bytes.
constexpr double kBytesPerOperatorEntry = 36;
// Activations kept for the backward pass, per point, hidden layer and neuron (pre-activation,
// activation, its derivative): DT-PINN evaluates u only; the autograd PINN also its input
// derivatives up to second order (about 2 + dim more passes).
constexpr double kActivationCopies = 3;

double value_bytes(const RunConfig& c) {
  return c.train.precision == Precision::fp32 ? 4.0 : 8.0;
}

int dimension(const RunConfig& c) {
  if (c.domain.file || c.domain.nodes) return 2;  // not known before reading it: the lower bound
  try {
    return nodegen::make_shape(c.domain.shape)->dim();
  } catch (const std::exception&) {
    return 2;
  }
}

/// Time slices the loss evaluates (1 for a steady problem).
double slices(const RunConfig& c) {
  bool heat = false;
  try {
    heat = is_time_dependent(c.problem);
  } catch (const std::exception&) {
    heat = c.problem.pde == PdeKind::heat;
  }
  return heat ? static_cast<double>(c.problem.nt) + 1.0 : 1.0;
}

/// How far a key's value is above its default (1 at the default or below): the key most
/// responsible for a part is the one grown most.
double growth(const RunConfig& c, const std::string& key) {
  const RunConfig d = default_config();
  auto ratio = [](double v, double base) { return base > 0 ? v / base : v; };
  if (key == "domain.n")
    return ratio(static_cast<double>(c.domain.n), static_cast<double>(d.domain.n));
  if (key == "domain.test_n")
    return ratio(static_cast<double>(c.domain.test_n), static_cast<double>(d.domain.test_n));
  if (key == "rbffd.order") return ratio(c.rbffd.order, d.rbffd.order);
  if (key == "model.width") return ratio(c.model.width, d.model.width);
  if (key == "model.depth") return ratio(c.model.depth, d.model.depth);
  if (key == "problem.nt") return slices(c) > 1 ? ratio(c.problem.nt, d.problem.nt) : 0.0;
  if (key == "train.history") return ratio(c.train.history, d.train.history);
  return 1.0;
}

std::string key_value(const RunConfig& c, const std::string& key) {
  return get_option(c, key);
}

}  // namespace

double MemoryEstimate::total() const {
  double t = 0;
  for (const auto& p : parts) t += p.bytes;
  return t;
}

const MemoryPart& MemoryEstimate::largest() const {
  return *std::max_element(
      parts.begin(), parts.end(),
      [](const MemoryPart& a, const MemoryPart& b) { return a.bytes < b.bytes; });
}

double parameter_count(const RunConfig& c) {
  const double in = dimension(c) + (slices(c) > 1 ? 1.0 : 0.0);
  const double w = c.model.width, depth = c.model.depth;
  double p = in * w + w + (depth - 1) * (w * w + w) + w + 1;
  if (c.model.architecture == Architecture::modified_mlp) p += 2 * (in * w + w);
  return p;
}

MemoryEstimate estimate_memory(const RunConfig& c) {
  MemoryEstimate e;
  const int dim = dimension(c);
  const double n = static_cast<double>(c.domain.n), test_n = static_cast<double>(c.domain.test_n);
  const double vb = value_bytes(c), p = parameter_count(c), s = slices(c);
  // Boundary nodes are a fraction of n; with their ghosts the node set has about n + Nb rows.
  const double nodes = n * 1.05;
  e.parts.push_back(
      {"the node sets", nodegen::node_memory(nodes + test_n), {"domain.n", "domain.test_n"}});
  if (c.train.method == Method::dtpinn) {
    rbffd::RbffdParams rp;
    rp.order = std::clamp(c.rbffd.order, 2, 6);
    const double stencil = rbffd::stencil_rule(rp, 2, dim).size;
    e.parts.push_back({"the RBF-FD operators",
                       n * stencil * kBytesPerOperatorEntry,
                       {"domain.n", "rbffd.order"}});
  }
  const double copies = kActivationCopies * (c.train.method == Method::vanilla ? 2.0 + dim : 1.0);
  e.parts.push_back({"the network's activations",
                     nodes * s * c.model.width * c.model.depth * copies * vb,
                     {"domain.n", "problem.nt", "model.width", "model.depth"}});
  // Values, gradient, the flat buffers and Adam's two moments (or L-BFGS's work vectors).
  e.parts.push_back(
      {"the network's parameters and optimiser state", p * vb * 6, {"model.width", "model.depth"}});
  const Optimizer o = c.train.optimizer;
  if (o == Optimizer::lbfgs || o == Optimizer::adam_lbfgs || o == Optimizer::device_lbfgs) {
    // LibTorch's L-BFGS stores a pair (s, y) per iteration until it holds `history` of them (a
    // long run gets there); the device one allocates all of them at once.
    e.parts.push_back({"the L-BFGS history",
                       2.0 * c.train.history * p * vb,
                       {"train.history", "model.width", "model.depth"}});
  }
  if (o == Optimizer::gauss_newton) {
    const double m = nodes * s;  // residuals
    double gram = 0;
    if (c.train.gn_solver != GnSolver::cg) gram = std::min(m, p) * std::min(m, p) * vb;
    e.parts.push_back({"the Gauss-Newton Jacobian",
                       m * p * vb + gram,
                       {"domain.n", "problem.nt", "model.width", "model.depth"}});
  }
  return e;
}

std::string format_bytes(double bytes) {
  static const char* const units[] = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{:.0f} bytes", bytes);
  if (bytes >= 1024) return fmt::format("{:.2g} {}", bytes, units[u]);
  return fmt::format(bytes < 10 ? "{:.1f} {}" : "{:.0f} {}", bytes, units[u]);
}

void check_memory(const RunConfig& c, double available_bytes) {
  if (!(available_bytes > 0)) return;
  const MemoryEstimate e = estimate_memory(c);
  const double total = e.total();
  if (total <= available_bytes) return;
  const MemoryPart& big = e.largest();
  std::string key = big.keys.front();
  for (const auto& k : big.keys)
    if (growth(c, k) > growth(c, key)) key = k;
  throw std::runtime_error(fmt::format(
      "{} = {}: the run needs about {} of memory ({}: {}), more than the {} available on this "
      "machine",
      key, key_value(c, key), format_bytes(total), big.what, format_bytes(big.bytes),
      format_bytes(available_bytes)));
}

}  // namespace dtpinn::core
