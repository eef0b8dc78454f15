// Device-resident L-BFGS (compact representation, masked updates); see device_lbfgs.hpp.
#include <dtpinn/autodiff/cuda_graph.hpp>
#include <dtpinn/core/training/device_lbfgs.hpp>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace dtpinn::core {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("DeviceLbfgsOptions: " + what);
}

// The loss at a line-search trial point: loss_only if given, else the full closure (which needs
// grad mode for its backward; step() runs under NoGradGuard).
at::Tensor trial_loss(const DeviceLbfgs::Closure& loss_and_grad,
                      const DeviceLbfgs::Closure& loss_only) {
  if (loss_only) return loss_only().detach();
  const at::AutoGradMode enable_grad(true);
  return loss_and_grad().detach();
}

// [2m, P] history against [3, P] rows (s, y, g): [2m, 3]. On the CPU in fp64, three Eigen
// GEMVs over the row-major history: each streams the 12.6 MB history of m = 100, P = 7851 at
// memory bandwidth (0.25 ms), where LibTorch's CPU mm for this shape takes 2.2 ms (measured on
// the 2-core EPYC, one thread). Elsewhere (CUDA, fp32) one mm.
at::Tensor history_products(const at::Tensor& w, const at::Tensor& v) {
  if (!w.device().is_cpu() || w.scalar_type() != at::kDouble || !w.is_contiguous() ||
      !v.is_contiguous())
    return at::mm(w, v.t());
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> W(w.data_ptr<double>(), w.size(0), w.size(1));
  const Eigen::Map<const RowMajor> V(v.data_ptr<double>(), v.size(0), v.size(1));
  at::Tensor out = at::empty({w.size(0), v.size(0)}, w.options());
  Eigen::Map<RowMajor> G(out.data_ptr<double>(), w.size(0), v.size(0));
  for (Eigen::Index c = 0; c < V.rows(); ++c) G.col(c).noalias() = W * V.row(c).transpose();
  return out;
}

}  // namespace

// The host path: step() above, statement for statement, with host control flow in place of the
// masks (reading a CPU scalar costs nothing). The compact form is solved on the k <= m valid
// pairs only (the tensor path pads them to m with identity rows: the same numbers).
struct DeviceLbfgs::HostWork {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::VectorXd s, y, d, x0, coef, a, b;  // [P] and [2m] / [m]
  Eigen::MatrixXd G;                        // [2m, 3]
  Eigen::MatrixXd R, YYc;                   // [k, k], k valid pairs (k = m after m steps)
  Eigen::VectorXd D, ac, bc, u, rhs, p1;    // [k]
  std::vector<std::int64_t> slot;           // chronological position -> ring slot
};

DeviceLbfgs::DeviceLbfgs(FlatParameters& params, DeviceLbfgsOptions options)
    : params_(params), options_(options) {
  require(std::isfinite(options.lr) && options.lr > 0, "lr must be > 0");
  require(options.history_size >= 1, "history_size must be >= 1");
  require(options.tolerance_grad >= 0 && options.tolerance_change >= 0,
          "tolerance_grad and tolerance_change must be >= 0");
  require(options.line_search_trials >= 1, "line_search_trials must be >= 1");
  require(options.line_search_shrink > 0 && options.line_search_shrink < 1,
          "line_search_shrink must be in (0, 1)");
  require(options.armijo_c1 > 0 && options.armijo_c1 < 1, "armijo_c1 must be in (0, 1)");
  require(options.check_every >= 1, "check_every must be >= 1");
  m_ = options.history_size;
  const auto& x = params_.values();
  const auto P = params_.numel();
  const auto opts = x.options();
  const auto iopts = opts.dtype(at::kLong);
  w_ = at::zeros({2 * m_, P}, opts);
  sy_ = at::zeros({m_, m_}, opts);
  yy_ = at::zeros({m_, m_}, opts);
  count_ = at::zeros({}, iopts);
  n_iter_ = at::zeros({}, iopts);
  gamma_ = at::ones({}, opts);
  prev_g_ = at::zeros({P}, opts);
  d_ = at::zeros({P}, opts);
  t_ = at::zeros({}, opts);
  lr_ = at::full({}, options.lr, opts);
  loss_ = at::zeros({}, opts);
  prev_loss_ = at::zeros({}, opts);
  stalled_ = at::zeros({}, opts.dtype(at::kBool));
  ring_ = at::arange(m_, iopts);
  const auto K = options.line_search_trials;
  x0_ = at::zeros({P}, opts);
  trial_f_ = at::zeros({K}, opts);
  // shrink^k computed on the host in double, then uploaded once.
  auto host = at::empty({K}, at::TensorOptions().dtype(at::kDouble));
  double f = 1.0;
  for (std::int64_t k = 0; k < K; ++k, f *= options.line_search_shrink) {
    host[k].fill_(f);
  }
  factors_ = host.to(opts);
  if (options.host_algebra && x.device().is_cpu() && x.scalar_type() == at::kDouble) {
    host_ = std::make_unique<HostWork>();
    host_->G.resize(2 * m_, 3);
  }
}

void DeviceLbfgs::set_lr(double lr) {
  require(std::isfinite(lr) && lr > 0, "lr must be > 0");
  options_.lr = lr;
  lr_.fill_(lr);
}

void DeviceLbfgs::reset() {
  w_.zero_();
  sy_.zero_();
  yy_.zero_();
  count_.zero_();
  n_iter_.zero_();
  gamma_.fill_(1);
  prev_g_.zero_();
  d_.zero_();
  t_.zero_();
  stalled_.zero_();
}

void DeviceLbfgs::step(const Closure& loss_and_grad, const Closure& loss_only) {
  if (!loss_and_grad) throw std::invalid_argument("DeviceLbfgs::step: empty closure");
  const at::NoGradGuard no_grad;
  at::Tensor f;
  {
    const at::AutoGradMode enable_grad(true);
    f = loss_and_grad();
  }
  // A closure that replaced .grad() tensors (Module::zero_grad()) breaks the alias: copy back.
  if (!params_.grads_aliased()) params_.rebind_grads();
  f = f.detach().reshape({}).to(loss_.scalar_type());
  if (host_) return step_host(f, loss_and_grad, loss_only);
  const auto& g = params_.grads();
  const auto first = n_iter_.eq(0);
  const auto [a, b] = update_history_device(g, first);
  const auto d = direction_device(g, a, b);
  move_device(f, g, d, first, loss_and_grad, loss_only);
}

std::pair<at::Tensor, at::Tensor> DeviceLbfgs::update_history_device(const at::Tensor& g,
                                                                     const at::Tensor& first) {
  const auto m = m_;
  // The pair of the previous step: s = t d, y = g - g_prev.
  const auto s = d_ * t_;
  const auto y = g - prev_g_;
  const auto v = at::stack({s, y, g});              // [3, P]
  const auto G = history_products(w_, v);           // [2m, 3]: old rows against s, y, g
  const auto Q = at::mm(v.narrow(0, 0, 2), v.t());  // [2, 3]: (s, y) against (s, y, g)
  const auto sy = Q.select(0, 0).select(0, 1);
  const auto yy = Q.select(0, 1).select(0, 1);
  const auto sg = Q.select(0, 0).select(0, 2);
  const auto yg = Q.select(0, 1).select(0, 2);
  const auto accept = sy.gt(options_.curvature_eps).logical_and(first.logical_not());
  const auto head = count_.remainder(m);
  const auto at_head = ring_.eq(head);  // [m] bool: the slot the new pair replaces
  const auto Gs = G.select(1, 0), Gy = G.select(1, 1), Gg = G.select(1, 2);
  const auto s_dot_yj = Gs.narrow(0, m, m);  // y_j . s (old y_j)
  const auto si_dot_y = Gy.narrow(0, 0, m);  // s_i . y
  const auto yi_dot_y = Gy.narrow(0, m, m);
  const auto row_sy = at::where(at_head, sy, s_dot_yj);
  const auto col_sy = at::where(at_head, sy, si_dot_y);
  const auto row_yy = at::where(at_head, yy, yi_dot_y);
  const auto hr = at_head.unsqueeze(1), hc = at_head.unsqueeze(0);
  const auto sy_new = at::where(hr, row_sy.unsqueeze(0), at::where(hc, col_sy.unsqueeze(1), sy_));
  const auto yy_new = at::where(hr, row_yy.unsqueeze(0), at::where(hc, row_yy.unsqueeze(1), yy_));
  sy_.copy_(at::where(accept, sy_new, sy_));
  yy_.copy_(at::where(accept, yy_new, yy_));
  const auto Sg_old = Gg.narrow(0, 0, m), Yg_old = Gg.narrow(0, m, m);
  const auto a = at::where(accept.logical_and(at_head), sg, Sg_old);  // S^T g, ring order
  const auto b = at::where(accept.logical_and(at_head), yg, Yg_old);  // Y^T g
  gamma_.copy_(at::where(accept, sy / yy, gamma_));
  {
    const auto idx = at::stack({head, head + m});  // rows of s_h and y_h in w_
    const auto old_rows = w_.index_select(0, idx);
    w_.index_copy_(0, idx, at::where(accept, v.narrow(0, 0, 2), old_rows));
  }
  count_.add_(accept.to(at::kLong));
  return {a, b};
}

at::Tensor DeviceLbfgs::direction_device(const at::Tensor& g, const at::Tensor& a,
                                         const at::Tensor& b) {
  // The compact form, in chronological order (oldest first).
  const auto& x = params_.values();
  const auto m = m_;
  const auto cnt = count_;
  const auto head_new = cnt.remainder(m);
  const auto perm = (ring_ + head_new).remainder(m);  // chronological position j -> ring slot
  const auto inv = (ring_ - head_new).remainder(m);   // ring slot -> chronological position
  const auto valid = ring_.lt(at::clamp_max(cnt, m)).index_select(0, perm);  // [m] bool
  const auto vv = valid.unsqueeze(1).logical_and(valid.unsqueeze(0));
  const auto SYc = sy_.index_select(0, perm).index_select(1, perm);
  const auto YYc = yy_.index_select(0, perm).index_select(1, perm);
  const auto zero = at::zeros({}, x.options());
  const auto one = at::ones({}, x.options());
  // Invalid slots: identity rows of R, zero D, zero right-hand sides -> zero coefficients.
  const auto R = at::where(vv, at::triu(SYc), zero) + at::diag(at::where(valid, zero, one));
  const auto D = at::where(valid, at::diagonal(SYc), zero);
  const auto ac = at::where(valid, a.index_select(0, perm), zero).unsqueeze(1);
  const auto bc = at::where(valid, b.index_select(0, perm), zero).unsqueeze(1);
  const auto u = at::linalg_solve_triangular(R, ac, /*upper=*/true);  // R^{-1} S^T g
  const auto rhs = D.unsqueeze(1) * u + gamma_ * (at::mm(at::where(vv, YYc, zero), u) - bc);
  const auto p1c = at::linalg_solve_triangular(R.t(), rhs, /*upper=*/false);
  const auto coef = at::cat({p1c.squeeze(1).index_select(0, inv),
                             (-gamma_) * u.squeeze(1).index_select(0, inv)});  // [2m]
  const auto Hg = at::addmv(g * gamma_, w_.t(), coef);
  return Hg.neg();
}

void DeviceLbfgs::move_device(const at::Tensor& f, const at::Tensor& g, const at::Tensor& d,
                              const at::Tensor& first, const Closure& loss_and_grad,
                              const Closure& loss_only) {
  // Step length and stopping tests, all on the device.
  const auto& x = params_.values();
  const auto zero = at::zeros({}, x.options());
  const auto t_first = at::clamp_max(g.abs().sum().reciprocal(), 1.0) * lr_;
  const auto t = at::where(first, t_first, lr_);
  const auto gtd = at::dot(g, d);
  const auto gmax = g.abs().max();
  const auto no_move =
      gmax.le(options_.tolerance_grad).logical_or(gtd.gt(-options_.tolerance_change));
  prev_g_.copy_(g);  // before any trial evaluation overwrites the gradient buffer

  at::Tensor taken;
  if (options_.mode == DeviceLbfgsOptions::Mode::fixed_step) {
    taken = at::where(no_move, zero, t);
    x.add_(d * taken);
  } else {
    x0_.copy_(x);
    const auto alphas = factors_ * t;  // [K]
    for (std::int64_t k = 0; k < options_.line_search_trials; ++k) {
      x.copy_(x0_);
      x.add_(d * alphas[k]);
      trial_f_[k].copy_(trial_loss(loss_and_grad, loss_only).reshape({}));
    }
    const auto finite = at::isfinite(trial_f_);
    const auto armijo = trial_f_.le(f + options_.armijo_c1 * alphas * gtd).logical_and(finite);
    const auto first_ok = at::argmax(armijo.to(at::kInt));  // first (largest) step meeting it
    const auto masked = at::where(finite, trial_f_, std::numeric_limits<double>::infinity());
    const auto best = at::argmin(masked);
    const auto any_ok = armijo.any();
    const auto pick = at::where(any_ok, first_ok, best);
    const auto lowers =
        any_ok.logical_or(masked.index_select(0, best.reshape({1})).squeeze(0).lt(f));
    taken = at::where(lowers.logical_and(no_move.logical_not()),
                      alphas.index_select(0, pick.reshape({1})).squeeze(0), zero);
    x.copy_(x0_);
    x.add_(d * taken);
  }
  const auto step_max = (d * taken).abs().max();
  const auto small_change =
      at::abs(f - loss_).lt(options_.tolerance_change).logical_and(first.logical_not());
  stalled_.copy_(
      no_move.logical_or(step_max.le(options_.tolerance_change)).logical_or(small_change));
  d_.copy_(d);
  t_.copy_(taken);
  prev_loss_.copy_(loss_);
  loss_.copy_(f);
  n_iter_.add_(1);
}

// The host path (see HostWork above).
void DeviceLbfgs::step_host(const at::Tensor& f_t, const Closure& loss_and_grad,
                            const Closure& loss_only) {
  const bool first = *n_iter_.data_ptr<std::int64_t>() == 0;
  host_update_history(first);
  host_direction();
  host_move(f_t.item<double>(), first, loss_and_grad, loss_only);
}

void DeviceLbfgs::host_update_history(bool first) {
  // The pair of the previous step: s = t d, y = g - g_prev.
  using RowMajor = HostWork::RowMajor;
  using Vec = Eigen::Map<Eigen::VectorXd>;
  HostWork& h = *host_;
  const std::int64_t m = m_, P = params_.numel();
  Vec g(params_.grads().data_ptr<double>(), P);
  Vec prev_g(prev_g_.data_ptr<double>(), P), d_old(d_.data_ptr<double>(), P);
  Eigen::Map<RowMajor> W(w_.data_ptr<double>(), 2 * m, P);
  Eigen::Map<RowMajor> SY(sy_.data_ptr<double>(), m, m), YY(yy_.data_ptr<double>(), m, m);
  std::int64_t& count = *count_.data_ptr<std::int64_t>();
  double& gamma = *gamma_.data_ptr<double>();
  const double t_last = *t_.data_ptr<double>();
  h.s.noalias() = d_old * t_last;
  h.y.noalias() = g - prev_g;
  h.G.col(0).noalias() = W * h.s;  // three GEMVs: the history is streamed 3x from cache,
  h.G.col(1).noalias() = W * h.y;  // still ~4x faster than LibTorch's mm for this shape
  h.G.col(2).noalias() = W * g;
  const double sy = h.s.dot(h.y), yy = h.y.squaredNorm(), sg = h.s.dot(g), yg = h.y.dot(g);
  const bool accept = sy > options_.curvature_eps && !first;
  const std::int64_t head = count % m;
  h.a = h.G.col(2).head(m);  // S^T g, ring order (old rows)
  h.b = h.G.col(2).tail(m);  // Y^T g
  if (accept) {
    for (std::int64_t j = 0; j < m; ++j) {
      SY(head, j) = j == head ? sy : h.G(m + j, 0);  // s . y_j
      YY(head, j) = j == head ? yy : h.G(m + j, 1);  // y . y_j
    }
    for (std::int64_t i = 0; i < m; ++i) {
      if (i == head) continue;
      SY(i, head) = h.G(i, 1);  // s_i . y
      YY(i, head) = YY(head, i);
    }
    h.a[head] = sg;
    h.b[head] = yg;
    gamma = sy / yy;
    W.row(head) = h.s.transpose();
    W.row(m + head) = h.y.transpose();
    ++count;
  }
}

void DeviceLbfgs::host_direction() {
  // The compact form over the k valid pairs, oldest first: h.d = -H g.
  using RowMajor = HostWork::RowMajor;
  using Vec = Eigen::Map<Eigen::VectorXd>;
  HostWork& h = *host_;
  const std::int64_t m = m_, P = params_.numel();
  Vec g(params_.grads().data_ptr<double>(), P);
  Eigen::Map<RowMajor> W(w_.data_ptr<double>(), 2 * m, P);
  Eigen::Map<RowMajor> SY(sy_.data_ptr<double>(), m, m), YY(yy_.data_ptr<double>(), m, m);
  const std::int64_t count = *count_.data_ptr<std::int64_t>();
  const double gamma = *gamma_.data_ptr<double>();
  const std::int64_t k = std::min(count, m), head_new = count % m;
  auto& slot = h.slot;
  slot.resize(static_cast<std::size_t>(k));
  for (std::int64_t j = 0; j < k; ++j) slot[j] = (m - k + j + head_new) % m;
  h.R.setZero(k, k);
  h.YYc.resize(k, k);
  h.D.resize(k);
  h.ac.resize(k);
  h.bc.resize(k);
  for (std::int64_t i = 0; i < k; ++i) {
    for (std::int64_t j = 0; j < k; ++j) {
      if (j >= i) h.R(i, j) = SY(slot[i], slot[j]);
      h.YYc(i, j) = YY(slot[i], slot[j]);
    }
    h.D[i] = SY(slot[i], slot[i]);
    h.ac[i] = h.a[slot[i]];
    h.bc[i] = h.b[slot[i]];
  }
  h.u = h.R.triangularView<Eigen::Upper>().solve(h.ac);  // R^{-1} S^T g
  h.rhs.noalias() = h.YYc * h.u;
  h.rhs = h.D.cwiseProduct(h.u) + gamma * (h.rhs - h.bc);
  h.p1 = h.R.transpose().triangularView<Eigen::Lower>().solve(h.rhs);
  h.coef.setZero(2 * m);
  for (std::int64_t j = 0; j < k; ++j) {
    h.coef[slot[j]] = h.p1[j];
    h.coef[m + slot[j]] = -gamma * h.u[j];
  }
  h.d.noalias() = W.transpose() * h.coef;
  h.d = -(h.d + g * gamma);  // d = -H g, H g = gamma g + S p1 + gamma Y p2
}

void DeviceLbfgs::host_move(double f, bool first, const Closure& loss_and_grad,
                            const Closure& loss_only) {
  // Step length and stopping tests.
  using Vec = Eigen::Map<Eigen::VectorXd>;
  HostWork& h = *host_;
  const std::int64_t P = params_.numel();
  Vec g(params_.grads().data_ptr<double>(), P), x(params_.values().data_ptr<double>(), P);
  Vec prev_g(prev_g_.data_ptr<double>(), P), d_old(d_.data_ptr<double>(), P);
  std::int64_t& n_iter = *n_iter_.data_ptr<std::int64_t>();
  double& t_last = *t_.data_ptr<double>();
  const double lr = lr_.item<double>();
  const double t = first ? std::min(1.0 / g.cwiseAbs().sum(), 1.0) * lr : lr;
  const double gtd = g.dot(h.d), gmax = g.cwiseAbs().maxCoeff();
  const bool no_move = gmax <= options_.tolerance_grad || gtd > -options_.tolerance_change;
  prev_g = g;  // before any trial evaluation overwrites the gradient buffer
  double taken = 0.0;
  if (options_.mode == DeviceLbfgsOptions::Mode::fixed_step) {
    taken = no_move ? 0.0 : t;
    x += h.d * taken;
  } else {
    h.x0 = x;
    const std::int64_t K = options_.line_search_trials;
    const double* factors = factors_.data_ptr<double>();
    double* trial = trial_f_.data_ptr<double>();
    for (std::int64_t j = 0; j < K; ++j) {
      x = h.x0 + h.d * (factors[j] * t);
      trial[j] = trial_loss(loss_and_grad, loss_only).item<double>();
    }
    std::int64_t first_ok = -1, best = 0;
    double best_f = std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < K; ++j) {
      const double a = factors[j] * t;
      if (!std::isfinite(trial[j])) continue;
      if (first_ok < 0 && trial[j] <= f + options_.armijo_c1 * a * gtd) first_ok = j;
      if (trial[j] < best_f) best_f = trial[j], best = j;
    }
    const std::int64_t pick = first_ok >= 0 ? first_ok : best;
    const bool lowers = first_ok >= 0 || best_f < f;
    taken = lowers && !no_move ? factors[pick] * t : 0.0;
    x = h.x0 + h.d * taken;
  }
  const double step_max = (h.d * taken).cwiseAbs().maxCoeff();
  const double loss_before = loss_.item<double>();
  const bool small_change = std::abs(f - loss_before) < options_.tolerance_change && !first;
  stalled_.fill_(no_move || step_max <= options_.tolerance_change || small_change);
  d_old = h.d;
  t_last = taken;
  prev_loss_.fill_(loss_before);
  loss_.fill_(f);
  ++n_iter;
}

DeviceLbfgs::~DeviceLbfgs() = default;

void DeviceLbfgs::reset_graph() {
  graph_.reset();
  graph_closure_ = {};
  graph_loss_only_ = {};
}

bool DeviceLbfgs::graph_captured() const {
  return graph_ && graph_->captured();
}

DeviceLbfgsStatus DeviceLbfgs::status() const {
  // One transfer of all scalars (a single sync).
  const auto packed =
      at::stack({n_iter_.to(at::kDouble), count_.to(at::kDouble), loss_.to(at::kDouble),
                 gamma_.to(at::kDouble), stalled_.to(at::kDouble)})
          .cpu();
  const auto* p = packed.data_ptr<double>();
  DeviceLbfgsStatus st;
  st.iterations = static_cast<std::int64_t>(p[0]);
  st.pairs = static_cast<std::int64_t>(p[1]);
  st.loss = p[2];
  st.gamma = p[3];
  st.stalled = p[4] != 0;
  return st;
}

DeviceLbfgsStatus DeviceLbfgs::run(const Closure& loss_and_grad, std::int64_t max_iterations,
                                   const Closure& loss_only, const std::function<bool()>& stop) {
  if (max_iterations < 0) throw std::invalid_argument("DeviceLbfgs::run: max_iterations < 0");
  if (options_.use_cuda_graph && params_.values().is_cuda() && !graph_) {
    graph_closure_ = loss_and_grad;
    graph_loss_only_ = loss_only;
    graph_ = std::make_shared<autodiff::CudaGraphStep>(
        [this] { step(graph_closure_, graph_loss_only_); }, 1);
  }
  autodiff::CudaGraphStep* graph = graph_.get();
  DeviceLbfgsStatus st = status();
  const auto start = st.iterations;
  std::int64_t done = 0;
  bool stopped = false;
  while (done < max_iterations && !stopped) {
    const auto block = std::min(options_.check_every, max_iterations - done);
    for (std::int64_t i = 0; i < block; ++i) {
      // Between iterations the state is whole: a stop leaves the last iterate.
      if (stop && stop()) {
        stopped = true;
        break;
      }
      // The first iteration is the graph's warm-up step (one real step; the captured one is
      // only recorded), so a graph is made even when each call runs one iteration (max_iter 1).
      if (graph && graph->captured())
        graph->replay();
      else if (graph)
        graph->warm_up_and_capture();
      else
        step(loss_and_grad, loss_only);
    }
    st = status();
    done = st.iterations - start;
    if (st.stalled) break;
  }
  return st;
}

}  // namespace dtpinn::core
