// Node generation time: generate_nodes() with a target count N (includes the passes that
// correct h) on the paper's disk sizes, 20k in 2D and 100k in 3D, plus one fixed-h pass.
// Writes the medians to bench/results/nodegen.md with machine, command, date and commit.
//   build/bench/bench_nodegen [--benchmark_repetitions=5]
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ng = dtpinn::nodegen;

namespace {

void BM_TargetN(benchmark::State& state, const std::string& shape) {
  const ng::DomainPtr d = ng::make_shape(shape);
  ng::FillOptions o;
  o.n = state.range(0);
  ng::Index got = 0;
  for (auto _ : state) {
    const ng::NodeSet ns = ng::generate_nodes(*d, o);
    got = ns.n_collocation();
    benchmark::DoNotOptimize(ns.points.data());
  }
  state.counters["N"] = double(got);
}

void BM_FixedH(benchmark::State& state, const std::string& shape) {
  const ng::DomainPtr d = ng::make_shape(shape);
  ng::FillOptions o;
  o.h = ng::spacing_for_count(*d, state.range(0));
  ng::Index got = 0;
  for (auto _ : state) {
    const ng::NodeSet ns = ng::generate_nodes(*d, o);
    got = ns.n_collocation();
    benchmark::DoNotOptimize(ns.points.data());
  }
  state.counters["N"] = double(got);
}

std::string run_cmd(const char* cmd) {
  std::string out;
  if (FILE* p = popen(cmd, "r")) {
    std::array<char, 512> buf{};
    while (fgets(buf.data(), int(buf.size()), p)) out += buf.data();
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Keeps the median (or the single run when there are no repetitions) of every benchmark.
class Collector : public benchmark::ConsoleReporter {
 public:
  struct Row {
    double seconds = 0, n = 0;
  };
  std::map<std::string, Row> rows;
  std::vector<std::string> order;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      const std::string name = r.benchmark_name();
      const bool median = r.aggregate_name == "median";
      const bool single = r.run_type == Run::RT_Iteration && r.repetitions <= 1;
      if (!median && !single) continue;
      std::string base = r.run_name.str();
      if (!rows.count(base)) order.push_back(base);
      Row row;
      row.seconds = r.GetAdjustedRealTime() * 1e-3;  // reported in ms (Unit(kMillisecond))
      const auto it = r.counters.find("N");
      row.n = it != r.counters.end() ? double(it->second) : 0.0;
      rows[base] = row;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  // The machine is shared: record the load so slow medians can be read in context.
  const std::string load_before = run_cmd("cut -d' ' -f1-3 /proc/loadavg");
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  for (long n : {582L, 1663L, 19638L, 20000L})
    benchmark::RegisterBenchmark("disk_targetN", BM_TargetN, std::string("disk"))
        ->Arg(n)
        ->Unit(benchmark::kMillisecond)
        ->Repetitions(5);
  benchmark::RegisterBenchmark("disk_fixedH", BM_FixedH, std::string("disk"))
      ->Arg(20000)
      ->Unit(benchmark::kMillisecond)
      ->Repetitions(5);
  benchmark::RegisterBenchmark("star_targetN", BM_TargetN, std::string("star"))
      ->Arg(2180)
      ->Unit(benchmark::kMillisecond)
      ->Repetitions(5);
  benchmark::RegisterBenchmark("ball_targetN", BM_TargetN, std::string("ball"))
      ->Arg(100000)
      ->Unit(benchmark::kMillisecond)
      ->Repetitions(3)
      ->Iterations(1);
  benchmark::RegisterBenchmark("ball_fixedH", BM_FixedH, std::string("ball"))
      ->Arg(100000)
      ->Unit(benchmark::kMillisecond)
      ->Repetitions(3)
      ->Iterations(1);
  benchmark::RegisterBenchmark("box_targetN", BM_TargetN, std::string("box"))
      ->Arg(100000)
      ->Unit(benchmark::kMillisecond)
      ->Repetitions(3)
      ->Iterations(1);
  benchmark::Initialize(&argc, argv);
  Collector rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();

  const std::string src = DTPINN_SOURCE_DIR;
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  std::string md = "# Node generation timings (bench_nodegen)\n\n";
  md += "- machine: `" + run_cmd("uname -a") + "`\n";
  md += "- cpu: " + run_cmd("lscpu | sed -n 's/^Model name: *//p'") + ", " + run_cmd("nproc") +
        " cores\n";
  md += "- command: `" + command + "`\n";
  md += std::string("- date: ") + date + "\n";
  md += "- git commit: " +
        run_cmd(("git -C " + src + " rev-parse --short HEAD 2>/dev/null").c_str()) +
        " (plus uncommitted work at the time of the run)\n";
  md += "- load average (1, 5, 15 min) before the run: " + load_before +
        ", after: " + run_cmd("cut -d' ' -f1-3 /proc/loadavg") + "\n";
  md += "- single thread (the generator does not use threads); Release build\n\n";
  md +=
      "Times are medians over the repetitions (wall clock). `targetN` = generate_nodes with a\n"
      "target N (includes the regeneration passes that correct h); `fixedH` = one pass at the\n"
      "h guessed for N. N is the achieved Ni + Nb.\n\n";
  md += "| case | N achieved | median time [s] |\n| --- | ---: | ---: |\n";
  for (const auto& name : rep.order) {
    const auto& r = rep.rows[name];
    md += fmt::format("| {} | {} | {:.4f} |\n", name, long(r.n), r.seconds);
  }
  md += "\nTargets: 20k nodes in 2D under 0.5 s, 100k in 3D under 5 s.\n";
  const std::string out = src + "/bench/results/nodegen.md";
  ng::AtomicFile f(out);
  f.stream() << md;
  f.commit();
  std::printf("\n%s\nwrote %s\n", md.c_str(), out.c_str());
  return 0;
}
