// `dtpinn compare`: both methods on the same data, the verdict, comparison.json and its plot.
#include <dtpinn/core/training/run_folder.hpp>
#include <dtpinn/lab/compare.hpp>
#include <dtpinn/lab/study.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <sstream>

namespace dtpinn::lab {

namespace {

using json = nlohmann::json;
using nodegen::join_path;

json num_or_null(double v) {
  return v >= 0 && std::isfinite(v) ? json(v) : json(nullptr);
}

/// The largest training-time gap between consecutive test-error evaluations.
double resolution(const ErrorHistory& h) {
  double gap = 0.0;
  for (std::size_t i = 1; i < h.size(); ++i) gap = std::max(gap, h[i].first - h[i - 1].first);
  return gap;
}

void write_files(const core::RunFolder& folder, const core::RunConfig& config,
                 const CompareResult& c, const CompareOptions& options, std::ostream* log) {
  const json j = {
      {"pde", to_string(c.dtpinn.pde)},
      {"n_nodes", c.dtpinn.n_nodes},
      {"order", c.dtpinn.order},
      {"config", config.source},
      {"dtpinn", json::parse(core::result_summary(c.dtpinn))},
      {"vanilla", json::parse(core::result_summary(c.vanilla))},
      {"common_error", num_or_null(c.common_error)},
      {"dtpinn_seconds_to_common_error", num_or_null(c.dtpinn_seconds_to_common)},
      {"vanilla_seconds_to_common_error", num_or_null(c.vanilla_seconds_to_common)},
      {"speedup_at_common_error", num_or_null(c.speedup_at_common)},
      {"dtpinn_seconds_to_vanilla_best", num_or_null(c.dtpinn_seconds_to_vanilla_best)},
      {"time_resolution_seconds",
       {{"dtpinn", c.dtpinn_resolution}, {"vanilla", c.vanilla_resolution}}},
      {"runs", {{"dtpinn", "dtpinn/results.json"}, {"vanilla", "vanilla/results.json"}}}};
  // Error vs training time for both methods, at the evaluations the verdict reads.
  {
    nodegen::AtomicFile f(folder.path("compare.dat"));
    for (const core::TrainResult* r : {&c.dtpinn, &c.vanilla}) {
      f.stream() << "# " << to_string(r->method) << ' ' << to_string(r->precision)
                 << ": seconds epoch test_rel_l2\n";
      for (const auto& h : r->history)
        if (h.test_rel_l2 > 0)
          f.stream() << fmt::format("{:.6g} {} {:.6e}\n", h.seconds, h.epoch, h.test_rel_l2);
      f.stream() << "\n\n";
    }
    f.commit();
  }
  nodegen::write_file_atomically(
      folder.path("compare.gp"),
      fmt::format("set terminal png size 1000,650\nset output 'compare.png'\n"
                  "set title 'test relative l2 error vs training time'\n"
                  "set xlabel 'training seconds'\nset ylabel 'test rel. l2 error'\n"
                  "set logscale y\nset format y '%.0e'\nset grid\n"
                  "plot 'compare.dat' index 0 using 1:3 with linespoints pt 7 ps 0.4 lw 2 title "
                  "'DT-PINN {}', 'compare.dat' index 1 using 1:3 with linespoints pt 7 ps 0.4 lw 2 "
                  "title 'vanilla PINN {}'\n",
                  to_string(c.dtpinn.precision), to_string(c.vanilla.precision)));
  if (options.plot) options.plot(folder.stage(), "compare.gp", log);
  nodegen::write_file_atomically(folder.path("comparison.json"), j.dump(2) + "\n");
}

int stop_signal(const CompareOptions& o) {
  return o.stop ? o.stop() : 0;
}

CompareResult compare_and_write(const core::RunConfig& config, const std::string& dir,
                                const CompareOptions& options, std::ostream* log) {
  core::RunConfig dc = config, vc = config;
  dc.train.method = core::Method::dtpinn;
  dc.train.precision = options.dtpinn_precision;
  vc.train.method = core::Method::vanilla;
  vc.train.precision = options.vanilla_precision;
  for (core::RunConfig* c : {&dc, &vc})
    if (c->train.eval_seconds == 0) c->train.eval_seconds = options.resolution_seconds;
  // The data once (with the operators), both runs checked before either trains.
  const core::PreparedRun d = core::prepare_run(dc, log);
  (void)core::prepare_run(vc, nullptr, &d.dataset());
  CompareResult c;
  c.dtpinn =
      core::run_train(dc, join_path(dir, "dtpinn"), log, &d.dataset(), options.plot, options.stop);
  if (c.dtpinn.stop_reason == "interrupted") {
    const int sig = stop_signal(options);
    throw core::Interrupted(
        sig, fmt::format("interrupted ({}) at epoch {} of the DT-PINN run: it is in {} "
                         "(the vanilla run and comparison.json were not made)",
                         core::signal_name(sig), c.dtpinn.epochs, join_path(dir, "dtpinn")));
  }
  const core::TrainResult vanilla =
      core::run_train(vc, join_path(dir, "vanilla"), log, &d.dataset(), options.plot, options.stop);
  c = compare_results(c.dtpinn, vanilla);
  core::RunFolder folder(dir, "");
  write_files(folder, config, c, options, log);
  folder.commit();
  if (log) *log << '\n' << format_comparison(c);
  if (c.vanilla.stop_reason == "interrupted") {
    const int sig = stop_signal(options);
    throw core::Interrupted(sig, fmt::format("interrupted ({}) at epoch {} of the vanilla run: "
                                             "both runs and comparison.json are in {}",
                                             core::signal_name(sig), c.vanilla.epochs, dir));
  }
  return c;
}

}  // namespace

ErrorHistory error_history(const core::TrainResult& r) {
  ErrorHistory h;
  for (const auto& row : r.history)
    if (row.test_rel_l2 >= 0) h.emplace_back(row.seconds, row.test_rel_l2);
  return h;
}

CompareResult compare_results(const core::TrainResult& dtpinn, const core::TrainResult& vanilla) {
  CompareResult c;
  c.dtpinn = dtpinn;
  c.vanilla = vanilla;
  const ErrorHistory hd = error_history(dtpinn), hv = error_history(vanilla);
  c.dtpinn_resolution = resolution(hd);
  c.vanilla_resolution = resolution(hv);
  const EqualErrorSpeedup s = speedup_at_equal_error(hd, hv);
  c.common_error = s.common_error;
  c.dtpinn_seconds_to_common = s.dtpinn_seconds;
  c.vanilla_seconds_to_common = s.vanilla_seconds;
  c.speedup_at_common = s.speedup;
  if (const double best = best_error(hv); best > 0)
    c.dtpinn_seconds_to_vanilla_best = time_to_error(hd, best);
  return c;
}

CompareResult run_compare(const core::RunConfig& config, const std::string& dir,
                          const CompareOptions& options, std::ostream* log) {
  core::validate_config(config);
  const bool existed = nodegen::path_exists(dir);
  // All three folders before either run trains.
  for (const std::string& d : {dir, join_path(dir, "dtpinn"), join_path(dir, "vanilla")})
    core::RunFolder::check_output_folder(d);
  try {
    return compare_and_write(config, dir, options, log);
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
  for (const core::TrainResult* r : {&c.dtpinn, &c.vanilla})
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
  o << fmt::format(
      "time resolution: the test error is taken at most {:.2g} s (DT-PINN) and {:.2g} s "
      "(vanilla) of training apart; times to an error are exact to that\n",
      c.dtpinn_resolution, c.vanilla_resolution);
  return o.str();
}

}  // namespace dtpinn::lab
