// Load-independent profile of one RBF-FD assembly: L + B (Robin alpha = beta = 1) on nodegen's
// disk/ball at order p, repeated; prints wall and process CPU time (getrusage) per run, so that
// variants can be compared on a shared machine, and a breakdown (k-d tree build, L, B).
//
//   build/bench/bench_rbffd_profile [shape=disk] [n=19638] [p=4] [reps=5] [threads=0]
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace dtpinn;

namespace {
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  const std::string shape = argc > 1 ? argv[1] : "disk";
  const long n = argc > 2 ? std::atol(argv[2]) : 19638;
  const int p = argc > 3 ? std::atoi(argv[3]) : 4;
  const int reps = argc > 4 ? std::atoi(argv[4]) : 5;
  const int threads = argc > 5 ? std::atoi(argv[5]) : 0;
  const auto nodes = nodegen::make_nodes(shape, n, 0, true);
  rbffd::RbffdParams params;
  params.order = p;
  params.threads = threads;
  std::vector<double> wall, cpu, cpu_l, cpu_b;
  double checksum = 0.0;
  for (int r = 0; r < reps; ++r) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const auto ops = rbffd::assemble(nodes, params);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(cpu_seconds() - c0);
    checksum = 0.0;
    for (double v : ops.laplacian.values) checksum += v;
    for (double v : ops.boundary.values) checksum += v;
    // Breakdown: L alone and B alone.
    rbffd::OperatorRequest only_l, only_b;
    only_l.boundary = false;
    only_b.laplacian = false;
    double c1 = cpu_seconds();
    (void)rbffd::assemble(nodes, params, only_l);
    cpu_l.push_back(cpu_seconds() - c1);
    c1 = cpu_seconds();
    (void)rbffd::assemble(nodes, params, only_b);
    cpu_b.push_back(cpu_seconds() - c1);
  }
  std::printf(
      "%s N=%ld (Ni+Nb=%ld) p=%d threads=%d: L+B median wall %.4f s (min %.4f), CPU %.4f s (min "
      "%.4f); "
      "L alone CPU %.4f, B alone CPU %.4f; checksum %.17g\n",
      shape.c_str(), static_cast<long>(nodes.size()), static_cast<long>(nodes.n_collocation()), p,
      threads, median(wall), *std::min_element(wall.begin(), wall.end()), median(cpu),
      *std::min_element(cpu.begin(), cpu.end()), median(cpu_l), median(cpu_b), checksum);
  return 0;
}
