#pragma once
// The comparison study behind `dtpinn study`: DT-PINN against the autograd ("vanilla") PINN,
// reproducing the experiments of the DT-PINN paper (Figs. 2-7, 9-10) and going past them.
//
// Two parts, both driven by the engine's own code (build_dataset, make_network, train):
//  1. derivatives vs depth: a random fp64 tanh MLP (width 50, depth 1..D) on a unit-disk node
//     set; Lap u (and the biharmonic) by autograd in fp32 and fp64 and by RBF-FD (L u, p = 2..5)
//     on the network's values at the nodes; relative l2 error against fp64 autograd over the
//     Ni + Nb collocation nodes, and seconds per application (median of repeats).
//  2. PINN runs: for each problem, N, seed: one vanilla run per precision and one DT-PINN run per
//     order p, all on the same nodes, seed and budget; per run the test relative l2 error, best
//     error, epochs and seconds to best, seconds per epoch; per (problem, N, p, seed) the
//     speed-up at equal error (speedup_at_equal_error below).
//
// Output folder: study.md (tables), study.json (raw, with histories), *.png (gnuplot, + .gp and
// .dat), each stamped with the command, machine, date, git commit and load average.
// This header is LibTorch-free.
#include <dtpinn/core/problem/options.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace dtpinn::lab {

/// Where the numbers were measured.
struct MachineInfo {
  std::string slug;       ///< short folder name: "cpu-2core-amd-epyc" or the GPU name
  std::string cpu_model;  ///< `lscpu` "Model name"
  int cpu_cores = 0;      ///< logical CPUs
  std::string gpu_model;  ///< `nvidia-smi` name, empty without a GPU
  std::string uname;      ///< `uname -a`
  std::string load;       ///< `uptime` load average at the time of the call
};
/// `for_cuda`: the slug names the GPU (when nvidia-smi answers), else the CPU.
MachineInfo machine_info(bool for_cuda = false);

/// `git rev-parse --short HEAD` of `source_dir`, with "-dirty" appended when the tree has
/// changes ("uncommitted" when git does not answer).
std::string git_commit(const std::string& source_dir);
/// UTC now, "2026-11-22 21:30:00 UTC".
std::string utc_now();

/// The problems of the study; the names are those of --problems.
///   poisson    linear Poisson, unit disk (paper Fig. 3)
///   nonlinear  Lap u - exp(u) = f, unit disk (Fig. 5)
///   heat       u_t = Lap u + f, unit disk, Nt = 24 (Fig. 6)
///   star       linear Poisson on the star-shaped domain (Figs. 9-10)
///   3d         linear Poisson on an imported closed surface (data/geometry/torus.obj, rescaled)
///   helmholtz  lap(u) + k^2 u = f, k = 2, unit disk (an equation given as text, equation.hpp)
///   advection  b . grad(u) - nu lap(u) = f, b = (1, -0.5), nu = 0.2, unit disk
enum class StudyProblemKind { poisson, nonlinear, heat, star, torus3d, helmholtz, advection };

/// The methods of the study (the names of --methods): DT-PINN in fp64, the autograd ("vanilla")
/// PINN in fp32 or fp64.
enum class StudyMethod { dtpinn, vanilla32, vanilla64 };

/// The engine's method and precision of a study method.
struct EngineMethod {
  core::Method method = core::Method::dtpinn;
  core::Precision precision = core::Precision::fp64;
};
EngineMethod engine_method(StudyMethod m);
/// "DT-PINN fp64", "vanilla fp32", "vanilla fp64": how tables and plots name a method.
std::string method_label(StudyMethod m);

/// One problem of the study.
struct StudyProblem {
  StudyProblemKind kind = StudyProblemKind::poisson;
  std::vector<std::int64_t> sizes;  ///< node counts N (default list of the mode)
  std::vector<std::uint64_t> seeds;
  /// DT-PINN orders for this problem; empty: StudyOptions::orders.
  std::vector<int> orders = {};
  /// Seconds per run for this problem; < 0: StudyOptions::time_budget (the quick preset gives
  /// heat, whose epochs cost ~20x a Poisson epoch, a longer budget).
  double time_budget = -1.0;
};

struct StudyOptions {
  bool quick = false;
  core::DeviceKind device = core::DeviceKind::cpu;
  std::string output;            ///< folder; empty = bench/results/<machine slug>
  std::string source_dir = ".";  ///< repository root (geometry files, git commit)
  std::string command;           ///< the command line, recorded in every file
  // Part 1.
  bool derivatives = true;
  int max_depth = 8;
  std::int64_t derivative_n = 19638;  ///< Laplacian nodes (paper: 19638)
  std::int64_t biharmonic_n = 4977;   ///< biharmonic nodes (paper: 4977)
  int derivative_repeats = 15;        ///< random networks per depth (paper: 15)
  int timing_repeats = 5;             ///< timed applications per network (median)
  // Part 2.
  bool pinn = true;
  std::vector<StudyProblem> problems;
  std::vector<int> orders = {2, 3, 4, 5};
  /// The speed-up compares DT-PINN to the first vanilla method in the list.
  std::vector<StudyMethod> methods = {StudyMethod::dtpinn, StudyMethod::vanilla32,
                                      StudyMethod::vanilla64};
  std::int64_t epochs = 5000;
  double time_budget = 0.0;  ///< seconds per run, 0 = none
  std::int64_t eval_every = 10;
  std::int64_t test_n = 21748;  ///< test nodes (2D); 3D and heat use fewer (see study.cpp)
  int threads = 0;              ///< torch intra-op threads, 0 = torch default (quick: 1)
  /// Every PINN run's optimiser and output layer (train.optimizer, train.output_layer).
  core::Optimizer optimizer = core::Optimizer::lbfgs;
  core::OutputLayer output_layer = core::OutputLayer::trained;
};

/// The presets: full (paper sizes, p = 2..5, three methods, five problems, 5000 epochs, five
/// seeds where the paper used them) and quick (a few minutes on a 2-core CPU).
StudyOptions full_study_options();
StudyOptions quick_study_options();

// ---- the arithmetic of the study (pure, unit-tested) ---------------------------------------

/// A training history reduced to what the study reads: (seconds, test error) pairs in time
/// order (the engine's training clock; evaluation excluded).
using ErrorHistory = std::vector<std::pair<double, double>>;

/// First time at which the error is <= e; -1 if never.
double time_to_error(const ErrorHistory& h, double e);
/// Best (smallest) error in the history; -1 if empty.
double best_error(const ErrorHistory& h);

/// Speed-up of DT-PINN over the vanilla PINN at equal error: e* = max(best DT-PINN error, best
/// vanilla error) (the smaller accuracy that both runs reached), speedup = t_vanilla(e*) /
/// t_dtpinn(e*), each time read from the run's own history. > 1: DT-PINN got there sooner.
struct EqualErrorSpeedup {
  double common_error = -1.0;
  double dtpinn_seconds = -1.0, vanilla_seconds = -1.0;
  double speedup = -1.0;  ///< -1 when undefined (no error history or a zero time)
};
EqualErrorSpeedup speedup_at_equal_error(const ErrorHistory& dtpinn, const ErrorHistory& vanilla);

/// Median, min, max and count of finite, non-negative values (-1 everywhere when none).
struct Spread {
  double median = -1.0, min = -1.0, max = -1.0;
  int count = 0;
};
Spread spread(std::vector<double> values);

/// "1.23e-04 [1.1e-04, 1.5e-04]" (the bracket only with more than one value), "n/a" if none.
std::string format_spread(const Spread& s, bool scientific = true);

/// A GitHub markdown table; every row must have headers.size() cells (throws otherwise).
std::string markdown_table(const std::vector<std::string>& headers,
                           const std::vector<std::vector<std::string>>& rows);

/// Runs the study and writes the output folder; returns the folder. Progress lines to `log`.
/// Throws std::runtime_error (one line) on bad options before anything is trained.
std::string run_study(const StudyOptions& options, std::ostream* log);

}  // namespace dtpinn::lab

namespace dtpinn::core {

// The study's choices in the option-table pattern of options.hpp: parse_option, to_string,
// option_choices and option_list work on them as on the engine's options.
template <>
constexpr auto option_table<lab::StudyProblemKind>() {
  using K = lab::StudyProblemKind;
  return std::array{
      OptionName<K>{"poisson", K::poisson},    OptionName<K>{"nonlinear", K::nonlinear},
      OptionName<K>{"heat", K::heat},          OptionName<K>{"star", K::star},
      OptionName<K>{"3d", K::torus3d},         OptionName<K>{"helmholtz", K::helmholtz},
      OptionName<K>{"advection", K::advection}};
}
template <>
constexpr auto option_table<lab::StudyMethod>() {
  using M = lab::StudyMethod;
  return std::array{OptionName<M>{"dtpinn", M::dtpinn}, OptionName<M>{"vanilla32", M::vanilla32},
                    OptionName<M>{"vanilla64", M::vanilla64}};
}

}  // namespace dtpinn::core
