#pragma once
// One second-order PDE of a problem with the unknown fields u, v, ... (one field by default,
// named u), given as the residual that must vanish,
//   R(the fields and their derivatives; x, y, z, t, f, params) = 0,
// parsed once (GiNaC) and compiled into a tape that the losses run over tensors and the
// classical solve over arrays. LibTorch-free; GiNaC stays out of this header.
//
// Syntax: the expression syntax of expression.hpp, plus, for every field w (u, v, p, ...),
//   w, w_t                          the field and its time derivative
//   w_x, w_y, w_z                   first derivatives
//   w_xx, w_xy, w_yy, w_xz, w_yz, w_zz   second derivatives (w_yx = w_xy, ...)
//   lap(w)                          the Laplacian
//   div(A*grad(w)), div(grad(w))    A lap(w) + grad(A) . grad(w), A an expression in x, y, z
//   f                               the source: derived from problem.exact, or problem.f
//   NAME, NAME_x, NAME_y, NAME_z, NAME_t   a parameter of [problem.params] (a number or an
//                                   expression in x, y, z, t) and its derivatives
// The derivative table (Derivative below) is the one list of what the engine provides; each
// row has its RBF-FD operator (rbffd/derivative.hpp) and its autograd evaluation.
// Rules (each broken rule is one std::runtime_error line naming the key): R must involve a
// field; f, if used, enters linearly with a constant coefficient (so f = -R(exact)|_{f=0} / c is
// the manufactured source); w_t, if used, enters linearly with a constant coefficient (the
// equation is then time-dependent, w(x, 0) = w0); other derivatives (u_tt, u_xxx, ...) are not
// provided; z and z-derivatives only in 3D. The presets: poisson "lap(u) - f",
// nonlinear_poisson "lap(u) - exp(u) - f", heat "u_t - lap(u) - f".
#include <dtpinn/core/problem/expression.hpp>
#include <dtpinn/core/problem/options.hpp>

#include <Eigen/Core>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

/// The derivative table: what an equation may use of each field.
enum class Derivative { value, t, lap, x, y, z, xx, xy, yy, xz, yz, zz };
inline constexpr int kDerivativeCount = 12;
/// Every derivative, in table order.
inline constexpr std::array<Derivative, kDerivativeCount> kDerivatives = {
    Derivative::value, Derivative::t,  Derivative::lap, Derivative::x,
    Derivative::y,     Derivative::z,  Derivative::xx,  Derivative::xy,
    Derivative::yy,    Derivative::xz, Derivative::yz,  Derivative::zz};
/// The derivative's suffix as written after a field name: "", "_t", "" (lap), "_x", ... "_zz".
const char* derivative_suffix(Derivative d);
/// Spatial order: 0 (value, t), 1 (x, y, z) or 2.
int derivative_order(Derivative d);
/// True for the second partials xx, xy, yy, xz, yz, zz (not lap).
bool is_second_partial(Derivative d);
/// True for derivatives in z (z, xz, yz, zz): 3D only.
bool derivative_uses_z(Derivative d);
/// How the derivative of `field` is written: "u", "u_t", "lap(u)", "u_x", "v_xy".
std::string variable_name(const std::string& field, Derivative d);

/// A tape leaf: derivative d of field number `field` (0-based, the problem's field order) sits
/// in slot field * kDerivativeCount + d, so a one-field equation uses slots 0..11.
inline int variable_slot(int field, Derivative d) {
  return field * kDerivativeCount + static_cast<int>(d);
}

/// A residual (or one of its derivatives) as a straight-line program: instruction k makes
/// value k from leaves or earlier values (a, b); the last value is the result. Leaves: a field
/// (index = its variable_slot), the source f, a coefficient (index into `coefficients`: a
/// sub-expression free of u, evaluated once at the nodes when a loss or a solve is set up) and
/// constants.
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

/// What a parsed text is, which decides what it may use (Equation::parse).
enum class ExpressionRole {
  /// A PDE's residual: every derivative of the table, f, x, y, z, t, the parameters; the rules
  /// at the top of this file.
  equation,
  /// A boundary condition's residual: the fields' values and first derivatives, the outward
  /// normal nx, ny, nz and the normal derivatives w_n (= nx w_x + ny w_y [+ nz w_z]), x, y, z,
  /// the parameters; no second or time derivative and no f. Its coefficients depend on the
  /// normal.
  boundary,
  /// A quantity computed from a trained steady network (`dtpinn eval --expr`): the fields'
  /// values and first derivatives, x, y, z and the parameters, in any combination (it need not
  /// involve a field); no second derivative, f, normal, t or w_t.
  output,
  /// The same for a time-dependent network: also t and the time derivatives w_t.
  output_in_time
};

class Equation {
 public:
  /// Parses and checks the residual `text` in `dim` dimensions over the unknown `fields` (valid
  /// names, checked by the caller: see valid_field_name); `params` maps names to numbers or
  /// expressions in x, y, z, t. `role` says what the text may use (ExpressionRole).
  /// Throws std::runtime_error "KEY: reason" (one line).
  static Equation parse(const std::string& text, const std::map<std::string, std::string>& params,
                        int dim, const std::string& key = "problem.equation",
                        const std::vector<std::string>& fields = {"u"},
                        ExpressionRole role = ExpressionRole::equation);
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
  /// The fields it was parsed over.
  const std::vector<std::string>& fields() const;
  /// R uses derivative d of field number `field`.
  bool uses(Derivative d, int field = 0) const;
  /// R uses field number `field` at all.
  bool uses_field(int field) const;
  /// R uses derivative d of some field.
  bool uses_derivative(Derivative d) const;
  /// Slots (variable_slot) R uses, ascending.
  const std::vector<int>& slots() const;
  /// R has a time derivative (of any field).
  bool time_dependent() const;
  /// True when R is affine in the fields (a linear PDE: one sparse solve).
  bool linear() const;
  /// True when R contains f.
  bool has_source() const;
  /// The names of `params` (as given to parse) that R does not use, in name order: a parameter
  /// nothing reads, which a run warns about (config_warnings).
  const std::vector<std::string>& unused_parameters() const;
  /// The f for which the exact fields (in x, y, z, t; one per field) solve R = 0:
  /// -R(exact)|_{f = 0} / (dR/df). Throws when R has no f.
  Expression source_for(const std::vector<Expression>& exact, const std::string& key) const;
  Expression source_for(const Expression& exact, const std::string& key) const {
    return source_for(std::vector<Expression>{exact}, key);
  }
  /// Whether the exact fields solve R = 0 with f = 0: R(exact) is 0 symbolically, or (for
  /// identities the algebra does not apply) below 1e-9 of the size of its terms at fixed sample
  /// points where it is defined. When not, `residual` (may be null) receives R(exact) as text.
  bool solved_by(const std::vector<Expression>& exact, std::string* residual = nullptr) const;
  bool solved_by(const Expression& exact, std::string* residual = nullptr) const {
    return solved_by(std::vector<Expression>{exact}, residual);
  }
  /// The functions of R whose argument involves the solution and that are not defined
  /// everywhere (log, sqrt and other non-integer powers, asin, acos), as R prints them, e.g.
  /// "log(u), sqrt(u)"; "" when there are none. What makes a loss NaN when u leaves their
  /// domain.
  std::string restricted_functions_of_u() const;

  /// R and its partial derivative in a variable (empty when R does not use it).
  const Tape& residual() const;
  const Tape& derivative(Derivative d, int field = 0) const;
  const Tape& derivative_in_slot(int slot) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  explicit Equation(std::shared_ptr<const Impl> impl);
};

/// Parses an expression in the variables `allowed` (a subset of expression_variables()) that
/// may also use the parameters `params` (numbers or expressions in x, y, z, t, as in
/// Equation::parse), substituted. Throws std::runtime_error "KEY: reason" (one line).
Expression parse_with_parameters(const std::string& text, const std::string& key,
                                 const std::vector<std::string>& allowed,
                                 const std::map<std::string, std::string>& params, int dim);

/// A field name: a letter, then letters or digits (no _, which starts a derivative suffix), and
/// none of the reserved names (x, y, z, t, nx, ny, nz, f, pi, e, lap, div, grad).
bool valid_field_name(const std::string& name);

/// Evaluates a tape at N nodes: `variables[s]` holds the values of slot s (N entries; only the
/// slots the tape uses are read, the vector at least as long as the largest), `source` f (N, or
/// empty when unused), `coefficients[j]` coefficient j at the nodes (N each). Length N.
Eigen::ArrayXd evaluate_tape(const Tape& tape, const std::vector<Eigen::ArrayXd>& variables,
                             const Eigen::ArrayXd& source,
                             const std::vector<Eigen::ArrayXd>& coefficients);

}  // namespace dtpinn::core
