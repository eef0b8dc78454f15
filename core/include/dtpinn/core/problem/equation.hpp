#pragma once
// A scalar second-order PDE given as the residual that must vanish,
//   R(u, u_t, lap(u), u_x, u_y, u_z; x, y, z, t, f, params) = 0,
// parsed once (GiNaC) and compiled into a tape that the losses run over tensors and the
// classical solve over arrays. LibTorch-free; GiNaC stays out of this header.
//
// Syntax: the expression syntax of expression.hpp, plus
//   u, u_t, lap(u), u_x, u_y, u_z   the solution and the derivatives the engine provides
//   f                               the source: derived from problem.exact, or problem.f
//   div(A*grad(u)), div(grad(u))    A lap(u) + grad(A) . grad(u), A an expression in x, y, z
//   NAME, NAME_x, NAME_y, NAME_z, NAME_t   a parameter of [problem.params] (a number or an
//                                   expression in x, y, z, t) and its derivatives
// Rules (each broken rule is one std::runtime_error line naming the key): R must involve u (one of
// the fields); f, if used, enters linearly with a constant coefficient (so f = -R(exact)|_{f=0}
// / c is the manufactured source); u_t, if used, enters linearly with a constant coefficient (the
// equation is then time-dependent, u(x, 0) = u0); other derivatives (u_xx, u_tt, ...) are not
// provided; z, u_z only in 3D. The presets: poisson "lap(u) - f", nonlinear_poisson
// "lap(u) - exp(u) - f", heat "u_t - lap(u) - f".
#include <dtpinn/core/problem/expression.hpp>
#include <dtpinn/core/problem/options.hpp>

#include <Eigen/Core>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

/// What an equation may use of the solution; the order is the tape's field index.
enum class Field { u, u_t, lap_u, u_x, u_y, u_z };
inline constexpr int kFieldCount = 6;
/// "u", "u_t", "lap(u)", "u_x", "u_y", "u_z".
const char* field_name(Field field);

/// A residual (or one of its derivatives) as a straight-line program: instruction k makes
/// value k from leaves or earlier values (a, b); the last value is the result. Leaves: a field
/// (index = Field), the source f, a coefficient (index into `coefficients`: a sub-expression
/// free of u, evaluated once at the nodes when a loss or a solve is set up) and constants.
struct Tape {
  enum class Op {
    field,
    source,
    coefficient,
    constant,  // leaves
    add,
    sub,
    mul,
    div,
    neg,
    square,
    pow,
    pow_const,
    scale,       // a * value
    shift,       // a + value
    reciprocal,  // 1 / a
    exp,
    log,
    sin,
    cos,
    tan,
    sinh,
    cosh,
    tanh,
    sqrt,
    abs,
    asin,
    acos,
    atan
  };
  struct Instruction {
    Op op = Op::constant;
    int a = -1, b = -1;  ///< operands (earlier values)
    int index = -1;      ///< field or coefficient index
    double value = 0;    ///< constant, the exponent of pow_const, scale or shift
  };
  std::vector<Instruction> code;
  std::vector<Expression> coefficients;  ///< in x, y, z, t
  bool empty() const { return code.empty(); }
};

class Equation {
 public:
  /// Parses and checks the residual `text` in `dim` dimensions; `params` maps names to numbers
  /// or expressions in x, y, z, t. Throws std::runtime_error "KEY: reason" (one line).
  static Equation parse(const std::string& text, const std::map<std::string, std::string>& params,
                        int dim, const std::string& key = "problem.equation");
  /// The residual text of a preset.
  static const char* preset(PdeKind pde);

  Equation(const Equation&);
  Equation& operator=(const Equation&);
  Equation(Equation&&) noexcept;
  Equation& operator=(Equation&&) noexcept;
  ~Equation();

  const std::string& text() const;
  /// The residual as GiNaC prints it, fields by name (lap(u) as lap_u).
  std::string str() const;
  int dim() const;
  bool uses(Field field) const;
  bool time_dependent() const { return uses(Field::u_t); }
  /// True when R is affine in the fields (a linear PDE: one sparse solve).
  bool linear() const;
  /// True when R contains f.
  bool has_source() const;
  /// The names of `params` (as given to parse) that R does not use, in name order: a parameter
  /// nothing reads, which a run warns about (config_warnings).
  const std::vector<std::string>& unused_parameters() const;
  /// The f for which `exact` (in x, y, z, t) solves R = 0: -R(exact)|_{f = 0} / (dR/df).
  /// Throws when R has no f.
  Expression source_for(const Expression& exact, const std::string& key) const;
  /// Whether `exact` solves R = 0 with f = 0: R(exact) is 0 symbolically, or (for identities
  /// the algebra does not apply) below 1e-9 of the size of its terms at fixed sample points
  /// where it is defined. When not, `residual` (may be null) receives R(exact) as text.
  bool solved_by(const Expression& exact, std::string* residual = nullptr) const;
  /// The functions of R whose argument involves the solution and that are not defined
  /// everywhere (log, sqrt and other non-integer powers, asin, acos), as R prints them, e.g.
  /// "log(u), sqrt(u)"; "" when there are none. What makes a loss NaN when u leaves their
  /// domain.
  std::string restricted_functions_of_u() const;

  /// R and its derivative in a field (empty when R does not use the field).
  const Tape& residual() const;
  const Tape& derivative(Field field) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  explicit Equation(std::shared_ptr<const Impl> impl);
};

/// Evaluates a tape at N nodes: `fields[k]` holds the values of field k (N entries; only the
/// fields the tape uses are read), `source` f (N, or empty when unused), `coefficients[j]`
/// coefficient j at the nodes (N each). Length N.
Eigen::ArrayXd evaluate_tape(const Tape& tape,
                             const std::array<Eigen::ArrayXd, kFieldCount>& fields,
                             const Eigen::ArrayXd& source,
                             const std::vector<Eigen::ArrayXd>& coefficients);

}  // namespace dtpinn::core
