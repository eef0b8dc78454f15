// Assembly time of the RBF-FD operators L and B (Robin, alpha = beta = 1) on the unit disk:
// the paper's N = 19638 at p = 2..5, a growth series up to 10^6 nodes at p = 4, and a 3D ball.
// Node sets come from nodegen (make_nodes, ghosts on). Medians of repeated runs are printed and
// written to bench/results/rbffd.md with the machine, command, date and git commit.
//
//   build/bench/bench_rbffd [--quick] [--out FILE]
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
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
  int n_l, n_b;
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
          reps};
  for (const auto& info : ops.info) {
    if (info.name == "L") row.n_l = info.rule.size;
    if (info.name == "B") row.n_b = info.rule.size;
  }
  std::printf(
      "%-5s N=%8ld (Ni+Nb=%8ld) p=%d  n_L=%3d n_B=%3d  median %.4f s  min %.4f s  "
      "CPU %.4f s  (%d runs)  %.2f us/row\n",
      shape.c_str(), row.n_total, row.n_colloc, p, row.n_l, row.n_b, row.median_s, row.min_s,
      row.cpu_s, reps, 1e6 * row.median_s / row.n_colloc);
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

  std::ostringstream md;
  md << "# RBF-FD assembly (L + B) timings\n\n";
  md << "Assembly of the Laplacian L ((Ni+Nb) x N) and the Robin operator B (Nb x N, alpha = beta "
        "= 1) with `rbffd::assemble` (k-d tree, stencils, PHS + Legendre weights, CSR), nodegen "
        "`make_nodes(shape, n, seed 0, ghosts)`. Wall time, median over the runs shown.\n\n";
  md << "- load average at the end of the run (the machine is shared; wall times include "
        "waiting for a core): "
     << shell("cut -d' ' -f1-3 /proc/loadavg") << "\n";
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
  md << "| shape | N (all nodes) | Ni+Nb | p | n_L | n_B | nnz(L) | nnz(B) | median [s] | min [s] "
        "| median CPU [s] (all threads) | us per row | runs |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    md << fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.2f} | {} |\n",
        r.shape, r.n_total, r.n_colloc, r.order, r.n_l, r.n_b, r.nnz_l, r.nnz_b, r.median_s,
        r.min_s, r.cpu_s, 1e6 * r.median_s / r.n_colloc, r.reps);
  std::ofstream(out_path) << md.str();
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
}
