// Micro-benchmark: the DT-PINN SpMV, SparseOperator::multiply (L u) and multiply_transpose
// (L^T g, the backward), fp64, on the CPU, across N at p = 4, for one column (Poisson) and 25
// columns (heat, Nt + 1 = 25 slices). Medians go to bench/results/micro_<machine>.md.
#include "micro_common.hpp"

#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <torch/torch.h>

#include <map>
#include <memory>

namespace {

const dtpinn::autodiff::SparseOperator& laplacian(std::int64_t n) {
  static std::map<std::int64_t, std::unique_ptr<dtpinn::autodiff::SparseOperator>> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    const auto nodes = dtpinn::nodegen::make_nodes("disk", n, 0, true);
    dtpinn::rbffd::RbffdParams p;
    p.order = 4;
    auto L = dtpinn::rbffd::laplacian(nodes, p);
    it = cache
             .emplace(n, std::make_unique<dtpinn::autodiff::SparseOperator>(
                             L, torch::TensorOptions().dtype(torch::kFloat64)))
             .first;
  }
  return *it->second;
}

void BM_spmv(benchmark::State& state) {
  const auto& L = laplacian(state.range(0));
  const auto k = state.range(1);
  auto u = k == 1 ? torch::randn({L.cols()}, torch::kFloat64)
                  : torch::randn({L.cols(), k}, torch::kFloat64);
  for (auto _ : state) {
    auto y = L.multiply(u);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  state.counters["nnz"] = static_cast<double>(L.nnz());
  state.SetBytesProcessed(state.iterations() * L.nnz() * 12 * k);
}

void BM_spmv_transpose(benchmark::State& state) {
  const auto& L = laplacian(state.range(0));
  const auto k = state.range(1);
  auto g = k == 1 ? torch::randn({L.rows()}, torch::kFloat64)
                  : torch::randn({L.rows(), k}, torch::kFloat64);
  for (auto _ : state) {
    auto y = L.multiply_transpose(g);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  state.counters["nnz"] = static_cast<double>(L.nnz());
}

#define DTPINN_SPMV_ARGS \
  ->Args({1663, 1})      \
      ->Args({4977, 1})  \
      ->Args({19638, 1}) \
      ->Args({828, 25})  \
      ->Args({4977, 25}) \
      ->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_spmv) DTPINN_SPMV_ARGS;
BENCHMARK(BM_spmv_transpose) DTPINN_SPMV_ARGS;

}  // namespace

int main(int argc, char** argv) {
  return dtpinn::bench::run_micro(
      argc, argv, "bench_micro_spmv",
      "`SparseOperator::multiply` (y = L u) and `multiply_transpose` (y = L^T g, stored "
      "transpose), CPU fp64, L at p = 4; arguments = target N / number of columns.");
}
