// The training loop: optimisers, loss weights, stop rules, metrics, progress lines.
#include <dtpinn/autodiff/cuda_graph.hpp>
#include <dtpinn/core/device_adam.hpp>
#include <dtpinn/core/device_lbfgs.hpp>
#include <dtpinn/core/flat_parameters.hpp>
#include <dtpinn/core/losses.hpp>
#include <dtpinn/core/trainer.hpp>

#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

namespace dtpinn::core {

namespace {

using Clock = std::chrono::steady_clock;

/// A stopwatch that only runs between start() and stop(): the training clock.
class TrainClock {
 public:
  explicit TrainClock(bool cuda) : cuda_(cuda) {}
  void start() {
    sync();
    t0_ = Clock::now();
  }
  void stop() {
    sync();
    total_ += std::chrono::duration<double>(Clock::now() - t0_).count();
  }
  double seconds() const { return total_; }

 private:
  void sync() const {
    if (cuda_) torch::cuda::synchronize();
  }
  bool cuda_;
  Clock::time_point t0_;
  double total_ = 0.0;
};

std::string fmt_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600)
    return fmt::format("{}m{:02d}s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  return fmt::format("{}h{:02d}m", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
}

torch::Tensor weighted_sum(const std::vector<at::Tensor>& terms, const std::vector<double>& w) {
  torch::Tensor total = terms[0] * w[0];
  for (std::size_t i = 1; i < terms.size(); ++i) total = total + terms[i] * w[i];
  return total;
}

/// The same with the weights as a device tensor [T]: a captured CUDA graph reads them from
/// device memory at every replay, so annealing can change them between replays.
torch::Tensor weighted_sum(const std::vector<at::Tensor>& terms, const torch::Tensor& w) {
  torch::Tensor total = terms[0] * w[0];
  for (std::size_t i = 1; i < terms.size(); ++i) total = total + terms[i] * w[i];
  return total;
}

/// The flat-buffer optimisers (device_lbfgs / device_adam) and their closures. One epoch is
/// max_iter L-BFGS iterations (as for LibTorch's L-BFGS) or one Adam step; nothing inside an
/// epoch reads a scalar back to the host, and on cuda (train.cuda_graph) each iteration is one
/// CUDA graph replay.
class DeviceOptimiser {
 public:
  DeviceOptimiser(const TrainConfig& t, const Loss& loss, const Network& net,
                  const std::vector<at::Tensor>& params, const std::vector<double>& w,
                  bool loss_only_without_autograd)
      : t_(t), loss_(loss), net_(net), flat_(params) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    w_ = torch::tensor(w, torch::TensorOptions().dtype(torch::kFloat64)).to(o);
    last_loss_ = torch::zeros({}, o);
    const bool graphs = t.cuda_graph && net.device().is_cuda();
    const bool fp64 = net.dtype() == c10::kDouble;
    if (t.optimizer == "device_lbfgs") {
      DeviceLbfgsOptions lo;
      lo.lr = t.lr;
      lo.history_size = t.history;
      // The same tolerances as make_lbfgs (LibTorch's defaults stop fp64 DT-PINN too early).
      lo.tolerance_grad = fp64 ? 1e-14 : 1e-9;
      lo.tolerance_change = fp64 ? 1e-18 : 1e-12;
      lo.mode = t.line_search == "none" ? DeviceLbfgsOptions::Mode::fixed_step
                                        : DeviceLbfgsOptions::Mode::line_search;
      lo.check_every = t.max_iter;
      lo.use_cuda_graph = graphs;
      lbfgs_ = std::make_unique<DeviceLbfgs>(flat_, lo);
      // Trial points of the line search need the loss only: without autograd when the loss
      // itself needs no input derivatives (DT-PINN), else the full closure.
      if (loss_only_without_autograd)
        loss_only_ = [this] {
          torch::NoGradGuard ng;
          return weighted_sum(loss_.terms(net_), w_);
        };
    } else {
      DeviceAdamOptions ao;
      ao.lr = t.adam_lr;
      adam_ = std::make_unique<DeviceAdam>(flat_, ao);
      if (graphs)
        graph_ = std::make_unique<autodiff::CudaGraphStep>(
            [this] {
              last_loss_.copy_(closure());
              adam_->step();
            },
            1);
    }
  }

  /// One epoch; returns the loss at its start as a device scalar (read it when needed).
  const torch::Tensor& epoch() {
    if (lbfgs_) {
      lbfgs_->run([this] { return closure(); }, t_.max_iter, loss_only_);
      return lbfgs_->loss();
    }
    if (graph_) {
      // One Adam step per epoch, the first included: it is the warm-up before the capture.
      if (graph_->captured())
        graph_->replay();
      else
        graph_->warm_up_and_capture();
    } else {
      last_loss_.copy_(closure());
      adam_->step();
    }
    return last_loss_;
  }

  /// New loss weights (annealing): a device write, valid for a captured graph too.
  void set_weights(const std::vector<double>& w) {
    w_.copy_(torch::tensor(w, torch::TensorOptions().dtype(torch::kFloat64)));
  }
  void set_adam_lr(double lr) {
    if (adam_) adam_->set_lr(lr);
  }

 private:
  torch::Tensor closure() {
    flat_.zero_grad();
    auto total = weighted_sum(loss_.terms(net_), w_);
    total.backward();
    return total.detach();
  }

  const TrainConfig& t_;
  const Loss& loss_;
  const Network& net_;
  FlatParameters flat_;
  torch::Tensor w_, last_loss_;
  std::unique_ptr<DeviceLbfgs> lbfgs_;
  std::unique_ptr<DeviceAdam> adam_;
  std::unique_ptr<autodiff::CudaGraphStep> graph_;
  DeviceLbfgs::Closure loss_only_;
};

/// ||d term_i / d theta||_2 for each term (one backward pass per term).
std::vector<double> gradient_norms(const std::vector<at::Tensor>& terms,
                                   const std::vector<at::Tensor>& params) {
  std::vector<double> out;
  for (const auto& t : terms) {
    auto g = torch::autograd::grad({t}, params, {}, /*retain_graph=*/true, false,
                                   /*allow_unused=*/true);
    double s = 0.0;
    for (const auto& gi : g)
      if (gi.defined()) s += gi.to(torch::kFloat64).square().sum().item<double>();
    out.push_back(std::sqrt(s));
  }
  return out;
}

void check_train_config(const TrainConfig& t) {
  if (t.optimizer != "lbfgs" && t.optimizer != "adam" && t.optimizer != "adam_lbfgs" &&
      t.optimizer != "device_lbfgs" && t.optimizer != "device_adam")
    throw std::runtime_error(fmt::format(
        "train.optimizer: unknown optimizer '{}' (lbfgs, adam, adam_lbfgs, device_lbfgs, "
        "device_adam)",
        t.optimizer));
  if (t.line_search != "strong_wolfe" && t.line_search != "none")
    throw std::runtime_error(fmt::format(
        "train.line_search: unknown line search '{}' (strong_wolfe, none)", t.line_search));
  if (t.loss_weights != "fixed" && t.loss_weights != "annealing")
    throw std::runtime_error(
        fmt::format("train.loss_weights: unknown scheme '{}' (fixed, annealing)", t.loss_weights));
  if (t.epochs < 0) throw std::runtime_error("train.epochs: must be >= 0");
  if (!(t.lr > 0)) throw std::runtime_error("train.lr: must be > 0");
  if (!(t.adam_lr > 0)) throw std::runtime_error("train.adam_lr: must be > 0");
  if (t.max_iter < 1) throw std::runtime_error("train.max_iter: must be >= 1");
  if (t.history < 1) throw std::runtime_error("train.history: must be >= 1");
  if (t.eval_every < 1) throw std::runtime_error("train.eval_every: must be >= 1");
  if (t.log_every < 0) throw std::runtime_error("train.log_every: must be >= 0");
  if (t.annealing_every < 1) throw std::runtime_error("train.annealing_every: must be >= 1");
  if (!(t.annealing_alpha >= 0 && t.annealing_alpha <= 1))
    throw std::runtime_error("train.annealing_alpha: must be in [0, 1]");
  if (!(t.time_budget >= 0)) throw std::runtime_error("train.time_budget: must be >= 0");
  if (!(t.target_error >= 0)) throw std::runtime_error("train.target_error: must be >= 0");
}

}  // namespace

std::vector<double> initial_loss_weights(const TrainConfig& t,
                                         const std::vector<std::string>& names) {
  std::vector<double> w(names.size(), 1.0);
  for (const auto& [key, value] : t.weights) {
    auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw std::runtime_error(fmt::format(
          "train.weights.{}: this problem has no '{}' loss term (terms: {})", key, key, list));
    }
    if (!(value >= 0) || !std::isfinite(value))
      throw std::runtime_error(fmt::format("train.weights.{}: must be >= 0 (got {})", key, value));
    w[static_cast<std::size_t>(it - names.begin())] = value;
  }
  return w;
}

void anneal_loss_weights(std::vector<double>& w, std::size_t pde_index, double max_abs_pde,
                         const std::vector<double>& mean_abs, double alpha) {
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (i == pde_index) continue;
    const double mean = mean_abs.at(i);
    const double hat = max_abs_pde / (mean + 1e-300);
    if (std::isfinite(hat) && mean > 0) w[i] = (1.0 - alpha) * w[i] + alpha * hat;
  }
}

double TrainResult::seconds_to_error(double e) const {
  for (const auto& h : history)
    if (h.test_rel_l2 >= 0 && h.test_rel_l2 <= e) return h.seconds;
  return -1.0;
}

std::int64_t TrainResult::epochs_to_error(double e) const {
  for (const auto& h : history)
    if (h.test_rel_l2 >= 0 && h.test_rel_l2 <= e) return h.epoch;
  return -1;
}

double test_error(const Network& net, const Dataset& data) {
  if (!data.has_reference) return -1.0;
  const Eigen::VectorXd u = net.evaluate(data.test_points);
  const double ref = data.test_reference.norm();
  return (u - data.test_reference).norm() / (ref > 0 ? ref : 1.0);
}

void set_threads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
}

std::unique_ptr<torch::optim::Optimizer> make_lbfgs(const TrainConfig& t,
                                                    const std::vector<at::Tensor>& params,
                                                    bool fp64) {
  torch::optim::LBFGSOptions o(t.lr);
  o.max_iter(t.max_iter);
  o.max_eval(t.max_iter * 5 / 4 + 1);
  o.history_size(t.history);
  // Tighter than PyTorch's defaults (1e-7, 1e-9), which end the inner iterations early once
  // the loss is ~1e-8: fp64 DT-PINN keeps improving well below that.
  o.tolerance_grad(fp64 ? 1e-14 : 1e-9);
  o.tolerance_change(fp64 ? 1e-18 : 1e-12);
  if (t.line_search == "strong_wolfe") o.line_search_fn("strong_wolfe");
  return std::make_unique<torch::optim::LBFGS>(params, o);
}

Network make_network(const RunConfig& config, const Dataset& data) {
  const auto& t = config.train;
  c10::ScalarType dtype;
  if (t.precision == "fp64")
    dtype = c10::kDouble;
  else if (t.precision == "fp32")
    dtype = c10::kFloat;
  else
    throw std::runtime_error(
        fmt::format("train.precision: unknown precision '{}' (fp64, fp32)", t.precision));
  c10::Device device = c10::kCPU;
  if (t.device == "cuda") {
    if (!torch::cuda::is_available())
      throw std::runtime_error("train.device = cuda: no CUDA device is available on this machine");
#ifndef DTPINN_HAVE_CUDA
    if (t.method == "dtpinn")
      throw std::runtime_error(
          "train.device = cuda: this build has no CUDA SpMV (configure with nvcc to train DT-PINN "
          "on the GPU)");
#endif
    device = c10::Device(c10::kCUDA, 0);
  } else if (t.device != "cpu") {
    throw std::runtime_error(
        fmt::format("train.device: unknown device '{}' (cpu, cuda)", t.device));
  }
  try {
    return Network(config.model, data.lower, data.upper, dtype, device, t.seed);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

TrainResult train(const RunConfig& config, const Dataset& data, Network& net,
                  const TrainOptions& options) {
  const auto& tc = config.train;
  check_train_config(tc);
  const auto setup_t0 = Clock::now();
  auto loss = make_loss(tc.method, data, net, tc.time_derivative);
  const auto& names = loss->names();
  std::vector<double> w = initial_loss_weights(tc, names);
  const auto params = net.parameters();
  const bool fp64 = net.dtype() == c10::kDouble;
  const bool cuda = net.device().is_cuda();
  const auto pde_index =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), "pde") - names.begin());

  TrainResult r;
  r.method = tc.method;
  r.precision = tc.precision;
  r.device = net.device().str();
  r.pde = to_string(data.problem->pde());
  r.optimizer = tc.optimizer;
  r.n_interior = data.nodes.n_interior;
  r.n_boundary = data.nodes.n_boundary;
  r.n_ghost = data.nodes.n_ghost;
  r.n_nodes = data.n_collocation();
  r.n_test = data.test_nodes.n_collocation();
  r.order = config.rbffd.order;
  r.n_parameters = net.num_parameters();
  r.term_names = names;

  std::unique_ptr<torch::optim::Optimizer> opt;
  std::unique_ptr<DeviceOptimiser> device_opt;
  bool is_lbfgs = false;
  if (tc.optimizer == "lbfgs") {
    opt = make_lbfgs(tc, params, fp64);
    is_lbfgs = true;
  } else if (tc.optimizer == "device_lbfgs" || tc.optimizer == "device_adam") {
    const bool no_input_derivatives =
        tc.method == "dtpinn" &&
        (data.problem->pde() != PdeKind::heat || tc.time_derivative == "tangent");
    device_opt = std::make_unique<DeviceOptimiser>(tc, *loss, net, params, w, no_input_derivatives);
  } else {
    opt = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(tc.adam_lr));
  }
  double adam_lr = tc.adam_lr;

  auto closure = [&]() -> torch::Tensor {
    opt->zero_grad();
    auto total = weighted_sum(loss->terms(net), w);
    total.backward();
    return total;
  };

  TrainClock clock(cuda);
  double best = -1.0;
  auto record = [&](std::int64_t epoch) -> HistoryRow {
    HistoryRow h;
    h.epoch = epoch;
    h.seconds = clock.seconds();
    auto terms = loss->terms(net);
    for (const auto& t : terms) h.terms.push_back(t.item<double>());
    h.weights = w;
    h.loss = 0.0;
    for (std::size_t i = 0; i < terms.size(); ++i) h.loss += w[i] * h.terms[i];
    h.grad_norms = gradient_norms(terms, params);
    h.test_rel_l2 = test_error(net, data);
    if (!std::isfinite(h.loss))
      throw std::runtime_error(
          fmt::format("training diverged at epoch {}: the loss is {} (try a smaller train.lr, or "
                      "train.line_search = \"strong_wolfe\")",
                      epoch, h.loss));
    if (h.test_rel_l2 >= 0 && (best < 0 || h.test_rel_l2 < best)) {
      best = h.test_rel_l2;
      r.best_test_rel_l2 = best;
      r.epochs_to_best = epoch;
      r.seconds_to_best = h.seconds;
    }
    r.history.push_back(h);
    return h;
  };

  auto say = [&](const std::string& line) {
    if (options.log) *options.log << line << '\n' << std::flush;
  };
  const std::string label = options.label.empty() ? tc.method : options.label;
  r.setup_seconds = std::chrono::duration<double>(Clock::now() - setup_t0).count();

  // Epoch 0: the initial network.
  {
    auto h = record(0);
    say(fmt::format("[{}] epoch 0: loss {:.3e}, test error {:.3e}, {} parameters", label, h.loss,
                    h.test_rel_l2, r.n_parameters));
  }

  r.stop_reason = "epochs";
  std::int64_t epoch = 0;
  double last_log_time = 0.0;
  std::int64_t last_log_epoch = 0;
  auto last_log_wall = Clock::now();
  while (epoch < tc.epochs) {
    ++epoch;
    clock.start();
    // Switch Adam -> L-BFGS.
    if (tc.optimizer == "adam_lbfgs" && !is_lbfgs && epoch > tc.adam_epochs) {
      opt = make_lbfgs(tc, params, fp64);
      is_lbfgs = true;
    }
    // Learning-rate annealing (seed 001): lambda_i <- (1 - a) lambda_i + a max|g_pde| / mean|g_i|.
    if (tc.loss_weights == "annealing" && pde_index < names.size() &&
        (epoch - 1) % tc.annealing_every == 0) {
      auto terms = loss->terms(net);
      auto gp = torch::autograd::grad({terms[pde_index]}, params, {}, true, false, true);
      double gmax = 0.0;
      for (const auto& g : gp)
        if (g.defined()) gmax = std::max(gmax, g.abs().max().item<double>());
      std::vector<double> mean_abs(terms.size(), 0.0);
      for (std::size_t i = 0; i < terms.size(); ++i) {
        if (i == pde_index) continue;
        auto gi = torch::autograd::grad({terms[i]}, params, {}, true, false, true);
        double sum = 0.0;
        std::int64_t count = 0;
        for (const auto& g : gi)
          if (g.defined()) {
            sum += g.abs().sum().item<double>();
            count += g.numel();
          }
        mean_abs[i] = count > 0 ? sum / static_cast<double>(count) : 0.0;
      }
      anneal_loss_weights(w, pde_index, gmax, mean_abs, tc.annealing_alpha);
      if (device_opt) device_opt->set_weights(w);
    }
    torch::Tensor step_loss;
    if (device_opt) {
      step_loss = device_opt->epoch();
      if (tc.lr_decay != 1.0 && epoch % tc.lr_decay_every == 0) {
        adam_lr *= tc.lr_decay;
        device_opt->set_adam_lr(adam_lr);
      }
    } else if (is_lbfgs) {
      step_loss = opt->step(closure);
    } else {
      step_loss = closure();
      opt->step();
      if (tc.lr_decay != 1.0 && epoch % tc.lr_decay_every == 0) {
        adam_lr *= tc.lr_decay;
        for (auto& group : opt->param_groups())
          static_cast<torch::optim::AdamOptions&>(group.options()).lr(adam_lr);
      }
    }
    const bool eval_now = epoch % tc.eval_every == 0;
    // The device optimisers' loss is read only when the epoch is evaluated (a host sync).
    const double lv = device_opt && !eval_now ? 0.0 : step_loss.item<double>();
    clock.stop();
    if (!std::isfinite(lv))
      throw std::runtime_error(
          fmt::format("training diverged at epoch {}: the loss is {} (try a smaller train.lr, or "
                      "train.line_search = \"strong_wolfe\")",
                      epoch, lv));

    const bool budget_hit = tc.time_budget > 0 && clock.seconds() >= tc.time_budget;
    const bool last = epoch == tc.epochs || budget_hit;
    if (epoch % tc.eval_every == 0 || last) {
      const auto& h = record(epoch);
      const bool target_hit =
          tc.target_error > 0 && h.test_rel_l2 >= 0 && h.test_rel_l2 < tc.target_error;
      if (target_hit) r.stop_reason = "target_error";
      // Every log_every epochs, but also at least every 10 s of wall time when epochs are slow.
      const double since_log = std::chrono::duration<double>(Clock::now() - last_log_wall).count();
      const bool log_now = tc.log_every > 0 && (epoch - last_log_epoch >= tc.log_every || last ||
                                                target_hit || since_log >= 10.0);
      if (log_now) {
        const double rate =
            (epoch - last_log_epoch) / std::max(1e-9, clock.seconds() - last_log_time);
        double eta = (tc.epochs - epoch) / std::max(rate, 1e-9);
        if (tc.time_budget > 0) eta = std::min(eta, tc.time_budget - clock.seconds());
        std::string terms;
        for (std::size_t i = 0; i < names.size(); ++i)
          terms += fmt::format("{}{} {:.2e}", i ? ", " : "", names[i], h.terms[i]);
        say(
            fmt::format("[{}] epoch {}: loss {:.3e} ({}), test error {}, {:.1f} epochs/s, {:.1f}s, "
                        "ETA {}",
                        label, epoch, h.loss, terms,
                        h.test_rel_l2 >= 0 ? fmt::format("{:.3e}", h.test_rel_l2) : "n/a", rate,
                        clock.seconds(), last || target_hit ? "0s" : fmt_duration(eta)));
        last_log_epoch = epoch;
        last_log_time = clock.seconds();
        last_log_wall = Clock::now();
      }
      if (target_hit) break;
    }
    if (budget_hit) {
      r.stop_reason = "time_budget";
      break;
    }
  }
  if (r.history.back().epoch != epoch) record(epoch);  // epochs == 0

  const auto& fin = r.history.back();
  r.epochs = epoch;
  r.train_seconds = clock.seconds();
  r.seconds_per_epoch = epoch > 0 ? r.train_seconds / static_cast<double>(epoch) : 0.0;
  r.final_loss = fin.loss;
  r.final_terms = fin.terms;
  r.final_weights = fin.weights;
  r.test_rel_l2 = fin.test_rel_l2;
  return r;
}

}  // namespace dtpinn::core
