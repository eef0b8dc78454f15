// Micro-benchmark: RBF-FD assembly of L and B (Robin alpha = beta = 1) on unit-disk nodes,
// across N at p = 4 and across p at N = 4977. Medians go to bench/results/micro_<machine>.md.
#include "micro_common.hpp"

#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <map>

namespace {

const dtpinn::nodegen::NodeSet& disk(std::int64_t n) {
  static std::map<std::int64_t, dtpinn::nodegen::NodeSet> cache;
  auto it = cache.find(n);
  if (it == cache.end())
    it = cache.emplace(n, dtpinn::nodegen::make_nodes("disk", n, 0, true)).first;
  return it->second;
}

void BM_assemble_L_B(benchmark::State& state) {
  const auto& nodes = disk(state.range(0));
  dtpinn::rbffd::RbffdParams params;
  params.order = static_cast<int>(state.range(1));
  dtpinn::rbffd::OperatorRequest req;
  req.robin = dtpinn::rbffd::RobinCoefficients::constant(1.0, 1.0);
  std::int64_t nnz = 0;
  for (auto _ : state) {
    auto ops = dtpinn::rbffd::assemble(nodes, params, req);
    nnz = ops.laplacian.nnz() + ops.boundary.nnz();
    benchmark::DoNotOptimize(ops.laplacian.values.data());
  }
  state.counters["N"] = static_cast<double>(nodes.n_collocation());
  state.counters["nnz"] = static_cast<double>(nnz);
}
BENCHMARK(BM_assemble_L_B)
    ->Args({582, 4})
    ->Args({1663, 4})
    ->Args({4977, 4})
    ->Args({19638, 4})
    ->Args({4977, 2})
    ->Args({4977, 3})
    ->Args({4977, 5})
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return dtpinn::bench::run_micro(
      argc, argv, "bench_micro_rbffd",
      "`rbffd::assemble` of L ((Ni + Nb) x (Ni + 2 Nb)) and B (Nb x (Ni + 2 Nb)), one k-d tree, "
      "OpenMP over nodes; arguments = target N / order p.");
}
