// Classical RBF-FD solve timings (assembly, sparse factorisation + solve) and the error against
// the manufactured u = 1 + sin(pi x) cos(pi y) [sin(pi z + 0.3)] on nodegen's disk / ball.
//
//   build/bench/bench_rbffd_solve [shape=ball] [n=8000] [p=4]
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace dtpinn;

namespace {
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int main(int argc, char** argv) {
  const std::string shape = argc > 1 ? argv[1] : "ball";
  const long n = argc > 2 ? std::atol(argv[2]) : 8000;
  const int p = argc > 3 ? std::atoi(argv[3]) : 4;
  const auto nodes = nodegen::make_nodes(shape, n, 0, true);
  const int d = nodes.dim;
  core::ProblemConfig cfg;
  cfg.exact = d == 3 ? std::string("1 + sin(pi*x)*cos(pi*y)*sin(pi*z + 0.3)")
                     : std::string("1 + sin(pi*x)*cos(pi*y)");
  const core::Problem problem(cfg, d);
  rbffd::RbffdParams params;
  params.order = p;
  double w0 = now(), c0 = cpu_seconds();
  const auto ops = rbffd::assemble(nodes, params);
  const double wa = now() - w0, ca = cpu_seconds() - c0;
  const auto nc = nodes.n_collocation(), nb = nodes.n_boundary;
  const nodegen::PointMatrix xc = nodes.points.topRows(nc);
  const Eigen::VectorXd f = problem.source(xc),
                        g = problem.boundary_data(nodes, problem.assign_boundary(nodes));
  w0 = now();
  c0 = cpu_seconds();
  const auto s = rbffd::solve_poisson(ops.laplacian, ops.boundary, f, g);
  const double ws = now() - w0, cs = cpu_seconds() - c0;
  const Eigen::VectorXd exact = problem.exact(xc);
  std::printf(
      "%s N=%ld (Ni=%ld Nb=%ld) p=%d nnz(L)=%ld: assembly %.3f s wall (%.3f CPU), solve %.3f s "
      "wall (%.3f CPU) [%s], residual %.1e, rel l2 error %.3e\n",
      shape.c_str(), static_cast<long>(nodes.size()), static_cast<long>(nodes.n_interior),
      static_cast<long>(nb), p, static_cast<long>(ops.laplacian.nnz()), wa, ca, ws, cs,
      s.method.c_str(), s.residual, (s.u.head(nc) - exact).norm() / exact.norm());
  return 0;
}
