// The run writer (results.json, history.csv, checkpoint, solution files, loss plot) for one
// process and for many, and the run itself: prepare, train, write, resume. No LibTorch header
// here: the network is used through its torch-free interface.
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/training/run_folder.hpp>
#include <dtpinn/core/training/system_loss.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/core/version.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/node_io.hpp>

#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace dtpinn::core {

using json = nlohmann::json;

namespace {

using nodegen::join_path;
using nodegen::write_file_atomically;

void write_text(const std::string& path, const std::string& text) {
  write_file_atomically(path, text);
}

json num_or_null(double v) {
  return v >= 0 && std::isfinite(v) ? json(v) : json(nullptr);
}

/// Field w's test error in a history row (-1: none, or a row from before per-field errors).
double field_error(const HistoryRow& row, std::size_t w) {
  return w < row.field_test_rel_l2.size() ? row.field_test_rel_l2[w] : -1.0;
}

/// ",VALUE" of a test error in history.csv, "," when there is none.
std::string error_cell(double v) {
  return v >= 0 ? fmt::format(",{:.10g}", v) : std::string(",");
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

/// A system's history row: each field's test error, as results.json "fields" has them.
json history_fields_json(const TrainResult& r, const HistoryRow& row) {
  json out = json::object();
  for (std::size_t w = 0; w < r.field_names.size(); ++w)
    out[r.field_names[w]] = {{"test_rel_l2", num_or_null(field_error(row, w))}};
  return out;
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
    if (!r.field_names.empty()) h.back()["fields"] = history_fields_json(r, row);
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
  if (d.system) {  // a system's conditions: where they hold (the errors are per field)
    json list = json::array();
    const auto& P = *d.problem;
    for (std::size_t c = 0; c < P.conditions().size(); ++c) {
      const auto& bc = P.conditions()[c];
      const auto& a = d.system->boundary[static_cast<std::size_t>(bc.field)].assignment;
      list.push_back({{"term", bc.term},
                      {"condition", bc.describe()},
                      {"field", P.fields()[static_cast<std::size_t>(bc.field)]},
                      {"value", bc.value},
                      {"nodes", a.counts.at(c)}});
    }
    return list;
  }
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
      {"dtpinn_version", dtpinn_version()},
      {"git_commit", dtpinn_git_commit()},
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
  if (d.system) {
    json equations = json::array();
    for (const auto& eq : d.problem->equations()) equations.push_back(eq.text());
    j["equations"] = equations;
  }
  return j;
}

/// results.json "fields": each field's test error (and whether its mean was removed first).
json fields_json(const Dataset& d, const Network& net) {
  json out = json::object();
  const auto& fields = d.problem->fields();
  if (!d.system) {
    out[fields[0]] = {{"test_rel_l2", num_or_null(test_error(net, d))},
                      {"constant_removed", false}};
    return out;
  }
  const auto e = system_test_error(net, d);
  for (std::size_t w = 0; w < fields.size(); ++w)
    out[fields[w]] = {{"test_rel_l2", num_or_null(w < e.field.size() ? e.field[w] : -1.0)},
                      {"constant_removed", d.system->constant_removed[w]},
                      {"fixed_up_to_a_constant", d.system->constant_removed[w]}};
  return out;
}

std::string history_csv(const TrainResult& r) {
  std::ostringstream s;
  s << "epoch,seconds,loss";
  for (const auto& n : r.term_names) s << ',' << n;
  for (const auto& n : r.term_names) s << ",w_" << n;
  for (const auto& n : r.term_names) s << ",gnorm_" << n;
  s << ",test_rel_l2";
  for (const auto& f : r.field_names) s << ",test_rel_l2:" << f;
  s << '\n';
  for (const auto& h : r.history) {
    s << fmt::format("{},{:.6g},{:.17g}", h.epoch, h.seconds, h.loss);
    for (double v : h.terms) s << fmt::format(",{:.17g}", v);
    for (double v : h.weights) s << fmt::format(",{:.10g}", v);
    for (double v : h.grad_norms) s << fmt::format(",{:.10g}", v);
    s << error_cell(h.test_rel_l2);
    for (std::size_t w = 0; w < r.field_names.size(); ++w) s << error_cell(field_error(h, w));
    s << '\n';
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
          {"input_upper", hi},
          {"fields", d.problem->fields()}};
}

/// The solution files of the network on the test nodes at the last test time.
void write_solution(const RunFolder& folder, const Dataset& d, const Network& net,
                    const PlotRenderer& plot, std::ostream* log) {
  const auto M = d.test_nodes.n_collocation();
  const auto St = static_cast<Eigen::Index>(d.test_times.size());
  if (d.system) {  // one folder per field: FIELD/solution.vtk and its plots
    const Eigen::MatrixXd u = net.evaluate_fields(d.test_points.bottomRows(M));
    for (std::size_t w = 0; w < d.problem->fields().size(); ++w) {
      SolutionView view;
      view.nodes = &d.test_nodes;
      view.field = d.problem->fields()[w];
      view.u = u.col(static_cast<Eigen::Index>(w));
      if (d.system->has_reference[w])
        view.reference = d.system->test_reference.col(static_cast<Eigen::Index>(w));
      view.reference_name = d.reference_kind == "exact" ? "exact" : "reference";
      view.where = "test nodes";
      const std::string sub = nodegen::join_path(folder.stage(), d.problem->fields()[w]);
      nodegen::make_directories(sub);
      write_solution_files(sub, view, plot, log);
    }
    return;
  }
  SolutionView view;
  view.nodes = &d.test_nodes;
  view.u = net.evaluate(d.test_points.bottomRows(M));
  if (d.has_reference) view.reference = d.test_reference.segment((St - 1) * M, M);
  view.reference_name = d.reference_kind == "exact" ? "exact" : "reference";
  view.where = "test nodes";
  if (d.problem->is_time_dependent()) view.when = fmt::format(" at t = {}", d.test_times.back());
  write_solution_files(folder.stage(), view, plot, log);
}

/// loss.gp: the loss terms and the weighted total (top), the test error (bottom), against the
/// epoch, from history.csv.
void write_loss_plot(const RunFolder& folder, const TrainResult& r, const PlotRenderer& plot,
                     std::ostream* log) {
  std::string terms;
  for (std::size_t i = 0; i < r.term_names.size(); ++i)
    terms += fmt::format("'history.csv' using 1:{} with lines lw 2 title '{}', ", 4 + i,
                         r.term_names[i]);
  terms += "'history.csv' using 1:3 with lines lw 2 dt 2 title 'weighted total'";
  const bool has_error = std::any_of(r.history.begin(), r.history.end(),
                                     [](const HistoryRow& h) { return h.test_rel_l2 >= 0; });
  std::string script = fmt::format(
      "set terminal png size 1000,{}\nset output 'loss.png'\nset datafile separator ','\n"
      "set key autotitle columnhead\nset logscale y\nset format y '%.0e'\nset grid\n"
      "set key outside right\nset xlabel 'epoch'\n",
      has_error ? 900 : 600);
  const std::string title = fmt::format("{} ({})", to_string(r.method), to_string(r.precision));
  if (has_error)
    script += fmt::format("set multiplot layout 2,1 title '{}'\nset title 'loss terms'\n", title);
  else
    script += fmt::format("set title '{}: loss terms'\n", title);
  script += fmt::format("set ylabel 'loss (mean squared residual)'\nplot {}\n", terms);
  if (has_error) {
    // A system's fields after the error over all of them, each in its history.csv column.
    const std::size_t all = 4 + 3 * r.term_names.size();
    std::string fields;
    for (std::size_t w = 0; w < r.field_names.size(); ++w)
      fields +=
          fmt::format(", 'history.csv' using 1:{} with linespoints pt 7 ps 0.4 lw 1 title '{}'",
                      all + 1 + w, r.field_names[w]);
    script += fmt::format(
        "set title 'test error'\nset ylabel 'test relative l2 error'\n"
        "plot 'history.csv' using 1:{} with linespoints pt 7 ps 0.5 lw 2 title 'test rel. l2 "
        "error'{}\nunset multiplot\n",
        all, fields);
  }
  write_text(folder.path("loss.gp"), script);
  if (plot) plot(folder.stage(), "loss.gp", log);
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
  if (c.train.save_optimizer && !r.optimizer_state.empty())
    write_text(folder.path("optimizer.pt"), r.optimizer_state);
  write_text(folder.path("checkpoint.json"), checkpoint_json(c, d, net).dump(2) + "\n");
  write_text(folder.path("history.csv"), history_csv(r));
  for (const auto& [name, text] : o.extra_files) write_text(folder.path(name), text);
  write_solution(folder, d, net, o.plot, o.log);
  write_loss_plot(folder, r, o.plot, o.log);
  json results = results_json(c, d, r);
  results["boundary_conditions"] = boundary_results(d, net);
  results["fields"] = fields_json(d, net);
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

PreparedRun prepare_run(const RunConfig& config, std::ostream* log, const Dataset* shared) {
  validate_config(config);
  Dataset local;
  if (!shared) {
    DatasetOptions o;
    o.operators = config.train.method == Method::dtpinn;
    local = build_dataset(config, o, log);
  }
  const Dataset& d = shared ? *shared : local;
  Network net = make_network(config, d);
  TrainingCheck training = check_training(config, d, net);
  return PreparedRun{std::move(local), shared, std::move(net), std::move(training)};
}

namespace {

TrainResult train_and_write(const RunConfig& config, const std::string& dir, std::ostream* log,
                            const Dataset* shared, const PlotRenderer& plot, const StopCheck& stop,
                            const ResumeState* resume) {
  validate_config(config);
  // The folder must be writable before we spend time on data or training. An old run in it
  // stays whole until the new one is moved in (RunFolder::commit).
  const bool existed = nodegen::path_exists(dir);
  RunFolder::check_output_folder(dir);
  try {
    PreparedRun run = prepare_run(config, log, shared);
    const Dataset& d = run.dataset();
    Network& net = run.net;
    TrainOptions to;
    to.log = log;
    to.label = run_label(config);
    to.stop = stop;
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
      to.resume_from = resume->dir;
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

/// A history row's test error per field (history_fields_json), in `fields` order; -1 where
/// none is recorded (no reference, or a run written before the per-field errors).
std::vector<double> field_errors(const json& row, const std::vector<std::string>& fields) {
  std::vector<double> v;
  const auto it = row.find("fields");
  for (const auto& f : fields) {
    const bool known = it != row.end() && it->contains(f) && !it->at(f).at("test_rel_l2").is_null();
    v.push_back(known ? it->at(f).at("test_rel_l2").get<double>() : -1.0);
  }
  return v;
}

}  // namespace

TrainResult run_train(const RunConfig& config, const std::string& dir, std::ostream* log,
                      const Dataset* shared, const PlotRenderer& plot, const StopCheck& stop) {
  return train_and_write(config, dir, log, shared, plot, stop, nullptr);
}

namespace {

/// The network of checkpoint.json (what model.pt holds) against the model keys of the run's
/// config.toml: an edited config.toml would build another network and fail later, after
/// training, on weights that do not fit.
void check_checkpoint_matches(const std::string& dir, const RunConfig& config) {
  const std::string meta = join_path(dir, "checkpoint.json");
  std::ifstream in(meta);
  if (!in) throw std::runtime_error(fmt::format("--resume {}: no checkpoint.json", dir));
  json j;
  try {
    in >> j;
    const std::pair<const char*, std::string> saved[] = {
        {"model.width", std::to_string(j.at("width").get<int>())},
        {"model.depth", std::to_string(j.at("depth").get<int>())},
        {"model.architecture", j.at("architecture").get<std::string>()},
        {"model.activation", j.at("activation").get<std::string>()},
        {"train.precision", j.at("precision").get<std::string>()}};
    for (const auto& [key, value] : saved)
      if (get_option(config, key) != value)
        throw std::runtime_error(fmt::format(
            "--resume {}: {} is {} in config.toml but {} in the checkpoint (checkpoint.json, "
            "model.pt): config.toml was edited after the run; put it back, or start a new run",
            dir, key, get_option(config, key), value));
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("{}: cannot resume from it ({})", meta, e.what()));
  }
}

}  // namespace

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
  s.config = load_config(join_path(dir, "config.toml"));
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
    if (s.config.problem.fields.size() > 1) r.field_names = s.config.problem.fields;
    for (const auto& h : j.at("history")) {
      HistoryRow row;
      row.epoch = h.at("epoch").get<std::int64_t>();
      row.seconds = h.at("seconds").get<double>();
      row.loss = h.at("loss").get<double>();
      row.terms = row_values(h.at("loss_terms"), r.term_names);
      row.weights = row_values(h.at("weights"), r.term_names);
      row.grad_norms = row_values(h.at("grad_norms"), r.term_names);
      row.test_rel_l2 = h.at("test_rel_l2").is_null() ? -1.0 : h.at("test_rel_l2").get<double>();
      row.field_test_rel_l2 = field_errors(h, r.field_names);
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
  if (!o && !s.config.train.save_optimizer)
    throw std::runtime_error(fmt::format(
        "--resume {}: no optimizer.pt: the run was made with train.save_optimizer = false, so it "
        "cannot be continued (train it afresh)",
        dir));
  if (!o)
    throw std::runtime_error(
        fmt::format("--resume {}: no optimizer.pt (the run used a device optimiser, which keeps no "
                    "resumable state, or an older dtpinn)",
                    dir));
  std::ostringstream bytes;
  bytes << o.rdbuf();
  s.result.optimizer_state = bytes.str();
  check_checkpoint_matches(dir, s.config);

  return s;
}

void check_resume_config(const RunConfig& saved, const RunConfig& given, const std::string& dir) {
  RunConfig a = saved, b = given;
  // The stop rules may change: a run is continued for longer, or to another target.
  b.train.epochs = a.train.epochs;
  b.train.time_budget = a.train.time_budget;
  b.train.target_error = a.train.target_error;
  b.train.save_optimizer = a.train.save_optimizer;  // what is written, not how it trains
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
                         std::ostream* log, const PlotRenderer& plot, const StopCheck& stop) {
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
  return train_and_write(config, dir, log, nullptr, plot, stop, &state);
}

}  // namespace dtpinn::core
