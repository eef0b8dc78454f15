#pragma once
// The run configuration: one TOML file (documented in README.md, examples in data/configs/),
// every key also settable by a command-line flag. LibTorch-free.
//
// [problem] pde | equation (+ [problem.params]), exact | (f, g[, u0]), alpha, beta, t_final, nt
// [[bc]]    on | where, type, value, alpha, beta, name (one entry per boundary condition)
// [domain]  shape | file, n, seed, nodes, test_n, test_nodes, rescale
// [rbffd]   order
// [model]   architecture, depth, width, activation
// [train]   method, device, precision, optimizer, epochs, lr, ... (see TrainConfig)
#include <dtpinn/core/problem/options.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dtpinn::core {

/// One [[bc]] entry: a boundary condition on the boundary nodes of the named parts (`on`) or on
/// those a selector picks (`where`):
///   dirichlet  u = g,   neumann  du/dn = g,   robin  alpha du/dn + beta u = g   (n outward)
/// g is `value`, an expression in x, y, z, t (heat), nx, ny, nz, or, when not given, derived
/// from problem.exact. Entries apply in file order and a later entry wins on the nodes it
/// covers, so a general entry followed by special ones reads as "this, except there".
struct BoundaryConditionConfig {
  std::vector<std::string> on;  ///< part names (nodegen/node_set.hpp), or empty with `where`
  std::string where;  ///< a selector: a boolean expression in x, y, z, nx, ny, nz (muParser:
                      ///< < <= > >= == != && ||, and the functions of expressions); or empty
  BcType type = BcType::dirichlet;
  std::optional<std::string> value;  ///< g; derived from problem.exact when not given
  /// robin only (refused for the others): defaults 1 and 1.
  std::optional<double> alpha, beta;
  /// The loss term is "bc:NAME"; default: the names in `on` joined by "+", or "where<i>" (i the
  /// entry's 1-based index). A valid part name (nodegen::is_valid_part_name).
  std::string name;
};
bool operator==(const BoundaryConditionConfig& a, const BoundaryConditionConfig& b);

struct ProblemConfig {
  PdeKind pde = PdeKind::poisson;
  /// The residual R that must vanish (equation.hpp), e.g. "lap(u) + k^2*u - f"; when not
  /// given, the preset of `pde` ("lap(u) - f", "lap(u) - exp(u) - f", "u_t - lap(u) - f").
  std::optional<std::string> equation;
  /// Named parameters of the equation: name -> a number or an expression in x, y, z, t.
  std::map<std::string, std::string> params;
  /// Exact solution u(x, y[, z][, t]) as an expression; when given, f, g and u0 are derived
  /// from it symbolically and it is the reference for the test error.
  std::optional<std::string> exact = std::string("1 + sin(pi*x)*cos(pi*y)");
  std::optional<std::string> f;   ///< right-hand side of the PDE (overrides the derived one)
  std::optional<std::string> g;   ///< boundary data of alpha du/dn + beta u = g
  std::optional<std::string> u0;  ///< heat: initial condition u(x, 0)
  /// Without [[bc]] entries: alpha du/dn + beta u = g (problem.g) on the whole boundary.
  /// With [[bc]] entries these three are not used (problem.g is then refused).
  double alpha = 1.0;  ///< Robin coefficient of du/dn (0 gives Dirichlet)
  double beta = 1.0;   ///< Robin coefficient of u      (0 gives Neumann)
  /// Conditions per boundary part ([[bc]] in the file), in order; empty: alpha, beta, g above.
  std::vector<BoundaryConditionConfig> bc;
  double t_final = 1.0;  ///< heat: final time
  int nt = 24;           ///< heat: number of time steps (Nt + 1 slices incl. t = 0)
};

struct DomainConfig {
  std::string shape = "disk";       ///< analytic shape name (nodegen shape library)
  std::optional<std::string> file;  ///< or a geometry / point-cloud file to import
  std::int64_t n = 1663;            ///< target total of interior + boundary nodes
  std::uint64_t seed = 0;
  std::optional<std::string> nodes;  ///< use this node CSV instead of generating
  std::int64_t test_n = 21748;       ///< finer test node set, generated with seed + 1
  std::optional<std::string> test_nodes;
  bool rescale = false;      ///< imported geometry: rescale to the unit box
  bool keep_points = false;  ///< imported boundary cloud: its points as they are (no resampling)
  /// A node set beyond nodegen's QualityLimits is used with a warning instead of refused.
  bool allow_nonuniform = false;
  /// Ghost offset along the normal in local spacings; 0 = nodegen's default for the dimension
  /// (1 in 2D, 0.5 in 3D).
  double ghost_distance = 0.0;
};

struct RbffdConfig {
  int order = 4;  ///< p, 2..6
  /// f of the boundary stencils, ceil(f binom(l + d, d)) + 1 nodes (rbffd/params.hpp); 0 = the
  /// default for the dimension (2 in 2D, the paper's rule; 2.5 in 3D), else >= 1.
  double boundary_stencil_factor = 0.0;
};

struct ModelConfig {
  Architecture architecture = Architecture::mlp;  ///< or modified_mlp (Wang, Teng & Perdikaris)
  int depth = 4;                                  ///< hidden layers
  int width = 50;                                 ///< neurons per hidden layer
  Activation activation = Activation::tanh;
  /// fused | torch: how a plain tanh MLP runs on the CPU in fp64 where only weight gradients
  /// are needed (the DT-PINN loss): the fused kernel of fused_mlp.hpp, or LibTorch's layers.
  CpuKernel cpu_kernel = CpuKernel::fused;
};

struct TrainConfig {
  Method method = Method::dtpinn;
  DeviceKind device = DeviceKind::cpu;
  Precision precision = Precision::fp64;
  /// lbfgs | adam | adam_lbfgs (LibTorch's optimisers) | device_lbfgs | device_adam (the
  /// flat-buffer optimisers of device_lbfgs.hpp / device_adam.hpp: no host sync inside an epoch;
  /// device_lbfgs uses its on-device Armijo search for line_search = strong_wolfe) |
  /// gauss_newton (Levenberg-Marquardt on the residual vector; least_squares.hpp)
  Optimizer optimizer = Optimizer::lbfgs;
  bool cuda_graph = true;  ///< device_* optimisers on cuda: one CUDA graph per iteration
  /// gauss_newton: the linear algebra of a step (auto: dual when the residuals are fewer than
  /// the parameters, primal when P x P fits in gn_memory_mb, else cg), the first damping
  /// (relative to the mean diagonal of J^T J) and the CG iterations per step.
  GnSolver gn_solver = GnSolver::automatic;
  double gn_damping = 1e-3;
  int gn_cg_iterations = 200;
  double gn_memory_mb = 4096;  ///< gauss_newton, auto: the most a dense Gram matrix may take
  /// trained (by the optimiser) | least_squares: the output layer is the exact least-squares
  /// minimiser of the loss for the current hidden layers at every evaluation (linear equations)
  OutputLayer output_layer = OutputLayer::trained;
  std::int64_t epochs = 5000;  ///< epochs (an L-BFGS epoch is one step of max_iter)
  double lr = 1.0;             ///< L-BFGS step length (strong Wolfe or fixed); Adam uses adam_lr
  int max_iter = 20;           ///< L-BFGS iterations per epoch
  int history = 100;           ///< L-BFGS history size
  LineSearch line_search = LineSearch::strong_wolfe;  ///< or none (fixed step, paper)
  /// heat, DT-PINN: u_t by forward-mode tangent propagation through the network ("tangent",
  /// about half the cost) or by autograd's double backward ("autograd", the paper's way). The
  /// vanilla PINN always takes u_t from the autograd gradient it needs anyway.
  TimeDerivative time_derivative = TimeDerivative::tangent;
  double adam_lr = 1e-3;
  std::int64_t adam_epochs = 1000;  ///< adam_lbfgs: Adam epochs before switching
  double lr_decay = 1.0;            ///< Adam: multiply lr by this every lr_decay_every epochs
  std::int64_t lr_decay_every = 1000;
  double time_budget = 60.0;     ///< seconds of training per method; 0 = no limit. The default
                                 ///< keeps the main job (`dtpinn compare`) to ~2 min on 2 cores
  double target_error = 0.0;     ///< stop when the test rel. l2 error is below; 0 = off
  std::int64_t eval_every = 10;  ///< epochs between test-error evaluations
  std::int64_t log_every = 50;   ///< epochs between progress lines
  std::uint64_t seed = 0;        ///< network initialisation
  LossWeighting loss_weights = LossWeighting::fixed;  ///< or annealing (Wang, Teng & Perdikaris)
  std::map<std::string, double> weights;              ///< fixed weights per term: pde, bc, ic
  double annealing_alpha = 0.9;  ///< moving-average factor of the annealed weights
  std::int64_t annealing_every = 10;
};

struct RunConfig {
  ProblemConfig problem;
  DomainConfig domain;
  RbffdConfig rbffd;
  ModelConfig model;
  TrainConfig train;
  std::string source;  ///< where it came from (file path or "default")
};

/// True when the problem's equation (or, without one, the pde preset) has u_t. Throws
/// std::runtime_error "problem.equation: ..." for an equation that does not parse.
bool is_time_dependent(const ProblemConfig& problem);

/// The default experiment (SPEC.md): unit disk, N = 1663, p = 4, u = 1 + sin(pi x) cos(pi y),
/// Robin alpha = beta = 1, 4 x 50 tanh, fp64, L-BFGS.
RunConfig default_config();

/// Parses a TOML file. Throws std::runtime_error "FILE:LINE:COLUMN: message" on unknown keys,
/// wrong types, values out of range or expressions that do not parse; nothing is trained before
/// the whole file is accepted. Keys left out keep their default_config() values, except that
/// naming any of problem.f, g, u0 without problem.exact means "no exact solution" (the default
/// exact is dropped). An empty string clears an optional key (exact, f, g, u0, file, nodes,
/// test_nodes). A given f, g or u0 overrides the one derived from exact.
RunConfig load_config(const std::string& path);
/// Same, from TOML text (`origin` names it in messages).
RunConfig parse_config(const std::string& toml_text, const std::string& origin);

/// Writes the full configuration (every key, defaults included) as TOML: saved with each run.
std::string to_toml(const RunConfig& config);

/// Sets one key from the command line, `dotted_key` as in the TOML file ("train.lr",
/// "problem.exact", "train.weights.bc"), `value` as text (strings unquoted; an empty string
/// clears an optional key such as problem.exact). Validates like the file parser; throws
/// std::runtime_error "--set KEY=VALUE: message" (unknown key with a suggestion, wrong type,
/// out of range).
void set_option(RunConfig& config, const std::string& dotted_key, const std::string& value);
/// The current value of a key as text (what to_toml writes, strings unquoted, "" if unset).
std::string get_option(const RunConfig& config, const std::string& dotted_key);

/// One settable key, for the command line (one flag per key) and the documentation.
struct ConfigOption {
  std::string key;            ///< "train.lr"
  std::string type;           ///< integer | real | boolean | string | table
  std::string default_value;  ///< in default_config(), as get_option prints it
  std::string help;           ///< one line
};
/// Every key, in file order.
std::vector<ConfigOption> config_options();

/// Checks every key of a config made in code against the ranges and choices of the file reader
/// (what load_config and set_option enforce); throws std::runtime_error "train.lr: must be > 0,
/// got -1". The trainer calls it, so a program cannot train on values a file could not hold.
void validate_config(const RunConfig& config);

/// Equal in every key (the `source` field is ignored).
bool operator==(const RunConfig& a, const RunConfig& b);
inline bool operator!=(const RunConfig& a, const RunConfig& b) {
  return !(a == b);
}

}  // namespace dtpinn::core
