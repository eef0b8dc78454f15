// The study's plots: per plot NAME a data file NAME.dat (one gnuplot index per series) and a
// script NAME.gp drawing NAME.png, rendered through lab::render_plot.
#include "study_parts.hpp"

#include <dtpinn/lab/gnuplot.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace dtpinn::lab::detail {

using namespace dtpinn::core;

namespace {

struct Series {
  std::string title;
  std::vector<std::vector<double>> rows;  // x, then columns
};

/// One plot: NAME.dat holds the series, NAME.gp sets `settings` and plots them.
struct Plot {
  Plot(std::string name_, std::string title_, std::string columns_, std::string settings_,
       bool error_bars_ = true, std::string extra_ = "")
      : name(std::move(name_)),
        title(std::move(title_)),
        columns(std::move(columns_)),
        settings(std::move(settings_)),
        error_bars(error_bars_),
        extra(std::move(extra_)) {}
  std::string name, title;
  std::string columns;   ///< the .dat header line
  std::string settings;  ///< gnuplot lines between the header and `plot`
  bool error_bars;       ///< x:median:min:max with yerrorlines, else x:y with linespoints
  std::string extra;     ///< appended to the plot command
  std::vector<Series> series;
};

std::string gp_header(const Stamp& st, const std::string& png, const std::string& title) {
  return fmt::format(
      "# {}\n# command: {}\n# machine: {} ({}{}), date {}, commit {}\n"
      "set terminal png size 960,640\nset output '{}'\nset title \"{}\"\nset grid\n"
      "set key outside right\nset bmargin 5\nset label 99 \"{}\" at screen 0.01,0.015 font ',8'\n",
      png, st.command, st.machine, st.cpu, st.gpu.empty() ? "" : ", " + st.gpu, st.date, st.commit,
      png, title, st.line());
}

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

std::string gp_text(const Stamp& st, const Plot& p) {
  std::string clauses;
  for (std::size_t i = 0; i < p.series.size(); ++i)
    clauses += fmt::format("{}'{}.dat' index {} using {} lw 2 title '{}'", i ? ", " : "", p.name, i,
                           p.error_bars ? "1:2:3:4 with yerrorlines" : "1:2 with linespoints",
                           p.series[i].title);
  return gp_header(st, p.name + ".png", p.title) + p.settings + "plot " + clauses + p.extra + "\n";
}

void write_plot(const fs::path& out, const Stamp& st, const Plot& p, std::ostream* log) {
  write_text(out / (p.name + ".dat"), dat_text(p.series, p.columns));
  write_text(out / (p.name + ".gp"), gp_text(st, p));
  render_plot(out.string(), p.name + ".gp", log);
}

/// x, median, min, max of `s` (nothing when it counts no value).
void add_spread_row(Series& series, double x, const Spread& s) {
  if (s.count) series.rows.push_back({x, s.median, s.min, s.max});
}

// ---- part 1: error and time vs depth --------------------------------------------------------

void plot_derivatives(const fs::path& out, const StudyData& data, DerivOp op, std::ostream* log) {
  const std::string base = std::string("deriv_") + to_string(op);
  const auto n = data.deriv.nodes.at(op).n_nodes;
  const std::string depth_axis = "set xlabel 'depth (hidden layers)'\n";
  Plot err{
      base + "_error",
      fmt::format("{} of a random tanh MLP: rel. error vs fp64 autograd, N = {}", to_string(op), n),
      "depth median min max",
      depth_axis +
          "set ylabel 'relative l2 error'\nset logscale y\nset format y '%.0e'\n"
          "set offsets 0.3, 0.3, 0, 0\n"};
  Plot tim{base + "_time", fmt::format("{}: time per application, N = {}", to_string(op), n),
           "depth milliseconds",
           depth_axis + "set ylabel 'milliseconds'\nset logscale y\nset offsets 0.3, 0.3, 0, 0\n",
           false};
  for (const auto& col : data.deriv.columns(op)) {
    Series se{col.label(), {}}, stt{col.label(), {}};
    const bool has_error =
        col.method != DerivMethod::autograd_fp64 && col.method != DerivMethod::forward_fp64;
    for (const auto& c : data.deriv.cells)
      if (c.op == op && c.column == col) {
        if (has_error) add_spread_row(se, c.depth, spread(c.errors));
        if (!c.seconds.empty()) stt.rows.push_back({double(c.depth), 1e3 * c.seconds[0]});
      }
    if (!se.rows.empty()) err.series.push_back(se);
    if (!stt.rows.empty()) tim.series.push_back(stt);
  }
  write_plot(out, data.stamp, err, log);
  write_plot(out, data.stamp, tim, log);
}

// ---- part 2: best error, time to best and speed-up vs N --------------------------------------

const std::string kNAxis =
    "set logscale x\nset xrange [*:*]\nset offsets graph 0.05, graph 0.05, 0, 0\n"
    "set xlabel 'N (interior + boundary nodes)'\n";

double best_of(const RunRecord& r) {
  return r.r.best_test_rel_l2;
}
double seconds_to_best_of(const RunRecord& r) {
  return r.r.seconds_to_best;
}

void plot_problem(const fs::path& out, const StudyData& data, const StudySummary& summary,
                  StudyProblemKind problem, std::ostream* log) {
  const std::string pname = to_string(problem);
  Plot err{pname + "_error", pname + ": best test relative l2 error vs N",
           "N best_error_median min max",
           kNAxis + "set ylabel 'best test rel. l2 error'\nset logscale y\nset format y '%.0e'\n"};
  Plot tim{pname + "_time", pname + ": training seconds to the best error vs N",
           "N seconds_to_best_median min max",
           kNAxis + "set ylabel 'seconds to best error'\nset logscale y\n"};
  // One series per (method, p), x = N.
  std::vector<std::string> labels;
  for (const auto& g : summary.groups)
    if (g.problem == problem &&
        std::find(labels.begin(), labels.end(), g.series_label()) == labels.end())
      labels.push_back(g.series_label());
  for (const auto& l : labels) {
    Series e{l, {}}, t{l, {}};
    for (const auto& g : summary.groups)
      if (g.problem == problem && g.series_label() == l) {
        add_spread_row(e, double(g.n), g.over_runs(best_of));
        add_spread_row(t, double(g.n), g.over_runs(seconds_to_best_of));
      }
    std::sort(e.rows.begin(), e.rows.end());
    std::sort(t.rows.begin(), t.rows.end());
    err.series.push_back(e);
    tim.series.push_back(t);
  }
  write_plot(out, data.stamp, err, log);
  write_plot(out, data.stamp, tim, log);
}

void plot_speedup(const fs::path& out, const StudyData& data, const StudySummary& summary,
                  StudyProblemKind problem, std::ostream* log) {
  std::map<int, std::map<std::int64_t, std::vector<double>>> sp;  // by p, by N
  for (const auto& s : summary.speeds)
    if (s.problem == problem) sp[s.order][s.n].push_back(s.s.speedup);
  if (sp.empty()) return;
  const std::string pname = to_string(problem);
  Plot p{
      pname + "_speedup",
      pname + ": speed-up of DT-PINN over " + method_label(*data.vanilla_ref) + " at equal error",
      "N speedup_median min max",
      kNAxis + "set ylabel 't(vanilla, e*) / t(DT-PINN, e*)'\nset yrange [0:*]\n",
      true,
      ", 1 with lines dt 2 lc 'black' title 'parity'"};
  for (const auto& [order, by_n] : sp) {
    Series s{fmt::format("p={}", order), {}};
    for (const auto& [n, v] : by_n) add_spread_row(s, double(n), spread(v));
    p.series.push_back(s);
  }
  write_plot(out, data.stamp, p, log);
}

}  // namespace

void write_plots(const fs::path& out, const StudyData& data, const StudySummary& summary,
                 std::ostream* log) {
  for (const DerivOp op : kDerivOps)
    if (!data.deriv.columns(op).empty()) plot_derivatives(out, data, op, log);
  for (const StudyProblemKind p : summary.problems()) {
    plot_problem(out, data, summary, p, log);
    plot_speedup(out, data, summary, p, log);
  }
}

}  // namespace dtpinn::lab::detail
