#pragma once
// L-BFGS whose whole state lives on the parameters' device and whose step() never reads a
// scalar back to the host, so that one iteration (closure + update) can be captured in a CUDA
// graph and replayed (shared/PERFORMANCE.md: PyTorch's L-BFGS spends 15-25 ms per iteration on
// kernel launches of its two-loop recursion and on .item() syncs).
//
// Algorithm (P parameters, history m):
//  - history S, Y as the two halves of one [2m, P] matrix with a ring index (device tensor);
//  - the direction d = -H g by the compact representation of Byrd, Nocedal & Schnabel (1994):
//      H g = gamma g + S p1 + gamma Y p2,  p2 = -R^{-1} S^T g,
//      p1 = R^{-T} (D R^{-1} S^T g + gamma Y^T Y R^{-1} S^T g - gamma Y^T g),
//    R = upper triangle of S^T Y in chronological order, D = its diagonal, gamma = s^T y / y^T y
//    of the newest pair. S^T Y and Y^T Y (m x m) are kept up to date by one rank update per
//    iteration; the new pair's products and S^T g, Y^T g all come from ONE [2m, P] x [P, 3] GEMM
//    (plus a tiny [2, P] x [P, 3] one), the direction from one [P, 2m] GEMV: the history matrix
//    is read twice per iteration, whatever m is. Entries not yet filled are masked (identity rows
//    of R, zero coefficients);
//  - the curvature condition y^T s > curvature_eps is a mask (the pair is not stored), never a
//    host branch; so are the first-iteration step and the stopping tests.
//
// Equivalence with torch::optim::LBFGS (line_search_fn none, same lr, history_size, tolerances):
// one step() here is one iteration there (one closure evaluation + one update). Torch's L-BFGS
// with max_iter = k does k such iterations per step() call and its early breaks only end that
// call (the next call continues from the same point with the same state), so the sequence of
// iterates is the same: first step -g * min(1, 1/|g|_1) * lr, then the two-loop direction times
// lr; pairs with y^T s <= 1e-10 skipped; gamma = s^T y / y^T y. Where torch would not move
// (max|g| <= tolerance_grad, or g^T d > -tolerance_change) this step moves by 0 as well. The
// tests check the iterates against torch's to 1e-10 relative.
//
// Two modes:
//  - fixed_step (the paper's, lr 0.04 for DT-PINN, 0.2 for the vanilla PINN);
//  - line_search: after the direction, `line_search_trials` trial points x + a_k d with
//    a_k = t * shrink^k (t = lr, first iteration min(1, 1/|g|_1) lr) are evaluated (loss only)
//    inside the same iteration; the largest a_k meeting Armijo (f_k <= f + c1 a_k g^T d) is taken,
//    else the best trial if it lowers f, else no move: chosen by argmax / where on the device,
//    so the loss never increases.
//
// Host reads: status() reads a few scalars (one sync); call it every `check_every` iterations
// (run() does). Capturing: wrap [&]{ lbfgs.step(closure); } in autodiff::CudaGraphStep (or pass
// use_cuda_graph to run()); the closure must then obey that header's rules (in-place zero_grad via
// FlatParameters::zero_grad(), fixed shapes, no host sync).
#include <dtpinn/core/training/flat_parameters.hpp>

#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace dtpinn::autodiff {
class CudaGraphStep;
}

namespace dtpinn::core {

struct DeviceLbfgsOptions {
  enum class Mode { fixed_step, line_search };
  /// Step length: the fixed step (fixed_step) or the first trial step (line_search).
  double lr = 1.0;
  /// m, the number of stored (s, y) pairs (torch's history_size).
  std::int64_t history_size = 100;
  /// No move when max|g| <= tolerance_grad (torch's opt_cond).
  double tolerance_grad = 1e-7;
  /// No move when g^T d > -tolerance_change; stalled() also when |f - f_prev| or max|step| is
  /// below it (torch's early-exit tests).
  double tolerance_change = 1e-9;
  /// A pair is stored only when y^T s > curvature_eps (torch: 1e-10).
  double curvature_eps = 1e-10;
  Mode mode = Mode::fixed_step;
  /// line_search: number of trial steps K (each one loss evaluation), >= 1.
  std::int64_t line_search_trials = 6;
  /// line_search: a_{k+1} = shrink * a_k, in (0, 1).
  double line_search_shrink = 0.5;
  /// line_search: Armijo constant c1 in (0, 1).
  double armijo_c1 = 1e-4;
  /// run(): iterations between host reads of the loss / stopping flag (e.g. one epoch).
  std::int64_t check_every = 20;
  /// run(): capture step() + closure in one CUDA graph and replay it (CUDA tensors only).
  bool use_cuda_graph = false;
  /// CPU, fp64: do the algebra of step() (the m x m compact form, the step length, the tests) in
  /// Eigen on the host, and the history products as GEMVs at memory bandwidth, instead of ~70
  /// LibTorch ops sized for a GPU (1.5 ms of dispatch and mask arithmetic per iteration at
  /// m = 100 on the 2-core CPU). Same algorithm and iterates (tested against both torch's L-BFGS
  /// and the tensor path). false runs the tensor path on the CPU too, as used on CUDA.
  bool host_algebra = true;
};

/// Scalars read back from the device (one sync).
struct DeviceLbfgsStatus {
  std::int64_t iterations = 0;  ///< step() calls so far
  std::int64_t pairs = 0;       ///< (s, y) pairs accepted so far (history holds min(pairs, m))
  double loss = 0;              ///< loss at the start of the last step (the closure's value)
  double gamma = 1;             ///< current initial inverse-Hessian scale
  bool stalled = false;         ///< torch's L-BFGS would have ended its step() here
};

class DeviceLbfgs {
 public:
  /// Closure: zero the gradients in place (FlatParameters::zero_grad()), compute the loss, call
  /// backward(), return the loss (0-dim, on the device). LossOnly: the loss without gradients
  /// (used by the line search; when empty the closure is used instead).
  using Closure = std::function<at::Tensor()>;

  /// Allocates all state on params' device (dtype of the parameters): 2 m P + 2 m^2 + 3 P values.
  /// Throws std::invalid_argument on a bad option (names it).
  DeviceLbfgs(FlatParameters& params, DeviceLbfgsOptions options = {});

  /// One iteration; no host synchronisation, no data-dependent host branch (capturable). On the
  /// CPU in fp64 with host_algebra, the host path (nothing to capture there).
  void step(const Closure& loss_and_grad, const Closure& loss_only = {});

  /// Runs up to max_iterations steps, reading status() every check_every iterations and stopping
  /// early when stalled, or when `stop` (may be empty; a host-side query, asked before every
  /// iteration, so it must not sync) says true. Returns the last status. With use_cuda_graph (CUDA
  /// tensors), the first iteration of the first call is an eager warm-up step after which
  /// step(closure) is captured (recorded, not run); every later iteration, in this call or later
  /// ones (also with max_iterations = 1), replays that graph: the closures of the FIRST run() call
  /// are the ones replayed (they are copied and kept); call reset_graph() after changing them or
  /// any shape.
  DeviceLbfgsStatus run(const Closure& loss_and_grad, std::int64_t max_iterations,
                        const Closure& loss_only = {}, const std::function<bool()>& stop = {});

  /// One host sync.
  DeviceLbfgsStatus status() const;
  /// Device scalars (0-dim): loss at the start of the last step, and the stalled flag (bool).
  const at::Tensor& loss() const { return loss_; }
  const at::Tensor& stalled() const { return stalled_; }
  /// Step length actually taken by the last step (0-dim; 0 when it did not move).
  const at::Tensor& last_step_length() const { return t_; }
  /// Changes lr between steps (a device write: works with a captured graph too).
  void set_lr(double lr);
  /// Forgets the history (next step is a first step again).
  void reset();
  /// Drops the captured graph of run() (the next run() captures again).
  void reset_graph();
  /// Whether run() has captured its CUDA graph (false on the CPU or without use_cuda_graph).
  bool graph_captured() const;
  ~DeviceLbfgs();
  DeviceLbfgs(const DeviceLbfgs&) = delete;  // the captured graph points at this object
  DeviceLbfgs& operator=(const DeviceLbfgs&) = delete;
  const DeviceLbfgsOptions& options() const { return options_; }

 private:
  FlatParameters& params_;
  DeviceLbfgsOptions options_;
  std::int64_t m_ = 0;
  at::Tensor w_;       // [2m, P]: rows 0..m-1 are s_i, rows m..2m-1 are y_i (ring positions)
  at::Tensor sy_;      // [m, m]: s_i . y_j (ring positions)
  at::Tensor yy_;      // [m, m]: y_i . y_j
  at::Tensor count_;   // int64: accepted pairs
  at::Tensor n_iter_;  // int64: step() calls
  at::Tensor gamma_;   // 0-dim
  at::Tensor prev_g_;  // [P]
  at::Tensor d_;       // [P] last direction
  at::Tensor t_;       // 0-dim: step length taken with d_
  at::Tensor lr_;      // 0-dim
  at::Tensor loss_;    // 0-dim
  at::Tensor prev_loss_;
  at::Tensor stalled_;  // bool 0-dim
  at::Tensor ring_;     // int64 [m]: 0..m-1
  at::Tensor x0_;       // [P] line search: start point
  at::Tensor trial_f_;  // [K] line search: trial losses
  at::Tensor factors_;  // [K] shrink^k
  Closure graph_closure_, graph_loss_only_;
  std::shared_ptr<autodiff::CudaGraphStep> graph_;
  struct HostWork;  // Eigen workspaces of the host path
  std::unique_ptr<HostWork> host_;
  void step_host(const at::Tensor& f, const Closure& loss_and_grad, const Closure& loss_only);
  // The host path's three parts (same split as the tensor path below).
  void host_update_history(bool first);
  void host_direction();
  void host_move(double f, bool first, const Closure& loss_and_grad, const Closure& loss_only);
  // The tensor path's three parts: the previous step's pair into the history (returns S^T g and
  // Y^T g in ring order), the compact-form direction, and the step with its stopping tests.
  std::pair<at::Tensor, at::Tensor> update_history_device(const at::Tensor& g,
                                                          const at::Tensor& first);
  at::Tensor direction_device(const at::Tensor& g, const at::Tensor& a, const at::Tensor& b);
  void move_device(const at::Tensor& f, const at::Tensor& g, const at::Tensor& d,
                   const at::Tensor& first, const Closure& loss_and_grad, const Closure& loss_only);
};

}  // namespace dtpinn::core
