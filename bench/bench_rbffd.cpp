// Assembly time of the RBF-FD operators L and B (Robin, alpha = beta = 1) on the unit disk:
// the paper's N = 19638 at p = 2..5, a growth series up to 10^6 nodes at p = 4, and a 3D ball.
// Node sets come from nodegen (make_nodes, ghosts on). Medians of repeated runs are printed and
// written to bench/results/rbffd.md with the machine, command, date and git commit.
//
//   build/bench/bench_rbffd [--quick] [--out FILE]
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <fmt/format.h>
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace dtpinn;

namespace {

std::string shell(const char* cmd) {
  std::string out;
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(cmd, "r"), pclose);
  if (!pipe) return "?";
  std::array<char, 512> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

struct Row {
  std::string shape;
  long n_total, n_colloc;
  int order;
  double median_s, min_s, cpu_s;
  long nnz_l, nnz_b;
  int n_l, n_lb, n_b;  // L's stencil size at interior / boundary nodes, B's (boundary)
  int reps;
};

Row measure(const std::string& shape, const nodegen::NodeSet& nodes, int p, int reps) {
  rbffd::RbffdParams params;
  params.order = p;
  std::vector<double> t, cpu;
  rbffd::OperatorSet ops;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    ops = rbffd::assemble(nodes, params);
    cpu.push_back(static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  std::sort(cpu.begin(), cpu.end());
  Row row{shape,
          static_cast<long>(nodes.size()),
          static_cast<long>(nodes.n_collocation()),
          p,
          t[t.size() / 2],
          t.front(),
          cpu[cpu.size() / 2],
          static_cast<long>(ops.laplacian.nnz()),
          static_cast<long>(ops.boundary.nnz()),
          0,
          0,
          0,
          reps};
  for (const auto& info : ops.info) {
    if (info.name == "L") row.n_l = info.rule.size, row.n_lb = info.rule.boundary_size;
    if (info.name == "B") row.n_b = info.rule.boundary_size;
  }
  std::printf(
      "%-5s N=%8ld (Ni+Nb=%8ld) p=%d  n_L=%3d/%3d n_B=%3d  median %.4f s  min %.4f s  "
      "CPU %.4f s  (%d runs)  %.2f us/row\n",
      shape.c_str(), row.n_total, row.n_colloc, p, row.n_l, row.n_lb, row.n_b, row.median_s,
      row.min_s, row.cpu_s, reps, 1e6 * row.median_s / row.n_colloc);
  std::fflush(stdout);
  return row;
}

struct SolveRow {
  std::string shape;
  long n_total;
  int order;
  std::string method;
  double wall_s, cpu_s, residual, max_err;
};

double process_cpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Classical solve of [L; B] u = [L u*; B u*] for u* = 1 + sin(pi x) cos(pi y) [sin(pi z + 0.3)]
// (discrete data: the solve must return u* on the collocation nodes to solver accuracy).
SolveRow measure_solve(const std::string& shape, const nodegen::NodeSet& nodes, int p,
                       rbffd::LinearSolver solver) {
  rbffd::RbffdParams params;
  params.order = p;
  const auto ops = rbffd::assemble(nodes, params);
  Eigen::VectorXd u(nodes.size());
  for (Eigen::Index i = 0; i < nodes.size(); ++i) {
    const auto x = nodes.points.row(i);
    u[i] = 1.0 + std::sin(M_PI * x[0]) * std::cos(M_PI * x[1]) *
                     (nodes.dim == 3 ? std::sin(M_PI * x[2] + 0.3) : 1.0);
  }
  auto apply = [&](const rbffd::CsrMatrix& m) {
    Eigen::VectorXd y = Eigen::VectorXd::Zero(m.rows);
    for (std::int32_t r = 0; r < m.rows; ++r)
      for (std::int32_t k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k)
        y[r] += m.values[k] * u[m.col_idx[k]];
    return y;
  };
  rbffd::SolveOptions opt;
  opt.linear_solver = solver;
  const double c0 = process_cpu();
  const auto s = rbffd::solve_poisson(ops.laplacian, ops.boundary, apply(ops.laplacian),
                                      apply(ops.boundary), opt);
  SolveRow row{shape,      static_cast<long>(nodes.size()),
               p,          s.method,
               s.seconds,  process_cpu() - c0,
               s.residual, (s.u - u).head(nodes.n_collocation()).cwiseAbs().maxCoeff()};
  std::printf("solve %-5s N=%8ld p=%d  %-40s wall %.3f s  CPU %.3f s  residual %.1e\n",
              shape.c_str(), row.n_total, p, row.method.c_str(), row.wall_s, row.cpu_s,
              row.residual);
  std::fflush(stdout);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string out_path = std::string(DTPINN_SOURCE_DIR) + "/bench/results/rbffd.md";
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    command += " " + a;
    if (a == "--quick")
      quick = true;
    else if (a == "--out" && i + 1 < argc) {
      out_path = argv[++i];
      command += std::string(" ") + argv[i];
    } else {
      std::fprintf(stderr, "usage: bench_rbffd [--quick] [--out FILE]\n");
      return 2;
    }
  }
  const std::string load_start = shell("cut -d' ' -f1-3 /proc/loadavg");
  std::vector<Row> rows;
  const auto paper = nodegen::make_nodes("disk", 19638, 0, true);
  for (int p = 2; p <= 5; ++p) rows.push_back(measure("disk", paper, p, quick ? 3 : 9));
  std::vector<long> growth = {5000, 19638, 80000, 320000};
  if (!quick) growth.push_back(1000000);
  for (long n : growth) {
    if (n == 19638) continue;
    const auto nodes = nodegen::make_nodes("disk", n, 0, true);
    rows.push_back(measure("disk", nodes, 4, n >= 300000 ? 3 : 5));
  }
  if (!quick) {
    const auto ball = nodegen::make_nodes("ball", 20000, 0, true);
    for (int p = 2; p <= 4; ++p) rows.push_back(measure("ball", ball, p, 3));
  }

  std::vector<SolveRow> solves;
  {
    using rbffd::LinearSolver;
    const auto ball3k = nodegen::make_nodes("ball", 3000, 0, true);
    solves.push_back(measure_solve("ball", ball3k, 3, LinearSolver::direct));
    solves.push_back(measure_solve("ball", ball3k, 3, LinearSolver::automatic));
    const auto ball8k = nodegen::make_nodes("ball", 8000, 0, true);
    if (!quick) solves.push_back(measure_solve("ball", ball8k, 4, LinearSolver::direct));
    solves.push_back(measure_solve("ball", ball8k, 4, LinearSolver::automatic));
    solves.push_back(measure_solve("disk", paper, 4, LinearSolver::direct));
    solves.push_back(measure_solve("disk", paper, 4, LinearSolver::automatic));
  }

  std::ostringstream md;
  md << "# RBF-FD assembly (L + B) timings\n\n";
  md << "Assembly of the Laplacian L ((Ni+Nb) x N) and the Robin operator B (Nb x N, alpha = beta "
        "= 1) with `rbffd::assemble` (k-d tree, stencils, PHS + Legendre weights, CSR), nodegen "
        "`make_nodes(shape, n, seed 0, ghosts)`. Wall time, median over the runs shown; CPU time "
        "(std::clock, all threads) is the load-independent number on this shared machine.\n\n";
  md << "- load average at the start / end of the run (the machine is shared; wall times "
        "include waiting for a core, so with a load above 1 the 2-thread wall time approaches "
        "the CPU time): "
     << load_start << " / " << shell("cut -d' ' -f1-3 /proc/loadavg") << "\n";
#if defined(__AVX2__) && defined(__FMA__)
  md << "- isa: AVX2 + FMA (x86-64-v3; CMake option DTPINN_ISA, cmake/DtpinnIsa.cmake)\n";
#else
  md << "- isa: baseline (no AVX2/FMA; CMake option DTPINN_ISA, cmake/DtpinnIsa.cmake)\n";
#endif
  md << "- machine: `" << shell("uname -a") << "`\n";
  md << "- cpu: " << shell("lscpu | grep 'Model name' | sed 's/.*: *//'") << ", "
     << omp_get_max_threads() << " OpenMP threads (" << shell("nproc") << " cores)\n";
  md << "- command: `" << command << "` (Release build)\n";
  md << "- date: " << shell("date -u '+%Y-%m-%d %H:%M UTC'") << "\n";
  md << "- git commit: " << shell("git -C " DTPINN_SOURCE_DIR " rev-parse --short HEAD 2>/dev/null")
     << (shell("git -C " DTPINN_SOURCE_DIR " status --porcelain rbffd 2>/dev/null").empty()
             ? ""
             : " (rbffd/ with uncommitted changes)")
     << "\n\n";
  md << "n_L: stencil size of L at interior / boundary nodes; n_B: of B (boundary nodes; "
        "rbffd/params.hpp: larger boundary stencils in 3D).\n\n";
  md << "| shape | N (all nodes) | Ni+Nb | p | n_L | n_B | nnz(L) | nnz(B) | median [s] | min [s] "
        "| median CPU [s] (all threads) | us per row | runs |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    md << fmt::format(
        "| {} | {} | {} | {} | {} / {} | {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.2f} | {} |\n",
        r.shape, r.n_total, r.n_colloc, r.order, r.n_l, r.n_lb, r.n_b, r.nnz_l, r.nnz_b, r.median_s,
        r.min_s, r.cpu_s, 1e6 * r.median_s / r.n_colloc, r.reps);
  md << "\n## Classical solve ([L; B] u = [f; g], square with ghosts)\n\n"
        "`rbffd::solve_poisson` on the system assembled above (time excludes assembly), data "
        "f = L u*, g = B u* for u* = 1 + sin(pi x) cos(pi y) [sin(pi z + 0.3)]; max err = max "
        "|u - u*| over Ni + Nb nodes (solver accuracy, not discretisation error). Wall time "
        "includes waiting for a core on the loaded machine; CPU is process CPU time.\n\n";
  md << "| shape | N (all nodes) | p | solver | wall [s] | CPU [s] | residual | max err |\n";
  md << "|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : solves)
    md << fmt::format("| {} | {} | {} | {} | {:.3f} | {:.3f} | {:.1e} | {:.1e} |\n", r.shape,
                      r.n_total, r.order, r.method, r.wall_s, r.cpu_s, r.residual, r.max_err);
  md << "\n## History (same machine, CPU seconds, so the load does not matter)\n\n"
        "- 2026-11-22 21:24, commit 0a983e2 (first version): disk N = 19638, p = 4: L + B 0.582 s "
        "CPU; 10^6 nodes 33.2 s; ball 20k p = 4 5.94 s. Classical solve, ball N = 4089 p = 3, "
        "SparseLU: 1.43 s CPU; ball N = 10255 p = 4: 19.8 s CPU (64 s wall).\n"
        "- 2026-11-22 22:04: A built straight in the pivoted order (vectorised "
        "sqrt), Legendre/P columns vectorised, only the lower triangle of Z^T A Z formed: "
        "disk p = 4 0.421 s CPU (-28%), 10^6 nodes 20.5 s (-38%), ball p = 4 4.22 s (-29%). "
        "Solve: BiCGSTAB + ILUT by default for N >= 2000 (LU fallback): ball 4089 p = 3 0.09 s "
        "CPU (16x), ball 10255 p = 4 0.89 s CPU (21x), disk 20347 p = 4 1.2 s vs 3.2 s.\n"
        "- Profile of the disk p = 4 assembly (perf, 1 thread): weights ~80% (Eigen GEMMs for "
        "Z^T A Z ~25%, pivoted LU of P ~8%, A ~11%), nanoflann kNN ~14%, sort + CSR writes ~4%; "
        "B is 2% of L + B.\n"
        "- 2026-11-23 00:20 (this table). Disk N = 19638 p = 4, L + B, minimum CPU of 15 "
        "single-thread runs of bench_rbffd_profile (steadier than 2-thread medians on the "
        "machine, shared at load 2-4 all evening): before 0.410 s. (1) -march=x86-64-v3 for "
        "the whole build (DTPINN_ISA=auto: AVX2 + FMA in Eigen's GEMM, the sqrt and the LU "
        "loops): 0.305 s (-26%). (2) Code: PHS columns as one fused vectorised expression (-5% "
        "of the weights), vector kernels for a single right-hand side, vectorised pivot "
        "search and a reciprocal in the LU of P, Z^T A Z from the blocks A[:, :M] and "
        "A[M:, M:] only (fewer flops, time neutral), nanoflann tree with a compile-time "
        "dimension (-10% of the kNN), packed-key column sort, dynamic OpenMP chunks of 64 "
        "rows: 0.280 s (-8%). Total -32% CPU (table: ball p = 4 and 10^6 nodes). Two threads, "
        "bench_rbffd_profile disk 19638 4 21 2 at load ~1 (00:16): wall min 0.148 s, median "
        "0.17-0.18 s; the two threads' CPU rises to 0.35 s (vs 0.29-0.31 s single-threaded), so "
        "the 0.15 s target is met only when both cores are free; at load > 1 the 2-thread wall "
        "time "
        "approaches the CPU time. Profile now (1 thread): null-space solve (LU of P, copies) "
        "23%, kNN 18%, GEMMs 13%, PHS 9%, small triangular solves and GEMVs 12%. Measured and "
        "dropped: Eigen's blocked partial_lu_impl on the tall P, a zero-padded aligned LU "
        "update, lazy (coefficient-based) products, a heap or a buffered k-nearest result set, "
        "a radius-bounded search and a uniform-grid search instead of the k-d tree (all slower "
        "or equal).\n"
        "- 2026-11-23 (this table): 3D rows centred at boundary nodes use stencils of "
        "ceil(2.5 binom(l + 3, 3)) + 1 nodes instead of 2 binom(l + 3, 3) + 1, and 3D ghosts sit "
        "at 0.5 h (the max-norm orders of the boundary rows, rbffd/params.hpp): the ball rows "
        "cost more (2D unchanged).\n";
  nodegen::AtomicFile file(out_path);
  file.stream() << md.str();
  file.commit();
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
}
