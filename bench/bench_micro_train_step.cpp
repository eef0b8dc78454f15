// Micro-benchmark: one training step's work, the loss (all terms) and its backward pass in the
// network weights, for DT-PINN fp64 and the vanilla PINN fp32 / fp64, linear Poisson on the unit
// disk, p = 4, 4 x 50 tanh, across N. This is one L-BFGS closure call (an epoch is up to 20).
// Medians go to bench/results/micro_<machine>.md.
#include "micro_common.hpp"

#include <dtpinn/core/config.hpp>
#include <dtpinn/core/dataset.hpp>
#include <dtpinn/core/losses.hpp>
#include <dtpinn/core/model.hpp>
#include <dtpinn/core/trainer.hpp>

#include <torch/torch.h>

#include <map>
#include <memory>

namespace {

using namespace dtpinn::core;

const Dataset& data(std::int64_t n) {
  static std::map<std::int64_t, std::unique_ptr<Dataset>> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    RunConfig c = default_config();
    c.domain.n = n;
    c.domain.test_n = 200;  // the test set plays no part in a step
    it = cache.emplace(n, std::make_unique<Dataset>(build_dataset(c))).first;
  }
  return *it->second;
}

void step(benchmark::State& state, const std::string& method, const std::string& precision) {
  const Dataset& d = data(state.range(0));
  RunConfig c = default_config();
  c.train.method = method;
  c.train.precision = precision;
  Network net = make_network(c, d);
  auto loss = make_loss(method, d, net);
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
  step(s, "dtpinn", "fp64");
}
void BM_step_vanilla_fp32(benchmark::State& s) {
  step(s, "vanilla", "fp32");
}
void BM_step_vanilla_fp64(benchmark::State& s) {
  step(s, "vanilla", "fp64");
}
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
      "unit disk, p = 4, 4 x 50 tanh, CPU; argument = target N. DT-PINN: network at Ni + 2 Nb "
      "nodes + SpMV L u, B u; vanilla: Lap u and du/dn by autograd (create_graph) at Ni + Nb.");
}
