// `dtpinn study`: the option checks, the output folder and its stamp, then the two parts
// (study_derivatives.cpp, study_runs.cpp) and the report (study_summary.cpp, study_report.cpp,
// study_plots.cpp).
#include "study_parts.hpp"

#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/core/problem/memory.hpp>
#include <dtpinn/lab/machine.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <torch/cuda.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

namespace dtpinn::lab {

using namespace dtpinn::core;

namespace detail {

void say(std::ostream* log, const std::string& line) {
  if (log) *log << line << '\n' << std::flush;
}

void write_text(const fs::path& path, const std::string& text) {
  nodegen::write_file_atomically(path.string(), text);
}

std::string Stamp::line() const {
  return fmt::format("{} | {} | {} | commit {}", machine, date, cpu, commit);
}

}  // namespace detail

using namespace detail;

namespace {

void check_order(int p) {
  if (p < 2 || p > 6) throw std::runtime_error(fmt::format("--order: {} is not in 2..6", p));
}

/// Every problem's runs as train would check them: the config validation, the least-squares
/// output layer against the equation, and the memory of its largest N on this machine.
void check_problem_runs(const StudyOptions& o) {
  const double available = available_memory_bytes();
  for (const auto& p : o.problems) {
    if (p.sizes.empty()) continue;
    const auto n = *std::max_element(p.sizes.begin(), p.sizes.end());
    RunConfig c = problem_config(p.kind, n, o);
    if (p.time_budget >= 0) c.train.time_budget = p.time_budget;
    const char* what = to_string(p.kind);
    try {
      validate_config(c);  // the least-squares output layer against the equation included
      for (const StudyMethod m : o.methods) {
        c.train.method = engine_method(m).method;
        c.train.precision = engine_method(m).precision;
        check_memory(c, available);
      }
    } catch (const std::exception& ex) {
      throw std::runtime_error(fmt::format("--problems {}: {}", what, ex.what()));
    }
  }
}

/// Everything that can be wrong with the options, before any work.
void check_options(const StudyOptions& o) {
  if (o.device == DeviceKind::cuda && !torch::cuda::is_available())
    throw std::runtime_error("--device cuda: no CUDA device is available on this machine");
  for (int p : o.orders) check_order(p);
  for (const auto& p : o.problems) {
    for (auto n : p.sizes)
      if (n < 50) throw std::runtime_error(fmt::format("--n: {} nodes is too few (>= 50)", n));
    for (int q : p.orders) check_order(q);
  }
  if (o.epochs < 1) throw std::runtime_error("--epochs: must be >= 1");
  if (!(o.time_budget >= 0) || !std::isfinite(o.time_budget))
    throw std::runtime_error("--time-budget: must be a finite number >= 0");
  if (o.max_depth < 1) throw std::runtime_error("--max-depth: must be >= 1");
  if (o.test_n < 10) throw std::runtime_error("--test-n: must be >= 10");
  if (o.threads < 0) throw std::runtime_error("--threads: must be >= 0");
  if (o.orders.empty() && std::count(o.methods.begin(), o.methods.end(), StudyMethod::dtpinn))
    throw std::runtime_error("--order: no order given");
  if (!fs::is_directory(o.source_dir))
    throw std::runtime_error(fmt::format("--source-dir {}: no such folder", o.source_dir));
  if (o.pinn) check_problem_runs(o);
}

Stamp make_stamp(const StudyOptions& o, const MachineInfo& mi) {
  Stamp st;
  st.command = o.command;
  st.machine = mi.slug;
  st.cpu = fmt::format("{}, {} logical CPUs", mi.cpu_model, mi.cpu_cores);
  st.gpu = mi.gpu_model;
  st.uname = mi.uname;
  st.date = utc_now();
  st.commit = git_commit(o.source_dir);
  st.load_start = mi.load;
  return st;
}

}  // namespace

std::string run_study(const StudyOptions& o, std::ostream* log) {
  check_options(o);
  set_threads(o.threads);
  const bool cuda = o.device == DeviceKind::cuda;
  const MachineInfo mi = machine_info(cuda);
  const fs::path out =
      o.output.empty() ? fs::path(o.source_dir) / "bench/results" / mi.slug : fs::path(o.output);
  // Made when the results are written: a study that fails leaves no empty folder.
  nodegen::check_can_make_directories(out.string());
  StudyData data;
  data.stamp = make_stamp(o, mi);
  data.vanilla_ref = vanilla_reference(o.methods);
  say(log, fmt::format("[study] output {}; machine {} ({}); {}; commit {}", out.string(), mi.slug,
                       data.stamp.cpu, mi.load, data.stamp.commit));
  const auto t_start = std::chrono::steady_clock::now();
  if (o.derivatives) data.deriv = derivative_study(o, log);
  if (o.pinn) data.runs = pinn_runs(o, log);
  data.stamp.load_end = machine_info(cuda).load;
  data.total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  // Runs that all failed are no study: say why, with a failing exit, and write nothing.
  if (o.pinn &&
      std::none_of(data.runs.begin(), data.runs.end(), [](const RunRecord& r) { return r.ok; })) {
    const auto failed = std::find_if(data.runs.begin(), data.runs.end(),
                                     [](const RunRecord& r) { return !r.error.empty(); });
    throw std::runtime_error(
        data.runs.empty()
            ? std::string("no PINN run could start (every problem was skipped; see the lines "
                          "above); nothing written")
            : fmt::format("all {} PINN runs failed (the first: {}); nothing written",
                          data.runs.size(), failed != data.runs.end() ? failed->error : "?"));
  }
  nodegen::make_directories(out.string());
  const StudySummary summary = summarise(data);
  write_study_json(out, o, data, summary);
  write_text(out / "study.md", study_markdown(o, data, summary));
  write_plots(out, data, summary, log);
  say(log, fmt::format("[study] done in {:.0f} s: {} ({} runs)", data.total_seconds,
                       (out / "study.md").string(), data.runs.size()));
  return out.string();
}

}  // namespace dtpinn::lab
