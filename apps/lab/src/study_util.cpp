// The study's arithmetic and bookkeeping (no LibTorch): presets, speed-up at equal error,
// spreads, markdown tables, machine / commit / date stamps.
#include <dtpinn/lab/study.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <thread>

namespace dtpinn::lab {

using namespace dtpinn::core;

namespace {

/// stdout of a shell command ("" if it fails); only fixed commands are run.
std::string capture(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p.get())) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
    out.pop_back();
  return out;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string slugify(const std::string& s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out += static_cast<char>(std::tolower(u));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  // Drop vendor noise that makes names long without telling machines apart.
  for (const char* noise : {"-processor", "-cpu", "-with-radeon-graphics", "-nvidia"}) {
    const auto pos = out.find(noise);
    if (pos != std::string::npos) out.erase(pos, std::string(noise).size());
  }
  return out;
}

}  // namespace

MachineInfo machine_info(bool for_cuda) {
  MachineInfo m;
  const std::string model = capture("lscpu 2>/dev/null | grep -i '^Model name' | head -n1");
  const auto colon = model.find(':');
  m.cpu_model = colon == std::string::npos ? "unknown CPU" : trim(model.substr(colon + 1));
  m.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
  m.gpu_model = capture("nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1");
  m.uname = capture("uname -a 2>/dev/null");
  const std::string up = capture("uptime 2>/dev/null");
  const auto la = up.find("load average");
  m.load = la == std::string::npos ? up : up.substr(la);
  if (for_cuda && !m.gpu_model.empty())
    m.slug = slugify(m.gpu_model);
  else
    m.slug = fmt::format("cpu-{}core-{}", m.cpu_cores, slugify(m.cpu_model));
  return m;
}

std::string git_commit(const std::string& source_dir) {
  const std::string q = "'" + source_dir + "'";
  const std::string head = capture("git -C " + q + " rev-parse --short HEAD 2>/dev/null");
  if (head.empty()) return "uncommitted";
  const std::string dirty =
      capture("git -C " + q + " status --porcelain --untracked-files=no 2>/dev/null | head -n1");
  return dirty.empty() ? head : head + "-dirty (uncommitted changes)";
}

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

EngineMethod engine_method(StudyMethod m) {
  return {m == StudyMethod::dtpinn ? Method::dtpinn : Method::vanilla,
          m == StudyMethod::vanilla32 ? Precision::fp32 : Precision::fp64};
}

std::string method_label(StudyMethod m) {
  const EngineMethod e = engine_method(m);
  return fmt::format("{} {}", e.method == Method::dtpinn ? "DT-PINN" : "vanilla",
                     to_string(e.precision));
}

StudyOptions full_study_options() {
  StudyOptions o;
  const std::vector<std::int64_t> disk = {582, 828, 1663, 2236, 3196, 4977, 6114, 8767, 19638};
  const std::vector<std::uint64_t> five = {0, 1, 2, 3, 4};
  using K = StudyProblemKind;
  o.problems = {{K::poisson, disk, five},
                {K::nonlinear, disk, five},
                {K::heat, {828}, five},              // the paper's heat runs: N = 828, Nt = 24
                {K::star, {2180, 4977, 8767}, {0}},  // the paper: a single seed
                {K::torus3d, {4000, 8000, 16000}, {0}},
                {K::helmholtz, {1663, 4977}, {0, 1, 2}},
                {K::advection, {1663, 4977}, {0, 1, 2}}};
  return o;
}

StudyOptions quick_study_options() {
  StudyOptions o;
  o.quick = true;
  o.max_depth = 6;
  o.derivative_n = 4977;
  o.biharmonic_n = 1663;
  o.derivative_repeats = 3;
  o.timing_repeats = 3;
  // Every problem of the paper, small: Poisson with two seeds at two sizes; the others at one
  // size and seed. Heat (N = 828, Nt = 24: 20 700 space-time points) gets 60 s per run, since
  // its epochs cost ~20x a Poisson epoch; star and 3d only p = 4 / p = 3.
  using K = StudyProblemKind;
  o.problems = {{K::poisson, {582, 1663}, {0, 1}},   {K::nonlinear, {828}, {0}},
                {K::heat, {828}, {0}, {3, 4}, 60.0}, {K::star, {2180}, {0}, {4}},
                {K::torus3d, {2000}, {0}, {3}},      {K::helmholtz, {1663}, {0}, {4}},
                {K::advection, {1663}, {0}, {4}}};
  o.orders = {2, 3, 4};
  o.methods = {StudyMethod::dtpinn, StudyMethod::vanilla32};
  o.epochs = 400;
  o.time_budget = 15.0;
  o.eval_every = 5;
  o.test_n = 8000;
  // One torch thread: on a 2-core machine shared with other work, two intra-op threads meet
  // at a barrier per operation and a small step slowed down ~30x (measured at load 8).
  o.threads = 1;
  return o;
}

double time_to_error(const ErrorHistory& h, double e) {
  for (const auto& [t, err] : h)
    if (err >= 0 && err <= e) return t;
  return -1.0;
}

double best_error(const ErrorHistory& h) {
  double best = -1.0;
  for (const auto& p : h)
    if (p.second >= 0 && (best < 0 || p.second < best)) best = p.second;
  return best;
}

EqualErrorSpeedup speedup_at_equal_error(const ErrorHistory& dtpinn, const ErrorHistory& vanilla) {
  EqualErrorSpeedup s;
  const double bd = best_error(dtpinn), bv = best_error(vanilla);
  if (bd < 0 || bv < 0) return s;
  s.common_error = std::max(bd, bv);
  s.dtpinn_seconds = time_to_error(dtpinn, s.common_error);
  s.vanilla_seconds = time_to_error(vanilla, s.common_error);
  if (s.dtpinn_seconds > 0 && s.vanilla_seconds > 0)
    s.speedup = s.vanilla_seconds / s.dtpinn_seconds;
  return s;
}

Spread spread(std::vector<double> v) {
  v.erase(
      std::remove_if(v.begin(), v.end(), [](double x) { return !(x >= 0) || !std::isfinite(x); }),
      v.end());
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.count = static_cast<int>(n);
  s.min = v.front();
  s.max = v.back();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return s;
}

std::string format_spread(const Spread& s, bool scientific) {
  if (s.count == 0) return "n/a";
  auto f = [&](double x) {
    return scientific ? fmt::format("{:.2e}", x) : fmt::format("{:.3g}", x);
  };
  if (s.count == 1) return f(s.median);
  return fmt::format("{} [{}, {}]", f(s.median), f(s.min), f(s.max));
}

std::string markdown_table(const std::vector<std::string>& headers,
                           const std::vector<std::vector<std::string>>& rows) {
  if (headers.empty()) throw std::invalid_argument("markdown_table: no columns");
  std::string out = "|";
  for (const auto& h : headers) out += " " + h + " |";
  out += "\n|";
  for (std::size_t i = 0; i < headers.size(); ++i) out += " --- |";
  out += "\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != headers.size())
      throw std::invalid_argument(fmt::format("markdown_table: row {} has {} cells, expected {}", r,
                                              rows[r].size(), headers.size()));
    out += "|";
    for (const auto& c : rows[r]) out += " " + c + " |";
    out += "\n";
  }
  return out;
}

}  // namespace dtpinn::lab
