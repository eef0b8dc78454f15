// Micro-benchmark: one training step's work, the loss (all terms) and its backward pass in the
// network weights, for DT-PINN fp64 and the vanilla PINN fp32 / fp64, linear Poisson on the unit
// disk, p = 4, 4 x 50 tanh, across N. This is one L-BFGS closure call (an epoch is up to 20).
// Medians go to bench/results/micro_<machine>.md.
#include "micro_common.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/trainer.hpp>

#include <torch/torch.h>

#include <map>
#include <memory>

namespace {

using namespace dtpinn::core;

/// The default experiment at N nodes, or (heat) the paper's heat problem with Nt = 24.
RunConfig config(std::int64_t n, bool heat) {
  RunConfig c = default_config();
  c.domain.n = n;
  c.domain.test_n = 200;  // the test set plays no part in a step
  if (heat) {
    c.problem.pde = PdeKind::heat;
    c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*sin(pi*t)";
    c.problem.nt = 24;
  }
  return c;
}

const Dataset& data(std::int64_t n, bool heat = false) {
  static std::map<std::pair<std::int64_t, bool>, std::unique_ptr<Dataset>> cache;
  auto it = cache.find({n, heat});
  if (it == cache.end())
    it = cache
             .emplace(std::make_pair(n, heat),
                      std::make_unique<Dataset>(build_dataset(config(n, heat))))
             .first;
  return *it->second;
}

void step(benchmark::State& state, Method method, Precision precision, bool heat = false,
          TimeDerivative time_derivative = TimeDerivative::tangent) {
  const Dataset& d = data(state.range(0), heat);
  RunConfig c = config(state.range(0), heat);
  c.train.method = method;
  c.train.precision = precision;
  Network net = make_network(c, d);
  auto loss = make_loss(method, d, net, time_derivative);
  const auto params = net.parameters();
  auto once = [&] {
    for (auto& p : params)
      if (p.grad().defined()) p.mutable_grad().zero_();
    auto terms = loss->terms(net);
    auto total = terms[0];
    for (std::size_t i = 1; i < terms.size(); ++i) total = total + terms[i];
    total.backward();
    return total.item<double>();
  };
  once();
  for (auto _ : state) benchmark::DoNotOptimize(once());
  state.counters["N"] = static_cast<double>(d.n_collocation());
}

void BM_step_dtpinn_fp64(benchmark::State& s) {
  step(s, Method::dtpinn, Precision::fp64);
}
void BM_step_vanilla_fp32(benchmark::State& s) {
  step(s, Method::vanilla, Precision::fp32);
}
void BM_step_vanilla_fp64(benchmark::State& s) {
  step(s, Method::vanilla, Precision::fp64);
}
// Heat (N = 828, Nt = 24: 25 slices, 20 700 space-time points): u_t by forward-mode tangent or
// by autograd's double backward for DT-PINN; the vanilla PINN's u_t comes with its gradient.
void BM_heat_dtpinn_fp64_tangent(benchmark::State& s) {
  step(s, Method::dtpinn, Precision::fp64, true, TimeDerivative::tangent);
}
void BM_heat_dtpinn_fp64_autograd(benchmark::State& s) {
  step(s, Method::dtpinn, Precision::fp64, true, TimeDerivative::autograd);
}
void BM_heat_vanilla_fp32(benchmark::State& s) {
  step(s, Method::vanilla, Precision::fp32, true);
}
BENCHMARK(BM_heat_dtpinn_fp64_tangent)->Arg(828)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_heat_dtpinn_fp64_autograd)->Arg(828)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_heat_vanilla_fp32)->Arg(828)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_step_dtpinn_fp64)
    ->Arg(582)
    ->Arg(1663)
    ->Arg(4977)
    ->Arg(19638)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_step_vanilla_fp32)
    ->Arg(582)
    ->Arg(1663)
    ->Arg(4977)
    ->Arg(19638)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_step_vanilla_fp64)
    ->Arg(582)
    ->Arg(1663)
    ->Arg(4977)
    ->Arg(19638)
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return dtpinn::bench::run_micro(
      argc, argv, "bench_micro_train_step",
      "One loss evaluation + backward in the weights (one L-BFGS closure call), linear Poisson, "
      "unit disk, p = 4, 4 x 50 tanh, CPU; argument = target N. BM_heat_*: the heat equation, N "
      "= 828, Nt = 24 (20 700 space-time points), u_t by tangent or autograd. DT-PINN: network at "
      "Ni + 2 Nb "
      "nodes + SpMV L u, B u; vanilla: Lap u and du/dn by autograd (create_graph) at Ni + Nb.");
}
