// `dtpinn study`: derivative accuracy/cost vs depth and the DT-PINN vs vanilla-PINN runs, all
// through the engine's own build_dataset / make_network / train, then tables, JSON and plots.
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/gnuplot.hpp>
#include <dtpinn/lab/study.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <torch/torch.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <tuple>

namespace dtpinn::lab {

using namespace dtpinn::core;

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

void say(std::ostream* log, const std::string& line) {
  if (log) *log << line << '\n' << std::flush;
}

json num(double v) {
  return v >= 0 && std::isfinite(v) ? json(v) : json(nullptr);
}

void write_text(const fs::path& path, const std::string& text) {
  nodegen::write_file_atomically(path.string(), text);
}

void run_gnuplot(const fs::path& folder, const std::string& script, std::ostream* log) {
  render_plot(folder.string(), script, log);
}

/// What every output file carries.
struct Stamp {
  std::string command, machine, cpu, gpu, uname, date, commit, load_start, load_end;
  std::string line() const {
    return fmt::format("{} | {} | {} | commit {}", machine, date, cpu, commit);
  }
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---- part 1: derivatives vs depth -----------------------------------------------------------

struct DerivCell {
  std::string op, method;  // op: laplacian | biharmonic; method: "autograd fp32", "RBF-FD p=3"
  int depth = 0;
  std::vector<double> errors, seconds;
};

/// Lap u (or Lap^2 u) of the network at x by autograd; the last differentiation builds no graph.
at::Tensor autograd_operator(const Network& net, const at::Tensor& x, bool biharmonic) {
  auto xg = x.detach().clone().requires_grad_(true);
  auto u = net.forward(xg);
  auto g = autodiff::input_gradient(u, xg, true);
  auto lap = autodiff::laplacian(g, xg, 2, biharmonic);
  if (!biharmonic) return lap.detach();
  auto g2 = autodiff::input_gradient(lap, xg, true);
  return autodiff::laplacian(g2, xg, 2, false).detach();
}

double rel_l2(const at::Tensor& a, const at::Tensor& ref) {
  const double r = ref.norm().item<double>();
  return (a.to(torch::kFloat64) - ref).norm().item<double>() / (r > 0 ? r : 1.0);
}

template <class F>
double median_seconds(int repeats, bool cuda, F&& f) {
  std::vector<double> t;
  f();  // warm-up
  for (int i = 0; i < repeats; ++i) {
    if (cuda) torch::cuda::synchronize();
    const auto t0 = Clock::now();
    f();
    if (cuda) torch::cuda::synchronize();
    t.push_back(seconds_since(t0));
  }
  return spread(t).median;
}

std::vector<DerivCell> derivative_study(const StudyOptions& o, c10::Device device,
                                        std::ostream* log, json& meta) {
  std::vector<DerivCell> cells;
  const bool cuda = device.is_cuda();
  for (const bool bih : {false, true}) {
    const std::string op = bih ? "biharmonic" : "laplacian";
    const std::int64_t n = bih ? o.biharmonic_n : o.derivative_n;
    const auto nodes = nodegen::make_nodes("disk", n, 0, true);
    const auto Nc = nodes.n_collocation();
    meta[op] = {
        {"n_nodes", Nc}, {"n_interior", nodes.n_interior}, {"n_boundary", nodes.n_boundary}};
    say(log, fmt::format("[study] derivatives: {} on {} disk nodes (+{} ghosts), depth 1..{}, {} "
                         "networks per depth",
                         op, Nc, nodes.n_ghost, o.max_depth, o.derivative_repeats));
    const auto dopt = torch::TensorOptions().dtype(torch::kFloat64).device(device);
    std::map<int, autodiff::SparseOperator> ops;
    for (int p : o.orders) {
      rbffd::RbffdParams params;
      params.order = p;
      rbffd::OperatorRequest req;
      // L and B as build_dataset requests them (B is cheap and unused here), plus the
      // biharmonic when asked for.
      req.laplacian = true;
      req.boundary = true;
      req.biharmonic = bih;
      try {
        auto set = rbffd::assemble(nodes, params, req);
        ops.emplace(p, autodiff::SparseOperator(bih ? set.biharmonic : set.laplacian, dopt));
      } catch (const std::exception& e) {
        say(log, fmt::format("[study] derivatives: {} p = {} skipped: {}", op, p, e.what()));
      }
    }
    const auto xall = torch::from_blob(const_cast<double*>(nodes.points.data()),
                                       {nodes.points.rows(), nodes.points.cols()}, torch::kFloat64)
                          .clone()
                          .to(device);
    const auto xc = xall.slice(0, 0, Nc);
    const auto xc32 = xc.to(torch::kFloat32);
    Eigen::VectorXd lo = Eigen::VectorXd::Constant(2, -1.0), hi = Eigen::VectorXd::Constant(2, 1.0);
    for (int s = 1; s <= o.max_depth; ++s) {
      std::map<std::string, DerivCell> row;
      auto cell = [&](const std::string& method) -> DerivCell& {
        auto& c = row[method];
        c.op = op;
        c.method = method;
        c.depth = s;
        return c;
      };
      for (int r = 0; r < o.derivative_repeats; ++r) {
        ModelConfig mc;
        mc.depth = s;
        mc.width = 50;
        mc.activation = Activation::tanh;
        const std::uint64_t seed = 1000u * static_cast<unsigned>(s) + static_cast<unsigned>(r);
        Network net64(mc, lo, hi, torch::kFloat64, device, seed);
        Network net32(mc, lo, hi, torch::kFloat32, device, seed);
        {
          torch::NoGradGuard ng;
          auto p64 = net64.parameters();
          auto p32 = net32.parameters();
          for (std::size_t i = 0; i < p64.size(); ++i) p32[i].copy_(p64[i]);
        }
        const auto ref = autograd_operator(net64, xc, bih);
        cell("autograd fp32").errors.push_back(rel_l2(autograd_operator(net32, xc32, bih), ref));
        at::Tensor u;
        {
          torch::NoGradGuard ng;
          u = net64.forward(xall);
        }
        for (const auto& [p, A] : ops)
          cell(fmt::format("RBF-FD p={}", p)).errors.push_back(rel_l2(A.multiply(u), ref));
        if (r == 0) {  // timing on the first network of each depth
          const int k = o.timing_repeats;
          cell("autograd fp64").seconds.push_back(median_seconds(k, cuda, [&] {
            (void)autograd_operator(net64, xc, bih);
          }));
          cell("autograd fp32").seconds.push_back(median_seconds(k, cuda, [&] {
            (void)autograd_operator(net32, xc32, bih);
          }));
          cell("forward fp64 (all nodes)").seconds.push_back(median_seconds(k, cuda, [&] {
            torch::NoGradGuard ng;
            (void)net64.forward(xall);
          }));
          for (const auto& kv : ops) {
            const autodiff::SparseOperator& A = kv.second;
            cell(fmt::format("RBF-FD p={}", kv.first))
                .seconds.push_back(
                    median_seconds(std::max(k, 20), cuda, [&] { (void)A.multiply(u); }));
          }
        }
        cell("autograd fp64").errors.push_back(0.0);
      }
      std::string line;
      for (auto& [m, c] : row) {
        line += fmt::format("  {}: err {}", m, format_spread(spread(c.errors)));
        if (!c.seconds.empty()) line += fmt::format(" t {:.3g} ms", 1e3 * c.seconds[0]);
        cells.push_back(c);
      }
      say(log, fmt::format("[study] {} depth {}:{}", op, s, line));
    }
  }
  return cells;
}

// ---- part 2: the PINN runs ------------------------------------------------------------------

struct RunRecord {
  std::string problem, label;  // label: "DT-PINN fp64", "vanilla fp32"
  Method method = Method::dtpinn;
  Precision precision = Precision::fp64;
  std::int64_t n_target = 0, n_nodes = 0;
  int order = 0;  // 0 for vanilla
  std::uint64_t seed = 0;
  bool ok = false;
  std::string error;
  TrainResult r;
  ErrorHistory hist;
};

RunConfig problem_config(const std::string& name, std::int64_t n, const StudyOptions& o) {
  RunConfig c = default_config();
  c.source = "dtpinn study: " + name;
  c.domain.n = n;
  c.domain.seed = 0;
  c.domain.test_n = o.test_n;
  if (name == "poisson") {
  } else if (name == "nonlinear") {
    c.problem.pde = PdeKind::nonlinear_poisson;
  } else if (name == "heat") {
    c.problem.pde = PdeKind::heat;
    c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*sin(pi*t)";
    c.problem.t_final = 1.0;
    c.problem.nt = 24;
    // The test error is taken on up to 11 time slices of the test nodes.
    c.domain.test_n = std::max<std::int64_t>(1000, o.test_n / 4);
  } else if (name == "star") {
    c.domain.shape = "star";
  } else if (name == "3d") {
    c.domain.file = (fs::path(o.source_dir) / "data/geometry/torus.obj").string();
    c.domain.rescale = true;
    c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*exp(z)";
    c.domain.test_n = std::min<std::int64_t>(o.test_n, 3 * n);
  } else {
    throw std::runtime_error(fmt::format("--problems: unknown problem '{}'", name));
  }
  c.train.device = o.device;
  c.train.epochs = o.epochs;
  c.train.time_budget = o.time_budget;
  c.train.eval_every = o.eval_every;
  return c;
}

std::string method_label(const std::string& m) {
  if (m == "dtpinn") return "DT-PINN fp64";
  if (m == "vanilla32") return "vanilla fp32";
  if (m == "vanilla64") return "vanilla fp64";
  return m;
}

RunRecord train_one(const RunConfig& base, const Dataset& d, const std::string& problem,
                    const std::string& method, int order, std::uint64_t seed, std::ostream* log) {
  RunRecord rec;
  rec.problem = problem;
  rec.n_target = base.domain.n;
  rec.n_nodes = d.n_collocation();
  rec.order = method == "dtpinn" ? order : 0;
  rec.seed = seed;
  rec.label = method_label(method);
  RunConfig c = base;
  c.train.seed = seed;
  c.train.method = method == "dtpinn" ? Method::dtpinn : Method::vanilla;
  c.train.precision = method == "vanilla32" ? Precision::fp32 : Precision::fp64;
  if (method == "dtpinn") c.rbffd.order = order;
  rec.method = c.train.method;
  rec.precision = c.train.precision;
  const std::string what =
      fmt::format("{} N={} {}{} seed {}", problem, rec.n_nodes, rec.label,
                  method == "dtpinn" ? fmt::format(" p={}", order) : std::string(), seed);
  try {
    Network net = make_network(c, d);
    rec.r = train(c, d, net, {});
    for (const auto& h : rec.r.history)
      if (h.test_rel_l2 >= 0) rec.hist.emplace_back(h.seconds, h.test_rel_l2);
    rec.ok = true;
    say(log, fmt::format("[study] {}: error {:.3e}, best {:.3e} at epoch {} ({:.2f} s), {} epochs, "
                         "{:.4f} s/epoch ({})",
                         what, rec.r.test_rel_l2, rec.r.best_test_rel_l2, rec.r.epochs_to_best,
                         rec.r.seconds_to_best, rec.r.epochs, rec.r.seconds_per_epoch,
                         rec.r.stop_reason));
  } catch (const std::exception& e) {
    rec.error = e.what();
    say(log, fmt::format("[study] {}: FAILED: {}", what, rec.error));
  }
  return rec;
}

// ---- reporting ----------------------------------------------------------------------------------

std::string gp_header(const Stamp& st, const std::string& png, const std::string& title) {
  return fmt::format(
      "# {}\n# command: {}\n# machine: {} ({}{}), date {}, commit {}\n"
      "set terminal png size 960,640\nset output '{}'\nset title \"{}\"\nset grid\n"
      "set key outside right\nset bmargin 5\nset label 99 \"{}\" at screen 0.01,0.015 font ',8'\n",
      png, st.command, st.machine, st.cpu, st.gpu.empty() ? "" : ", " + st.gpu, st.date, st.commit,
      png, title, st.line());
}

struct Series {
  std::string title;
  std::vector<std::vector<double>> rows;  // x, then columns
};

std::string dat_text(const std::vector<Series>& series, const std::string& columns) {
  std::string out = "# " + columns + "\n";
  for (const auto& s : series) {
    out += "# " + s.title + "\n";
    for (const auto& r : s.rows) {
      for (std::size_t i = 0; i < r.size(); ++i) out += fmt::format("{}{:.6g}", i ? " " : "", r[i]);
      out += "\n";
    }
    out += "\n\n";
  }
  return out;
}

}  // namespace

std::string run_study(const StudyOptions& o, std::ostream* log) {
  // Validate everything before any work.
  if (o.device == DeviceKind::cuda && !torch::cuda::is_available())
    throw std::runtime_error("--device cuda: no CUDA device is available on this machine");
  for (int p : o.orders)
    if (p < 2 || p > 6) throw std::runtime_error(fmt::format("--order: {} is not in 2..6", p));
  const std::set<std::string> known_methods = {"dtpinn", "vanilla32", "vanilla64"};
  for (const auto& m : o.methods)
    if (!known_methods.count(m))
      throw std::runtime_error(
          fmt::format("--methods: unknown method '{}' (dtpinn, vanilla32, vanilla64)", m));
  const auto names = study_problem_names();
  for (const auto& p : o.problems) {
    if (std::find(names.begin(), names.end(), p.name) == names.end())
      throw std::runtime_error(fmt::format(
          "--problems: unknown problem '{}' (poisson, nonlinear, heat, star, 3d)", p.name));
    for (auto n : p.sizes)
      if (n < 50) throw std::runtime_error(fmt::format("--n: {} nodes is too few (>= 50)", n));
    for (int q : p.orders)
      if (q < 2 || q > 6) throw std::runtime_error(fmt::format("--order: {} is not in 2..6", q));
  }
  if (o.epochs < 1) throw std::runtime_error("--epochs: must be >= 1");
  if (!(o.time_budget >= 0)) throw std::runtime_error("--time-budget: must be >= 0");
  if (o.max_depth < 1) throw std::runtime_error("--max-depth: must be >= 1");
  if (o.orders.empty() && std::count(o.methods.begin(), o.methods.end(), "dtpinn"))
    throw std::runtime_error("--order: no order given");
  if (o.threads > 0) torch::set_num_threads(o.threads);

  const MachineInfo mi = machine_info(o.device == DeviceKind::cuda);
  const fs::path out =
      o.output.empty() ? fs::path(o.source_dir) / "bench/results" / mi.slug : fs::path(o.output);
  fs::create_directories(out);
  Stamp st;
  st.command = o.command;
  st.machine = mi.slug;
  st.cpu = fmt::format("{}, {} logical CPUs", mi.cpu_model, mi.cpu_cores);
  st.gpu = mi.gpu_model;
  st.uname = mi.uname;
  st.date = utc_now();
  st.commit = git_commit(o.source_dir);
  st.load_start = mi.load;
  say(log, fmt::format("[study] output {}; machine {} ({}); {}; commit {}", out.string(), mi.slug,
                       st.cpu, mi.load, st.commit));
  const auto t_start = Clock::now();
  const c10::Device device =
      o.device == DeviceKind::cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);

  // Part 1.
  json deriv_meta = json::object();
  std::vector<DerivCell> deriv;
  if (o.derivatives) deriv = derivative_study(o, device, log, deriv_meta);

  // Part 2.
  std::vector<RunRecord> runs;
  std::string vanilla_ref;  // the vanilla the speed-up is taken against
  for (const auto& m : o.methods)
    if (m != "dtpinn" && vanilla_ref.empty()) vanilla_ref = m;
  const bool with_dtpinn = std::count(o.methods.begin(), o.methods.end(), "dtpinn") > 0;
  if (o.pinn) {
    for (const auto& prob : o.problems) {
      for (auto n : prob.sizes) {
        RunConfig base = problem_config(prob.name, n, o);
        const std::vector<int>& orders = prob.orders.empty() ? o.orders : prob.orders;
        if (prob.time_budget >= 0) base.train.time_budget = prob.time_budget;
        base.rbffd.order = with_dtpinn ? *std::min_element(orders.begin(), orders.end()) : 2;
        Dataset d;
        try {
          DatasetOptions dopt;
          dopt.operators = false;  // assembled per order below
          d = build_dataset(base, dopt, nullptr);
        } catch (const std::exception& e) {
          say(log, fmt::format("[study] {} N={}: skipped: {}", prob.name, n, e.what()));
          continue;
        }
        say(log, fmt::format("[study] {} N={}: Ni = {}, Nb = {}, test {} points ({})", prob.name, n,
                             d.nodes.n_interior, d.nodes.n_boundary, d.test_points.rows(),
                             d.reference_kind));
        std::map<int, std::pair<rbffd::CsrMatrix, rbffd::CsrMatrix>> ops;
        if (with_dtpinn)
          for (int p : orders) {
            rbffd::RbffdParams params = rbffd_params(base);
            params.order = p;
            rbffd::OperatorRequest req;
            req.robin = rbffd::RobinCoefficients::constant(d.problem->alpha(), d.problem->beta());
            try {
              RunConfig cp = base;
              cp.rbffd.order = p;
              check_order_fits(cp, d.nodes);
              auto set = rbffd::assemble(d.nodes, params, req);
              ops[p] = {std::move(set.laplacian), std::move(set.boundary)};
            } catch (const std::exception& e) {
              say(log, fmt::format("[study] {} N={} p={}: skipped: {}", prob.name, n, p, e.what()));
            }
          }
        for (auto seed : prob.seeds) {
          for (const auto& m : o.methods) {
            if (m == "dtpinn") {
              for (auto& [p, LB] : ops) {
                d.L = LB.first;
                d.B = LB.second;
                d.has_operators = true;
                runs.push_back(train_one(base, d, prob.name, m, p, seed, log));
              }
            } else {
              d.has_operators = false;
              runs.push_back(train_one(base, d, prob.name, m, 0, seed, log));
            }
          }
        }
      }
    }
  }
  const MachineInfo mi_end = machine_info(o.device == DeviceKind::cuda);
  st.load_end = mi_end.load;
  const double total_seconds = seconds_since(t_start);

  // ---- aggregate ----
  struct Group {  // one (problem, N, method, p) over seeds
    std::string problem, label;
    std::int64_t n = 0;
    int order = 0;
    std::vector<const RunRecord*> runs;
  };
  std::vector<Group> groups;
  auto key_of = [](const RunRecord& r) {
    return fmt::format("{}|{}|{}|{}", r.problem, r.n_nodes, r.label, r.order);
  };
  std::map<std::string, std::size_t> gindex;
  for (const auto& r : runs) {
    const auto k = key_of(r);
    if (!gindex.count(k)) {
      gindex[k] = groups.size();
      groups.push_back({r.problem, r.label, r.n_nodes, r.order, {}});
    }
    groups[gindex[k]].runs.push_back(&r);
  }
  auto collect = [](const Group& g, auto&& f) {
    std::vector<double> v;
    for (const auto* r : g.runs)
      if (r->ok) v.push_back(f(*r));
    return spread(v);
  };
  // Speed-ups per (problem, N, p, seed) against the reference vanilla of the same seed.
  struct Speed {
    std::string problem;
    std::int64_t n = 0;
    int order = 0;
    std::uint64_t seed = 0;
    EqualErrorSpeedup s;
    double dt_best = -1, va_best = -1;
    std::int64_t dt_epochs_best = -1, va_epochs_best = -1;
  };
  std::vector<Speed> speeds;
  for (const auto& d : runs) {
    if (d.method != Method::dtpinn || !d.ok) continue;
    for (const auto& v : runs)
      if (v.ok && v.method == Method::vanilla && v.label == method_label(vanilla_ref) &&
          v.problem == d.problem && v.n_nodes == d.n_nodes && v.seed == d.seed) {
        Speed s{d.problem,
                d.n_nodes,
                d.order,
                d.seed,
                speedup_at_equal_error(d.hist, v.hist),
                d.r.best_test_rel_l2,
                v.r.best_test_rel_l2,
                d.r.epochs_to_best,
                v.r.epochs_to_best};
        speeds.push_back(s);
      }
  }

  // ---- study.json ----
  json j;
  j["meta"] = {{"command", st.command},
               {"machine", st.machine},
               {"cpu", st.cpu},
               {"gpu", st.gpu},
               {"uname", st.uname},
               {"date", st.date},
               {"commit", st.commit},
               {"load_start", st.load_start},
               {"load_end", st.load_end},
               {"device", to_string(o.device)},
               {"quick", o.quick},
               {"epochs", o.epochs},
               {"time_budget", o.time_budget},
               {"eval_every", o.eval_every},
               {"total_seconds", total_seconds},
               {"speedup_definition",
                "e* = max(best DT-PINN error, best vanilla error); speedup = t_vanilla(e*) / "
                "t_dtpinn(e*), times on the training clock read from each run's history"},
               {"vanilla_reference", vanilla_ref.empty() ? "" : method_label(vanilla_ref)}};
  j["derivatives"] = {{"nodes", deriv_meta}, {"cells", json::array()}};
  for (const auto& c : deriv)
    j["derivatives"]["cells"].push_back({{"op", c.op},
                                         {"method", c.method},
                                         {"depth", c.depth},
                                         {"errors", c.errors},
                                         {"seconds", c.seconds}});
  j["runs"] = json::array();
  for (const auto& r : runs) {
    json h = json::array();
    for (const auto& row : r.r.history)
      h.push_back({row.epoch, row.seconds, num(row.test_rel_l2), row.loss});
    j["runs"].push_back({{"problem", r.problem},
                         {"n_target", r.n_target},
                         {"n_nodes", r.n_nodes},
                         {"method", to_string(r.method)},
                         {"precision", to_string(r.precision)},
                         {"label", r.label},
                         {"order", r.order},
                         {"seed", r.seed},
                         {"ok", r.ok},
                         {"error", r.error},
                         {"test_rel_l2", num(r.r.test_rel_l2)},
                         {"best_test_rel_l2", num(r.r.best_test_rel_l2)},
                         {"epochs", r.r.epochs},
                         {"epochs_to_best", r.r.epochs_to_best},
                         {"seconds_to_best", r.r.seconds_to_best},
                         {"train_seconds", r.r.train_seconds},
                         {"seconds_per_epoch", r.r.seconds_per_epoch},
                         {"stop_reason", r.r.stop_reason},
                         {"history_columns", {"epoch", "seconds", "test_rel_l2", "loss"}},
                         {"history", h}});
  }
  j["speedups"] = json::array();
  for (const auto& s : speeds)
    j["speedups"].push_back({{"problem", s.problem},
                             {"n_nodes", s.n},
                             {"order", s.order},
                             {"seed", s.seed},
                             {"common_error", num(s.s.common_error)},
                             {"dtpinn_seconds", num(s.s.dtpinn_seconds)},
                             {"vanilla_seconds", num(s.s.vanilla_seconds)},
                             {"speedup", num(s.s.speedup)},
                             {"dtpinn_best", num(s.dt_best)},
                             {"vanilla_best", num(s.va_best)}});
  write_text(out / "study.json", j.dump(1) + "\n");

  // ---- study.md ----
  std::string md;
  md += "# DT-PINN vs vanilla PINN study\n\n";
  md += fmt::format(
      "- command: `{}`\n- machine: `{}`: {}{}\n- uname: `{}`\n- date: {}\n- git "
      "commit: {}\n- load average at start: {}; at end: {}\n- total wall time: "
      "{:.0f} s\n- device: {}; epochs per run: {}; time budget per run: {}; test "
      "error every {} epochs\n\n",
      st.command, st.machine, st.cpu, st.gpu.empty() ? "" : "; GPU " + st.gpu, st.uname, st.date,
      st.commit, st.load_start, st.load_end, total_seconds, to_string(o.device), o.epochs,
      o.time_budget > 0 ? fmt::format("{:g} s", o.time_budget) : "none", o.eval_every);
  md +=
      "Times are the engine's training clock (optimiser steps only; test-error evaluation and "
      "logging excluded). One epoch = one L-BFGS step (up to 20 iterations, strong Wolfe), the "
      "engine's defaults for both methods. Cells with several seeds read `median [min, max]`.\n\n";
  if (!deriv.empty()) {
    md += "## 1. Derivatives of a random tanh MLP (width 50) vs depth (paper Fig. 2, Fig. 7)\n\n";
    md +=
        "Relative l2 error against fp64 autograd over the Ni + Nb collocation nodes of the unit "
        "disk (median [min, max] over the random networks), and seconds per application "
        "(median of repeats, first network of each depth). Autograd time = forward + the "
        "derivative passes at the Ni + Nb nodes; RBF-FD time = the SpMV `L u` alone (the "
        "network forward at all Ni + 2 Nb nodes is listed separately).\n\n";
    for (const std::string op : {"laplacian", "biharmonic"}) {
      std::vector<std::string> methods;
      for (const auto& c : deriv)
        if (c.op == op && std::find(methods.begin(), methods.end(), c.method) == methods.end())
          methods.push_back(c.method);
      if (methods.empty()) continue;
      const auto n = deriv_meta.contains(op) ? deriv_meta[op]["n_nodes"].get<std::int64_t>() : 0;
      for (const bool timing : {false, true}) {
        md += fmt::format("### {} ({}), N = {}\n\n", op == "laplacian" ? "Laplacian" : "Biharmonic",
                          timing ? "milliseconds per application" : "relative error", n);
        std::vector<std::string> hdr = {"depth"};
        for (const auto& m : methods)
          if (timing || m.rfind("forward", 0) != 0) hdr.push_back(m);
        std::vector<std::vector<std::string>> rows;
        for (int s = 1; s <= o.max_depth; ++s) {
          std::vector<std::string> row = {std::to_string(s)};
          for (const auto& m : methods) {
            if (!timing && m.rfind("forward", 0) == 0) continue;
            std::string cellv = "n/a";
            for (const auto& c : deriv)
              if (c.op == op && c.method == m && c.depth == s) {
                if (timing)
                  cellv = c.seconds.empty() ? "n/a" : fmt::format("{:.3g}", 1e3 * c.seconds[0]);
                else
                  cellv = m == "autograd fp64" ? "(reference)" : format_spread(spread(c.errors));
              }
            row.push_back(cellv);
          }
          rows.push_back(row);
        }
        md += markdown_table(hdr, rows) + "\n";
      }
      md += fmt::format("![{} error](deriv_{}_error.png) ![{} time](deriv_{}_time.png)\n\n", op, op,
                        op, op);
    }
  }
  if (!runs.empty()) {
    md += "## 2. PINN runs\n\n";
    md +=
        "Per (problem, N, method, p) over the seeds: final and best test relative l2 error, "
        "epochs and seconds to the best error, seconds per epoch.\n\n";
    std::vector<std::string> probs;
    for (const auto& g : groups)
      if (std::find(probs.begin(), probs.end(), g.problem) == probs.end())
        probs.push_back(g.problem);
    for (const auto& pname : probs) {
      md += fmt::format("### {}\n\n", pname);
      std::vector<std::vector<std::string>> rows;
      for (const auto& g : groups) {
        if (g.problem != pname) continue;
        int failed = 0;
        for (const auto* r : g.runs) failed += r->ok ? 0 : 1;
        rows.push_back(
            {std::to_string(g.n), g.label, g.order ? std::to_string(g.order) : "-",
             fmt::format("{}{}", g.runs.size(), failed ? fmt::format(" ({} failed)", failed) : ""),
             format_spread(collect(g, [](const RunRecord& r) { return r.r.test_rel_l2; })),
             format_spread(collect(g, [](const RunRecord& r) { return r.r.best_test_rel_l2; })),
             format_spread(
                 collect(g, [](const RunRecord& r) { return double(r.r.epochs_to_best); }), false),
             format_spread(collect(g, [](const RunRecord& r) { return r.r.seconds_to_best; }),
                           false),
             format_spread(collect(g, [](const RunRecord& r) { return double(r.r.epochs); }),
                           false),
             format_spread(collect(g, [](const RunRecord& r) { return r.r.seconds_per_epoch; }),
                           false)});
      }
      md += markdown_table({"N", "method", "p", "seeds", "final error", "best error",
                            "epochs to best", "s to best", "epochs run", "s / epoch"},
                           rows) +
            "\n";
      md += fmt::format("![error vs N]({0}_error.png) ![time to best vs N]({0}_time.png)", pname);
      if (!speeds.empty()) md += fmt::format(" ![speed-up vs N]({}_speedup.png)", pname);
      md += "\n\n";
    }
    if (!speeds.empty()) {
      md += fmt::format(
          "## 3. Speed-up of DT-PINN fp64 over {} at equal error\n\n"
          "Per seed: e* = max(best DT-PINN error, best vanilla error), the accuracy both runs "
          "reached; speed-up = t_vanilla(e*) / t_dtpinn(e*), each the first training-clock time "
          "at which that run's test error was <= e* (read from the histories). > 1 means DT-PINN "
          "got there sooner. `best ratio` = best DT-PINN error / best vanilla error (< 1: DT-PINN "
          "more accurate). Epochs to best compare the two methods' epochs.\n\n",
          method_label(vanilla_ref));
      std::map<std::tuple<std::string, std::int64_t, int>, std::vector<const Speed*>> by;
      std::vector<std::tuple<std::string, std::int64_t, int>> order_keys;
      for (const auto& s : speeds) {
        auto k = std::make_tuple(s.problem, s.n, s.order);
        if (!by.count(k)) order_keys.push_back(k);
        by[k].push_back(&s);
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& k : order_keys) {
        const auto& v = by[k];
        std::vector<double> e, td, tv, sp, ratio, ed, ev;
        for (const auto* s : v) {
          e.push_back(s->s.common_error);
          td.push_back(s->s.dtpinn_seconds);
          tv.push_back(s->s.vanilla_seconds);
          sp.push_back(s->s.speedup);
          ratio.push_back(s->dt_best > 0 && s->va_best > 0 ? s->dt_best / s->va_best : -1);
          ed.push_back(double(s->dt_epochs_best));
          ev.push_back(double(s->va_epochs_best));
        }
        rows.push_back({std::get<0>(k), std::to_string(std::get<1>(k)),
                        std::to_string(std::get<2>(k)), std::to_string(v.size()),
                        format_spread(spread(e)), format_spread(spread(td), false),
                        format_spread(spread(tv), false), format_spread(spread(sp), false),
                        format_spread(spread(ratio), false), format_spread(spread(ed), false),
                        format_spread(spread(ev), false)});
      }
      md +=
          markdown_table({"problem", "N", "p", "seeds", "e*", "t DT-PINN (s)", "t vanilla (s)",
                          "speed-up", "best ratio", "epochs to best DT", "epochs to best vanilla"},
                         rows) +
          "\n";
    }
    int failed = 0;
    for (const auto& r : runs)
      if (!r.ok) ++failed;
    if (failed) {
      md += "## Failed runs\n\n";
      for (const auto& r : runs)
        if (!r.ok)
          md += fmt::format("- {} N={} {} p={} seed {}: {}\n", r.problem, r.n_nodes, r.label,
                            r.order, r.seed, r.error);
      md += "\n";
    }
  }
  md +=
      "Raw numbers (every run's history): `study.json`. Plots: gnuplot scripts `*.gp` with data "
      "`*.dat` next to the PNGs.\n";
  write_text(out / "study.md", md);

  // ---- plots ----
  if (!deriv.empty()) {
    for (const std::string op : {"laplacian", "biharmonic"}) {
      std::vector<Series> err, tim;
      std::vector<std::string> methods;
      for (const auto& c : deriv)
        if (c.op == op && std::find(methods.begin(), methods.end(), c.method) == methods.end())
          methods.push_back(c.method);
      if (methods.empty()) continue;
      for (const auto& m : methods) {
        Series se{m, {}}, stt{m, {}};
        for (const auto& c : deriv)
          if (c.op == op && c.method == m) {
            const auto sp = spread(c.errors);
            if (m != "autograd fp64" && m.rfind("forward", 0) != 0 && sp.count)
              se.rows.push_back({double(c.depth), sp.median, sp.min, sp.max});
            if (!c.seconds.empty()) stt.rows.push_back({double(c.depth), 1e3 * c.seconds[0]});
          }
        if (!se.rows.empty()) err.push_back(se);
        if (!stt.rows.empty()) tim.push_back(stt);
      }
      const std::string base = "deriv_" + op;
      write_text(out / (base + "_error.dat"), dat_text(err, "depth median min max"));
      write_text(out / (base + "_time.dat"), dat_text(tim, "depth milliseconds"));
      std::string pe, pt;
      for (std::size_t i = 0; i < err.size(); ++i)
        pe +=
            fmt::format("{}'{}_error.dat' index {} using 1:2:3:4 with yerrorlines lw 2 title '{}'",
                        i ? ", " : "", base, i, err[i].title);
      for (std::size_t i = 0; i < tim.size(); ++i)
        pt += fmt::format("{}'{}_time.dat' index {} using 1:2 with linespoints lw 2 title '{}'",
                          i ? ", " : "", base, i, tim[i].title);
      const auto n = deriv_meta[op]["n_nodes"].get<std::int64_t>();
      write_text(
          out / (base + "_error.gp"),
          gp_header(
              st, base + "_error.png",
              fmt::format("{} of a random tanh MLP: rel. error vs fp64 autograd, N = {}", op, n)) +
              "set xlabel 'depth (hidden layers)'\nset ylabel 'relative l2 error'\nset "
              "logscale y\nset format y '%.0e'\nset offsets 0.3, 0.3, 0, 0\nplot " +
              pe + "\n");
      write_text(out / (base + "_time.gp"),
                 gp_header(st, base + "_time.png",
                           fmt::format("{}: time per application, N = {}", op, n)) +
                     "set xlabel 'depth (hidden layers)'\nset ylabel 'milliseconds'\nset logscale "
                     "y\nset offsets 0.3, 0.3, 0, 0\nplot " +
                     pt + "\n");
      run_gnuplot(out, base + "_error.gp", log);
      run_gnuplot(out, base + "_time.gp", log);
    }
  }
  if (!runs.empty()) {
    std::vector<std::string> probs;
    for (const auto& g : groups)
      if (std::find(probs.begin(), probs.end(), g.problem) == probs.end())
        probs.push_back(g.problem);
    for (const auto& pname : probs) {
      // Series: one per (method, p), x = N.
      std::vector<std::string> labels;
      for (const auto& g : groups)
        if (g.problem == pname) {
          const auto l = g.order ? fmt::format("{} p={}", g.label, g.order) : g.label;
          if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
        }
      std::vector<Series> es, ts;
      for (const auto& l : labels) {
        Series e{l, {}}, t{l, {}};
        for (const auto& g : groups) {
          if (g.problem != pname) continue;
          const auto gl = g.order ? fmt::format("{} p={}", g.label, g.order) : g.label;
          if (gl != l) continue;
          const auto be = collect(g, [](const RunRecord& r) { return r.r.best_test_rel_l2; });
          const auto tb = collect(g, [](const RunRecord& r) { return r.r.seconds_to_best; });
          if (be.count) e.rows.push_back({double(g.n), be.median, be.min, be.max});
          if (tb.count) t.rows.push_back({double(g.n), tb.median, tb.min, tb.max});
        }
        std::sort(e.rows.begin(), e.rows.end());
        std::sort(t.rows.begin(), t.rows.end());
        es.push_back(e);
        ts.push_back(t);
      }
      write_text(out / (pname + "_error.dat"), dat_text(es, "N best_error_median min max"));
      write_text(out / (pname + "_time.dat"), dat_text(ts, "N seconds_to_best_median min max"));
      std::string pe, pt;
      for (std::size_t i = 0; i < es.size(); ++i) {
        pe +=
            fmt::format("{}'{}_error.dat' index {} using 1:2:3:4 with yerrorlines lw 2 title '{}'",
                        i ? ", " : "", pname, i, es[i].title);
        pt += fmt::format("{}'{}_time.dat' index {} using 1:2:3:4 with yerrorlines lw 2 title '{}'",
                          i ? ", " : "", pname, i, ts[i].title);
      }
      const std::string xr =
          "set logscale x\nset xrange [*:*]\nset offsets graph 0.05, graph 0.05, 0, 0\n";
      write_text(out / (pname + "_error.gp"),
                 gp_header(st, pname + "_error.png", pname + ": best test relative l2 error vs N") +
                     xr +
                     "set xlabel 'N (interior + boundary nodes)'\nset ylabel 'best test rel. l2 "
                     "error'\nset logscale y\nset format y '%.0e'\nplot " +
                     pe + "\n");
      write_text(
          out / (pname + "_time.gp"),
          gp_header(st, pname + "_time.png", pname + ": training seconds to the best error vs N") +
              xr +
              "set xlabel 'N (interior + boundary nodes)'\nset ylabel 'seconds to best "
              "error'\nset logscale y\nplot " +
              pt + "\n");
      run_gnuplot(out, pname + "_error.gp", log);
      run_gnuplot(out, pname + "_time.gp", log);
      // Speed-up vs N per p.
      std::map<int, std::map<std::int64_t, std::vector<double>>> sp;
      for (const auto& s : speeds)
        if (s.problem == pname) sp[s.order][s.n].push_back(s.s.speedup);
      if (!sp.empty()) {
        std::vector<Series> ss;
        for (const auto& [p, byn] : sp) {
          Series s{fmt::format("p={}", p), {}};
          for (const auto& [n, v] : byn) {
            const auto x = spread(v);
            if (x.count) s.rows.push_back({double(n), x.median, x.min, x.max});
          }
          ss.push_back(s);
        }
        write_text(out / (pname + "_speedup.dat"), dat_text(ss, "N speedup_median min max"));
        std::string ps;
        for (std::size_t i = 0; i < ss.size(); ++i)
          ps += fmt::format(
              "{}'{}_speedup.dat' index {} using 1:2:3:4 with yerrorlines lw 2 title '{}'",
              i ? ", " : "", pname, i, ss[i].title);
        write_text(out / (pname + "_speedup.gp"),
                   gp_header(st, pname + "_speedup.png",
                             pname + ": speed-up of DT-PINN over " + method_label(vanilla_ref) +
                                 " at equal error") +
                       xr +
                       "set xlabel 'N (interior + boundary nodes)'\nset ylabel 't(vanilla, e*) / "
                       "t(DT-PINN, e*)'\n"
                       "set yrange [0:*]\nplot " +
                       ps + ", 1 with lines dt 2 lc 'black' title 'parity'\n");
        run_gnuplot(out, pname + "_speedup.gp", log);
      }
    }
  }
  say(log, fmt::format("[study] done in {:.0f} s: {} ({} runs)", total_seconds,
                       (out / "study.md").string(), runs.size()));
  return out.string();
}

}  // namespace dtpinn::lab
