// Distributed DT-PINN on this machine (Gloo, loopback):
//  1. partitioned assembly: one process of a P-way split of a 3D ball of N nodes builds only its
//     rows of L and B; wall time of node generation, partition and local assembly, and the
//     process's peak RSS (each case in a fresh child process, so ru_maxrss is its own);
//  2. strong scaling: a fixed 2D problem, seconds per loss+gradient evaluation (forward,
//     backward, allreduce of [gradient | terms]) with 1 and 2 processes (1 thread each), and the
//     allreduce alone.
// Writes bench/results/distributed_cpu.md. Usage:
//   bench_distributed [--quick] [--max-n N]      (default max N = 1e6 in 3D)
#include <dtpinn/core/distributed/communicator.hpp>
#include <dtpinn/core/distributed/partition.hpp>
#include <dtpinn/core/distributed/train.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/flat_parameters.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/launcher.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/params.hpp>

#include <torch/torch.h>

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace dtpinn;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}
std::string shell(const std::string& cmd) {
  std::array<char, 512> buf{};
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return "";
  while (fgets(buf.data(), buf.size(), p.get())) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
std::string self_exe() {
  return fs::read_symlink("/proc/self/exe").string();
}

// Child: one part of a P-way split of a ball of n nodes. Prints one line of numbers.
int assembly_child(std::int64_t n, int parts, int order) {
  auto t = Clock::now();
  auto nodes = nodegen::make_nodes("ball", n, 0, true);
  const double t_gen = since(t);
  const double rss_nodes = peak_rss_mib();
  rbffd::RbffdParams params;
  params.order = order;
  params.threads = 1;
  const auto nl = rbffd::stencil_rule(params, 2, 3).size,
             nb = rbffd::stencil_rule(params, 1, 3).size;
  t = Clock::now();
  auto part = core::partition_rcb(nodes, parts, nl, nb);
  const double t_part = since(t);
  auto ops =
      core::assemble_local(nodes, part, 0, params, rbffd::RobinCoefficients::constant(1.0, 1.0));
  std::printf("RESULT %lld %lld %d %d %.4f %.4f %.4f %lld %lld %lld %lld %.1f %.1f\n",
              static_cast<long long>(nodes.size()), static_cast<long long>(nodes.n_collocation()),
              parts, order, t_gen, t_part, ops.seconds, static_cast<long long>(ops.L.rows),
              static_cast<long long>(ops.L.nnz() + ops.B.nnz()), static_cast<long long>(ops.n_halo),
              static_cast<long long>(ops.columns.size()), rss_nodes, peak_rss_mib());
  return 0;
}

// Worker of the strong-scaling run (started by launch_local): timings from rank 0.
int scaling_worker(std::int64_t n, int evals) {
  at::set_num_threads(1);
  const auto env = core::DistributedEnv::from_environment();
  core::Communicator comm(env, core::Backend::gloo, c10::kCPU, 120.0);
  auto c = core::default_config();
  c.domain.n = n;
  c.domain.test_n = 1000;
  core::DatasetOptions dopt;
  dopt.operators = false;
  auto data = core::build_dataset(c, dopt);
  rbffd::RbffdParams params;
  params.order = c.rbffd.order;
  params.threads = 1;
  auto part = core::partition_rcb(data.nodes, comm.size(), 43, 31);
  auto t = Clock::now();
  auto ops = core::assemble_local(data.nodes, part, comm.rank(), params,
                                  rbffd::RobinCoefficients::constant(1.0, 1.0));
  const double t_asm = since(t);
  auto local = core::make_local_problem(data, std::move(ops));
  auto net = core::make_network(c, data);
  auto loss = core::make_partitioned_loss(local, net);
  core::DistributedObjective obj(
      net, loss->names(), [&](const core::Network& m) { return loss->terms(m); }, comm, false);
  obj.broadcast_parameters();
  for (int k = 0; k < 3; ++k) obj.closure();
  std::vector<double> te, ta;
  auto buf = torch::zeros({obj.flat().numel() + 3}, torch::kDouble);
  for (int k = 0; k < evals; ++k) {
    comm.barrier();
    t = Clock::now();
    obj.closure().item<double>();  // the host read a LibTorch optimiser makes
    te.push_back(since(t));
    comm.barrier();
    t = Clock::now();
    comm.allreduce_sum(buf);
    ta.push_back(since(t));
  }
  std::sort(te.begin(), te.end());
  std::sort(ta.begin(), ta.end());
  const double asm_max = comm.allreduce_sum(t_asm);  // sum; fine for reporting the mean
  if (comm.rank() == 0) {
    std::ofstream o(std::getenv("DTPINN_BENCH_OUT"));
    o << fmt::format("{} {} {} {:.6f} {:.6f} {:.4f}\n", data.nodes.size(),
                     data.nodes.n_collocation(), comm.size(), te[te.size() / 2], ta[ta.size() / 2],
                     asm_max / comm.size());
  }
  comm.barrier();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* w = std::getenv("DTPINN_BENCH_WORKER"); w && *w) {
    try {
      return scaling_worker(std::atoll(w), std::atoi(std::getenv("DTPINN_BENCH_EVALS")));
    } catch (const std::exception& e) {
      std::cerr << "worker: " << e.what() << "\n";
      return 2;
    }
  }
  if (argc >= 5 && std::string(argv[1]) == "--assembly-child")
    return assembly_child(std::atoll(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
  bool quick = false;
  std::int64_t max_n = 1000000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    if (a == "--max-n" && i + 1 < argc) max_n = std::atoll(argv[++i]);
  }
  std::string cmdline = "bench_distributed";
  for (int i = 1; i < argc; ++i) cmdline += std::string(" ") + argv[i];

  std::ostringstream md;
  md << "# Distributed DT-PINN on CPU (Gloo over loopback)\n\n";
  md << "- machine: `" << shell("uname -a") << "`\n";
  md << "- cpu: " << shell("lscpu | sed -n 's/^Model name: *//p' | head -1") << ", "
     << shell("nproc") << " cores (shared with other work; load average before: "
     << shell("cut -d' ' -f1-3 /proc/loadavg") << ")\n";
  md << "- command: `./build/bench/" << cmdline << "` (Release)\n";
  md << "- date: " << shell("date -u '+%Y-%m-%d %H:%M UTC'") << "\n";
  md << "- git commit: " << shell("git -C " DTPINN_SOURCE_DIR " rev-parse --short HEAD")
     << " (plus uncommitted work at the time of the run)\n\n";

  // 1. Partitioned assembly, one child process per case.
  md << "## 1. Partitioned assembly (3D ball, one process of a P-way split)\n\n"
        "Each row: a fresh process generates all N nodes (every rank does; the kNN tree needs "
        "the coordinates), splits them by RCB into P parts and assembles ONLY part 0's rows of L "
        "and B (1 thread). Peak RSS is that process's `ru_maxrss`; `RSS after nodes` is the peak "
        "before partition and assembly.\n\n"
        "| N (all) | Ni+Nb | P | p | nodegen [s] | partition [s] | local assembly [s] | "
        "rows | local nnz | halo | local nodes | RSS after nodes [MiB] | peak RSS [MiB] |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::vector<std::array<std::int64_t, 3>> cases = {{20000, 1, 4}, {20000, 2, 4}};
  if (!quick) {
    cases.push_back({100000, 1, 2});
    cases.push_back({100000, 2, 2});
    if (max_n >= 1000000) cases.push_back({1000000, 16, 2});
    if (max_n >= 10000000) cases.push_back({10000000, 128, 2});
  }
  for (const auto& c : cases) {
    const std::string cmd =
        fmt::format("{} --assembly-child {} {} {} 2>&1", self_exe(), c[0], c[1], c[2]);
    std::cout << "running: " << cmd << std::endl;
    const std::string out = shell(cmd);
    const auto pos = out.find("RESULT ");
    if (pos == std::string::npos) {
      md << fmt::format("| {} | - | {} | {} | failed: {} |\n", c[0], c[1], c[2],
                        out.substr(0, 200));
      continue;
    }
    std::istringstream in(out.substr(pos + 7));
    std::string f[13];
    for (auto& s : f) in >> s;
    md << "| " << f[0];
    for (int i = 1; i < 13; ++i) md << " | " << f[i];
    md << " |\n";
    std::cout << out.substr(pos) << std::endl;
  }

  // 2. Strong scaling.
  md << "\n## 2. Strong scaling (2D disk, p = 4, 4x50 tanh fp64, fixed N)\n\n"
        "Median seconds of one loss + gradient evaluation (forward at owned + halo nodes, SpMV, "
        "backward, ONE allreduce of the flat gradient and the terms) and of that allreduce "
        "alone (P + 3 doubles), 1 thread per process, rank 0's clock.\n\n"
        "| N (all) | Ni+Nb | processes | eval [ms] | allreduce [ms] | speed-up | local assembly "
        "per rank [s] |\n|---|---|---|---|---|---|---|\n";
  const std::vector<std::int64_t> sizes =
      quick ? std::vector<std::int64_t>{5000} : std::vector<std::int64_t>{20000, 80000};
  for (auto n : sizes) {
    double base = 0;
    for (int P : {1, 2}) {
      const auto out = fs::temp_directory_path() / fmt::format("dtpinn_bench_{}.txt", getpid());
      core::DistributedOptions o;
      o.nproc = P;
      o.wall_limit_seconds = 600;
      const int code = lab::launch_local({self_exe()}, o, std::cerr,
                                         {fmt::format("DTPINN_BENCH_WORKER={}", n),
                                          fmt::format("DTPINN_BENCH_EVALS={}", quick ? 10 : 20),
                                          "DTPINN_BENCH_OUT=" + out.string(), "OMP_NUM_THREADS=1"});
      std::ifstream in(out);
      std::int64_t nn = 0, nc = 0;
      int p = 0;
      double te = 0, ta = 0, tasm = 0;
      if (code != 0 || !(in >> nn >> nc >> p >> te >> ta >> tasm)) {
        md << fmt::format("| {} | - | {} | failed (exit {}) |\n", n, P, code);
        continue;
      }
      fs::remove(out);
      if (P == 1) base = te;
      md << fmt::format("| {} | {} | {} | {:.2f} | {:.3f} | {:.2f} | {:.2f} |\n", nn, nc, P,
                        te * 1e3, ta * 1e3, base > 0 ? base / te : 0.0, tasm);
      std::cout << fmt::format("scaling N={} P={}: eval {:.2f} ms, allreduce {:.3f} ms\n", nn, P,
                               te * 1e3, ta * 1e3);
    }
  }
  md << "\n- load average after: " << shell("cut -d' ' -f1-3 /proc/loadavg") << "\n";
  const auto path = fs::path(DTPINN_SOURCE_DIR) / "bench" / "results" / "distributed_cpu.md";
  std::ofstream(path) << md.str();
  std::cout << md.str() << "\nwrote " << path << "\n";
  return 0;
}
