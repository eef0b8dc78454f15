#pragma once
// Shared main() of the bench_micro_* programs: runs the registered Google Benchmarks with
// repetitions (default 5, aggregates only) and writes the medians as one section of
// bench/results/micro_<machine>.md (each program owns its section, between markers, so the
// programs can run in any order). Header-only, included by exactly one .cpp per executable.
#include <dtpinn/lab/study.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace dtpinn::bench {

/// Keeps the median aggregates while the console reporter prints everything.
class MedianCollector : public benchmark::ConsoleReporter {
 public:
  struct Row {
    std::string name;
    double real = 0.0, cpu = 0.0;
    std::string unit;
    int repetitions = 0;
  };
  std::vector<Row> rows;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
        rows.push_back({r.run_name.str(), r.GetAdjustedRealTime(), r.GetAdjustedCPUTime(),
                        benchmark::GetTimeUnitString(r.time_unit),
                        static_cast<int>(r.repetitions)});
    ConsoleReporter::ReportRuns(runs);
  }
};

inline std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

/// Replaces (or appends) the section `name` of `path`.
inline void write_section(const std::string& path, const std::string& name,
                          const std::string& body) {
  const std::string begin = "<!-- " + name + " begin -->", end = "<!-- " + name + " end -->";
  std::string text;
  {
    std::ifstream in(path);
    if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.empty())
    text =
        "# Micro-benchmarks (Google Benchmark, medians)\n\nEach section is written by the "
        "program it names (bench/"
        "bench_micro_*.cpp, binaries in build/bench/).\n\n";
  const std::string section = begin + "\n" + body + end + "\n";
  const auto b = text.find(begin), e = text.find(end);
  if (b != std::string::npos && e != std::string::npos && e > b)
    text.replace(b, e + end.size() + 1 - b, section);
  else
    text += "\n" + section;
  nodegen::AtomicFile f(path);
  f.stream() << text;
  f.commit();
}

/// main(): `name` is the program ("bench_micro_spmv"), `what` a sentence on what it measures.
inline int run_micro(int argc, char** argv, const std::string& name, const std::string& what) {
  // Repetitions and aggregates by default (the caller's flags win: they come later).
  std::vector<std::string> args(argv, argv + argc);
  std::vector<std::string> defaults = {"--benchmark_repetitions=5",
                                       "--benchmark_report_aggregates_only=true"};
  std::vector<char*> av;
  av.push_back(argv[0]);
  for (auto& d : defaults) av.push_back(d.data());
  for (int i = 1; i < argc; ++i) av.push_back(argv[i]);
  int ac = static_cast<int>(av.size());
  const std::string cmd = command_line(argc, argv);
  benchmark::Initialize(&ac, av.data());
  if (benchmark::ReportUnrecognizedArguments(ac, av.data())) return 1;
  const auto mi = lab::machine_info(false);
  MedianCollector rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();
  const std::string load = lab::machine_info(false).load;
  const char* omp = std::getenv("OMP_NUM_THREADS");

  std::string body = fmt::format(
      "## {}\n\n{}\n\n- command: `{}`\n- machine: `{}`: {}, {} logical CPUs\n- uname: `{}`\n"
      "- date: {}\n- git commit: {}\n- OMP_NUM_THREADS: {}\n- load average before: {}; after: "
      "{}\n\n",
      name, what, cmd, mi.slug, mi.cpu_model, mi.cpu_cores, mi.uname, lab::utc_now(),
      lab::git_commit(DTPINN_SOURCE_DIR), omp ? omp : "(unset)", mi.load, load);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : rep.rows)
    rows.push_back({"`" + r.name + "`", fmt::format("{:.4g}", r.real), fmt::format("{:.4g}", r.cpu),
                    r.unit, std::to_string(r.repetitions)});
  body +=
      lab::markdown_table({"benchmark", "median real", "median CPU", "unit", "repetitions"}, rows);
  const std::string dir = std::string(DTPINN_SOURCE_DIR) + "/bench/results";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/micro_" + mi.slug + ".md";
  write_section(path, name, body);
  std::cout << "medians written to " << path << "\n";
  return 0;
}

}  // namespace dtpinn::bench
