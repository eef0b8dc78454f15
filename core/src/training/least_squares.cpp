// Damped least-squares steps (dual, primal, conjugate gradients) and the least-squares solve of
// the output layer.
#include <dtpinn/core/training/least_squares.hpp>

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace dtpinn::core {

GnSolver choose_gn_solver(std::int64_t m, std::int64_t p, double memory_mb,
                          std::int64_t bytes_per_value) {
  if (m <= p) return GnSolver::dual;
  const double primal_mb = static_cast<double>(p) * static_cast<double>(p) *
                           static_cast<double>(bytes_per_value) / (1024.0 * 1024.0);
  return primal_mb <= memory_mb ? GnSolver::primal : GnSolver::cg;
}

DampedLeastSquares::DampedLeastSquares(at::Tensor J, at::Tensor r, GnSolver form, int cg_iterations)
    : J_(std::move(J)), r_(std::move(r)), form_(form), cg_iterations_(cg_iterations) {
  if (J_.dim() != 2 || r_.dim() != 1 || J_.size(0) != r_.size(0))
    throw std::invalid_argument("least squares: J must be [M, P] and r [M]");
  if (form_ == GnSolver::automatic)
    throw std::invalid_argument("least squares: choose the form first (choose_gn_solver)");
  torch::NoGradGuard ng;
  gram_scale_ =
      J_.square().sum().item<double>() / static_cast<double>(std::max<std::int64_t>(1, J_.size(1)));
  rhs_ = torch::mv(J_.t(), r_);
  if (form_ == GnSolver::dual) gram_ = torch::mm(J_, J_.t());
  if (form_ == GnSolver::primal) gram_ = torch::mm(J_.t(), J_);
}

at::Tensor DampedLeastSquares::step(double lambda, const std::function<bool()>& stop) const {
  if (!(lambda > 0)) throw std::invalid_argument("least squares: the damping must be > 0");
  torch::NoGradGuard ng;
  if (form_ == GnSolver::dual || form_ == GnSolver::primal) {
    const auto n = gram_.size(0);
    auto A = gram_ + lambda * torch::eye(n, gram_.options());
    auto [L, info] = torch::linalg_cholesky_ex(A);
    if (info.item<std::int64_t>() != 0) return {};
    const auto& b = form_ == GnSolver::dual ? r_ : rhs_;
    auto y = torch::cholesky_solve(b.unsqueeze(1), L).squeeze(1);
    return form_ == GnSolver::dual ? -torch::mv(J_.t(), y) : -y;
  }
  // Conjugate gradients on (J^T J + lambda I) d = -J^T r from d = 0: the Krylov space of J^T r,
  // products with J and J^T only.
  auto d = torch::zeros_like(rhs_);
  auto res = -rhs_;  // b - A d
  auto p = res.clone();
  double rr = res.dot(res).item<double>();
  const double tolerance = rr * 1e-24;  // |res| / |b| < 1e-12
  for (int it = 0; it < cg_iterations_ && rr > tolerance && !(stop && stop()); ++it) {
    auto Ap = torch::mv(J_.t(), torch::mv(J_, p)) + lambda * p;
    const double pAp = p.dot(Ap).item<double>();
    if (!(pAp > 0)) break;
    const double a = rr / pAp;
    d.add_(p, a);
    res.add_(Ap, -a);
    const double rr_new = res.dot(res).item<double>();
    p = res + (rr_new / rr) * p;
    rr = rr_new;
  }
  return d;
}

double DampedLeastSquares::predicted_decrease(const at::Tensor& d) const {
  torch::NoGradGuard ng;
  const auto Jd = torch::mv(J_, d);
  // ||r||^2 - ||r + J d||^2 = -(2 r + J d) . J d
  return -(2 * r_ + Jd).dot(Jd).item<double>();
}

at::Tensor least_squares_correction(const at::Tensor& J, const at::Tensor& r) {
  if (J.dim() != 2 || r.dim() != 1 || J.size(0) != r.size(0))
    throw std::invalid_argument("least squares: J must be [M, k] and r [M]");
  torch::NoGradGuard ng;
  // gelsy (QR with column pivoting) handles rank-deficient features on the CPU; CUDA has only
  // gels, which needs full column rank (hidden features of a trained network have it).
  const auto driver = J.is_cuda() ? c10::string_view("gels") : c10::string_view("gelsy");
  auto sol = std::get<0>(torch::linalg_lstsq(J, -r.unsqueeze(1), std::nullopt, driver));
  return sol.squeeze(1);
}

}  // namespace dtpinn::core
