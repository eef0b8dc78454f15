// The run configuration: one table of keys (section, name, type, range, help) drives the TOML
// parser, the command-line setter, the writer and the equality, so a key added here is parsed,
// settable, written and compared everywhere at once.
#include "boundary_config.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/core/problem/expression.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <variant>

namespace dtpinn::core {

namespace {

using Weights = std::map<std::string, double>;
/// A key's value; optional strings are "" when unset.
/// Named parameters of the equation: name -> a number or an expression, as text.
using Params = std::map<std::string, std::string>;
/// An array of strings (problem.fields, problem.equations).
using Strings = std::vector<std::string>;
using Value = std::variant<std::int64_t, double, bool, std::string, Weights, Params, Strings>;
/// `exact`: a string (one field) or a table of strings per field (read as Params).
enum class Type { integer, real, boolean, string, table, params, strings, exact };

const char* type_name(Type t) {
  switch (t) {
    case Type::integer:
      return "integer";
    case Type::real:
      return "real";
    case Type::boolean:
      return "boolean";
    case Type::string:
      return "string";
    case Type::table:
      return "table";
    case Type::params:
      return "table";
    case Type::strings:
      return "array of strings";
    case Type::exact:
      return "string or table";
  }
  return "?";
}

/// A value outside its range or not among its choices (the caller adds the position and key).
struct RangeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Key {
  std::string section;
  std::string name;
  Type type;
  std::string help;
  std::function<void(RunConfig&, const Value&)> set;  // validates, throws RangeError
  std::function<Value(const RunConfig&)> get;
  std::string allowed;  ///< the values set() accepts, as the reference lists them
  std::string full() const { return section + "." + name; }
};

template <class S>
using Section = S RunConfig::*;

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

template <class S, class T>
Key int_key(const char* sec, const char* name, Section<S> s, T S::*m, std::int64_t lo,
            std::int64_t hi, const char* help) {
  return Key{sec,
             name,
             Type::integer,
             help,
             [=](RunConfig& c, const Value& v) {
               const auto x = std::get<std::int64_t>(v);
               if (x < lo || x > hi) {
                 // A small range is named whole (2..6); a wide one by the side that was
                 // crossed (not "must be >= 1" for a value past the type's end).
                 if (hi - lo < 1000)
                   throw RangeError(fmt::format("must be between {} and {}, got {}", lo, hi, x));
                 if (x > hi) throw RangeError(fmt::format("must be at most {}, got {}", hi, x));
                 throw RangeError(fmt::format("must be >= {}, got {}", lo, x));
               }
               (c.*s).*m = static_cast<T>(x);
             },
             [=](const RunConfig& c) -> Value { return static_cast<std::int64_t>((c.*s).*m); },
             hi == kMaxInt64 || hi == kMaxInt ? fmt::format(">= {}", lo)
                                              : fmt::format("{} to {}", lo, hi)};
}

/// Real in [lo, hi], or (lo, hi] when lo_open.
template <class S>
Key real_key(const char* sec, const char* name, Section<S> s, double S::*m, double lo, double hi,
             bool lo_open, const char* help) {
  return Key{
      sec,
      name,
      Type::real,
      help,
      [=](RunConfig& c, const Value& v) {
        const double x = std::get<double>(v);
        const bool ok = std::isfinite(x) && (lo_open ? x > lo : x >= lo) && x <= hi;
        if (!ok) {
          if (!std::isfinite(x)) throw RangeError(fmt::format("must be finite, got {}", x));
          if (hi == kInf) {
            if (lo == -kInf) throw RangeError("must be finite");
            throw RangeError(fmt::format("must be {} {}, got {}", lo_open ? ">" : ">=", lo, x));
          }
          throw RangeError(
              fmt::format("must be in {}{}, {}], got {}", lo_open ? "(" : "[", lo, hi, x));
        }
        (c.*s).*m = x;
      },
      [=](const RunConfig& c) -> Value { return (c.*s).*m; },
      hi == kInf ? (lo == -kInf ? std::string("any finite number")
                                : fmt::format("{} {}", lo_open ? ">" : ">=", lo))
                 : fmt::format("{}{}, {}]", lo_open ? "(" : "[", lo, hi)};
}

template <class S>
Key bool_key(const char* sec, const char* name, Section<S> s, bool S::*m, const char* help) {
  return Key{sec,
             name,
             Type::boolean,
             help,
             [=](RunConfig& c, const Value& v) { (c.*s).*m = std::get<bool>(v); },
             [=](const RunConfig& c) -> Value { return (c.*s).*m; },
             "true | false"};
}

/// A choice of one of the enums of options.hpp: the names come from its table, so the file, the
/// command line and every message accept and list the same words.
template <class S, class E>
Key enum_key(const char* sec, const char* name, Section<S> s, E S::*m, const char* help) {
  return Key{sec,
             name,
             Type::string,
             help,
             [=](RunConfig& c, const Value& v) {
               try {
                 (c.*s).*m = parse_option<E>(std::get<std::string>(v));
               } catch (const std::invalid_argument& e) {
                 throw RangeError(e.what());
               }
             },
             [=](const RunConfig& c) -> Value { return std::string(to_string((c.*s).*m)); },
             option_list<E>()};
}

/// Optional string: "" means not given.
template <class S>
Key opt_key(const char* sec, const char* name, Section<S> s, std::optional<std::string> S::*m,
            const char* allowed, const char* help) {
  return Key{sec,
             name,
             Type::string,
             help,
             [=](RunConfig& c, const Value& v) {
               const auto& x = std::get<std::string>(v);
               if (x.find_first_not_of(" \t\r\n") == std::string::npos) {
                 ((c.*s).*m).reset();
               } else {
                 (c.*s).*m = x;
               }
             },
             [=](const RunConfig& c) -> Value { return ((c.*s).*m).value_or(std::string()); },
             allowed};
}

const std::vector<std::string> kWeightTerms = {"pde", "bc", "ic"};

void check_weight(const std::string& term, double w) {
  // "bc:NAME" weighs the condition NAME of [[bc]] ("bc" weighs every boundary term without its
  // own weight); whether NAME exists is known once the conditions are (the trainer checks).
  const bool condition = term.rfind("bc:", 0) == 0 && nodegen::is_valid_part_name(term.substr(3));
  if (!condition && std::find(kWeightTerms.begin(), kWeightTerms.end(), term) == kWeightTerms.end())
    throw RangeError(fmt::format("unknown term '{}' (terms: pde, bc, ic, bc:NAME)", term));
  if (!std::isfinite(w) || w < 0)
    throw RangeError(fmt::format("weight of '{}' must be finite and >= 0, got {}", term, w));
}

/// problem.fields: every name a field name (equation.hpp), none twice.
void check_field_names(const Strings& fields) {
  std::set<std::string> seen;
  for (const auto& name : fields) {
    if (!valid_field_name(name))
      throw RangeError(fmt::format(
          "\"{}\" is not a field name (a letter, then letters or digits; not x, y, z, t, nx, ny, "
          "nz, f, pi, e, lap, div or grad)",
          name));
    if (!seen.insert(name).second) throw RangeError(fmt::format("\"{}\" is listed twice", name));
  }
}

/// problem.equations: no empty residual (an empty list means "use problem.equation").
void check_equation_texts(const Strings& equations) {
  for (std::size_t i = 0; i < equations.size(); ++i)
    if (equations[i].find_first_not_of(" \t\r\n") == std::string::npos)
      throw RangeError(fmt::format("equation {} is empty", i + 1));
}

Key strings_key(const char* name, Strings ProblemConfig::*m, void (*check)(const Strings&),
                const char* allowed, const char* help) {
  return Key{"problem",
             name,
             Type::strings,
             help,
             [=](RunConfig& c, const Value& v) {
               const auto& x = std::get<Strings>(v);
               check(x);
               c.problem.*m = x;
             },
             [=](const RunConfig& c) -> Value { return c.problem.*m; },
             allowed};
}

/// problem.exact: one expression (a string; "" for none) or a table of one per field, which
/// replaces the other form.
Key exact_key() {
  return Key{"problem",
             "exact",
             Type::exact,
             "exact solution u(x, y[, z][, t]), or a table of one per field; f, g, u0 are derived "
             "from it",
             [](RunConfig& c, const Value& v) {
               ProblemConfig& p = c.problem;
               if (const auto* table = std::get_if<Params>(&v)) {
                 p.exact_fields = *table;
                 p.exact.reset();
                 return;
               }
               const auto& x = std::get<std::string>(v);
               p.exact_fields.clear();
               if (x.find_first_not_of(" \t\r\n") == std::string::npos)
                 p.exact.reset();
               else
                 p.exact = x;
             },
             [](const RunConfig& c) -> Value {
               if (!c.problem.exact_fields.empty()) return c.problem.exact_fields;
               return c.problem.exact.value_or(std::string());
             },
             "an expression in x, y, z, t, or { FIELD = an expression, ... }"};
}

const std::vector<Key>& keys() {
  static const std::vector<Key> table = [] {
    std::vector<Key> k;
    using P = ProblemConfig;
    using D = DomainConfig;
    using M = ModelConfig;
    using T = TrainConfig;
    const auto pr = &RunConfig::problem;
    const auto dm = &RunConfig::domain;
    const auto md = &RunConfig::model;
    const auto tr = &RunConfig::train;
    // [problem]
    k.push_back(enum_key("problem", "pde", pr, &P::pde,
                         "poisson (Lap u = f) | nonlinear_poisson (Lap u = exp(u) + f) | heat "
                         "(u_t = Lap u + f)"));
    k.push_back(strings_key("fields", &P::fields, check_field_names,
                            "[] or a list of names: a letter, then letters or digits",
                            "the unknown fields, in order, e.g. [\"u\", \"v\", \"p\"] (empty: "
                            "one field u)"));
    k.push_back(opt_key("problem", "equation", pr, &P::equation,
                        "an equation in u, u_t, lap(u), u_x, u_y, u_z, div(A*grad(u)), f, the "
                        "parameters and x, y, z, t",
                        "the residual R = 0, e.g. \"lap(u) + k^2*u - f\" (empty: the pde preset)"));
    k.push_back(strings_key("equations", &P::equations, check_equation_texts,
                            "[] or one equation per field, in the fields' order",
                            "the residuals of a system, one per field (empty: problem.equation)"));
    k.push_back(Key{"problem", "params", Type::params,
                    "named parameters of the equation: numbers or expressions in x, y, z, t",
                    [](RunConfig& c, const Value& v) { c.problem.params = std::get<Params>(v); },
                    [](const RunConfig& c) -> Value { return c.problem.params; },
                    "{ NAME = a number or an expression in x, y, z, t, ... }"});
    k.push_back(exact_key());
    k.push_back(opt_key("problem", "f", pr, &P::f, "an expression in x, y, z, t",
                        "PDE right-hand side (overrides the derived one)"));
    k.push_back(opt_key("problem", "g", pr, &P::g, "an expression in x, y, z, t, nx, ny, nz",
                        "boundary data of alpha du/dn + beta u = g (may use nx, ny, nz)"));
    k.push_back(opt_key("problem", "u0", pr, &P::u0, "an expression in x, y, z",
                        "heat: initial condition u(x, 0)"));
    k.push_back(real_key("problem", "alpha", pr, &P::alpha, -kInf, kInf, false,
                         "Robin coefficient of du/dn (0: Dirichlet)"));
    k.push_back(real_key("problem", "beta", pr, &P::beta, -kInf, kInf, false,
                         "Robin coefficient of u (0: Neumann)"));
    k.push_back(real_key("problem", "t_final", pr, &P::t_final, 0.0, kInf, true,
                         "heat: final time T (time domain [0, T])"));
    k.push_back(int_key("problem", "nt", pr, &P::nt, 1, kMaxInt,
                        "heat: time steps Nt (Nt + 1 slices including t = 0)"));
    // [domain]
    k.push_back(Key{"domain", "shape", Type::string,
                    "analytic shape name (disk, annulus, rectangle, square, lshape, star, "
                    "disk_with_hole, ball, box)",
                    [](RunConfig& c, const Value& v) {
                      const auto& x = std::get<std::string>(v);
                      const auto names = nodegen::shape_names();
                      if (std::find(names.begin(), names.end(), x) == names.end()) {
                        throw RangeError(fmt::format("unknown shape \"{}\" (shapes: {})", x,
                                                     fmt::join(names, ", ")));
                      }
                      c.domain.shape = x;
                    },
                    [](const RunConfig& c) -> Value { return c.domain.shape; },
                    fmt::format("{}", fmt::join(nodegen::shape_names(), " | "))});
    k.push_back(opt_key("domain", "file", dm, &D::file,
                        "a path (.stl .obj .ply .csv .xyz .txt), relative to the config file",
                        "geometry / point-cloud file to import instead of shape"));
    k.push_back(int_key("domain", "n", dm, &D::n, 10, nodegen::kMaxNodes,
                        "target number of interior + boundary nodes"));
    k.push_back(int_key("domain", "seed", dm, &D::seed, 0, kMaxInt64, "node generation seed"));
    k.push_back(opt_key("domain", "nodes", dm, &D::nodes,
                        "a node CSV path, relative to the config file",
                        "node CSV to use instead of generating nodes"));
    k.push_back(
        int_key("domain", "test_n", dm, &D::test_n, 10, nodegen::kMaxNodes,
                "nodes of the finer test set (generated with seed + 1); a system without an exact "
                "solution is tested on its collocation nodes instead"));
    k.push_back(opt_key("domain", "test_nodes", dm, &D::test_nodes,
                        "a node CSV path, relative to the config file",
                        "test node CSV to use instead of generating"));
    k.push_back(bool_key("domain", "rescale", dm, &D::rescale,
                         "imported geometry: rescale to the unit box"));
    k.push_back(bool_key("domain", "keep_points", dm, &D::keep_points,
                         "imported boundary cloud: its points are the boundary nodes as they are "
                         "(no resampling at the spacing)"));
    k.push_back(bool_key("domain", "allow_nonuniform", dm, &D::allow_nonuniform,
                         "use a node set beyond the quality bounds (fill/separation > 3, a "
                         "separation below h/4, ghosts inside or on top of nodes) with a warning "
                         "(recorded in results.json) instead of refusing it"));
    k.push_back(real_key("domain", "ghost_distance", dm, &D::ghost_distance, 0, kInf, false,
                         "ghost offset along the normal in local spacings; 0 = the default "
                         "(1 in 2D, 0.5 in 3D)"));
    // [rbffd]
    k.push_back(int_key("rbffd", "order", &RunConfig::rbffd, &RbffdConfig::order, 2, 6,
                        "order of accuracy p of the RBF-FD operators"));
    k.push_back(real_key("rbffd", "boundary_stencil_factor", &RunConfig::rbffd,
                         &RbffdConfig::boundary_stencil_factor, 0, kInf, false,
                         "stencils at boundary nodes have ceil(f binom(l+d, d)) + 1 nodes, f >= 1; "
                         "0 = the default (2 in 2D = the paper's rule, 2.5 in 3D)"));
    // [model]
    k.push_back(enum_key("model", "architecture", md, &M::architecture,
                         "mlp | modified_mlp (gated MLP of Wang, Teng & Perdikaris)"));
    k.push_back(int_key("model", "depth", md, &M::depth, 1, kMaxInt, "hidden layers"));
    k.push_back(int_key("model", "width", md, &M::width, 1, kMaxInt, "neurons per hidden layer"));
    k.push_back(enum_key("model", "activation", md, &M::activation,
                         "tanh | sin | sigmoid | gelu | softplus | silu (x sigmoid(x), also "
                         "called swish)"));
    k.push_back(enum_key("model", "cpu_kernel", md, &M::cpu_kernel,
                         "fused (one fused CPU kernel for a tanh MLP's forward and weight "
                         "gradient, DT-PINN fp64) | torch (LibTorch's layers)"));
    // [train]
    k.push_back(enum_key("train", "method", tr, &T::method,
                         "dtpinn (RBF-FD derivatives) | vanilla (autograd derivatives)"));
    k.push_back(enum_key("train", "device", tr, &T::device, "cpu | cuda"));
    k.push_back(enum_key("train", "precision", tr, &T::precision, "fp64 | fp32"));
    k.push_back(enum_key("train", "optimizer", tr, &T::optimizer,
                         "lbfgs | adam | adam_lbfgs (Adam, then L-BFGS) | device_lbfgs | "
                         "device_adam (flat-buffer optimisers with no host sync in a step) | "
                         "gauss_newton (Levenberg-Marquardt on the residual vector)"));
    k.push_back(
        enum_key("train", "gn_solver", tr, &T::gn_solver,
                 "gauss_newton: auto | dual (J J^T, residuals x residuals) | primal (J^T J, "
                 "parameters x parameters) | cg (conjugate gradients on J^T J, never "
                 "formed)"));
    k.push_back(real_key("train", "gn_damping", tr, &T::gn_damping, 0.0, kInf, true,
                         "gauss_newton: first Levenberg-Marquardt damping, relative to the mean "
                         "diagonal of J^T J"));
    k.push_back(int_key("train", "gn_cg_iterations", tr, &T::gn_cg_iterations, 1, kMaxInt,
                        "gauss_newton, cg: conjugate-gradient iterations per step"));
    k.push_back(real_key("train", "gn_memory_mb", tr, &T::gn_memory_mb, 0.0, kInf, true,
                         "gauss_newton, auto: the largest dense Gram matrix (MB) before cg"));
    k.push_back(enum_key("train", "output_layer", tr, &T::output_layer,
                         "trained | least_squares (the output layer solved exactly for the "
                         "current hidden layers at every evaluation; every equation and "
                         "expression condition linear in the fields)"));
    k.push_back(bool_key("train", "cuda_graph", tr, &T::cuda_graph,
                         "device_lbfgs / device_adam on cuda: capture one iteration in a CUDA "
                         "graph and replay it"));
    k.push_back(int_key("train", "epochs", tr, &T::epochs, 0, kMaxInt64,
                        "training epochs (an L-BFGS epoch is one step of max_iter iterations)"));
    k.push_back(real_key("train", "lr", tr, &T::lr, 0.0, kInf, true,
                         "L-BFGS step length (Adam uses adam_lr)"));
    k.push_back(
        int_key("train", "max_iter", tr, &T::max_iter, 1, kMaxInt, "L-BFGS iterations per epoch"));
    k.push_back(int_key("train", "history", tr, &T::history, 1, kMaxInt, "L-BFGS history size"));
    k.push_back(enum_key("train", "line_search", tr, &T::line_search,
                         "strong_wolfe | none (fixed step lr, as in the paper)"));
    k.push_back(enum_key("train", "time_derivative", tr, &T::time_derivative,
                         "heat, DT-PINN: u_t by forward-mode tangent propagation (tangent) or by "
                         "autograd's double backward (autograd, as in the paper)"));
    k.push_back(real_key("train", "adam_lr", tr, &T::adam_lr, 0.0, kInf, true,
                         "Adam learning rate (optimizer = adam or adam_lbfgs)"));
    k.push_back(int_key("train", "adam_epochs", tr, &T::adam_epochs, 0, kMaxInt64,
                        "adam_lbfgs: Adam epochs before switching to L-BFGS"));
    k.push_back(real_key("train", "lr_decay", tr, &T::lr_decay, 0.0, 1.0, true,
                         "Adam: multiply the rate by this every lr_decay_every epochs"));
    k.push_back(int_key("train", "lr_decay_every", tr, &T::lr_decay_every, 1, kMaxInt64,
                        "Adam: epochs between rate decays"));
    k.push_back(real_key("train", "time_budget", tr, &T::time_budget, 0.0, kInf, false,
                         "stop after this many seconds of training (0: no limit)"));
    k.push_back(real_key("train", "target_error", tr, &T::target_error, 0.0, kInf, false,
                         "stop when the test relative l2 error is below this (0: off)"));
    k.push_back(int_key("train", "eval_every", tr, &T::eval_every, 1, kMaxInt64,
                        "epochs between test-error evaluations"));
    k.push_back(real_key("train", "eval_seconds", tr, &T::eval_seconds, 0.0, kInf, false,
                         "also evaluate the test error after the first epoch that ends this many "
                         "training seconds after the last evaluation (0: off; compare's "
                         "time-to-error resolution)"));
    k.push_back(int_key("train", "log_every", tr, &T::log_every, 1, kMaxInt64,
                        "epochs between progress lines"));
    k.push_back(
        int_key("train", "seed", tr, &T::seed, 0, kMaxInt64, "network initialisation seed"));
    k.push_back(bool_key("train", "save_optimizer", tr, &T::save_optimizer,
                         "write the optimiser's state (optimizer.pt, what `train --resume` "
                         "continues from; MBs for L-BFGS); false: a smaller run folder that "
                         "cannot be resumed"));
    k.push_back(enum_key("train", "loss_weights", tr, &T::loss_weights,
                         "fixed | annealing (learning-rate annealing of Wang, Teng & Perdikaris)"));
    k.push_back(Key{"train", "weights", Type::table,
                    "fixed weights per loss term: { pde = 1.0, bc = 1.0, ic = 1.0 } (missing: 1)",
                    [](RunConfig& c, const Value& v) {
                      const auto& w = std::get<Weights>(v);
                      for (const auto& [term, x] : w) check_weight(term, x);
                      c.train.weights = w;
                    },
                    [](const RunConfig& c) -> Value { return c.train.weights; },
                    "{ pde | bc | ic | \"bc:NAME\" = a number >= 0, ... }"});
    k.push_back(real_key("train", "annealing_alpha", tr, &T::annealing_alpha, 0.0, 1.0, false,
                         "annealing: moving-average factor in [0, 1]"));
    k.push_back(int_key("train", "annealing_every", tr, &T::annealing_every, 1, kMaxInt64,
                        "annealing: epochs between weight updates"));
    return k;
  }();
  return table;
}

const std::vector<std::string>& sections() {
  static const std::vector<std::string> s = {"problem", "domain", "rbffd", "model", "train"};
  return s;
}

const Key* find_key(const std::string& section, const std::string& name) {
  for (const auto& k : keys())
    if (k.section == section && k.name == name) return &k;
  return nullptr;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// "unknown key 'train.lrr' (did you mean 'train.lr'?)"; `section` may be empty (top level).
std::string unknown_key_message(const std::string& section, const std::string& name) {
  const std::string full = section.empty() ? name : section + "." + name;
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& k : keys()) {
    // The same name in another section, or a near miss of the full dotted name.
    std::size_t d = k.name == name ? 1 : edit_distance(full, k.full());
    if (section.empty()) d = std::min(d, edit_distance(name, k.name) + 1);
    if (d < best_d) best_d = d, best = k.full();
  }
  for (const auto& s : sections()) {
    const std::size_t d = edit_distance(full, s);
    if (d < best_d) best_d = d, best = "[" + s + "]";
  }
  std::string msg =
      section.empty() && std::find(sections().begin(), sections().end(), name) == sections().end()
          ? fmt::format(
                "unknown key '{}' (keys belong in a section: [problem], "
                "[domain], [rbffd], [model], [train])",
                full)
          : fmt::format("unknown key '{}'", full);
  if (best_d <= std::max<std::size_t>(2, full.size() / 3))
    msg += fmt::format(" (did you mean '{}'?)", best);
  return msg;
}

/// "unknown section [trian] (did you mean [train]?)"
std::string unknown_section_message(const std::string& name) {
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& s : sections()) {
    const std::size_t d = edit_distance(name, s);
    if (d < best_d) best_d = d, best = s;
  }
  std::string msg = fmt::format("unknown section [{}]", name);
  if (best_d <= std::max<std::size_t>(2, name.size() / 3))
    msg += fmt::format(" (did you mean [{}]?)", best);
  return msg + " (sections: [problem], [domain], [rbffd], [model], [train])";
}

std::string format_real(double x) {
  std::string s = fmt::format("{}", x);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // "n": nan, inf
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string format_params(const Params& p) {
  if (p.empty()) return "{}";
  std::string out = "{ ";
  bool first = true;
  for (const auto& [name, text] : p) {
    out += (first ? "" : ", ") + name + " = " + quote(text);
    first = false;
  }
  return out + " }";
}

std::string format_weights(const Weights& w) {
  if (w.empty()) return "{}";
  std::string out = "{ ";
  bool first = true;
  for (const auto& [term, x] : w) {
    out += (first ? "" : ", ") + term + " = " + format_real(x);
    first = false;
  }
  return out + " }";
}

std::string format_strings(const Strings& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + quote(list[i]);
  return out + "]";
}

/// As written into TOML (strings quoted).
std::string format_toml(const Value& v) {
  struct {
    std::string operator()(std::int64_t x) const { return std::to_string(x); }
    std::string operator()(double x) const { return format_real(x); }
    std::string operator()(bool x) const { return x ? "true" : "false"; }
    std::string operator()(const std::string& x) const { return quote(x); }
    std::string operator()(const Weights& x) const { return format_weights(x); }
    std::string operator()(const Params& x) const { return format_params(x); }
    std::string operator()(const Strings& x) const { return format_strings(x); }
  } visitor;
  return std::visit(visitor, v);
}

/// As shown on the command line (strings bare).
std::string format_plain(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return format_toml(v);
}

std::string position(const std::string& origin, const toml::source_region& src) {
  return fmt::format("{}:{}:{}", origin, src.begin.line, src.begin.column);
}

std::string node_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return fmt::format("a string ({})", quote(**n.as_string()));
    case toml::node_type::integer:
      return fmt::format("an integer ({})", **n.as_integer());
    case toml::node_type::floating_point:
      return fmt::format("a float ({})", format_real(**n.as_floating_point()));
    case toml::node_type::boolean:
      return **n.as_boolean() ? "a boolean (true)" : "a boolean (false)";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

const char* expected_text(Type t) {
  switch (t) {
    case Type::integer:
      return "an integer";
    case Type::real:
      return "a number";
    case Type::boolean:
      return "true or false";
    case Type::string:
      return "a string";
    case Type::table:
      return "a table like { pde = 1.0, bc = 1.0 }";
    case Type::params:
      return "a table like { k = 2.0, kappa = \"1 + x^2\" }";
    case Type::strings:
      return "an array of strings like [\"u\", \"v\"]";
    case Type::exact:
      return "a string, or a table like { u = \"x*y\", v = \"0\" }";
  }
  return "?";
}

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A table of name -> a number or an expression (problem.params, problem.exact per field):
/// numbers are kept as their text.
Params convert_expression_table(const toml::table& t, const Key& key, const std::string& origin) {
  Params p;
  for (auto&& [name, x] : t) {
    if (x.is_integer())
      p[std::string(name.str())] = std::to_string(**x.as_integer());
    else if (x.is_floating_point())
      p[std::string(name.str())] = format_real(**x.as_floating_point());
    else if (x.is_string())
      p[std::string(name.str())] = **x.as_string();
    else
      throw ConfigError(fmt::format("{}: {}.{}: expected a number or an expression, got {}",
                                    position(origin, x.source()), key.full(), name.str(),
                                    node_type_name(x)));
  }
  return p;
}

/// Converts a TOML node to a key's value; throws ConfigError with the position.
Value convert(const toml::node& n, const Key& key, const std::string& origin) {
  auto wrong = [&]() {
    return ConfigError(fmt::format("{}: {}: expected {}, got {}", position(origin, n.source()),
                                   key.full(), expected_text(key.type), node_type_name(n)));
  };
  switch (key.type) {
    case Type::integer:
      if (!n.is_integer()) throw wrong();
      return static_cast<std::int64_t>(**n.as_integer());
    case Type::real:
      if (n.is_integer()) return static_cast<double>(**n.as_integer());
      if (!n.is_floating_point()) throw wrong();
      return **n.as_floating_point();
    case Type::boolean:
      if (!n.is_boolean()) throw wrong();
      return **n.as_boolean();
    case Type::string:
      if (!n.is_string()) throw wrong();
      return **n.as_string();
    case Type::table: {
      if (!n.is_table()) throw wrong();
      Weights w;
      for (auto&& [term, x] : *n.as_table()) {
        const std::string name(term.str());
        double value = 0;
        if (x.is_integer()) {
          value = static_cast<double>(**x.as_integer());
        } else if (x.is_floating_point()) {
          value = **x.as_floating_point();
        } else {
          throw ConfigError(fmt::format("{}: {}.{}: expected a number, got {}",
                                        position(origin, x.source()), key.full(), name,
                                        node_type_name(x)));
        }
        try {
          check_weight(name, value);
        } catch (const RangeError& e) {
          throw ConfigError(
              fmt::format("{}: {}: {}", position(origin, term.source()), key.full(), e.what()));
        }
        w[name] = value;
      }
      return w;
    }
    case Type::params:
      if (!n.is_table()) throw wrong();
      return convert_expression_table(*n.as_table(), key, origin);
    case Type::strings: {
      if (!n.is_array()) throw wrong();
      Strings list;
      for (const auto& item : *n.as_array()) {
        if (!item.is_string())
          throw ConfigError(fmt::format("{}: {}: expected an array of strings, got {} as entry {}",
                                        position(origin, item.source()), key.full(),
                                        node_type_name(item), list.size() + 1));
        list.push_back(**item.as_string());
      }
      return list;
    }
    case Type::exact:
      if (n.is_string()) return **n.as_string();
      if (!n.is_table()) throw wrong();
      return convert_expression_table(*n.as_table(), key, origin);
  }
  throw wrong();
}

bool given(const std::optional<std::string>& text) {
  return text && text->find_first_not_of(" \t\r\n") != std::string::npos;
}

/// "u, v, p"
std::string field_list(const std::vector<std::string>& fields) {
  return fmt::format("{}", fmt::join(fields, ", "));
}

/// "3 equations", "1 field"
std::string count_of(std::size_t n, const char* noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

/// One residual of the problem and the key that names it in messages.
struct EquationText {
  std::string key, text;
};

/// problem.equations[i] (1-based), or problem.equation, or the preset of problem.pde.
std::vector<EquationText> equation_texts(const ProblemConfig& p) {
  std::vector<EquationText> out;
  for (std::size_t i = 0; i < p.equations.size(); ++i)
    out.push_back({fmt::format("problem.equations[{}]", i + 1), p.equations[i]});
  if (out.empty())
    out.push_back({"problem.equation", given(p.equation) ? *p.equation : Equation::preset(p.pde)});
  return out;
}

/// Every equation parsed over the fields. The dimension is not known here: 3D accepts every
/// variable (Problem parses again in its dimension). Throws "KEY: reason".
std::vector<Equation> parse_equations(const ProblemConfig& p) {
  const std::vector<std::string> fields = field_names(p);
  std::vector<Equation> out;
  for (const auto& e : equation_texts(p))
    out.push_back(Equation::parse(e.text, p.params, 3, e.key, fields));
  return out;
}

/// No equation given: the pde preset, which needs no parse to know what it holds.
bool uses_preset(const ProblemConfig& p) {
  return p.equations.empty() && !given(p.equation);
}

/// Whether an equation reads f (every preset does); true for equations that do not parse (that
/// error is reported by check_equations).
bool equation_has_source(const ProblemConfig& p) {
  if (uses_preset(p)) return true;
  try {
    for (const auto& e : parse_equations(p))
      if (e.has_source()) return true;
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

/// "1 and 3", "2"
std::string numbers_text(const std::vector<std::size_t>& numbers) {
  std::string out;
  for (std::size_t i = 0; i < numbers.size(); ++i)
    out += (i == 0 ? "" : i + 1 == numbers.size() ? " and " : ", ") + std::to_string(numbers[i]);
  return out;
}

/// A system with time derivatives: refused (naming the equations that have one when not all
/// do). "" when every equation is steady.
std::string time_dependent_system_message(const std::vector<Equation>& equations) {
  std::vector<std::size_t> with, without;
  for (std::size_t i = 0; i < equations.size(); ++i)
    (equations[i].time_dependent() ? with : without).push_back(i + 1);
  if (with.empty()) return "";
  const char* rule =
      "time-dependent systems are not supported yet (every equation steady, or one field)";
  if (without.empty()) return fmt::format("problem.equations: {}", rule);
  return fmt::format("problem.equations: {} {} {} a time derivative and {} {} none; {}",
                     with.size() == 1 ? "equation" : "equations", numbers_text(with),
                     with.size() == 1 ? "has" : "have", numbers_text(without),
                     without.size() == 1 ? "has" : "have", rule);
}

/// The fields and their equations: names against the parameters, one equation per field,
/// every equation parses, every field is used, systems steady. "" if fine.
std::string check_equations(const ProblemConfig& p) {
  const std::vector<std::string> fields = field_names(p);
  for (const auto& name : p.fields)
    if (p.params.count(name))
      return fmt::format(
          "problem.fields: \"{}\" is also a parameter of [problem.params]: rename one", name);
  if (!p.equations.empty() && given(p.equation))
    return "problem.equation: give either problem.equation (one field) or problem.equations, not "
           "both";
  if (fields.size() > 1 && p.equations.empty())
    return fmt::format(
        "problem.fields: {} ({}) need problem.equations, one equation per field in this order",
        count_of(fields.size(), "field"), field_list(fields));
  if (!p.equations.empty() && p.equations.size() != fields.size())
    return fmt::format("problem.equations: {} for {} ({})",
                       count_of(p.equations.size(), "equation"), count_of(fields.size(), "field"),
                       field_list(fields));
  if (uses_preset(p) && fields != std::vector<std::string>{"u"})
    return fmt::format(
        "problem.fields: the preset equation of problem.pde (\"{}\") is in u: give "
        "problem.equation in {}",
        Equation::preset(p.pde), field_list(fields));
  if (uses_preset(p)) return "";
  std::vector<Equation> equations;
  try {
    equations = parse_equations(p);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  for (std::size_t j = 0; j < fields.size(); ++j) {
    bool used = false;
    for (const auto& e : equations) used = used || e.uses_field(static_cast<int>(j));
    if (!used) return fmt::format("problem.fields: {} is not used by any equation", fields[j]);
  }
  if (fields.size() > 1) return time_dependent_system_message(equations);
  return "";
}

/// The data of a system: one exact expression per field, no problem.f (the sources come from
/// the exact fields), [[bc]] entries instead of problem.alpha, beta, g. "" if fine.
std::string check_system_data(const ProblemConfig& p) {
  const std::vector<std::string> fields = field_names(p);
  for (const auto& [name, text] : p.exact_fields)
    if (std::find(fields.begin(), fields.end(), name) == fields.end())
      return fmt::format("problem.exact.{}: not a field (fields: {})", name, field_list(fields));
  if (fields.size() == 1) return "";
  if (p.exact)
    return fmt::format(
        "problem.exact: one expression for {} ({}): give one per field as a table "
        "([problem.exact] {} = \"...\"), or none (exact = \"\")",
        count_of(fields.size(), "field"), field_list(fields), fields.front());
  if (p.f) return "problem.f: with several fields, f is derived from [problem.exact]";
  if (p.bc.empty()) return "[[bc]]: a system needs [[bc]] entries, each naming its field";
  return "";
}

/// The first residual of the problem that is not affine in the fields (its key and text), from
/// its equations and its expression conditions; nothing when all are (or one does not parse:
/// check_equations and the conditions' checks report that).
std::optional<EquationText> first_nonlinear_residual(const ProblemConfig& p) {
  std::vector<Equation> equations;
  try {
    equations = parse_equations(p);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  const std::vector<EquationText> texts = equation_texts(p);
  for (std::size_t i = 0; i < equations.size(); ++i)
    if (!equations[i].linear()) return texts[i];
  for (std::size_t i = 0; i < p.bc.size(); ++i) {
    if (p.bc[i].type != BcType::expression) continue;
    const std::string key = fmt::format("bc[{}].residual", i + 1);
    try {
      if (!Equation::parse(p.bc[i].residual, p.params, 3, key, field_names(p),
                           ExpressionRole::boundary)
               .linear())
        return EquationText{key, p.bc[i].residual};
    } catch (const std::runtime_error&) {
    }
  }
  return std::nullopt;
}

/// The least-squares output layer: the loss must be a linear least-squares problem in the
/// output layer (every equation and expression condition affine in the fields), and the step
/// must not be a device optimiser's (whose CUDA graph cannot hold the solve). "" if fine.
std::string check_output_layer(const RunConfig& c) {
  if (c.train.output_layer != OutputLayer::least_squares) return "";
  const Optimizer o = c.train.optimizer;
  if (o == Optimizer::device_lbfgs || o == Optimizer::device_adam)
    return fmt::format(
        "train.output_layer: \"least_squares\" cannot run with train.optimizer = {} (use lbfgs, "
        "adam, adam_lbfgs or gauss_newton)",
        to_string(o));
  if (const auto r = first_nonlinear_residual(c.problem))
    return fmt::format(
        "train.output_layer: \"least_squares\" needs a loss linear in the network's outputs, but "
        "{} \"{}\" is not linear in {} (use \"trained\")",
        r->key, r->text, field_list(field_names(c.problem)));
  return "";
}

/// Every check of the fields, their equations and what a system supports, in the order a
/// reader fixes them. "" if fine.
std::string check_system(const RunConfig& c) {
  for (const auto& check :
       {check_equations(c.problem), check_system_data(c.problem), check_output_layer(c)})
    if (!check.empty()) return check;
  return "";
}

/// A problem expression to check: its key, its text, whether it may use t and the normals.
struct ExpressionItem {
  std::string key;
  std::optional<std::string> text;
  bool time, normals;
};

/// Syntax and variable checks of the problem's expressions that do not need the dimension
/// (which comes from the domain); Problem repeats them and adds the dimension check. Only the
/// keys `key_filter` names (all for ""; "problem.exact" includes its per-field entries).
/// `syntax_only`: no check that depends on other keys (the command line sets keys one by one).
/// Returns an error message, or "" if fine.
std::string check_expressions(const ProblemConfig& p, const std::string& key_filter = "",
                              bool syntax_only = false) {
  bool heat = false;
  // A system's equations depend on problem.fields, which a later option may set: the
  // equations are parsed once the whole config is known.
  if (!syntax_only || (p.fields.empty() && p.equations.empty())) {
    try {
      heat = is_time_dependent(p);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
  }
  auto selected = [&](const std::string& key) {
    return key_filter.empty() || key == key_filter || key.rfind(key_filter + ".", 0) == 0;
  };
  // An f the equation does not read: refused here, where the file's line is known.
  if (p.f && !syntax_only && selected("problem.f") && !equation_has_source(p))
    return fmt::format(
        "problem.f: the equation \"{}\" has no f, so problem.f would not be used; write the "
        "equation with f (\"{} - f\") or drop problem.f",
        equation_texts(p).front().text, equation_texts(p).front().text);
  std::vector<ExpressionItem> items = {{"problem.exact", p.exact, heat, false}};
  for (const auto& [field, text] : p.exact_fields)
    items.push_back({"problem.exact." + field, text, heat, false});
  items.push_back({"problem.f", p.f, heat, false});
  items.push_back({"problem.g", p.g, heat, true});
  // u0 is only read by a time-dependent problem; a steady one leaves it unchecked.
  if (heat || !key_filter.empty()) items.push_back({"problem.u0", p.u0, false, false});
  for (const auto& it : items) {
    if (!it.text || !selected(it.key)) continue;
    try {
      // The exact fields of a system may use the parameters (Kovasznay's l).
      const bool per_field = it.key.rfind("problem.exact.", 0) == 0;
      const Expression e =
          per_field ? parse_with_parameters(*it.text, it.key, expression_variables(), p.params, 3)
                    : Expression::parse(*it.text, it.key, expression_variables());
      if (syntax_only) continue;
      for (const auto& v : e.variables()) {
        if (v == "t" && !it.time)
          return fmt::format(
              "{}: \"{}\" uses t, but {}", it.key, *it.text,
              heat ? "the initial condition is at t = 0" : std::string("the equation is steady"));
        if (v[0] == 'n' && !it.normals)
          return fmt::format(
              "{}: \"{}\" uses {}: the normal components nx, ny, nz are only "
              "defined in problem.g",
              it.key, *it.text, v);
      }
    } catch (const std::runtime_error& e) {
      return e.what();
    }
  }
  return "";
}

/// What a field's data is derived from: whether the config gives its exact solution.
bool has_exact(const ProblemConfig& p, const std::string& field) {
  return p.exact_fields.count(field) > 0 || (p.exact && field_names(p).size() == 1);
}

/// "FIELD's data: nothing to derive it from" as the end of a message.
std::string no_exact_reason(const ProblemConfig& p, const std::string& field) {
  if (!p.exact && p.exact_fields.empty()) return "when problem.exact is not given";
  return fmt::format("when [problem.exact] gives no {}", field);
}

/// The sources of a system's equations: each equation that reads f needs the exact solution
/// of every field it uses. "" if fine.
std::string missing_system_sources(const ProblemConfig& p) {
  const std::vector<std::string> fields = field_names(p);
  std::vector<Equation> equations;
  try {
    equations = parse_equations(p);
  } catch (const std::runtime_error&) {
    return "";  // check_equations reports it
  }
  const std::vector<EquationText> texts = equation_texts(p);
  for (std::size_t i = 0; i < equations.size(); ++i) {
    if (!equations[i].has_source()) continue;
    for (std::size_t j = 0; j < fields.size(); ++j) {
      if (!equations[i].uses_field(static_cast<int>(j)) || has_exact(p, fields[j])) continue;
      if (p.exact_fields.empty())
        return fmt::format("{}: uses f: give [problem.exact] to derive it", texts[i].key);
      return fmt::format("{}: uses f, derived from [problem.exact], which gives no {}",
                         texts[i].key, fields[j]);
    }
  }
  return "";
}

std::string missing_data_message(const ProblemConfig& p) {
  const std::vector<std::string> fields = field_names(p);
  const std::string& first = fields.front();
  if (fields.size() > 1) {
    if (std::string msg = missing_system_sources(p); !msg.empty()) return msg;
  } else if (!has_exact(p, first) && !p.f && equation_has_source(p)) {
    return "problem.f is required " + no_exact_reason(p, first);
  }
  for (std::size_t i = 0; i < p.bc.size(); ++i) {
    const BoundaryConditionConfig& bc = p.bc[i];
    const std::string& field = bc.field.empty() ? first : bc.field;
    if (bc.type != BcType::expression && !bc.value && !has_exact(p, field))
      return fmt::format("bc[{}].value is required {}", i + 1, no_exact_reason(p, field));
  }
  if (has_exact(p, first)) return "";
  if (p.bc.empty() && !p.g) return "problem.g is required " + no_exact_reason(p, first);
  if (fields.size() == 1 && is_time_dependent(p) && !p.u0)
    return "problem.u0 is required " + no_exact_reason(p, first);
  return "";
}

}  // namespace

std::vector<std::string> field_names(const ProblemConfig& problem) {
  return problem.fields.empty() ? std::vector<std::string>{"u"} : problem.fields;
}

bool is_time_dependent(const ProblemConfig& problem) {
  if (uses_preset(problem)) return problem.pde == PdeKind::heat;
  for (const auto& e : parse_equations(problem))
    if (e.time_dependent()) return true;
  return false;
}

std::vector<std::string> config_warnings(const RunConfig& config) {
  std::vector<std::string> out;
  const ProblemConfig& p = config.problem;
  if (p.params.empty()) return out;
  if (uses_preset(p)) {
    for (const auto& [name, value] : p.params)
      out.push_back(fmt::format(
          "problem.params.{}: not used: without problem.equation the equation is the preset of "
          "problem.pde = \"{}\" ({}), which has no parameters",
          name, to_string(p.pde), Equation::preset(p.pde)));
    return out;
  }
  std::vector<Equation> equations;
  try {
    equations = parse_equations(p);
  } catch (const std::runtime_error&) {
    // An equation that does not parse is refused where it is used, with its own message.
    return out;
  }
  // A parameter is unused when no equation reads it.
  std::map<std::string, std::size_t> unused_by;
  for (const auto& e : equations)
    for (const auto& name : e.unused_parameters()) ++unused_by[name];
  // Read elsewhere: by an exact field or a boundary residual (a word of their text).
  const auto read_elsewhere = [&p](const std::string& name) {
    const std::regex word("\\b" + name + "\\b");
    for (const auto& [field, text] : p.exact_fields)
      if (std::regex_search(text, word)) return true;
    for (const auto& bc : p.bc)
      if (std::regex_search(bc.residual, word)) return true;
    return false;
  };
  for (const auto& [name, count] : unused_by) {
    if (count < equations.size() || read_elsewhere(name)) continue;
    if (p.equations.empty())
      out.push_back(fmt::format("problem.params.{}: not used by problem.equation = \"{}\"", name,
                                *p.equation));
    else
      out.push_back(fmt::format("problem.params.{}: not used by any of problem.equations", name));
  }
  return out;
}

RunConfig default_config() {
  RunConfig c;
  c.source = "default";
  return c;
}

namespace {

/// The position of a key of the file, and of the entries of its value when it is a table
/// ("problem.exact.u") or an array ("problem.equations[2]", 1-based).
void record_positions(std::map<std::string, std::string>& where, const std::string& key,
                      const toml::node& node, const std::string& origin) {
  where[key] = position(origin, node.source());
  if (const auto* table = node.as_table())
    for (auto&& [name, item] : *table)
      where[key + "." + std::string(name.str())] = position(origin, item.source());
  if (const auto* array = node.as_array())
    for (std::size_t i = 0; i < array->size(); ++i)
      where[fmt::format("{}[{}]", key, i + 1)] = position(origin, (*array)[i].source());
}

}  // namespace

RunConfig parse_config(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(
        fmt::format("{}: TOML syntax error: {}", position(origin, e.source()), e.description()));
  }
  RunConfig c = default_config();
  c.source = origin;
  std::map<std::string, std::string> where;  // full key -> position, for later checks
  std::string problem_where = origin;
  bool exact_named = false, data_named = false, system_named = false;

  std::vector<std::string> bc_where;  // position of each [[bc]] entry
  for (auto&& [sec_key, sec_node] : root) {
    const std::string sec(sec_key.str());
    if (sec == "bc") {
      c.problem.bc = parse_bc_array(sec_node, origin);
      if (const auto* a = sec_node.as_array())
        for (const auto& item : *a) bc_where.push_back(toml_position(origin, item.source()));
      continue;
    }
    if (std::find(sections().begin(), sections().end(), sec) == sections().end() ||
        !sec_node.is_table()) {
      if (std::find(sections().begin(), sections().end(), sec) != sections().end())
        throw ConfigError(fmt::format("{}: '{}' must be a section [{}], got {}",
                                      position(origin, sec_key.source()), sec, sec,
                                      node_type_name(sec_node)));
      throw ConfigError(fmt::format(
          "{}: {}", position(origin, sec_key.source()),
          sec_node.is_table() ? unknown_section_message(sec) : unknown_key_message("", sec)));
    }
    if (sec == "problem") problem_where = position(origin, sec_node.source());
    for (auto&& [key, node] : *sec_node.as_table()) {
      const std::string name(key.str());
      const Key* k = find_key(sec, name);
      if (!k)
        throw ConfigError(
            fmt::format("{}: {}", position(origin, key.source()), unknown_key_message(sec, name)));
      const Value v = convert(node, *k, origin);
      try {
        k->set(c, v);
      } catch (const RangeError& e) {
        throw ConfigError(
            fmt::format("{}: {}: {}", position(origin, node.source()), k->full(), e.what()));
      }
      record_positions(where, k->full(), node, origin);
      if (sec == "problem") {
        if (name == "exact") exact_named = true;
        if (name == "f" || name == "g" || name == "u0")
          data_named = data_named || v != Value(std::string());
        if (name == "fields" || name == "equations")
          system_named = system_named || v != Value(Strings());
      }
    }
  }
  // A file that gives its own data, or its own fields and equations, but no exact solution has
  // none (not the default one, which is a solution of the default equation in u).
  if ((data_named || system_named) && !exact_named) c.problem.exact.reset();

  // Each message starts with the key it is about: "bc[i]..." is placed at entry i, a key of the
  // file (or its table entry or array element) at that key, anything else at [problem].
  auto place = [&](const std::string& msg) {
    std::size_t i = 0;
    if (std::sscanf(msg.c_str(), "bc[%zu]", &i) == 1 && i >= 1 && i <= bc_where.size())
      return bc_where[i - 1];
    std::string key = msg.substr(0, msg.find(':'));
    while (key.find(' ') == std::string::npos && !key.empty()) {
      if (auto it = where.find(key); it != where.end()) return it->second;
      const auto cut = key.find_last_of(".[");
      if (cut == std::string::npos) break;
      key.resize(cut);
    }
    return problem_where;
  };
  std::string msg = check_system(c);
  if (msg.empty()) {
    try {
      validate_bc(c.problem);
    } catch (const std::runtime_error& e) {
      msg = e.what();
    }
  }
  if (msg.empty()) msg = missing_data_message(c.problem);
  if (msg.empty()) msg = check_expressions(c.problem);
  if (!msg.empty()) throw ConfigError(fmt::format("{}: {}", place(msg), msg));
  return c;
}

RunConfig load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open the config file", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(fmt::format("{}: cannot read the config file", path));
  RunConfig c = parse_config(text.str(), path);
  const auto slash = path.find_last_of('/');
  resolve_paths(c, slash == std::string::npos ? std::string() : path.substr(0, slash + 1));
  return c;
}

void resolve_paths(RunConfig& config, const std::string& folder) {
  // Absolute, so that the saved config.toml of a run names the same files wherever it is read.
  for (std::optional<std::string>* p :
       {&config.domain.file, &config.domain.nodes, &config.domain.test_nodes})
    if (*p) **p = nodegen::absolute_path(**p, folder);
}

std::string to_toml(const RunConfig& config) {
  std::string out =
      "# dtpinn run configuration: every key, with its default when not set (docs/user/config.md "
      "describes them;\n# data/configs/poisson_disk.toml is the default experiment, "
      "commented).\n";
  if (!config.source.empty()) out += "# source: " + config.source + "\n";
  std::string section;
  for (const auto& k : keys()) {
    if (k.section != section) {
      section = k.section;
      out += "\n[" + section + "]\n";
    }
    std::string line = fmt::format("{} = {}", k.name, format_toml(k.get(config)));
    if (line.size() < 40) line.resize(40, ' ');
    out += line + "  # " + k.help + "\n";
  }
  return out + bc_to_toml(config.problem.bc);
}

namespace {

/// A string option's text: quotes around it (as a shell may pass them) dropped.
std::string unquoted(const std::string& text) {
  if (text.size() >= 2 && ((text.front() == '"' && text.back() == '"') ||
                           (text.front() == '\'' && text.back() == '\'')))
    return text.substr(1, text.size() - 2);
  return text;
}

/// A value written as TOML (an inline table or an array) on the command line.
template <class Bad>
Value parse_toml_value(const Key& k, const std::string& toml_text, const Bad& bad) {
  try {
    const toml::table t = toml::parse("v = " + toml_text);
    return convert(*t.get("v"), k, "--set");
  } catch (const toml::parse_error&) {
    throw bad();
  } catch (const ConfigError& e) {
    // Drop the "--set:1:5: " position: the caller names the option.
    std::string msg = e.what();
    const auto p = msg.find(": ");
    throw RangeError(p == std::string::npos ? msg : msg.substr(p + 2));
  }
}

Value parse_option_value(const Key& k, const std::string& text) {
  auto bad = [&]() {
    return RangeError(fmt::format("expected {}, got \"{}\"", expected_text(k.type), text));
  };
  switch (k.type) {
    case Type::integer: {
      errno = 0;
      char* end = nullptr;
      const long long x = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) throw bad();
      return static_cast<std::int64_t>(x);
    }
    case Type::real: {
      errno = 0;
      char* end = nullptr;
      const double x = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno == ERANGE) throw bad();
      return x;
    }
    case Type::boolean:
      if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
      if (text == "false" || text == "0" || text == "no" || text == "off") return false;
      throw bad();
    case Type::string:
      return unquoted(text);
    case Type::table:
    case Type::params: {
      std::string body = text;
      if (body.find('{') == std::string::npos) body = "{" + body + "}";
      return parse_toml_value(k, body, bad);
    }
    case Type::strings:
      if (text.find_first_not_of(" \t") == std::string::npos ||
          text[text.find_first_not_of(" \t")] != '[')
        throw bad();
      return parse_toml_value(k, text, bad);
    case Type::exact: {
      // A table when it is written as one, else one expression.
      const auto first = text.find_first_not_of(" \t");
      if (first != std::string::npos && text[first] == '{') return parse_toml_value(k, text, bad);
      return unquoted(text);
    }
  }
  throw bad();
}

}  // namespace

void set_option(RunConfig& config, const std::string& dotted_key, const std::string& value) {
  const std::string prefix = fmt::format("--set {}={}: ", dotted_key, value);
  const auto dot = dotted_key.find('.');
  const std::string section = dot == std::string::npos ? "" : dotted_key.substr(0, dot);
  std::string name = dot == std::string::npos ? dotted_key : dotted_key.substr(dot + 1);
  RunConfig updated = config;
  try {
    // train.weights.<term> sets one weight.
    if (section == "train" && name.rfind("weights.", 0) == 0) {
      const std::string term = name.substr(8);
      const Key* k = find_key("train", "weights");
      char* end = nullptr;
      const double w = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0')
        throw RangeError(fmt::format("expected a number, got \"{}\"", value));
      Weights weights = updated.train.weights;
      weights[term] = w;
      k->set(updated, weights);
    } else if (section == "problem" && name.rfind("params.", 0) == 0) {
      // problem.params.<name> sets one parameter (checked with the equation by Problem).
      updated.problem.params[name.substr(7)] = value;
    } else {
      const Key* k = section.empty() ? nullptr : find_key(section, name);
      if (!k) throw RangeError(unknown_key_message(section, section.empty() ? dotted_key : name));
      k->set(updated, parse_option_value(*k, value));
      // Fields or equations of one's own: the default exact solution (of the default equation
      // in u) no longer applies, as in a file that names them without an exact solution.
      if ((k->full() == "problem.fields" || k->full() == "problem.equations") &&
          k->get(updated) != Value(Strings()) &&
          updated.problem.exact == default_config().problem.exact &&
          updated.problem.exact_fields.empty())
        updated.problem.exact.reset();
      // Syntax only: the cross checks (t in a steady problem, ...) would make the result
      // depend on the order of the options; Problem makes them.
      if (section == "problem") {
        if (std::string msg = check_expressions(updated.problem, k->full(), true); !msg.empty())
          throw RangeError(msg);
      }
    }
  } catch (const RangeError& e) {
    throw std::runtime_error(prefix + e.what());
  }
  config = std::move(updated);
}

std::string get_option(const RunConfig& config, const std::string& dotted_key) {
  const auto dot = dotted_key.find('.');
  const Key* k = dot == std::string::npos
                     ? nullptr
                     : find_key(dotted_key.substr(0, dot), dotted_key.substr(dot + 1));
  if (!k)
    throw std::runtime_error(
        unknown_key_message(dot == std::string::npos ? "" : dotted_key.substr(0, dot),
                            dot == std::string::npos ? dotted_key : dotted_key.substr(dot + 1)));
  return format_plain(k->get(config));
}

std::vector<ConfigOption> config_options() {
  const RunConfig def = default_config();
  std::vector<ConfigOption> out;
  for (const auto& k : keys())
    out.push_back({k.full(), type_name(k.type), format_plain(k.get(def)), k.help, k.allowed});
  return out;
}

void validate_config(const RunConfig& config) {
  // Every key's value goes through the setter that the file and the command line use: one set
  // of ranges and choices, wherever the config came from.
  for (const auto& k : keys()) {
    RunConfig scratch = config;
    try {
      k.set(scratch, k.get(config));
    } catch (const RangeError& e) {
      throw std::runtime_error(fmt::format("{}: {}", k.full(), e.what()));
    }
  }
  if (std::string msg = check_system(config); !msg.empty()) throw std::runtime_error(msg);
  validate_bc(config.problem);
}

bool operator==(const RunConfig& a, const RunConfig& b) {
  for (const auto& k : keys())
    if (k.get(a) != k.get(b)) return false;
  return a.problem.bc == b.problem.bc;
}

}  // namespace dtpinn::core
