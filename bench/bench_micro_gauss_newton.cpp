// Micro-benchmark: the pieces of one Gauss-Newton step (gauss_newton.hpp) and of the
// least-squares output layer on the default experiment (unit disk, p = 4, 4 x 50 tanh, 7851
// parameters, CPU, fp64): the residual vector with its Jacobian for DT-PINN and the vanilla
// PINN, the SpMM L U inside it, the damped solve in its three forms, and the output layer's
// columns + least-squares solve. Argument = target N. Medians go to
// bench/results/micro_<machine>.md.
#include "micro_common.hpp"

#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/gauss_newton.hpp>
#include <dtpinn/core/training/least_squares.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <torch/torch.h>

#include <map>
#include <memory>

namespace {

using namespace dtpinn::core;

RunConfig config(std::int64_t n, Method method) {
  RunConfig c = default_config();
  c.domain.n = n;
  c.domain.test_n = 200;  // the test set plays no part in a step
  c.train.method = method;
  return c;
}

const Dataset& data(std::int64_t n) {
  static std::map<std::int64_t, std::unique_ptr<Dataset>> cache;
  auto it = cache.find(n);
  if (it == cache.end())
    it =
        cache.emplace(n, std::make_unique<Dataset>(build_dataset(config(n, Method::dtpinn)))).first;
  return *it->second;
}

/// The Jacobian of the loss's residual vector (all columns, or the output layer's).
void jacobian(benchmark::State& state, Method method, JacobianColumns columns) {
  GaussNewton keep_heap({});  // as the training loop has it: large blocks stay in the heap
  const Dataset& d = data(state.range(0));
  const RunConfig c = config(state.range(0), method);
  Network net = make_network(c, d);
  auto loss = make_loss(method, d, net);
  const std::vector<double> w(loss->names().size(), 1.0);
  std::int64_t rows = 0;
  for (auto _ : state) rows = loss->residuals(net, w, columns).J.size(0);
  state.counters["M"] = static_cast<double>(rows);
}

void BM_jacobian_dtpinn(benchmark::State& s) {
  jacobian(s, Method::dtpinn, JacobianColumns::all);
}
void BM_jacobian_vanilla64(benchmark::State& s) {
  jacobian(s, Method::vanilla, JacobianColumns::all);
}
void BM_output_layer_columns_dtpinn(benchmark::State& s) {
  jacobian(s, Method::dtpinn, JacobianColumns::output_layer);
}

/// L U for U [nodes, 7851]: the SpMM inside the DT-PINN Jacobian.
void BM_spmm_L_U(benchmark::State& state) {
  const Dataset& d = data(state.range(0));
  const auto o = torch::TensorOptions().dtype(torch::kFloat64);
  dtpinn::autodiff::SparseOperator L(d.L, o);
  const auto U = torch::randn({L.cols(), 7851}, o);
  for (auto _ : state) benchmark::DoNotOptimize(L.multiply(U).data_ptr());
}

/// One damped solve (Gram matrix + factorisation, or 200 CG iterations) of the DT-PINN J.
void solve(benchmark::State& state, GnSolver form) {
  const Dataset& d = data(state.range(0));
  const RunConfig c = config(state.range(0), Method::dtpinn);
  Network net = make_network(c, d);
  auto loss = make_loss(Method::dtpinn, d, net);
  const auto sys = loss->residuals(net, {1.0, 1.0}, JacobianColumns::all);
  for (auto _ : state) {
    const DampedLeastSquares ls(sys.J, sys.r, form, 200);
    benchmark::DoNotOptimize(ls.step(1e-3 * ls.gram_scale()).data_ptr());
  }
}
void BM_solve_dual(benchmark::State& s) {
  solve(s, GnSolver::dual);
}
void BM_solve_primal(benchmark::State& s) {
  solve(s, GnSolver::primal);
}
void BM_solve_cg200(benchmark::State& s) {
  solve(s, GnSolver::cg);
}

/// The output layer's least-squares solve itself ([M, 51]).
void BM_output_layer_solve(benchmark::State& state) {
  const Dataset& d = data(state.range(0));
  const RunConfig c = config(state.range(0), Method::dtpinn);
  Network net = make_network(c, d);
  auto loss = make_loss(Method::dtpinn, d, net);
  const auto sys = loss->residuals(net, {1.0, 1.0}, JacobianColumns::output_layer);
  for (auto _ : state) benchmark::DoNotOptimize(least_squares_correction(sys.J, sys.r).data_ptr());
}

BENCHMARK(BM_jacobian_dtpinn)->Arg(1663)->Arg(4977)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_jacobian_vanilla64)->Arg(1663)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_spmm_L_U)->Arg(1663)->Arg(4977)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_solve_dual)->Arg(1663)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_solve_primal)->Arg(1663)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_solve_cg200)->Arg(1663)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_output_layer_columns_dtpinn)->Arg(1663)->Arg(19638)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_output_layer_solve)->Arg(1663)->Arg(19638)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return dtpinn::bench::run_micro(
      argc, argv, "bench_micro_gauss_newton",
      "The pieces of one Gauss-Newton step and of the least-squares output layer, default "
      "experiment (unit disk, p = 4, 4 x 50 tanh: 7851 parameters), CPU fp64; argument = target "
      "N. jacobian_*: the residual vector and its Jacobian [M, 7851]; spmm_L_U: L times a dense "
      "[nodes, 7851]; solve_*: one damped solve of the DT-PINN J (dual: J J^T + Cholesky; primal: "
      "J^T J + Cholesky; cg200: 200 CG iterations); output_layer_*: the columns [M, 51] and their "
      "least-squares solve.");
}
