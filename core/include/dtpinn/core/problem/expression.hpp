#pragma once
// User expressions in x, y, z, t (and the outward normal components nx, ny, nz), with the
// constants pi and e: parsed and differentiated symbolically (GiNaC), evaluated in bulk at node
// sets (muParser bytecode, compiled once from the symbolic form). LibTorch-free; GiNaC and
// muParser stay out of this header.
//
// Syntax: numbers (1, 0.5, 1e-3), + - * / ^ (also **), parentheses, pow(a, b), and the functions
// sin cos tan asin acos atan atan2(y, x) sinh cosh tanh asinh acosh atanh exp log (natural;
// also ln) sqrt abs. Chained powers need parentheses: 2^(3^2).
//
// Every error is a std::runtime_error whose message starts with the expression's key (e.g.
// `problem.exact: cannot parse "sin(pi*x": ...`), quotes the expression, and, for evaluation,
// names the point. Evaluation never returns NaN or Inf silently: it throws instead.
//
// Threads: parse, diff, laplacian, subs, the operators and evaluate_reference use GiNaC, which
// is not thread-safe: build expressions on one thread. evaluate() only reads the compiled form
// and may be called concurrently (it parallelises itself with OpenMP above a few thousand
// points; one muParser instance per thread, ~0.3 us per point and expression on this machine,
// against ~50 us per point for GiNaC's evalf).
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

/// Every variable name an expression can ever use, in this order.
const std::vector<std::string>& expression_variables();  // {x, y, z, t, nx, ny, nz}

/// The spatial variables of dimension dim ({x, y} or {x, y, z}), optionally followed by t and
/// the normal components of the same dimension.
std::vector<std::string> spatial_variables(int dim, bool with_time, bool with_normals);

class Expression {
 public:
  /// The constant 0, key "expression".
  Expression();
  /// Parses `text`. `key` names the expression in every error ("problem.f"); `allowed` lists the
  /// variable names it may use (a subset of expression_variables()). Throws std::runtime_error
  /// on bad syntax, an unknown function, an unknown or disallowed variable, or an empty text.
  static Expression parse(const std::string& text, const std::string& key,
                          const std::vector<std::string>& allowed);
  /// A constant.
  static Expression constant(double value, const std::string& key = "expression");

  Expression(const Expression&);
  Expression& operator=(const Expression&);
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  /// The config key or description used in messages.
  const std::string& key() const;
  /// Returns a copy named `key` in messages.
  Expression renamed(const std::string& key) const;
  /// The user's text (for parsed expressions) or the printed symbolic form (derived ones).
  const std::string& text() const;
  /// The symbolic form as GiNaC prints it (Pi for pi).
  std::string str() const;
  /// The form compiled for muParser (fully parenthesised, ^ for powers, pi as a literal).
  const std::string& muparser_str() const;

  bool depends_on(const std::string& variable) const;
  /// Variables the expression uses, in expression_variables() order.
  std::vector<std::string> variables() const;

  /// Symbolic derivative d/d(variable). Throws if the derivative of a function is unknown
  /// (e.g. of a step function).
  Expression diff(const std::string& variable) const;
  /// Sum of the second derivatives in the first dim of x, y, z.
  Expression laplacian(int dim) const;
  /// Substitutes a value for a variable (e.g. t = 0 for an initial condition).
  Expression subs(const std::string& variable, double value) const;

  friend Expression operator+(const Expression& a, const Expression& b);
  friend Expression operator-(const Expression& a, const Expression& b);
  friend Expression operator*(const Expression& a, const Expression& b);
  friend Expression operator*(double a, const Expression& b);
  friend Expression exp(const Expression& a);

  /// Evaluates at the N rows of `points` (N x d, d = 2 or 3: columns x, y[, z]) at time t, with
  /// normals (N x d: nx, ny[, nz]) when the expression uses them. Multi-threaded (OpenMP inside
  /// muParser's bulk mode). Throws if a used variable is not supplied or a value is not finite
  /// (naming the point). Length N.
  Eigen::VectorXd evaluate(const nodegen::PointMatrix& points, double t = 0.0,
                           const nodegen::PointMatrix* normals = nullptr) const;
  /// Reference evaluation by GiNaC in extended precision at one point (slow: tests only).
  /// Variables not listed are an error if used.
  double evaluate_reference(const std::map<std::string, double>& values) const;

 private:
  friend struct ExpressionAccess;  // src/problem/ginac_bridge.hpp: the symbolic form
  struct Impl;
  std::shared_ptr<const Impl> impl_;  // immutable, so copies share it
  explicit Expression(std::shared_ptr<const Impl> impl);
};

}  // namespace dtpinn::core
