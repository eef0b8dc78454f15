// The study's written report: study.json (raw numbers, every run's history) and study.md (the
// tables).
#include "study_parts.hpp"

#include <dtpinn/core/training/run.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <tuple>
#include <utility>

namespace dtpinn::lab::detail {

using namespace dtpinn::core;

namespace {

using json = nlohmann::json;

json num(double v) {
  return v >= 0 && std::isfinite(v) ? json(v) : json(nullptr);
}

// ---- study.json -----------------------------------------------------------------------------

/// The stamp's fields by their names in study.json.
const std::pair<const char*, std::string Stamp::*> kStampFields[] = {
    {"command", &Stamp::command},  {"machine", &Stamp::machine},
    {"cpu", &Stamp::cpu},          {"gpu", &Stamp::gpu},
    {"uname", &Stamp::uname},      {"date", &Stamp::date},
    {"commit", &Stamp::commit},    {"load_start", &Stamp::load_start},
    {"load_end", &Stamp::load_end}};

json meta_json(const StudyOptions& o, const StudyData& data) {
  json j = {{"device", to_string(o.device)},
            {"quick", o.quick},
            {"optimizer", to_string(o.optimizer)},
            {"output_layer", to_string(o.output_layer)},
            {"epochs", o.epochs},
            {"time_budget", o.time_budget},
            {"eval_every", o.eval_every},
            {"total_seconds", data.total_seconds},
            {"speedup_definition",
             "e* = max(best DT-PINN error, best vanilla error); speedup = t_vanilla(e*) / "
             "t_dtpinn(e*), times on the training clock read from each run's history"},
            {"vanilla_reference", data.vanilla_ref ? method_label(*data.vanilla_ref) : ""}};
  for (const auto& [key, field] : kStampFields) j[key] = data.stamp.*field;
  return j;
}

json derivatives_json(const DerivativeResults& deriv) {
  json nodes = json::object();
  for (const auto& [op, n] : deriv.nodes)
    nodes[to_string(op)] = {
        {"n_nodes", n.n_nodes}, {"n_interior", n.n_interior}, {"n_boundary", n.n_boundary}};
  json cells = json::array();
  for (const auto& c : deriv.cells)
    cells.push_back({{"op", to_string(c.op)},
                     {"method", c.column.label()},
                     {"depth", c.depth},
                     {"errors", c.errors},
                     {"seconds", c.seconds}});
  return {{"nodes", nodes}, {"cells", cells}};
}

json run_json(const RunRecord& r) {
  json h = json::array();
  for (const auto& row : r.r.history)
    h.push_back({row.epoch, row.seconds, num(row.test_rel_l2), row.loss});
  json j = {{"problem", to_string(r.problem)},
            {"n_target", r.n_target},
            {"n_nodes", r.n_nodes},
            {"method", to_string(r.method)},
            {"precision", to_string(r.precision)},
            {"label", method_label(r.study_method)},
            {"order", r.order},
            {"seed", r.seed},
            {"ok", r.ok},
            {"error", r.error},
            {"history_columns", {"epoch", "seconds", "test_rel_l2", "loss"}},
            {"history", h}};
  // The headline numbers as the engine reports them for any run.
  const json summary = json::parse(result_summary(r.r));
  for (const char* key : {"test_rel_l2", "best_test_rel_l2", "epochs", "epochs_to_best",
                          "seconds_to_best", "train_seconds", "seconds_per_epoch", "stop_reason"})
    j[key] = summary.at(key);
  return j;
}

json speedup_json(const Speedup& s) {
  return {{"problem", to_string(s.problem)},
          {"n_nodes", s.n},
          {"order", s.order},
          {"seed", s.seed},
          {"common_error", num(s.s.common_error)},
          {"dtpinn_seconds", num(s.s.dtpinn_seconds)},
          {"vanilla_seconds", num(s.s.vanilla_seconds)},
          {"speedup", num(s.s.speedup)},
          {"dtpinn_best", num(s.dt_best)},
          {"vanilla_best", num(s.va_best)}};
}

// ---- study.md -------------------------------------------------------------------------------

std::string md_header(const StudyOptions& o, const StudyData& data) {
  const Stamp& st = data.stamp;
  return fmt::format(
             "# DT-PINN vs vanilla PINN study\n\n"
             "- command: `{}`\n- machine: `{}`: {}{}\n- uname: `{}`\n- date: {}\n- git "
             "commit: {}\n- load average at start: {}; at end: {}\n- total wall time: "
             "{:.0f} s\n- device: {}; optimiser: {} (output layer: {}); epochs per run: {}; "
             "time budget per run: {}; test error every {} epochs\n\n",
             st.command, st.machine, st.cpu, st.gpu.empty() ? "" : "; GPU " + st.gpu, st.uname,
             st.date, st.commit, st.load_start, st.load_end, data.total_seconds,
             to_string(o.device), to_string(o.optimizer), to_string(o.output_layer), o.epochs,
             o.time_budget > 0 ? fmt::format("{:g} s", o.time_budget) : "none", o.eval_every) +
         "Times are the engine's training clock (optimiser steps only; test-error evaluation and "
         "logging excluded). One epoch = one optimiser step (L-BFGS: up to 20 iterations, strong "
         "Wolfe, the engine's default; gauss_newton: one Levenberg-Marquardt step), the same for "
         "both methods. Cells with several seeds read `median [min, "
         "max]`.\n\n";
}

/// One table of section 1: relative errors (the forward pass has none) or milliseconds.
std::string md_derivative_table(const StudyOptions& o, const DerivativeResults& deriv, DerivOp op,
                                bool timing) {
  std::vector<DerivColumn> columns;
  for (const auto& col : deriv.columns(op))
    if (timing || col.method != DerivMethod::forward_fp64) columns.push_back(col);
  std::vector<std::string> hdr = {"depth"};
  for (const auto& col : columns) hdr.push_back(col.label());
  std::vector<std::vector<std::string>> rows;
  for (int depth = 1; depth <= o.max_depth; ++depth) {
    std::vector<std::string> row = {std::to_string(depth)};
    for (const auto& col : columns) {
      const DerivCell* c = deriv.find(op, col, depth);
      if (!c)
        row.push_back("n/a");
      else if (timing)
        row.push_back(c->seconds.empty() ? "n/a" : fmt::format("{:.3g}", 1e3 * c->seconds[0]));
      else
        row.push_back(col.method == DerivMethod::autograd_fp64 ? "(reference)"
                                                               : format_spread(spread(c->errors)));
    }
    rows.push_back(row);
  }
  const auto n = deriv.nodes.count(op) ? deriv.nodes.at(op).n_nodes : 0;
  return fmt::format("### {} ({}), N = {}\n\n",
                     op == DerivOp::laplacian ? "Laplacian" : "Biharmonic",
                     timing ? "milliseconds per application" : "relative error", n) +
         markdown_table(hdr, rows) + "\n";
}

std::string md_derivatives(const StudyOptions& o, const DerivativeResults& deriv) {
  std::string md =
      "## 1. Derivatives of a random tanh MLP (width 50) vs depth (paper Fig. 2, Fig. 7)\n\n"
      "Relative l2 error against fp64 autograd over the Ni + Nb collocation nodes of the unit "
      "disk (median [min, max] over the random networks), and seconds per application "
      "(median of repeats, first network of each depth). Autograd time = forward + the "
      "derivative passes at the Ni + Nb nodes; RBF-FD time = the SpMV `L u` alone (the "
      "network forward at all Ni + 2 Nb nodes is listed separately).\n\n";
  for (const DerivOp op : kDerivOps) {
    if (deriv.columns(op).empty()) continue;
    md += md_derivative_table(o, deriv, op, false) + md_derivative_table(o, deriv, op, true);
    const char* name = to_string(op);
    md +=
        fmt::format("![{0} error](deriv_{0}_error.png) ![{0} time](deriv_{0}_time.png)\n\n", name);
  }
  return md;
}

double final_error(const RunRecord& r) {
  return r.r.test_rel_l2;
}
double best_error_of(const RunRecord& r) {
  return r.r.best_test_rel_l2;
}
double epochs_to_best(const RunRecord& r) {
  return double(r.r.epochs_to_best);
}
double seconds_to_best(const RunRecord& r) {
  return r.r.seconds_to_best;
}
double epochs_run(const RunRecord& r) {
  return double(r.r.epochs);
}
double seconds_per_epoch(const RunRecord& r) {
  return r.r.seconds_per_epoch;
}

std::vector<std::string> group_row(const Group& g) {
  int failed = 0;
  for (const auto* r : g.runs) failed += r->ok ? 0 : 1;
  return {std::to_string(g.n),
          method_label(g.method),
          g.order ? std::to_string(g.order) : "-",
          fmt::format("{}{}", g.runs.size(), failed ? fmt::format(" ({} failed)", failed) : ""),
          format_spread(g.over_runs(final_error)),
          format_spread(g.over_runs(best_error_of)),
          format_spread(g.over_runs(epochs_to_best), false),
          format_spread(g.over_runs(seconds_to_best), false),
          format_spread(g.over_runs(epochs_run), false),
          format_spread(g.over_runs(seconds_per_epoch), false)};
}

std::string md_runs(const StudySummary& summary) {
  std::string md =
      "## 2. PINN runs\n\n"
      "Per (problem, N, method, p) over the seeds: final and best test relative l2 error, "
      "epochs and seconds to the best error, seconds per epoch.\n\n";
  for (const StudyProblemKind p : summary.problems()) {
    const char* pname = to_string(p);
    std::vector<std::vector<std::string>> rows;
    for (const auto& g : summary.groups)
      if (g.problem == p) rows.push_back(group_row(g));
    md += fmt::format("### {}\n\n", pname) +
          markdown_table({"N", "method", "p", "seeds", "final error", "best error",
                          "epochs to best", "s to best", "epochs run", "s / epoch"},
                         rows) +
          "\n";
    md += fmt::format("![error vs N]({0}_error.png) ![time to best vs N]({0}_time.png)", pname);
    if (!summary.speeds.empty()) md += fmt::format(" ![speed-up vs N]({}_speedup.png)", pname);
    md += "\n\n";
  }
  return md;
}

/// One row of section 3: the seeds of one (problem, N, p).
std::vector<std::string> speedup_row(const std::vector<const Speedup*>& v) {
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
  const Speedup& k = *v.front();
  return {to_string(k.problem),
          std::to_string(k.n),
          std::to_string(k.order),
          std::to_string(v.size()),
          format_spread(spread(e)),
          format_spread(spread(td), false),
          format_spread(spread(tv), false),
          format_spread(spread(sp), false),
          format_spread(spread(ratio), false),
          format_spread(spread(ed), false),
          format_spread(spread(ev), false)};
}

std::string md_speedups(const StudySummary& summary, StudyMethod vanilla_ref) {
  using Key = std::tuple<StudyProblemKind, std::int64_t, int>;
  std::map<Key, std::vector<const Speedup*>> by;
  std::vector<Key> keys;  // in the order of the runs
  for (const auto& s : summary.speeds) {
    const Key k{s.problem, s.n, s.order};
    if (!by.count(k)) keys.push_back(k);
    by[k].push_back(&s);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : keys) rows.push_back(speedup_row(by[k]));
  return fmt::format(
             "## 3. Speed-up of DT-PINN fp64 over {} at equal error\n\n"
             "Per seed: e* = max(best DT-PINN error, best vanilla error), the accuracy both runs "
             "reached; speed-up = t_vanilla(e*) / t_dtpinn(e*), each the first training-clock "
             "time at which that run's test error was <= e* (read from the histories). > 1 means "
             "DT-PINN got there sooner. `best ratio` = best DT-PINN error / best vanilla error "
             "(< 1: DT-PINN more accurate). Epochs to best compare the two methods' epochs.\n\n",
             method_label(vanilla_ref)) +
         markdown_table({"problem", "N", "p", "seeds", "e*", "t DT-PINN (s)", "t vanilla (s)",
                         "speed-up", "best ratio", "epochs to best DT", "epochs to best vanilla"},
                        rows) +
         "\n";
}

std::string md_failed(const std::vector<RunRecord>& runs) {
  std::string md;
  for (const auto& r : runs)
    if (!r.ok)
      md += fmt::format("- {} N={} {} p={} seed {}: {}\n", to_string(r.problem), r.n_nodes,
                        method_label(r.study_method), r.order, r.seed, r.error);
  return md.empty() ? md : "## Failed runs\n\n" + md + "\n";
}

}  // namespace

void write_study_json(const fs::path& out, const StudyOptions& o, const StudyData& data,
                      const StudySummary& summary) {
  json j;
  j["meta"] = meta_json(o, data);
  j["derivatives"] = derivatives_json(data.deriv);
  j["runs"] = json::array();
  for (const auto& r : data.runs) j["runs"].push_back(run_json(r));
  j["speedups"] = json::array();
  for (const auto& s : summary.speeds) j["speedups"].push_back(speedup_json(s));
  write_text(out / "study.json", j.dump(1) + "\n");
}

std::string study_markdown(const StudyOptions& o, const StudyData& data,
                           const StudySummary& summary) {
  std::string md = md_header(o, data);
  if (!data.deriv.cells.empty()) md += md_derivatives(o, data.deriv);
  if (!data.runs.empty()) {
    md += md_runs(summary);
    if (!summary.speeds.empty()) md += md_speedups(summary, *data.vanilla_ref);
    md += md_failed(data.runs);
  }
  return md +
         "Raw numbers (every run's history): `study.json`. Plots: gnuplot scripts `*.gp` with data "
         "`*.dat` next to the PNGs.\n";
}

}  // namespace dtpinn::lab::detail
