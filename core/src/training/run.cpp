// The run writer (results.json, history.csv, checkpoint, VTK, plot scripts) for one process and
// for many, compare, eval. No LibTorch header here: the network is used through its torch-free
// interface.
#include <dtpinn/core/training/run.hpp>
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

using nodegen::join_path;
using nodegen::write_file_atomically;

/// Files are written into DIR/<stage>/ and moved into DIR by commit(), results.json last;
/// destroyed without commit(), the stage folder is removed.
class RunFolder {
 public:
  RunFolder(const std::string& dir, const std::string& stage_name) : dir_(dir) {
    nodegen::make_directories(dir_);
    stage_ =
        join_path(dir_, stage_name.empty() ? fmt::format(".partial-{}", ::getpid()) : stage_name);
    nodegen::remove_tree(stage_);
    nodegen::make_directories(stage_);
  }
  ~RunFolder() {
    if (!done_) nodegen::remove_tree(stage_);
  }
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  std::string path(const std::string& name) const { return join_path(stage_, name); }
  const std::string& stage() const { return stage_; }

  void commit() {
    auto files = nodegen::list_directory(stage_);
    // results.json last: its presence means the run folder is complete.
    std::stable_partition(files.begin(), files.end(),
                          [](const std::string& f) { return f != "results.json"; });
    for (const auto& f : files)
      if (std::rename(join_path(stage_, f).c_str(), join_path(dir_, f).c_str()) != 0)
        throw std::runtime_error(
            fmt::format("{}: cannot move {} into place ({})", dir_, f, std::strerror(errno)));
    nodegen::remove_tree(stage_);
    done_ = true;
  }

 private:
  std::string dir_, stage_;
  bool done_ = false;
};

void write_text(const std::string& path, const std::string& text) {
  write_file_atomically(path, text);
}

/// Renders `script` in `folder` when the program gave a renderer (the scripts and data stay).
void render(const PlotRenderer& plot, const std::string& folder, const std::string& script,
            std::ostream* log) {
  if (plot) plot(folder, script, log);
}

json num_or_null(double v) {
  return v >= 0 && std::isfinite(v) ? json(v) : json(nullptr);
}

json result_summary_json(const TrainResult& r) {
  return {{"method", to_string(r.method)},
          {"precision", to_string(r.precision)},
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

json conditions_array(const std::vector<ConditionReport>& conditions) {
  json list = json::array();
  for (const auto& r : conditions)
    list.push_back({{"term", r.term},
                    {"condition", r.description},
                    {"value", r.value},
                    {"nodes", r.nodes},
                    {"rel_l2", num_or_null(r.rel_l2)},
                    {"max_error", num_or_null(r.max_error)}});
  return list;
}

/// The conditions with the network's errors at the collocation boundary nodes (at t_final).
json boundary_results(const Dataset& d, const Network& net) {
  const auto ni = d.nodes.n_interior, nb = d.nodes.n_boundary;
  const double t = d.times.back();
  nodegen::PointMatrix x(nb, d.input_dim());
  x.leftCols(d.dim()) = d.nodes.points.middleRows(ni, nb);
  if (d.input_dim() > d.dim()) x.col(d.dim()).setConstant(t);
  const Eigen::VectorXd u = net.evaluate(x);
  return conditions_array(report_conditions(*d.problem, d.nodes, d.boundary, u, t));
}

json results_json(const RunConfig& c, const Dataset& d, const TrainResult& r) {
  json terms, weights;
  for (std::size_t i = 0; i < r.term_names.size(); ++i) {
    terms[r.term_names[i]] = r.final_terms[i];
    weights[r.term_names[i]] = r.final_weights[i];
  }
  json j = result_summary_json(r);
  j.update({
      {"pde", to_string(r.pde)},
      {"equation", d.problem->equation().text()},
      {"n_nodes", r.n_nodes},
      {"n_interior", r.n_interior},
      {"n_boundary", r.n_boundary},
      {"n_ghost", r.n_ghost},
      {"n_test", r.n_test},
      {"order", r.order},
      {"dim", d.dim()},
      {"domain",
       c.domain.file ? *c.domain.file : (c.domain.nodes ? *c.domain.nodes : c.domain.shape)},
      {"architecture", to_string(c.model.architecture)},
      {"depth", c.model.depth},
      {"width", c.model.width},
      {"activation", to_string(c.model.activation)},
      {"n_parameters", r.n_parameters},
      {"optimizer", to_string(r.optimizer)},
      {"seed", c.train.seed},
      {"setup_seconds", r.setup_seconds},
      {"operator_seconds", d.operator_seconds},
      {"loss_terms", terms},
      {"loss_weights", weights},
      {"loss_weighting", to_string(c.train.loss_weights)},
      {"reference", d.reference_kind},
      {"test_set", d.test_source},
      {"config", c.source},
      {"history", history_json(r)},
  });
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
    s << fmt::format("{},{:.6g},{:.17g}", h.epoch, h.seconds, h.loss);
    for (double v : h.terms) s << fmt::format(",{:.17g}", v);
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
          {"precision", to_string(c.train.precision)},
          {"architecture", to_string(c.model.architecture)},
          {"depth", c.model.depth},
          {"width", c.model.width},
          {"activation", to_string(c.model.activation)},
          {"input_lower", lo},
          {"input_upper", hi}};
}

/// Test nodes with u, reference and error at the last test time (VTK legacy POLYDATA).
void write_solution(RunFolder& folder, const Dataset& d, const Network& net,
                    const PlotRenderer& plot, std::ostream* log) {
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
  const std::string plot_cmd =
      dim > 2 ? "splot 'solution.dat' using 1:2:3:" : "plot 'solution.dat' using 1:2:";
  write_text(
      folder.path("solution.gp"),
      fmt::format("set terminal png size 900,760\nset output 'solution.png'\n"
                  "set title 'u (test nodes{})'\nset size ratio -1\nset palette rgb 33,13,10\n"
                  "unset key\n{}{} with points pt 7 ps 0.4 palette\n",
                  when, plot_cmd, uc));
  if (d.has_reference)
    write_text(folder.path("error.gp"),
               fmt::format("set terminal png size 900,760\nset output 'error.png'\n"
                           "set title '|u - {}| (test nodes{})'\nset size ratio -1\n"
                           "set logscale cb\nset format cb '%.0e'\nset palette rgb 33,13,10\n"
                           "unset key\n{}({}(${} > 1e-300 ? ${} : 1e-300)) with points pt 7 ps 0.4 "
                           "palette\n",
                           d.reference_kind, when, plot_cmd, "", ec, ec));
  render(plot, folder.stage(), "solution.gp", log);
  if (d.has_reference) render(plot, folder.stage(), "error.gp", log);
}

void write_loss_plot(RunFolder& folder, const TrainResult& r, const PlotRenderer& plot,
                     std::ostream* log) {
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
                         to_string(r.method), to_string(r.precision), plots));
  render(plot, folder.stage(), "loss.gp", log);
}

}  // namespace

void write_run(const std::string& dir, const RunConfig& c, const Dataset& d, const Network& net,
               const TrainResult& r, const RunWriteOptions& o) {
  RunFolder folder(dir, o.stage_name);
  write_text(folder.path("config.toml"), to_toml(c));
  net.save(folder.path("model.pt"));
  write_text(folder.path("checkpoint.json"), checkpoint_json(c, d, net).dump(2) + "\n");
  write_text(folder.path("history.csv"), history_csv(r));
  for (const auto& [name, text] : o.extra_files) write_text(folder.path(name), text);
  write_solution(folder, d, net, o.plot, o.log);
  write_loss_plot(folder, r, o.plot, o.log);
  json results = results_json(c, d, r);
  results["boundary_conditions"] = boundary_results(d, net);
  for (const auto& [key, text] : o.extra_results) results[key] = json::parse(text);
  write_text(folder.path("results.json"), results.dump(2) + "\n");
  folder.commit();
}

std::string conditions_json(const std::vector<ConditionReport>& conditions) {
  return conditions_array(conditions).dump();
}

std::string result_summary(const TrainResult& r) {
  return result_summary_json(r).dump();
}

std::string run_label(const RunConfig& config) {
  return fmt::format("{} {}", to_string(config.train.method), to_string(config.train.precision));
}

std::string format_run_summary(const TrainResult& r, const std::string& label,
                               const std::string& dir) {
  return fmt::format(
      "[{}] done: {} epochs in {:.1f} s ({:.3f} s/epoch), test error {}, best {} at epoch {} "
      "({:.1f} s), stop: {}; results in {}",
      label, r.epochs, r.train_seconds, r.seconds_per_epoch,
      r.test_rel_l2 >= 0 ? fmt::format("{:.3e}", r.test_rel_l2) : "n/a",
      r.best_test_rel_l2 >= 0 ? fmt::format("{:.3e}", r.best_test_rel_l2) : "n/a", r.epochs_to_best,
      r.seconds_to_best, r.stop_reason, dir);
}

TrainResult run_train(const RunConfig& config, const std::string& dir, std::ostream* log,
                      const Dataset* shared, const PlotRenderer& plot) {
  validate_config(config);
  // The folder must be creatable before we spend time on data or training.
  const bool existed = nodegen::path_exists(dir);
  nodegen::make_directories(dir);
  std::remove(join_path(dir, "results.json").c_str());  // a stale one would claim this run
  try {
    Dataset local;
    if (!shared) {
      DatasetOptions o;
      o.operators = config.train.method == Method::dtpinn;
      local = build_dataset(config, o, log);
    }
    const Dataset& d = shared ? *shared : local;
    Network net = make_network(config, d);
    TrainOptions to;
    to.log = log;
    to.label = run_label(config);
    TrainResult r = train(config, d, net, to);
    RunWriteOptions wo;
    wo.log = log;
    wo.plot = plot;
    write_run(dir, config, d, net, r, wo);
    if (log) *log << format_run_summary(r, to.label, dir) << '\n';
    return r;
  } catch (...) {
    if (!existed && nodegen::list_directory(dir).empty()) ::rmdir(dir.c_str());
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
    o << fmt::format("{:<8} {:<5} {:>7} {:>9.1f} {:>9.4f} {:>11} {:>11} {:>9} {:>10}\n",
                     to_string(r->method), to_string(r->precision), r->epochs, r->train_seconds,
                     r->seconds_per_epoch, e(r->test_rel_l2), e(r->best_test_rel_l2),
                     s(r->seconds_to_best), r->stop_reason);
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
  dc.train.method = Method::dtpinn;
  dc.train.precision = options.dtpinn_precision;
  vc.train.method = Method::vanilla;
  vc.train.precision = options.vanilla_precision;
  // Refuse bad precisions/devices for both before training either.
  (void)make_network(dc, d);
  (void)make_network(vc, d);
  c.dtpinn = run_train(dc, join_path(dir, "dtpinn"), log, &d, options.plot);
  c.vanilla = run_train(vc, join_path(dir, "vanilla"), log, &d, options.plot);

  if (c.dtpinn.best_test_rel_l2 > 0 && c.vanilla.best_test_rel_l2 > 0) {
    c.common_error = std::max(c.dtpinn.best_test_rel_l2, c.vanilla.best_test_rel_l2);
    c.dtpinn_seconds_to_common = c.dtpinn.seconds_to_error(c.common_error);
    c.vanilla_seconds_to_common = c.vanilla.seconds_to_error(c.common_error);
    if (c.dtpinn_seconds_to_common > 0 && c.vanilla_seconds_to_common > 0)
      c.speedup_at_common = c.vanilla_seconds_to_common / c.dtpinn_seconds_to_common;
    c.dtpinn_seconds_to_vanilla_best = c.dtpinn.seconds_to_error(c.vanilla.best_test_rel_l2);
  }

  RunFolder folder(dir, "");
  json j = {{"pde", to_string(c.dtpinn.pde)},
            {"n_nodes", c.dtpinn.n_nodes},
            {"order", c.dtpinn.order},
            {"config", config.source},
            {"dtpinn", result_summary_json(c.dtpinn)},
            {"vanilla", result_summary_json(c.vanilla)},
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
      f.stream() << "# " << to_string(r->method) << ' ' << to_string(r->precision)
                 << ": seconds epoch test_rel_l2\n";
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
                  to_string(c.dtpinn.precision), to_string(c.vanilla.precision)));
  render(options.plot, folder.stage(), "compare.gp", log);
  write_text(folder.path("comparison.json"), j.dump(2) + "\n");
  folder.commit();
  if (log) *log << '\n' << format_comparison(c);
  return c;
}

// ---- checkpoints and eval -------------------------------------------------------------------

Network load_checkpoint(const std::string& dir, RunConfig* config) {
  const std::string meta = join_path(dir, "checkpoint.json");
  std::ifstream in(meta);
  if (!in)
    throw std::runtime_error(fmt::format(
        "{}: no checkpoint here (checkpoint.json missing: is this a `dtpinn train` folder?)", dir));
  json j;
  try {
    in >> j;
    ModelConfig m;
    m.architecture = parse_option<Architecture>(j.at("architecture").get<std::string>());
    m.depth = j.at("depth").get<int>();
    m.width = j.at("width").get<int>();
    m.activation = parse_option<Activation>(j.at("activation").get<std::string>());
    const auto lo = j.at("input_lower").get<std::vector<double>>();
    const auto hi = j.at("input_upper").get<std::vector<double>>();
    const Precision prec = parse_option<Precision>(j.at("precision").get<std::string>());
    Eigen::VectorXd L =
        Eigen::Map<const Eigen::VectorXd>(lo.data(), static_cast<Eigen::Index>(lo.size()));
    Eigen::VectorXd U =
        Eigen::Map<const Eigen::VectorXd>(hi.data(), static_cast<Eigen::Index>(hi.size()));
    Network net(m, L, U, prec == Precision::fp32 ? c10::kFloat : c10::kDouble, c10::kCPU, 0);
    net.load(join_path(dir, j.value("weights", "model.pt")));
    if (config) *config = load_config(join_path(dir, j.value("config", "config.toml")));
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
  std::ifstream cj(join_path(dir, "checkpoint.json"));
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
