// The training loop (one for one process and for many): optimisers, loss weights, stop rules,
// metrics, progress lines.
#include <dtpinn/autodiff/cuda_graph.hpp>
#include <dtpinn/core/training/device_adam.hpp>
#include <dtpinn/core/training/device_lbfgs.hpp>
#include <dtpinn/core/training/flat_parameters.hpp>
#include <dtpinn/core/training/gauss_newton.hpp>
#include <dtpinn/core/training/least_squares.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/objective.hpp>
#include <dtpinn/core/training/system_loss.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <torch/torch.h>

#include <fmt/format.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <sstream>
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
  /// Inside start() .. stop(): the total so far, without a device sync (what a stop check
  /// inside an epoch reads; queued device work is not counted yet).
  double running_seconds() const {
    return total_ + std::chrono::duration<double>(Clock::now() - t0_).count();
  }
  void set_seconds(double s) { total_ = s; }

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

std::unique_ptr<torch::optim::Optimizer> make_lbfgs(const TrainConfig& t,
                                                    const std::vector<at::Tensor>& params,
                                                    bool fp64) {
  torch::optim::LBFGSOptions o(t.lr);
  o.max_iter(t.max_iter);
  o.max_eval(static_cast<std::int64_t>(t.max_iter) * 5 / 4 + 1);  // no int overflow at 2^31
  o.history_size(t.history);
  // Tighter than PyTorch's defaults (1e-7, 1e-9), which end the inner iterations early once
  // the loss is ~1e-8: fp64 DT-PINN keeps improving well below that.
  o.tolerance_grad(fp64 ? 1e-14 : 1e-9);
  o.tolerance_change(fp64 ? 1e-18 : 1e-12);
  if (t.line_search == LineSearch::strong_wolfe) o.line_search_fn("strong_wolfe");
  return std::make_unique<torch::optim::LBFGS>(params, o);
}

/// One epoch of an optimiser over the objective.
class Stepper {
 public:
  virtual ~Stepper() = default;
  /// Runs one epoch, asking `stop` between its iterations and evaluations (an epoch cut short
  /// leaves consistent weights); returns the loss at its start as a device scalar (read it when
  /// needed), undefined when the stop came before the first evaluation.
  virtual at::Tensor epoch(const StopQuery& stop) = 0;
  /// Adam: the new learning rate (step decay); L-BFGS has none.
  virtual void set_adam_lr(double lr) { (void)lr; }
  /// The flat-buffer optimisers keep the loss on the device: read it only at evaluations.
  virtual bool host_loss_every_epoch() const { return true; }
  /// The optimiser's state as bytes ("" when it cannot be saved) and back.
  virtual std::string save_state() { return {}; }
  virtual void load_state(const std::string& bytes) {
    (void)bytes;
    throw std::runtime_error("this optimiser keeps no resumable state");
  }
};

std::string save_optimizer(torch::optim::Optimizer& opt) {
  torch::serialize::OutputArchive a;
  opt.save(a);
  std::ostringstream s;
  a.save_to(s);
  return s.str();
}

void load_optimizer(torch::optim::Optimizer& opt, const std::string& bytes) {
  torch::serialize::InputArchive a;
  std::istringstream s(bytes);
  try {
    a.load_from(s);
    opt.load(a);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw std::runtime_error("the saved optimiser state does not fit this run (" + what + ")");
  }
}

/// Thrown by a closure to leave LibTorch's L-BFGS step when the run must stop.
struct StopEpoch {};

/// LibTorch's L-BFGS (strong Wolfe or fixed step): one epoch is one step of max_iter iterations.
/// A stop is asked before every closure evaluation (iterations and line-search trials); it
/// leaves the step by an exception from the closure, puts the weights back to the lowest-loss
/// point evaluated in the epoch (the last iterate, or a line-search trial below it: the trial
/// point the step was at is not a point it accepted) and sets the state's step length to 0, so
/// that the next step (or a resumed run) stores no curvature pair from the interrupted one.
class TorchLbfgsStepper : public Stepper {
 public:
  TorchLbfgsStepper(Objective& obj, const TrainConfig& t, bool fp64)
      : obj_(obj), opt_(make_lbfgs(t, obj.flat().parameters(), fp64)) {}
  at::Tensor epoch(const StopQuery& stop) override {
    at::Tensor first;
    double best = std::numeric_limits<double>::infinity();
    const auto closure = [&]() -> at::Tensor {
      if (stop && stop()) throw StopEpoch{};
      at::Tensor loss = obj_.closure();
      // LibTorch reads every loss on the host anyway (item()): no extra sync.
      const double v = loss.item<double>();
      if (!first.defined()) first = loss;
      if (v < best) {
        best = v;
        torch::NoGradGuard ng;
        if (!best_.defined()) best_ = torch::empty_like(obj_.flat().values());
        best_.copy_(obj_.flat().values());
      }
      return loss;
    };
    try {
      return opt_->step(closure);
    } catch (const StopEpoch&) {
      if (first.defined()) {
        torch::NoGradGuard ng;
        obj_.flat().values().copy_(best_);
      }
      forget_last_step();
      return first;
    }
  }
  std::string save_state() override {
    // LibTorch keeps `al` as history_size tensors of which only the first len(old_dirs) are
    // defined (scratch, rewritten before any read); undefined tensors cannot be archived.
    for (auto& entry : opt_->state()) {
      auto& st = static_cast<torch::optim::LBFGSParamState&>(*entry.second);
      if (!st.al()) continue;
      auto al = *st.al();
      for (auto& t : al)
        if (!t.defined()) t = torch::zeros({}, obj_.flat().values().options());
      st.al(al);
    }
    return save_optimizer(*opt_);
  }
  void load_state(const std::string& bytes) override {
    load_optimizer(*opt_, bytes);
    // LibTorch loads vectors of any length; the first step would fail on them ("The size of
    // tensor a (7851) must match ...").
    const auto P = obj_.flat().numel();
    for (auto& entry : opt_->state()) {
      auto& st = static_cast<torch::optim::LBFGSParamState&>(*entry.second);
      for (const at::Tensor* t : {&st.d(), &st.prev_flat_grad()})
        if (t->defined() && t->numel() != P)
          throw std::runtime_error(fmt::format(
              "the saved L-BFGS state is for {} parameters, this network has {}", t->numel(), P));
    }
  }

 private:
  /// The pair s = t d, y = g_new - g_prev that the next step would store belongs to the
  /// interrupted iteration; with t = 0 it has s = 0 and is skipped (y^T s = 0), the history
  /// and its scale stay as they were, and the next direction is the two-loop one at the
  /// restored point.
  void forget_last_step() {
    for (auto& entry : opt_->state())
      static_cast<torch::optim::LBFGSParamState&>(*entry.second).t(0.0);
  }

  Objective& obj_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  at::Tensor best_;  ///< the weights at the lowest loss evaluated in the epoch
};

/// LibTorch's Adam: one epoch is one step.
class TorchAdamStepper : public Stepper {
 public:
  TorchAdamStepper(Objective& obj, double lr)
      : obj_(obj), opt_(obj.flat().parameters(), torch::optim::AdamOptions(lr)) {}
  at::Tensor epoch(const StopQuery& stop) override {
    (void)stop;  // one evaluation and one update: the loop asks between epochs
    auto loss = obj_.closure();
    opt_.step();
    return loss;
  }
  void set_adam_lr(double lr) override {
    for (auto& group : opt_.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
  std::string save_state() override { return save_optimizer(opt_); }
  void load_state(const std::string& bytes) override {
    load_optimizer(opt_, bytes);
    const auto& params = obj_.flat().parameters();
    for (const auto& p : params) {
      const auto it = opt_.state().find(p.unsafeGetTensorImpl());
      if (it == opt_.state().end()) continue;
      const auto& st = static_cast<const torch::optim::AdamParamState&>(*it->second);
      if (st.exp_avg().defined() && st.exp_avg().sizes() != p.sizes())
        throw std::runtime_error(
            fmt::format("the saved Adam moments have {} values where this network's weights "
                        "have {}",
                        st.exp_avg().numel(), p.numel()));
    }
  }

 private:
  Objective& obj_;
  torch::optim::Adam opt_;
};

/// The flat-buffer L-BFGS (device_lbfgs.hpp): max_iter iterations an epoch, no host sync inside,
/// each iteration one CUDA graph replay on cuda (train.cuda_graph).
class DeviceLbfgsStepper : public Stepper {
 public:
  DeviceLbfgsStepper(Objective& obj, const TrainConfig& t, bool fp64, bool graphs)
      : obj_(obj), max_iter_(t.max_iter) {
    DeviceLbfgsOptions lo;
    lo.lr = t.lr;
    lo.history_size = t.history;
    // The same tolerances as make_lbfgs (LibTorch's defaults stop fp64 DT-PINN too early).
    lo.tolerance_grad = fp64 ? 1e-14 : 1e-9;
    lo.tolerance_change = fp64 ? 1e-18 : 1e-12;
    lo.mode = t.line_search == LineSearch::none ? DeviceLbfgsOptions::Mode::fixed_step
                                                : DeviceLbfgsOptions::Mode::line_search;
    lo.check_every = t.max_iter;
    lo.use_cuda_graph = graphs;
    lbfgs_ = std::make_unique<DeviceLbfgs>(obj.flat(), lo);
    // Trial points of the line search need the loss only: without autograd when the terms need
    // no input derivatives (DT-PINN), else the full closure.
    if (obj.has_loss_only()) loss_only_ = [this] { return obj_.loss_only(); };
  }
  at::Tensor epoch(const StopQuery& stop) override {
    lbfgs_->run([this] { return obj_.closure(); }, max_iter_, loss_only_, stop);
    return lbfgs_->loss();
  }
  bool host_loss_every_epoch() const override { return false; }

 private:
  Objective& obj_;
  int max_iter_;
  std::unique_ptr<DeviceLbfgs> lbfgs_;
  DeviceLbfgs::Closure loss_only_;
};

/// The flat-buffer Adam (device_adam.hpp): one step an epoch, one CUDA graph replay on cuda.
class DeviceAdamStepper : public Stepper {
 public:
  DeviceAdamStepper(Objective& obj, double lr, bool graphs) : obj_(obj) {
    DeviceAdamOptions ao;
    ao.lr = lr;
    adam_ = std::make_unique<DeviceAdam>(obj.flat(), ao);
    last_loss_ = torch::zeros({}, obj.flat().values().options());
    if (graphs) graph_ = std::make_unique<autodiff::CudaGraphStep>([this] { step(); }, 1);
  }
  at::Tensor epoch(const StopQuery& stop) override {
    (void)stop;  // one step (one graph replay): the loop asks between epochs
    // One Adam step per epoch, the first included: it is the warm-up before the capture.
    if (!graph_)
      step();
    else if (graph_->captured())
      graph_->replay();
    else
      graph_->warm_up_and_capture();
    return last_loss_;
  }
  void set_adam_lr(double lr) override { adam_->set_lr(lr); }
  bool host_loss_every_epoch() const override { return false; }

 private:
  void step() {
    last_loss_.copy_(obj_.closure());
    adam_->step();
  }
  Objective& obj_;
  std::unique_ptr<DeviceAdam> adam_;
  at::Tensor last_loss_;
  std::unique_ptr<autodiff::CudaGraphStep> graph_;
};

/// Gauss-Newton / Levenberg-Marquardt (gauss_newton.hpp): one step an epoch.
class GaussNewtonStepper : public Stepper {
 public:
  GaussNewtonStepper(Objective& obj, const TrainConfig& t)
      : obj_(obj), gn_({t.gn_solver, t.gn_damping, t.gn_cg_iterations, t.gn_memory_mb}) {}
  at::Tensor epoch(const StopQuery& stop) override {
    return torch::tensor(gn_.step(obj_, stop), obj_.flat().values().options());
  }
  std::string save_state() override { return gn_.save_state(); }
  void load_state(const std::string& bytes) override { gn_.load_state(bytes); }

 private:
  Objective& obj_;
  GaussNewton gn_;
};

/// A NaN loss of an equation with log / sqrt / ... of u: u left their domain.
std::string domain_message(double loss, const std::string& functions) {
  return fmt::format(
      "the loss is {}: the equation's {} is not defined for every u (log needs a positive "
      "argument, sqrt and other fractional powers a non-negative one), and the network's u left "
      "that domain; keep the argument in range (e.g. log(1 + u^2), sqrt(abs(u)))",
      loss, functions);
}

std::string divergence_message(std::int64_t epoch, double loss, const std::string& functions) {
  if (std::isnan(loss) && !functions.empty())
    return fmt::format("training diverged at epoch {}: {}", epoch, domain_message(loss, functions));
  return fmt::format(
      "training diverged at epoch {}: the loss is {} (try a smaller train.lr, Adam, or "
      "train.line_search = \"strong_wolfe\")",
      epoch, loss);
}

/// The loss is not finite at the initial weights: no optimiser setting can help. NaN with a
/// log / sqrt of u in the equation: u is outside their domain; else the problem's values are
/// too large for the precision.
std::string out_of_range_message(double loss, const std::string& functions) {
  if (std::isnan(loss) && !functions.empty())
    return "at the initial weights, before any training, " + domain_message(loss, functions);
  return fmt::format(
      "the loss is {} at the initial weights, before any training: the problem's data (f, g, u0 "
      "at the nodes) is out of range for this precision; check problem.exact, f, g, u0 (values "
      "near 1e154 or more overflow when squared)",
      loss);
}

/// The loop's state and its pieces: optimiser, annealing, history, stop rules, progress lines.
class Loop {
 public:
  Loop(Objective& obj, const RunConfig& config, const TrainOptions& options, TrainResult& r)
      : obj_(obj),
        t_(config.train),
        options_(options),
        r_(r),
        fp64_(obj.flat().values().scalar_type() == c10::kDouble),
        clock_(obj.flat().values().is_cuda()),
        label_(options.label.empty() ? to_string(t_.method) : options.label) {
    const auto& names = obj.names();
    pde_index_ =
        static_cast<std::size_t>(std::find(names.begin(), names.end(), "pde") - names.begin());
    obj.set_weights(initial_loss_weights(t_, names));
    adam_lr_ = t_.adam_lr;
    r_.term_names = names;
    if (options.resume) {
      restore(*options.resume);
    } else {
      stepper_ = make_stepper(phase(0));
    }
  }

  void run() {
    // A signal during the set-up: there is nothing to keep yet (every rank agrees).
    if (const int sig = static_cast<int>(obj_.from_root(root_stop_signal())); sig != 0)
      throw Interrupted(sig,
                        fmt::format("interrupted ({}) before training started; nothing written",
                                    signal_name(sig)));
    std::int64_t epoch = start_epoch_;
    if (!options_.resume) {
      const auto& first = record(0);
      say(fmt::format("[{}] epoch 0: loss {:.3e}, test error {:.3e}, {} parameters", label_,
                      first.loss, first.test_rel_l2, r_.n_parameters));
    } else {
      say(fmt::format("[{}] resumed at epoch {} ({:.1f}s trained)", label_, epoch,
                      clock_.seconds()));
    }
    r_.stop_reason = "epochs";
    while (epoch < t_.epochs) {
      // A stop that came after the last epoch's check (during its evaluation or logging): the
      // next epoch does not start.
      if (epoch > start_epoch_ && stopped_between_epochs(epoch)) break;
      ++epoch;
      if (!step(epoch)) break;
    }
    if (r_.history.back().epoch != epoch) record(epoch);  // epochs == 0
    finish(epoch);
  }

 private:
  /// The optimiser in force after `epoch` epochs (adam_lbfgs: Adam for the first adam_epochs).
  Optimizer phase(std::int64_t epoch) const {
    if (t_.optimizer != Optimizer::adam_lbfgs) return t_.optimizer;
    return t_.adam_epochs > 0 && epoch <= t_.adam_epochs ? Optimizer::adam : Optimizer::lbfgs;
  }

  /// Continues `prev`: history, epochs, clock, loss weights, best error, Adam's decayed rate,
  /// the optimiser's state.
  void restore(const TrainResult& prev) {
    if (prev.history.empty() || prev.term_names.size() != r_.term_names.size())
      throw std::runtime_error("--resume: the saved run has no history for these loss terms");
    // The saved rows may list the terms in another order (results.json sorts them).
    std::vector<std::size_t> from(r_.term_names.size());
    for (std::size_t i = 0; i < r_.term_names.size(); ++i) {
      const auto it = std::find(prev.term_names.begin(), prev.term_names.end(), r_.term_names[i]);
      if (it == prev.term_names.end())
        throw std::runtime_error(
            fmt::format("--resume: the saved run has no '{}' loss term (the problem changed)",
                        r_.term_names[i]));
      from[i] = static_cast<std::size_t>(it - prev.term_names.begin());
    }
    auto reorder = [&](const std::vector<double>& v) {
      std::vector<double> out(from.size());
      for (std::size_t i = 0; i < from.size(); ++i) out[i] = v.at(from[i]);
      return out;
    };
    r_.history = prev.history;
    for (auto& h : r_.history) {
      h.terms = reorder(h.terms);
      h.weights = reorder(h.weights);
      h.grad_norms = reorder(h.grad_norms);
    }
    r_.best_test_rel_l2 = prev.best_test_rel_l2;
    r_.epochs_to_best = prev.epochs_to_best;
    r_.seconds_to_best = prev.seconds_to_best;
    best_ = prev.best_parameters;
    start_epoch_ = prev.epochs;
    clock_.set_seconds(prev.train_seconds);
    last_log_epoch_ = prev.epochs;
    last_log_time_ = prev.train_seconds;
    obj_.set_weights(r_.history.back().weights);
    for (std::int64_t e = 1; e <= prev.epochs; ++e)
      if (t_.lr_decay != 1.0 && e % t_.lr_decay_every == 0) adam_lr_ *= t_.lr_decay;
    const Optimizer o = phase(prev.epochs);
    if (o == Optimizer::device_lbfgs || o == Optimizer::device_adam || prev.optimizer_state.empty())
      throw std::runtime_error(
          fmt::format("--resume: train.optimizer = {} keeps no resumable state (use lbfgs, adam or "
                      "adam_lbfgs)",
                      to_string(t_.optimizer)));
    stepper_ = make_stepper(o);
    try {
      stepper_->load_state(prev.optimizer_state);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{}: {} (the optimiser state of another run?)",
                                           options_.resume_from.empty()
                                               ? std::string("--resume: optimizer.pt")
                                               : options_.resume_from + "/optimizer.pt",
                                           e.what()));
    }
    stepper_->set_adam_lr(adam_lr_);
  }

  std::unique_ptr<Stepper> make_stepper(Optimizer o) {
    const bool graphs = t_.cuda_graph && obj_.flat().values().is_cuda() && obj_.capturable();
    switch (o) {
      case Optimizer::lbfgs:
      case Optimizer::adam_lbfgs:
        return std::make_unique<TorchLbfgsStepper>(obj_, t_, fp64_);
      case Optimizer::adam:
        return std::make_unique<TorchAdamStepper>(obj_, t_.adam_lr);
      case Optimizer::device_lbfgs:
        return std::make_unique<DeviceLbfgsStepper>(obj_, t_, fp64_, graphs);
      case Optimizer::device_adam:
        return std::make_unique<DeviceAdamStepper>(obj_, t_.adam_lr, graphs);
      case Optimizer::gauss_newton:
        return std::make_unique<GaussNewtonStepper>(obj_, t_);
    }
    throw std::logic_error("trainer: unhandled optimizer");
  }

  /// The signal that asks the run to stop (TrainOptions::stop), asked on the root process
  /// only (0 elsewhere: from_root shares the root's answer).
  int root_stop_signal() const { return obj_.is_root() && options_.stop ? options_.stop() : 0; }

  /// THE stop predicate, as a sum of flags: 1 the time budget is spent (on the training clock,
  /// `running` inside an epoch), 2 a stop request, plus 4 when `eval_due` (the timed
  /// evaluation, decided on the root's clock). Every rank gets rank 0's answer (one
  /// reduction), so that all of them stop and evaluate at the same point.
  int stop_flags(bool running, bool eval_due = false) {
    const double seconds = running ? clock_.running_seconds() : clock_.seconds();
    const double local = obj_.is_root()
                             ? (t_.time_budget > 0 && seconds >= t_.time_budget ? 1.0 : 0.0) +
                                   (root_stop_signal() != 0 ? 2.0 : 0.0) + (eval_due ? 4.0 : 0.0)
                             : 0.0;
    return static_cast<int>(obj_.from_root(local));
  }

  /// One epoch and its bookkeeping; false when a stop rule ends the run.
  bool step(std::int64_t epoch) {
    clock_.start();
    if (t_.optimizer == Optimizer::adam_lbfgs && epoch == t_.adam_epochs + 1 && t_.adam_epochs > 0)
      stepper_ = make_stepper(Optimizer::lbfgs);
    if (t_.loss_weights == LossWeighting::annealing && pde_index_ < obj_.names().size() &&
        (epoch - 1) % t_.annealing_every == 0)
      anneal();
    const at::Tensor loss = stepper_->epoch([this] { return stop_flags(true) != 0; });
    if (t_.lr_decay != 1.0 && epoch % t_.lr_decay_every == 0) {
      adam_lr_ *= t_.lr_decay;
      stepper_->set_adam_lr(adam_lr_);
    }
    const bool eval_now = epoch % t_.eval_every == 0;
    // The device optimisers' loss is read only when the epoch is evaluated (a host sync).
    const double lv = loss.defined() && (stepper_->host_loss_every_epoch() || eval_now)
                          ? loss.item<double>()
                          : 0.0;
    clock_.stop();
    if (!std::isfinite(lv))
      throw std::runtime_error(divergence_message(epoch, lv, options_.restricted_functions));

    // The stop rules, from the same predicate as inside the epoch, and the timed evaluation.
    const bool eval_due = evaluation_due(t_, epoch, clock_.seconds() - r_.history.back().seconds);
    const int flags = stop_flags(false, eval_due);
    const bool budget_hit = (flags & 1) != 0;
    const bool interrupted = (flags & 2) != 0;
    const bool last = epoch == t_.epochs || budget_hit || interrupted;
    if (eval_now || (flags & 4) != 0 || last) {
      const auto& h = record(epoch);
      const bool target_hit =
          t_.target_error > 0 && h.test_rel_l2 >= 0 && h.test_rel_l2 < t_.target_error;
      if (target_hit) r_.stop_reason = "target_error";
      log_progress(epoch, h, last || target_hit);
      if (target_hit) return false;
    }
    if (budget_hit || (interrupted && epoch != t_.epochs)) set_stop_reason(flags, epoch);
    return !budget_hit && !interrupted;
  }

  /// stop_reason from the stop flags (the budget first), with a line for an interrupt.
  void set_stop_reason(int flags, std::int64_t epoch) {
    if ((flags & 1) != 0) {
      r_.stop_reason = "time_budget";
    } else {
      r_.stop_reason = "interrupted";
      say(fmt::format("[{}] interrupted: stopping after epoch {}", label_, epoch));
    }
  }

  /// Before an epoch: true when the stop predicate already holds; the run then ends at `epoch`
  /// (recorded, if its row is not in the history yet).
  bool stopped_between_epochs(std::int64_t epoch) {
    const int flags = stop_flags(false);
    if (flags == 0) return false;
    set_stop_reason(flags, epoch);
    if (r_.history.back().epoch != epoch) log_progress(epoch, record(epoch), true);
    return true;
  }

  /// Learning-rate annealing (seed 001) from the global per-term gradients:
  /// lambda_i <- (1 - a) lambda_i + a max|g_pde| / mean|g_i|.
  void anneal() {
    const auto tg = obj_.term_gradients();
    std::vector<double> mean_abs(tg.terms.size(), 0.0);
    for (std::size_t i = 0; i < tg.terms.size(); ++i)
      mean_abs[i] = tg.grads[static_cast<std::int64_t>(i)].abs().mean().item<double>();
    const double gmax = tg.grads[static_cast<std::int64_t>(pde_index_)].abs().max().item<double>();
    auto w = obj_.weights();
    anneal_loss_weights(w, pde_index_, gmax, mean_abs, t_.annealing_alpha);
    obj_.set_weights(w);
  }

  /// A history row at the current weights: terms, weighted loss, gradient norms, test error.
  const HistoryRow& record(std::int64_t epoch) {
    HistoryRow h;
    h.epoch = epoch;
    h.seconds = clock_.seconds();
    const auto tg = obj_.term_gradients();
    h.terms = tg.terms;
    h.weights = obj_.weights();
    for (std::size_t i = 0; i < h.terms.size(); ++i) {
      h.loss += h.weights[i] * h.terms[i];
      h.grad_norms.push_back(tg.grads[static_cast<std::int64_t>(i)].norm().item<double>());
    }
    TestError err;
    if (obj_.is_root() && options_.test_error) err = options_.test_error();
    h.test_rel_l2 = obj_.from_root(err.all);
    h.field_test_rel_l2 = std::move(err.field);
    if (!std::isfinite(h.loss))
      throw std::runtime_error(
          epoch == 0 ? out_of_range_message(h.loss, options_.restricted_functions)
                     : divergence_message(epoch, h.loss, options_.restricted_functions));
    if (h.test_rel_l2 >= 0 && (r_.best_test_rel_l2 < 0 || h.test_rel_l2 < r_.best_test_rel_l2)) {
      r_.best_test_rel_l2 = h.test_rel_l2;
      r_.epochs_to_best = epoch;
      r_.seconds_to_best = h.seconds;
      best_ = obj_.flat().clone_values();
    }
    r_.history.push_back(std::move(h));
    return r_.history.back();
  }

  /// Every log_every epochs, but also at least every 10 s of wall time when epochs are slow.
  void log_progress(std::int64_t epoch, const HistoryRow& h, bool final) {
    const double since = std::chrono::duration<double>(Clock::now() - last_log_wall_).count();
    if (!(epoch - last_log_epoch_ >= t_.log_every || final || since >= 10.0)) return;
    const double rate =
        (epoch - last_log_epoch_) / std::max(1e-9, clock_.seconds() - last_log_time_);
    double eta = (t_.epochs - epoch) / std::max(rate, 1e-9);
    if (t_.time_budget > 0) eta = std::min(eta, t_.time_budget - clock_.seconds());
    std::string terms;
    for (std::size_t i = 0; i < r_.term_names.size(); ++i)
      terms += fmt::format("{}{} {:.2e}", i ? ", " : "", r_.term_names[i], h.terms[i]);
    say(fmt::format(
        "[{}] epoch {}: loss {:.3e} ({}), test error {}, {:.1f} epochs/s, {:.1f}s, ETA {}", label_,
        epoch, h.loss, terms, h.test_rel_l2 >= 0 ? fmt::format("{:.3e}", h.test_rel_l2) : "n/a",
        rate, clock_.seconds(), final ? "0s" : fmt_duration(eta)));
    last_log_epoch_ = epoch;
    last_log_time_ = clock_.seconds();
    last_log_wall_ = Clock::now();
  }

  void finish(std::int64_t epoch) {
    const auto& fin = r_.history.back();
    r_.epochs = epoch;
    r_.train_seconds = clock_.seconds();
    r_.seconds_per_epoch = epoch > 0 ? r_.train_seconds / static_cast<double>(epoch) : 0.0;
    r_.final_loss = fin.loss;
    r_.final_terms = fin.terms;
    r_.final_weights = fin.weights;
    r_.test_rel_l2 = fin.test_rel_l2;
    r_.best_parameters = best_;
    if (obj_.is_root()) r_.optimizer_state = stepper_->save_state();
  }

  void say(const std::string& line) {
    if (options_.log && obj_.is_root()) *options_.log << line << '\n' << std::flush;
  }

  Objective& obj_;
  const TrainConfig& t_;
  const TrainOptions& options_;
  TrainResult& r_;
  bool fp64_;
  TrainClock clock_;
  std::string label_;
  std::size_t pde_index_ = 0;
  std::unique_ptr<Stepper> stepper_;
  at::Tensor best_;  ///< flat weights at the best test error so far
  std::int64_t start_epoch_ = 0;
  double adam_lr_ = 0.0;
  std::int64_t last_log_epoch_ = 0;
  double last_log_time_ = 0.0;
  Clock::time_point last_log_wall_ = Clock::now();
};

}  // namespace

static bool bc_terms_present(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(),
                     [](const std::string& n) { return n.rfind("bc:", 0) == 0; });
}

std::vector<double> initial_loss_weights(const TrainConfig& t,
                                         const std::vector<std::string>& names) {
  std::vector<double> w(names.size(), 1.0);
  // "bc" weighs every boundary term ("bc" or "bc:NAME") that has no weight of its own, "pde"
  // every equation's term of a system ("pde:FIELD").
  for (const char* group : {"bc", "pde"}) {
    const auto it = t.weights.find(group);
    if (it == t.weights.end()) continue;
    const std::string prefix = std::string(group) + ":";
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i].rfind(prefix, 0) == 0 && !t.weights.count(names[i])) w[i] = it->second;
  }
  for (const auto& [key, value] : t.weights) {
    auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end() && key == "bc" && bc_terms_present(names)) continue;
    if (it == names.end() && key == "pde" &&
        std::any_of(names.begin(), names.end(),
                    [](const std::string& n) { return n.rfind("pde:", 0) == 0; }))
      continue;
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

bool evaluation_due(const TrainConfig& t, std::int64_t epoch, double seconds_since_evaluation) {
  return epoch % t.eval_every == 0 ||
         (t.eval_seconds > 0 && seconds_since_evaluation >= t.eval_seconds);
}

TestError test_errors(const Network& net, const Dataset& data) {
  if (!data.has_reference) return {};
  if (data.system) {
    TestError e = system_test_error(net, data);
    if (e.field.size() < 2) e.field.clear();  // one field: `all` is its error
    return e;
  }
  const Eigen::VectorXd u = net.evaluate(data.test_points);
  const double ref = data.test_reference.norm();
  return {(u - data.test_reference).norm() / (ref > 0 ? ref : 1.0), {}};
}

double test_error(const Network& net, const Dataset& data) {
  return test_errors(net, data).all;
}

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  if (signal == SIGKILL) return "SIGKILL";
  return fmt::format("signal {}", signal);
}

at::Tensor flat_parameters(const Network& net) {
  torch::NoGradGuard ng;
  std::vector<at::Tensor> parts;
  for (const auto& p : net.parameters()) parts.push_back(p.detach().reshape({-1}));
  return torch::cat(parts);
}

Network network_with_parameters(const Network& net, const at::Tensor& flat) {
  Network copy(net.config(), net.lower(), net.upper(), net.dtype(), net.device(), 0);
  torch::NoGradGuard ng;
  std::int64_t offset = 0;
  for (auto& p : copy.parameters()) {
    const auto n = p.numel();
    if (offset + n > flat.numel())
      throw std::invalid_argument("network_with_parameters: too few values");
    p.copy_(flat.narrow(0, offset, n).view(p.sizes()));
    offset += n;
  }
  if (offset != flat.numel())
    throw std::invalid_argument("network_with_parameters: too many values");
  return copy;
}

void set_threads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
}

Network make_network(const RunConfig& config, const Dataset& data) {
  const auto& t = config.train;
  const c10::ScalarType dtype = t.precision == Precision::fp64 ? c10::kDouble : c10::kFloat;
  c10::Device device = c10::kCPU;
  if (t.device == DeviceKind::cuda) {
    if (!torch::cuda::is_available())
      throw std::runtime_error("train.device = cuda: no CUDA device is available on this machine");
#ifndef DTPINN_HAVE_CUDA
    if (t.method == Method::dtpinn)
      throw std::runtime_error(
          "train.device = cuda: this build has no CUDA SpMV (configure with nvcc to train DT-PINN "
          "on the GPU)");
#endif
    device = c10::Device(c10::kCUDA, 0);
  }
  ModelConfig model = config.model;
  model.outputs = data.problem->n_fields();  // one output per field
  try {
    return Network(model, data.lower, data.upper, dtype, device, t.seed);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

TrainResult describe_run(const RunConfig& config, const Dataset& data, const Network& net) {
  TrainResult r;
  r.method = config.train.method;
  r.precision = config.train.precision;
  r.device = net.device().str();
  r.pde = data.problem->pde();
  r.optimizer = config.train.optimizer;
  r.n_interior = data.nodes.n_interior;
  r.n_boundary = data.nodes.n_boundary;
  r.n_ghost = data.nodes.n_ghost;
  r.n_nodes = data.n_collocation();
  r.n_test = data.test_nodes.n_collocation();
  r.order = config.rbffd.order;
  r.n_parameters = net.num_parameters();
  if (data.problem->fields().size() > 1) r.field_names = data.problem->fields();
  return r;
}

void train_loop(Objective& objective, const RunConfig& config, const TrainOptions& options,
                TrainResult& result) {
  validate_config(config);
  Loop(objective, config, options, result).run();
}

namespace {

/// The loss of config.train.method on `data`, with the check that needs it: train.weights
/// against its terms.
std::unique_ptr<Loss> checked_loss(const RunConfig& config, const Dataset& data,
                                   const Network& net) {
  const auto& tc = config.train;
  std::unique_ptr<Loss> loss;
  try {
    loss = data.system ? make_system_loss(tc.method, data, net)
                       : make_loss(tc.method, data, net, tc.time_derivative);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  (void)initial_loss_weights(tc, loss->names());
  return loss;
}

}  // namespace

TrainingCheck check_training(const RunConfig& config, const Dataset& data, const Network& net) {
  validate_config(config);
  const auto loss = checked_loss(config, data, net);
  TrainingCheck c;
  c.terms = loss->names();
  c.weights = initial_loss_weights(config.train, c.terms);
  double total = 0.0;
  const auto values = loss->terms(net);
  for (std::size_t i = 0; i < values.size(); ++i) {
    c.initial_values.push_back(values[i].item<double>());
    total += c.weights[i] * c.initial_values.back();
  }
  if (!std::isfinite(total))
    throw std::runtime_error(
        out_of_range_message(total, data.problem->equation().restricted_functions_of_u()));
  return c;
}

TrainResult train(const RunConfig& config, const Dataset& data, Network& net,
                  const TrainOptions& options) {
  const auto t0 = Clock::now();  // the config is validated by train_loop, once
  const auto& tc = config.train;
  auto loss = checked_loss(config, data, net);
  const bool input_derivatives =
      tc.method == Method::vanilla ||
      (data.problem->is_time_dependent() && tc.time_derivative == TimeDerivative::autograd);
  Objective objective(
      net, loss->names(), [&loss](const Network& n) { return loss->terms(n); }, input_derivatives);
  objective.set_residuals([&loss](const Network& n, const std::vector<double>& w,
                                  JacobianColumns c) { return loss->residuals(n, w, c); });
  if (tc.output_layer == OutputLayer::least_squares) objective.set_output_layer_least_squares(true);
  TrainResult r = describe_run(config, data, net);
  TrainOptions o = options;
  if (!o.test_error) o.test_error = [&] { return test_errors(net, data); };
  if (o.restricted_functions.empty())
    o.restricted_functions = data.problem->equation().restricted_functions_of_u();
  r.setup_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  train_loop(objective, config, o, r);
  return r;
}

}  // namespace dtpinn::core
