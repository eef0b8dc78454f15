#pragma once
// The pieces of run_study (study.cpp), each in its own file:
//   study_derivatives.cpp  part 1: derivatives of random networks vs depth
//   study_runs.cpp         part 2: the PINN runs (one problem, N, seed, method at a time)
//   study_summary.cpp      grouping the runs over seeds; speed-ups at equal error
//   study_report.cpp       study.json and study.md
//   study_plots.cpp        the .gp / .dat plot files and their PNGs
// Internal to dtpinn_lab; the interface is dtpinn/lab/study.hpp.
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/study.hpp>

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dtpinn::lab::detail {

namespace fs = std::filesystem;

/// One progress line on `log` (none when null).
void say(std::ostream* log, const std::string& line);
/// Writes a whole file atomically.
void write_text(const fs::path& path, const std::string& text);

/// What every output file carries.
struct Stamp {
  std::string command, machine, cpu, gpu, uname, date, commit, load_start, load_end;
  std::string line() const;  ///< "machine | date | cpu | commit c": the plots' footer
};

// ---- part 1: derivatives vs depth ---------------------------------------------------------

enum class DerivOp { laplacian, biharmonic };
inline constexpr DerivOp kDerivOps[] = {DerivOp::laplacian, DerivOp::biharmonic};

/// How a derivative is taken, in the order of the tables' columns.
enum class DerivMethod { rbffd, autograd_fp32, autograd_fp64, forward_fp64 };

}  // namespace dtpinn::lab::detail

// The names of the operators (JSON, file names) and methods (labels), as option tables.
namespace dtpinn::core {
template <>
constexpr auto option_table<lab::detail::DerivOp>() {
  using O = lab::detail::DerivOp;
  return std::array{OptionName<O>{"laplacian", O::laplacian},
                    OptionName<O>{"biharmonic", O::biharmonic}};
}
template <>
constexpr auto option_table<lab::detail::DerivMethod>() {
  using M = lab::detail::DerivMethod;
  return std::array{OptionName<M>{"RBF-FD", M::rbffd},
                    OptionName<M>{"autograd fp32", M::autograd_fp32},
                    OptionName<M>{"autograd fp64", M::autograd_fp64},
                    OptionName<M>{"forward fp64 (all nodes)", M::forward_fp64}};
}
}  // namespace dtpinn::core

namespace dtpinn::lab::detail {

/// A column of the derivative tables: the method and, for RBF-FD, the order p.
struct DerivColumn {
  DerivMethod method = DerivMethod::rbffd;
  int order = 0;
  bool operator<(const DerivColumn& o) const {
    return method != o.method ? method < o.method : order < o.order;
  }
  bool operator==(const DerivColumn& o) const { return method == o.method && order == o.order; }
  /// "RBF-FD p=3", "autograd fp32", "autograd fp64", "forward fp64 (all nodes)"
  std::string label() const;
};

struct DerivCell {
  DerivOp op = DerivOp::laplacian;
  DerivColumn column;
  int depth = 0;
  std::vector<double> errors, seconds;
};

struct DerivNodes {
  std::int64_t n_nodes = 0, n_interior = 0, n_boundary = 0;
};

struct DerivativeResults {
  std::map<DerivOp, DerivNodes> nodes;  ///< the node set of each operator
  std::vector<DerivCell> cells;         ///< per op, per depth, per column
  /// The columns of `op`'s cells, in table order.
  std::vector<DerivColumn> columns(DerivOp op) const;
  /// The cell of (op, column, depth); null when there is none.
  const DerivCell* find(DerivOp op, const DerivColumn& column, int depth) const;
};

DerivativeResults derivative_study(const StudyOptions& options, std::ostream* log);

// ---- part 2: the PINN runs ----------------------------------------------------------------

struct RunRecord {
  StudyProblemKind problem = StudyProblemKind::poisson;
  StudyMethod study_method = StudyMethod::dtpinn;
  core::Method method = core::Method::dtpinn;
  core::Precision precision = core::Precision::fp64;
  std::int64_t n_target = 0, n_nodes = 0;
  int order = 0;  ///< 0 for vanilla
  std::uint64_t seed = 0;
  bool ok = false;
  std::string error;
  core::TrainResult r;
  ErrorHistory hist;
};

/// Every run of every problem, N, seed and method (DT-PINN: one per order).
std::vector<RunRecord> pinn_runs(const StudyOptions& options, std::ostream* log);

/// The run config of one problem at N nodes (before the per-run seed, method and order): what
/// every run of it trains, and what the option checks validate before any work.
core::RunConfig problem_config(StudyProblemKind kind, std::int64_t n, const StudyOptions& o);

// ---- grouping and speed-ups -----------------------------------------------------------------

/// The runs of one (problem, N, method, p) over the seeds.
struct Group {
  StudyProblemKind problem = StudyProblemKind::poisson;
  StudyMethod method = StudyMethod::dtpinn;
  std::int64_t n = 0;
  int order = 0;
  std::vector<const RunRecord*> runs;
  /// "DT-PINN fp64 p=3", "vanilla fp32": a plot series.
  std::string series_label() const;
  /// The spread of f over the successful runs.
  Spread over_runs(double (*f)(const RunRecord&)) const;
};

/// DT-PINN against the reference vanilla run of the same problem, N and seed.
struct Speedup {
  StudyProblemKind problem = StudyProblemKind::poisson;
  std::int64_t n = 0;
  int order = 0;
  std::uint64_t seed = 0;
  EqualErrorSpeedup s;
  double dt_best = -1, va_best = -1;
  std::int64_t dt_epochs_best = -1, va_epochs_best = -1;
};

/// The first vanilla method of the list, which the speed-ups compare DT-PINN to.
std::optional<StudyMethod> vanilla_reference(const std::vector<StudyMethod>& methods);

/// What the study measured; the report reads it.
struct StudyData {
  Stamp stamp;
  double total_seconds = 0.0;
  DerivativeResults deriv;
  std::vector<RunRecord> runs;
  std::optional<StudyMethod> vanilla_ref;
};

/// The groups and speed-ups of the runs (pointers into data.runs).
struct StudySummary {
  std::vector<Group> groups;  ///< in the order of the runs
  std::vector<Speedup> speeds;
  /// The problems of the groups, in order.
  std::vector<StudyProblemKind> problems() const;
};
StudySummary summarise(const StudyData& data);

// ---- the output files ---------------------------------------------------------------------

void write_study_json(const fs::path& out, const StudyOptions& options, const StudyData& data,
                      const StudySummary& summary);
std::string study_markdown(const StudyOptions& options, const StudyData& data,
                           const StudySummary& summary);
/// The .dat / .gp files of every plot, rendered through render_plot.
void write_plots(const fs::path& out, const StudyData& data, const StudySummary& summary,
                 std::ostream* log);

}  // namespace dtpinn::lab::detail
