// Micro-benchmark: quasi-uniform node generation on the unit disk (interior + boundary + ghosts)
// across N, the paper's node counts. Medians go to bench/results/micro_<machine>.md.
#include "micro_common.hpp"

#include <dtpinn/nodegen/generate.hpp>

namespace {

void BM_make_nodes_disk(benchmark::State& state) {
  const auto n = state.range(0);
  dtpinn::nodegen::Index made = 0;
  for (auto _ : state) {
    auto nodes = dtpinn::nodegen::make_nodes("disk", n, 0, true);
    made = nodes.n_collocation();
    benchmark::DoNotOptimize(nodes.points.data());
  }
  state.counters["N"] = static_cast<double>(made);
}
BENCHMARK(BM_make_nodes_disk)
    ->Arg(582)
    ->Arg(1663)
    ->Arg(4977)
    ->Arg(19638)
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return dtpinn::bench::run_micro(
      argc, argv, "bench_micro_nodegen",
      "`make_nodes(\"disk\", N, seed 0, ghosts)`: boundary sample, interior fill, ghosts; argument "
      "= target N (Ni + Nb).");
}
