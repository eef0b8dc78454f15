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

  /// Moves the staged files into DIR, results.json last. An old run there is first moved aside
  /// into DIR/.old-<pid>/ (results.json first, then its other files: those of the new run's
  /// names and every name a run writes), so DIR is never a mix of two runs that looks
  /// complete; the old files are removed at the end. A folder in the way of a file is refused
  /// before anything moves; a failed move puts the old run back.
  void commit() {
    auto files = nodegen::list_directory(stage_);
    // results.json last: its presence means the run folder is complete.
    std::stable_partition(files.begin(), files.end(),
                          [](const std::string& f) { return f != "results.json"; });
    for (const auto& f : files)
      if (nodegen::is_directory(join_path(dir_, f)))
        throw std::runtime_error(
            fmt::format("{}: cannot write {} there: a folder of that name is in the way", dir_, f));
    std::vector<std::string> aside;
    if (nodegen::path_exists(join_path(dir_, "results.json"))) aside.push_back("results.json");
    for (const auto& f : nodegen::list_directory(dir_))
      if (f != "results.json" && !nodegen::is_directory(join_path(dir_, f)) &&
          (is_run_file(f) || std::find(files.begin(), files.end(), f) != files.end()))
        aside.push_back(f);
    const std::string old = join_path(dir_, fmt::format(".old-{}", ::getpid()));
    nodegen::remove_tree(old);
    if (!aside.empty()) nodegen::make_directories(old);
    std::size_t n_aside = 0, n_in = 0;
    try {
      for (; n_aside < aside.size(); ++n_aside)
        move(join_path(dir_, aside[n_aside]), join_path(old, aside[n_aside]));
      for (; n_in < files.size(); ++n_in)
        move(join_path(stage_, files[n_in]), join_path(dir_, files[n_in]));
    } catch (...) {
      for (std::size_t i = 0; i < n_in; ++i) std::remove(join_path(dir_, files[i]).c_str());
      // the old run back, results.json last
      for (std::size_t i = n_aside; i-- > 0;)
        std::rename(join_path(old, aside[i]).c_str(), join_path(dir_, aside[i]).c_str());
      nodegen::remove_tree(old);
      throw;
    }
    nodegen::remove_tree(old);
    nodegen::remove_tree(stage_);
    done_ = true;
  }

  /// Throws when a folder sits where a run writes a file (DIR/model.pt/ ...).
  static void check_nothing_in_the_way(const std::string& dir) {
    for (const auto& f : nodegen::list_directory(dir))
      if (is_run_file(f) && nodegen::is_directory(join_path(dir, f)))
        throw std::runtime_error(
            fmt::format("{}: cannot write {} there: a folder of that name is in the way", dir, f));
  }

 private:
  /// A name `dtpinn train` / `compare` writes into a run folder.
  static bool is_run_file(const std::string& f) {
    static const char* const names[] = {
        "results.json", "history.csv",     "config.toml",  "model.pt",       "model_best.pt",
        "optimizer.pt", "checkpoint.json", "solution.vtk", "partition.json", "comparison.json",
        "solution.gp",  "solution.dat",    "solution.png", "error.gp",       "error.dat",
        "error.png",    "loss.gp",         "loss.png",     "compare.gp",     "compare.dat",
        "compare.png"};
    return std::find(std::begin(names), std::end(names), f) != std::end(names);
  }
  void move(const std::string& from, const std::string& to) const {
    if (std::rename(from.c_str(), to.c_str()) != 0)
      throw std::runtime_error(fmt::format("{}: cannot move {} into place ({})", dir_,
                                           from.substr(from.rfind('/') + 1), std::strerror(errno)));
  }

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
      {"output_layer", to_string(c.train.output_layer)},
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
      {"node_quality", json::parse(node_quality_json(d.node_quality))},
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
  // The best weights (by test error; the last when there is no reference) and the optimiser's
  // state for `train --resume`.
  if (r.best_parameters.defined())
    network_with_parameters(net, r.best_parameters).save(folder.path("model_best.pt"));
  else
    net.save(folder.path("model_best.pt"));
  if (!r.optimizer_state.empty()) write_text(folder.path("optimizer.pt"), r.optimizer_state);
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

namespace {

/// Refuses an output folder that cannot be created or written, before anything long runs.
void check_output_folder(const std::string& dir) {
  RunFolder probe(dir, "");  // creates DIR and its staging folder, removes the latter
  RunFolder::check_nothing_in_the_way(dir);
}

TrainResult train_and_write(const RunConfig& config, const std::string& dir, std::ostream* log,
                            const Dataset* shared, const PlotRenderer& plot,
                            const ResumeState* resume) {
  validate_config(config);
  // The folder must be writable before we spend time on data or training. An old run in it
  // stays whole until the new one is moved in (RunFolder::commit).
  const bool existed = nodegen::path_exists(dir);
  check_output_folder(dir);
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
    TrainResult prev;
    if (resume) {
      prev = resume->result;
      net.load(join_path(resume->dir, "model.pt"));
      const std::string best = join_path(resume->dir, "model_best.pt");
      if (nodegen::path_exists(best)) {
        Network b = make_network(config, d);
        b.load(best);
        prev.best_parameters = flat_parameters(b);
      }
      to.resume = &prev;
    }
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

std::vector<double> row_values(const json& obj, const std::vector<std::string>& names) {
  std::vector<double> v;
  for (const auto& n : names) v.push_back(obj.at(n).get<double>());
  return v;
}

}  // namespace

TrainResult run_train(const RunConfig& config, const std::string& dir, std::ostream* log,
                      const Dataset* shared, const PlotRenderer& plot) {
  return train_and_write(config, dir, log, shared, plot, nullptr);
}

ResumeState load_resume_state(const std::string& dir) {
  if (!nodegen::is_directory(dir))
    throw std::runtime_error(fmt::format("--resume {}: no such run folder", dir));
  ResumeState s;
  s.dir = dir;
  const std::string results = join_path(dir, "results.json");
  std::ifstream in(results);
  if (!in)
    throw std::runtime_error(fmt::format(
        "--resume {}: no results.json (not a complete `dtpinn train` run folder)", dir));
  try {
    const json j = json::parse(in);
    TrainResult& r = s.result;
    r.epochs = j.at("epochs").get<std::int64_t>();
    r.train_seconds = j.at("train_seconds").get<double>();
    const auto& best = j.at("best_test_rel_l2");
    r.best_test_rel_l2 = best.is_null() ? -1.0 : best.get<double>();
    r.epochs_to_best = j.at("epochs_to_best").get<std::int64_t>();
    r.seconds_to_best = j.at("seconds_to_best").get<double>();
    r.stop_reason = j.at("stop_reason").get<std::string>();
    for (const auto& [name, v] : j.at("loss_terms").items()) r.term_names.push_back(name);
    for (const auto& h : j.at("history")) {
      HistoryRow row;
      row.epoch = h.at("epoch").get<std::int64_t>();
      row.seconds = h.at("seconds").get<double>();
      row.loss = h.at("loss").get<double>();
      row.terms = row_values(h.at("loss_terms"), r.term_names);
      row.weights = row_values(h.at("weights"), r.term_names);
      row.grad_norms = row_values(h.at("grad_norms"), r.term_names);
      row.test_rel_l2 = h.at("test_rel_l2").is_null() ? -1.0 : h.at("test_rel_l2").get<double>();
      r.history.push_back(std::move(row));
    }
    if (r.history.empty() || r.history.back().epoch != r.epochs)
      throw std::runtime_error("the history does not end at the last epoch");
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("{}: cannot resume from it ({})", results, e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: cannot resume from it ({})", results, e.what()));
  }
  const std::string opt = join_path(dir, "optimizer.pt");
  std::ifstream o(opt, std::ios::binary);
  if (!o)
    throw std::runtime_error(
        fmt::format("--resume {}: no optimizer.pt (the run used a device optimiser, which keeps no "
                    "resumable state, or an older dtpinn)",
                    dir));
  std::ostringstream bytes;
  bytes << o.rdbuf();
  s.result.optimizer_state = bytes.str();
  s.config = load_config(join_path(dir, "config.toml"));
  return s;
}

void check_resume_config(const RunConfig& saved, const RunConfig& given, const std::string& dir) {
  RunConfig a = saved, b = given;
  // The stop rules may change: a run is continued for longer, or to another target.
  b.train.epochs = a.train.epochs;
  b.train.time_budget = a.train.time_budget;
  b.train.target_error = a.train.target_error;
  if (a == b) return;
  for (const auto& opt : config_options()) {
    if (opt.type == "table") continue;
    const std::string va = get_option(a, opt.key), vb = get_option(b, opt.key);
    if (va != vb)
      throw std::runtime_error(fmt::format(
          "--resume {}: {} is \"{}\" in the run's config.toml, \"{}\" here; only the stop rules "
          "(train.epochs, train.time_budget, train.target_error) may change",
          dir, opt.key, va, vb));
  }
  throw std::runtime_error(fmt::format(
      "--resume {}: the configuration differs from the run's config.toml (train.weights?); only "
      "the stop rules (train.epochs, train.time_budget, train.target_error) may change",
      dir));
}

TrainResult resume_train(const RunConfig& config, const ResumeState& state, const std::string& dir,
                         std::ostream* log, const PlotRenderer& plot) {
  check_resume_config(state.config, config, state.dir);
  const auto& r = state.result;
  if (r.epochs >= config.train.epochs)
    throw std::runtime_error(fmt::format(
        "--resume {}: the run already has {} epochs (train.epochs = {}); give more with --epochs",
        state.dir, r.epochs, config.train.epochs));
  if (config.train.time_budget > 0 && r.train_seconds >= config.train.time_budget)
    throw std::runtime_error(fmt::format(
        "--resume {}: the run already trained {:.1f} s of its {:g} s budget; give more with "
        "--time-budget (0 = none)",
        state.dir, r.train_seconds, config.train.time_budget));
  return train_and_write(config, dir, log, nullptr, plot, &state);
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

namespace {
CompareResult compare_and_write(const RunConfig& config, const std::string& dir,
                                const CompareOptions& options, std::ostream* log);
}  // namespace

CompareResult run_compare(const RunConfig& config, const std::string& dir,
                          const CompareOptions& options, std::ostream* log) {
  validate_config(config);
  const bool existed = nodegen::path_exists(dir);
  check_output_folder(dir);
  try {
    return compare_and_write(config, dir, options, log);
  } catch (...) {
    if (!existed && nodegen::list_directory(dir).empty()) ::rmdir(dir.c_str());
    throw;
  }
}

namespace {

CompareResult compare_and_write(const RunConfig& config, const std::string& dir,
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
  if (c.dtpinn.stop_reason == "interrupted")
    throw Interrupted(
        interrupt_signal(),
        fmt::format("interrupted ({}) at epoch {} of the DT-PINN run: it is in {} "
                    "(the vanilla run and comparison.json were not made)",
                    signal_name(interrupt_signal()), c.dtpinn.epochs, join_path(dir, "dtpinn")));
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
  if (c.vanilla.stop_reason == "interrupted")
    throw Interrupted(interrupt_signal(),
                      fmt::format("interrupted ({}) at epoch {} of the vanilla run: both runs and "
                                  "comparison.json are in {}",
                                  signal_name(interrupt_signal()), c.vanilla.epochs, dir));
  return c;
}

}  // namespace

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
  // getline drops a last empty field: "x,y,interior,0,0," (a node CSV's interior row, whose
  // part is empty) has six fields, like its header.
  if (line.back() == ',') out.emplace_back();
  return out;
}

/// One warning counting the points more than one box size outside the trained box.
void warn_far_outside(const nodegen::PointMatrix& x, const Network& net, int dim,
                      const std::string& points_file, std::ostream* warn) {
  if (!warn) return;
  const Eigen::VectorXd lo = net.lower(), hi = net.upper();
  Eigen::Index far = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    bool out = false;
    for (int j = 0; j < dim; ++j) {
      const double size = hi[j] - lo[j];
      out = out || x(i, j) < lo[j] - size || x(i, j) > hi[j] + size;
    }
    far += out ? 1 : 0;
  }
  if (far > 0)
    *warn << fmt::format(
        "warning: {}: {} of {} points lie more than one box size outside the box the network "
        "was trained on; its values there are extrapolation\n",
        points_file, far, x.rows());
}

bool parse_double(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

}  // namespace

std::int64_t evaluate_checkpoint(const std::string& dir, const std::string& points_file,
                                 const std::string& out_file, double time, std::ostream* warn) {
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
        if (dim < 3 && std::find(f.begin(), f.end(), "z") != f.end())
          throw std::runtime_error(
              fmt::format("{}:{}: header has a 'z' column, but the model is {}D (x, y)",
                          points_file, lineno, dim));
        auto it = std::find(f.begin(), f.end(), "t");
        if (timed && it != f.end()) t_col = static_cast<int>(it - f.begin());
        ncols = f.size();
        continue;
      }
      if (f.size() < static_cast<std::size_t>(dim))
        throw std::runtime_error(fmt::format("{}:{}: {} columns, the model needs {} coordinates",
                                             points_file, lineno, f.size(), dim));
      const std::size_t most = static_cast<std::size_t>(dim) + (timed ? 1 : 0);
      if (f.size() > most)
        throw std::runtime_error(fmt::format(
            "{}:{}: {} columns, but the model takes {} ({}{}): give a header to pick columns",
            points_file, lineno, f.size(), most, dim == 2 ? "x, y" : "x, y, z",
            timed ? ", t" : ""));
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
  warn_far_outside(x, net, dim, points_file, warn);
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
