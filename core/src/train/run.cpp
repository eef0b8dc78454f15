// Run folders (results.json, history.csv, checkpoint, VTK, plots), compare, eval. No LibTorch
// header here: the network is used through its torch-free interface.
#include <dtpinn/core/run.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <dirent.h>
#include <fmt/format.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace dtpinn::core {

using json = nlohmann::json;

namespace {

// POSIX file-system helpers. Not std::filesystem: libtorch.so exports its own copies of
// std::filesystem functions, and its remove_all(path, error_code&) crashes when it wins the
// symbol lookup (seen with LibTorch 2.11 + GCC 12).
bool is_directory(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::string join(const std::string& a, const std::string& b) {
  return a.empty() || a.back() == '/' ? a + b : a + "/" + b;
}

/// mkdir -p; throws naming the folder on failure.
void make_directories(const std::string& dir) {
  std::string cur;
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    const auto next = dir.find('/', pos);
    cur = dir.substr(0, next == std::string::npos ? dir.size() : next);
    if (!cur.empty() && !is_directory(cur) && ::mkdir(cur.c_str(), 0777) != 0 && errno != EEXIST)
      throw std::runtime_error(
          fmt::format("{}: cannot create the output folder ({})", dir, std::strerror(errno)));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  if (!is_directory(dir))
    throw std::runtime_error(
        fmt::format("{}: cannot create the output folder (not a folder)", dir));
}

std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

/// rm -rf of a folder we created ourselves.
void remove_tree(const std::string& dir) {
  if (path_exists(dir)) ::nftw(dir.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/// Files are written into DIR/.partial-<pid>/ and moved into DIR by commit(), results.json
/// last; destroyed without commit(), the partial folder is removed.
class RunFolder {
 public:
  explicit RunFolder(const std::string& dir) : dir_(dir) {
    make_directories(dir_);
    stage_ = join(dir_, fmt::format(".partial-{}", ::getpid()));
    remove_tree(stage_);
    make_directories(stage_);
  }
  ~RunFolder() {
    if (!done_) remove_tree(stage_);
  }
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  std::string path(const std::string& name) const { return join(stage_, name); }
  const std::string& stage() const { return stage_; }

  void commit() {
    auto files = list_directory(stage_);
    // results.json last: its presence means the run folder is complete.
    std::stable_partition(files.begin(), files.end(),
                          [](const std::string& f) { return f != "results.json"; });
    for (const auto& f : files)
      if (std::rename(join(stage_, f).c_str(), join(dir_, f).c_str()) != 0)
        throw std::runtime_error(
            fmt::format("{}: cannot move {} into place ({})", dir_, f, std::strerror(errno)));
    remove_tree(stage_);
    done_ = true;
  }

 private:
  std::string dir_, stage_;
  bool done_ = false;
};

void write_text(const std::string& path, const std::string& text) {
  nodegen::AtomicFile f(path);
  f.stream() << text;
  f.commit();
}

json num_or_null(double v) {
  return v >= 0 && std::isfinite(v) ? json(v) : json(nullptr);
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs gnuplot on `script` inside `folder`; one warning line (once per process) if missing.
void run_gnuplot(const std::string& folder, const std::string& script, std::ostream* log) {
  static const bool available = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  static bool warned = false;
  if (!available) {
    if (!warned && log)
      *log << "warning: gnuplot not found: the .gp plot scripts are kept, PNGs not made\n";
    warned = true;
    return;
  }
  const std::string cmd =
      fmt::format("cd {} && gnuplot {} >/dev/null 2>&1", shell_quote(folder), shell_quote(script));
  if (std::system(cmd.c_str()) != 0 && log)
    *log << "warning: gnuplot failed on " << script << " (the script is kept)\n";
}

json history_json(const TrainResult& r) {
  json h = json::array();
  for (const auto& row : r.history) {
    json terms, weights, gnorm;
    for (std::size_t i = 0; i < r.term_names.size(); ++i) {
      terms[r.term_names[i]] = row.terms[i];
      weights[r.term_names[i]] = row.weights[i];
      gnorm[r.term_names[i]] = row.grad_norms[i];
    }
    h.push_back({{"epoch", row.epoch},
                 {"seconds", row.seconds},
                 {"loss", row.loss},
                 {"loss_terms", terms},
                 {"weights", weights},
                 {"grad_norms", gnorm},
                 {"test_rel_l2", num_or_null(row.test_rel_l2)}});
  }
  return h;
}

json results_json(const RunConfig& c, const Dataset& d, const TrainResult& r) {
  json terms, weights;
  for (std::size_t i = 0; i < r.term_names.size(); ++i) {
    terms[r.term_names[i]] = r.final_terms[i];
    weights[r.term_names[i]] = r.final_weights[i];
  }
  json j = {
      {"method", r.method},
      {"precision", r.precision},
      {"device", r.device},
      {"pde", r.pde},
      {"n_nodes", r.n_nodes},
      {"n_interior", r.n_interior},
      {"n_boundary", r.n_boundary},
      {"n_ghost", r.n_ghost},
      {"n_test", r.n_test},
      {"order", r.order},
      {"dim", d.dim()},
      {"domain",
       c.domain.file ? *c.domain.file : (c.domain.nodes ? *c.domain.nodes : c.domain.shape)},
      {"architecture", c.model.architecture},
      {"depth", c.model.depth},
      {"width", c.model.width},
      {"activation", c.model.activation},
      {"n_parameters", r.n_parameters},
      {"optimizer", r.optimizer},
      {"seed", c.train.seed},
      {"epochs", r.epochs},
      {"train_seconds", r.train_seconds},
      {"seconds_per_epoch", r.seconds_per_epoch},
      {"setup_seconds", r.setup_seconds},
      {"operator_seconds", d.operator_seconds},
      {"final_loss", r.final_loss},
      {"loss_terms", terms},
      {"loss_weights", weights},
      {"loss_weighting", c.train.loss_weights},
      {"test_rel_l2", num_or_null(r.test_rel_l2)},
      {"best_test_rel_l2", num_or_null(r.best_test_rel_l2)},
      {"epochs_to_best", r.epochs_to_best},
      {"seconds_to_best", r.seconds_to_best},
      {"reference", d.reference_kind},
      {"test_set", d.test_source},
      {"stop_reason", r.stop_reason},
      {"config", c.source},
      {"history", history_json(r)},
  };
  if (d.problem->is_time_dependent()) {
    j["nt"] = d.problem->nt();
    j["t_final"] = d.problem->t_final();
  }
  return j;
}

std::string history_csv(const TrainResult& r) {
  std::ostringstream s;
  s << "epoch,seconds,loss";
  for (const auto& n : r.term_names) s << ',' << n;
  for (const auto& n : r.term_names) s << ",w_" << n;
  for (const auto& n : r.term_names) s << ",gnorm_" << n;
  s << ",test_rel_l2\n";
  for (const auto& h : r.history) {
    s << fmt::format("{},{:.6g},{:.10g}", h.epoch, h.seconds, h.loss);
    for (double v : h.terms) s << fmt::format(",{:.10g}", v);
    for (double v : h.weights) s << fmt::format(",{:.10g}", v);
    for (double v : h.grad_norms) s << fmt::format(",{:.10g}", v);
    s << (h.test_rel_l2 >= 0 ? fmt::format(",{:.10g}\n", h.test_rel_l2) : std::string(",\n"));
  }
  return s.str();
}

json checkpoint_json(const RunConfig& c, const Dataset& d, const Network& net) {
  const Eigen::VectorXd lower = net.lower(), upper = net.upper();
  const std::vector<double> lo(lower.data(), lower.data() + lower.size());
  const std::vector<double> hi(upper.data(), upper.data() + upper.size());
  return {{"format", "dtpinn-checkpoint-1"},
          {"weights", "model.pt"},
          {"config", "config.toml"},
          {"in_dim", net.in_dim()},
          {"dim", d.dim()},
          {"time_dependent", d.problem->is_time_dependent()},
          {"t_final", d.problem->t_final()},
          {"precision", c.train.precision},
          {"architecture", c.model.architecture},
          {"depth", c.model.depth},
          {"width", c.model.width},
          {"activation", c.model.activation},
          {"input_lower", lo},
          {"input_upper", hi}};
}

/// Test nodes with u, reference and error at the last test time (VTK legacy POLYDATA).
void write_solution(RunFolder& folder, const Dataset& d, const Network& net, std::ostream* log) {
  const auto M = d.test_nodes.n_collocation();
  const auto St = static_cast<Eigen::Index>(d.test_times.size());
  const nodegen::PointMatrix pts = d.test_points.bottomRows(M);
  const Eigen::VectorXd u = net.evaluate(pts);
  Eigen::VectorXd ref = Eigen::VectorXd::Zero(M), err = Eigen::VectorXd::Zero(M);
  if (d.has_reference) {
    ref = d.test_reference.segment((St - 1) * M, M);
    err = (u - ref).cwiseAbs();
  }
  const int dim = d.dim();
  {
    nodegen::AtomicFile f(folder.path("solution.vtk"));
    auto& o = f.stream();
    o << "# vtk DataFile Version 3.0\n"
      << fmt::format(
             "dtpinn solution on {} test nodes{}\n", M,
             d.problem->is_time_dependent() ? fmt::format(" at t = {}", d.test_times.back()) : "")
      << "ASCII\nDATASET POLYDATA\n"
      << fmt::format("POINTS {} double\n", M);
    for (Eigen::Index i = 0; i < M; ++i)
      o << fmt::format("{:.17g} {:.17g} {:.17g}\n", d.test_nodes.points(i, 0),
                       d.test_nodes.points(i, 1), dim > 2 ? d.test_nodes.points(i, 2) : 0.0);
    o << fmt::format("VERTICES {} {}\n", M, 2 * M);
    for (Eigen::Index i = 0; i < M; ++i) o << "1 " << i << '\n';
    o << fmt::format("POINT_DATA {}\n", M);
    auto field = [&](const char* name, const Eigen::VectorXd& v) {
      o << "SCALARS " << name << " double 1\nLOOKUP_TABLE default\n";
      for (Eigen::Index i = 0; i < M; ++i) o << fmt::format("{:.17g}\n", v[i]);
    };
    field("u", u);
    if (d.has_reference) {
      field(d.reference_kind == "exact" ? "exact" : "reference", ref);
      field("error", err);
    }
    f.commit();
  }
  {
    nodegen::AtomicFile f(folder.path("solution.dat"));
    f.stream() << (dim > 2 ? "# x y z u reference abs_error\n" : "# x y u reference abs_error\n");
    for (Eigen::Index i = 0; i < M; ++i) {
      for (int j = 0; j < dim; ++j)
        f.stream() << fmt::format("{:.10g} ", d.test_nodes.points(i, j));
      f.stream() << fmt::format("{:.12g} {:.12g} {:.6e}\n", u[i], ref[i], err[i]);
    }
    f.commit();
  }
  const std::string when =
      d.problem->is_time_dependent() ? fmt::format(" at t = {}", d.test_times.back()) : "";
  const std::string uc = dim > 2 ? "4" : "3", ec = dim > 2 ? "6" : "5";
  const std::string plot =
      dim > 2 ? "splot 'solution.dat' using 1:2:3:" : "plot 'solution.dat' using 1:2:";
  write_text(
      folder.path("solution.gp"),
      fmt::format("set terminal png size 900,760\nset output 'solution.png'\n"
                  "set title 'u (test nodes{})'\nset size ratio -1\nset palette rgb 33,13,10\n"
                  "unset key\n{}{} with points pt 7 ps 0.4 palette\n",
                  when, plot, uc));
  if (d.has_reference)
    write_text(folder.path("error.gp"),
               fmt::format("set terminal png size 900,760\nset output 'error.png'\n"
                           "set title '|u - {}| (test nodes{})'\nset size ratio -1\n"
                           "set logscale cb\nset format cb '%.0e'\nset palette rgb 33,13,10\n"
                           "unset key\n{}({}(${} > 1e-300 ? ${} : 1e-300)) with points pt 7 ps 0.4 "
                           "palette\n",
                           d.reference_kind, when, plot, "", ec, ec));
  run_gnuplot(folder.stage(), "solution.gp", log);
  if (d.has_reference) run_gnuplot(folder.stage(), "error.gp", log);
}

void write_loss_plot(RunFolder& folder, const TrainResult& r, std::ostream* log) {
  std::string plots;
  for (std::size_t i = 0; i < r.term_names.size(); ++i)
    plots += fmt::format("{}'history.csv' using 1:{} with lines lw 2 title '{}'", i ? ", " : "",
                         4 + i, r.term_names[i]);
  plots += ", 'history.csv' using 1:3 with lines lw 2 dt 2 title 'weighted total'";
  const std::size_t err_col = 4 + 3 * r.term_names.size();
  plots += fmt::format(
      ", 'history.csv' using 1:{} with linespoints pt 7 ps 0.5 lw 2 title "
      "'test rel. l2 error'",
      err_col);
  write_text(folder.path("loss.gp"),
             fmt::format("set terminal png size 1000,650\nset output 'loss.png'\n"
                         "set datafile separator ','\nset key autotitle columnhead\n"
                         "set title '{} ({}): loss terms and test error'\nset xlabel 'epoch'\n"
                         "set logscale y\nset format y '%.0e'\nset grid\nset key outside right\n"
                         "plot {}\n",
                         r.method, r.precision, plots));
  run_gnuplot(folder.stage(), "loss.gp", log);
}

void write_run(const std::string& dir, const RunConfig& c, const Dataset& d, const Network& net,
               const TrainResult& r, std::ostream* log) {
  RunFolder folder(dir);
  write_text(folder.path("config.toml"), to_toml(c));
  net.save(folder.path("model.pt"));
  write_text(folder.path("checkpoint.json"), checkpoint_json(c, d, net).dump(2) + "\n");
  write_text(folder.path("history.csv"), history_csv(r));
  write_solution(folder, d, net, log);
  write_loss_plot(folder, r, log);
  write_text(folder.path("results.json"), results_json(c, d, r).dump(2) + "\n");
  folder.commit();
}

}  // namespace

TrainResult run_train(const RunConfig& config, const std::string& dir, std::ostream* log,
                      const Dataset* shared) {
  Dataset local;
  if (!shared) {
    DatasetOptions o;
    o.operators = config.train.method == "dtpinn";
    local = build_dataset(config, o, log);
  }
  const Dataset& d = shared ? *shared : local;
  Network net = make_network(config, d);
  // The folder must be creatable before we spend time training.
  const bool existed = path_exists(dir);
  make_directories(dir);
  std::remove(join(dir, "results.json").c_str());  // a stale one would claim this run
  try {
    TrainOptions to;
    to.log = log;
    to.label = fmt::format("{} {}", config.train.method, config.train.precision);
    TrainResult r = train(config, d, net, to);
    write_run(dir, config, d, net, r, log);
    if (log)
      *log << fmt::format(
          "[{}] done: {} epochs in {:.1f} s ({:.3f} s/epoch), test error {}, best "
          "{} at epoch {} ({:.1f} s), stop: {}; results in {}\n",
          to.label, r.epochs, r.train_seconds, r.seconds_per_epoch,
          r.test_rel_l2 >= 0 ? fmt::format("{:.3e}", r.test_rel_l2) : "n/a",
          r.best_test_rel_l2 >= 0 ? fmt::format("{:.3e}", r.best_test_rel_l2) : "n/a",
          r.epochs_to_best, r.seconds_to_best, r.stop_reason, dir);
    return r;
  } catch (...) {
    if (!existed && list_directory(dir).empty()) ::rmdir(dir.c_str());
    throw;
  }
}

std::string format_comparison(const CompareResult& c) {
  auto e = [](double v) { return v >= 0 ? fmt::format("{:.3e}", v) : std::string("-"); };
  auto s = [](double v) { return v >= 0 ? fmt::format("{:.1f}", v) : std::string("-"); };
  std::ostringstream o;
  o << fmt::format("{:<8} {:<5} {:>7} {:>9} {:>9} {:>11} {:>11} {:>9} {:>10}\n", "method", "prec",
                   "epochs", "seconds", "s/epoch", "final err", "best err", "t(best)", "stop");
  for (const TrainResult* r : {&c.dtpinn, &c.vanilla})
    o << fmt::format("{:<8} {:<5} {:>7} {:>9.1f} {:>9.4f} {:>11} {:>11} {:>9} {:>10}\n", r->method,
                     r->precision, r->epochs, r->train_seconds, r->seconds_per_epoch,
                     e(r->test_rel_l2), e(r->best_test_rel_l2), s(r->seconds_to_best),
                     r->stop_reason);
  if (c.common_error > 0) {
    o << fmt::format("equal error {}: DT-PINN {} s, vanilla {} s", e(c.common_error),
                     s(c.dtpinn_seconds_to_common), s(c.vanilla_seconds_to_common));
    if (c.speedup_at_common > 0) o << fmt::format(", speed-up {:.2f}x", c.speedup_at_common);
    o << "\n";
  }
  if (c.vanilla.best_test_rel_l2 > 0)
    o << fmt::format("DT-PINN time to the vanilla's best error {}: {}\n",
                     e(c.vanilla.best_test_rel_l2),
                     c.dtpinn_seconds_to_vanilla_best >= 0
                         ? fmt::format("{:.1f} s", c.dtpinn_seconds_to_vanilla_best)
                         : std::string("not reached"));
  return o.str();
}

CompareResult run_compare(const RunConfig& config, const std::string& dir,
                          const CompareOptions& options, std::ostream* log) {
  DatasetOptions o;
  o.operators = true;
  const Dataset d = build_dataset(config, o, log);
  CompareResult c;
  RunConfig dc = config, vc = config;
  dc.train.method = "dtpinn";
  dc.train.precision = options.dtpinn_precision;
  vc.train.method = "vanilla";
  vc.train.precision = options.vanilla_precision;
  // Refuse bad precisions/devices for both before training either.
  (void)make_network(dc, d);
  (void)make_network(vc, d);
  c.dtpinn = run_train(dc, join(dir, "dtpinn"), log, &d);
  c.vanilla = run_train(vc, join(dir, "vanilla"), log, &d);

  if (c.dtpinn.best_test_rel_l2 > 0 && c.vanilla.best_test_rel_l2 > 0) {
    c.common_error = std::max(c.dtpinn.best_test_rel_l2, c.vanilla.best_test_rel_l2);
    c.dtpinn_seconds_to_common = c.dtpinn.seconds_to_error(c.common_error);
    c.vanilla_seconds_to_common = c.vanilla.seconds_to_error(c.common_error);
    if (c.dtpinn_seconds_to_common > 0 && c.vanilla_seconds_to_common > 0)
      c.speedup_at_common = c.vanilla_seconds_to_common / c.dtpinn_seconds_to_common;
    c.dtpinn_seconds_to_vanilla_best = c.dtpinn.seconds_to_error(c.vanilla.best_test_rel_l2);
  }

  RunFolder folder(dir);
  auto summary = [](const TrainResult& r) {
    return json{{"method", r.method},
                {"precision", r.precision},
                {"device", r.device},
                {"epochs", r.epochs},
                {"train_seconds", r.train_seconds},
                {"seconds_per_epoch", r.seconds_per_epoch},
                {"final_loss", r.final_loss},
                {"test_rel_l2", num_or_null(r.test_rel_l2)},
                {"best_test_rel_l2", num_or_null(r.best_test_rel_l2)},
                {"epochs_to_best", r.epochs_to_best},
                {"seconds_to_best", r.seconds_to_best},
                {"stop_reason", r.stop_reason}};
  };
  json j = {{"pde", c.dtpinn.pde},
            {"n_nodes", c.dtpinn.n_nodes},
            {"order", c.dtpinn.order},
            {"config", config.source},
            {"dtpinn", summary(c.dtpinn)},
            {"vanilla", summary(c.vanilla)},
            {"common_error", num_or_null(c.common_error)},
            {"dtpinn_seconds_to_common_error", num_or_null(c.dtpinn_seconds_to_common)},
            {"vanilla_seconds_to_common_error", num_or_null(c.vanilla_seconds_to_common)},
            {"speedup_at_common_error", num_or_null(c.speedup_at_common)},
            {"dtpinn_seconds_to_vanilla_best", num_or_null(c.dtpinn_seconds_to_vanilla_best)},
            {"runs", {{"dtpinn", "dtpinn/results.json"}, {"vanilla", "vanilla/results.json"}}}};
  // Error vs training time for both methods.
  {
    nodegen::AtomicFile f(folder.path("compare.dat"));
    for (const TrainResult* r : {&c.dtpinn, &c.vanilla}) {
      f.stream() << "# " << r->method << ' ' << r->precision << ": seconds epoch test_rel_l2\n";
      for (const auto& h : r->history)
        if (h.test_rel_l2 > 0)
          f.stream() << fmt::format("{:.6g} {} {:.6e}\n", h.seconds, h.epoch, h.test_rel_l2);
      f.stream() << "\n\n";
    }
    f.commit();
  }
  write_text(
      folder.path("compare.gp"),
      fmt::format("set terminal png size 1000,650\nset output 'compare.png'\n"
                  "set title 'test relative l2 error vs training time'\n"
                  "set xlabel 'training seconds'\nset ylabel 'test rel. l2 error'\n"
                  "set logscale y\nset format y '%.0e'\nset grid\n"
                  "plot 'compare.dat' index 0 using 1:3 with lines lw 2 title 'DT-PINN {}', "
                  "'compare.dat' index 1 using 1:3 with lines lw 2 title 'vanilla PINN {}'\n",
                  c.dtpinn.precision, c.vanilla.precision));
  run_gnuplot(folder.stage(), "compare.gp", log);
  write_text(folder.path("comparison.json"), j.dump(2) + "\n");
  folder.commit();
  if (log) *log << '\n' << format_comparison(c);
  return c;
}

// ---- checkpoints and eval -------------------------------------------------------------------

Network load_checkpoint(const std::string& dir, RunConfig* config) {
  const std::string meta = join(dir, "checkpoint.json");
  std::ifstream in(meta);
  if (!in)
    throw std::runtime_error(fmt::format(
        "{}: no checkpoint here (checkpoint.json missing: is this a `dtpinn train` folder?)", dir));
  json j;
  try {
    in >> j;
    ModelConfig m;
    m.architecture = j.at("architecture").get<std::string>();
    m.depth = j.at("depth").get<int>();
    m.width = j.at("width").get<int>();
    m.activation = j.at("activation").get<std::string>();
    const auto lo = j.at("input_lower").get<std::vector<double>>();
    const auto hi = j.at("input_upper").get<std::vector<double>>();
    const std::string prec = j.at("precision").get<std::string>();
    Eigen::VectorXd L =
        Eigen::Map<const Eigen::VectorXd>(lo.data(), static_cast<Eigen::Index>(lo.size()));
    Eigen::VectorXd U =
        Eigen::Map<const Eigen::VectorXd>(hi.data(), static_cast<Eigen::Index>(hi.size()));
    Network net(m, L, U, prec == "fp32" ? c10::kFloat : c10::kDouble, c10::kCPU, 0);
    net.load(join(dir, j.value("weights", "model.pt")));
    if (config) *config = load_config(join(dir, j.value("config", "config.toml")));
    return net;
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("{}: bad checkpoint description ({})", meta, e.what()));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("{}: {}", meta, e.what()));
  }
}

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream s(line);
  const bool commas = line.find(',') != std::string::npos;
  if (!commas) {
    while (s >> cur) out.push_back(cur);
    return out;
  }
  while (std::getline(s, cur, ',')) {
    const auto b = cur.find_first_not_of(" \t\r");
    const auto e = cur.find_last_not_of(" \t\r");
    out.push_back(b == std::string::npos ? std::string() : cur.substr(b, e - b + 1));
  }
  return out;
}

bool parse_double(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

}  // namespace

std::int64_t evaluate_checkpoint(const std::string& dir, const std::string& points_file,
                                 const std::string& out_file, double time) {
  std::ifstream cj(join(dir, "checkpoint.json"));
  Network net = load_checkpoint(dir);
  json meta;
  cj >> meta;
  const int dim = meta.at("dim").get<int>();
  const bool timed = meta.at("time_dependent").get<bool>();
  const double t_default = time >= 0 ? time : meta.value("t_final", 1.0);

  std::ifstream in(points_file);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open the points file", points_file));
  std::vector<int> cols;  // input columns: x, y[, z][, t]
  int t_col = -1;
  std::size_t ncols = 0;
  std::vector<std::vector<double>> rows;
  std::string line;
  int lineno = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto nb = line.find_first_not_of(" \t");
    if (nb == std::string::npos || line[nb] == '#') continue;
    auto f = split_csv(line);
    if (first) {
      first = false;
      double v;
      if (!parse_double(f[0], v)) {  // a header
        const char* names[] = {"x", "y", "z"};
        for (int j = 0; j < dim; ++j) {
          auto it = std::find(f.begin(), f.end(), names[j]);
          if (it == f.end())
            throw std::runtime_error(
                fmt::format("{}:{}: header has no '{}' column", points_file, lineno, names[j]));
          cols.push_back(static_cast<int>(it - f.begin()));
        }
        auto it = std::find(f.begin(), f.end(), "t");
        if (timed && it != f.end()) t_col = static_cast<int>(it - f.begin());
        ncols = f.size();
        continue;
      }
      if (f.size() < static_cast<std::size_t>(dim))
        throw std::runtime_error(fmt::format("{}:{}: {} columns, the model needs {} coordinates",
                                             points_file, lineno, f.size(), dim));
      for (int j = 0; j < dim; ++j) cols.push_back(j);
      if (timed && f.size() > static_cast<std::size_t>(dim)) t_col = dim;
      ncols = f.size();
    }
    if (f.size() != ncols)
      throw std::runtime_error(
          fmt::format("{}:{}: {} columns, expected {}", points_file, lineno, f.size(), ncols));
    std::vector<double> row;
    for (int c : cols) {
      double v;
      if (!parse_double(f[static_cast<std::size_t>(c)], v) || !std::isfinite(v))
        throw std::runtime_error(fmt::format("{}:{}: column {} is not a finite number ('{}')",
                                             points_file, lineno, c + 1,
                                             f[static_cast<std::size_t>(c)]));
      row.push_back(v);
    }
    if (timed) {
      double t = t_default;
      if (t_col >= 0 && (!parse_double(f[static_cast<std::size_t>(t_col)], t) || !std::isfinite(t)))
        throw std::runtime_error(
            fmt::format("{}:{}: t is not a finite number", points_file, lineno));
      row.push_back(t);
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw std::runtime_error(fmt::format("{}: no points", points_file));
  nodegen::PointMatrix x(static_cast<Eigen::Index>(rows.size()), net.in_dim());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (int j = 0; j < net.in_dim(); ++j)
      x(static_cast<Eigen::Index>(i), j) = rows[i][static_cast<std::size_t>(j)];
  const Eigen::VectorXd u = net.evaluate(x);
  nodegen::AtomicFile out(out_file);
  const char* names[] = {"x", "y", "z"};
  for (int j = 0; j < dim; ++j) out.stream() << names[j] << ',';
  if (timed) out.stream() << "t,";
  out.stream() << "u\n";
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (int j = 0; j < net.in_dim(); ++j) out.stream() << fmt::format("{:.17g},", x(i, j));
    out.stream() << fmt::format("{:.17g}\n", u[i]);
  }
  out.commit();
  return x.rows();
}

}  // namespace dtpinn::core
