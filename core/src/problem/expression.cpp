// Expressions: GiNaC for parsing and symbolic differentiation, muParser for fast evaluation.
//
// GiNaC evaluates through CLN (arbitrary precision): about 10-50 us per point for a
// trigonometric expression, far too slow for 100k nodes per time slice. So each expression is
// printed once into muParser's syntax (fully parenthesised, so no precedence subtleties of
// unary minus and ^ can change its meaning) and evaluated from muParser's bytecode, with one
// parser per OpenMP thread. GiNaC stays the reference (evaluate_reference) in the tests.
#include "ginac_bridge.hpp"

#include <dtpinn/core/problem/expression.hpp>

#include <fmt/format.h>
#include <ginac/ginac.h>
#include <muParser.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace dtpinn::core {

namespace {

using GiNaC::ex;

const std::vector<std::string> kVariables = {"x", "y", "z", "t", "nx", "ny", "nz"};

/// The symbols shared by every expression (GiNaC compares symbols by identity). Real, so
/// abs(x)' = x / abs(x) and no conjugates appear.
const std::map<std::string, GiNaC::realsymbol>& symbols() {
  static const std::map<std::string, GiNaC::realsymbol> table = [] {
    std::map<std::string, GiNaC::realsymbol> m;
    for (const auto& name : kVariables) m.emplace(name, GiNaC::realsymbol(name));
    return m;
  }();
  return table;
}

const GiNaC::realsymbol& symbol_of(const std::string& name) {
  auto it = symbols().find(name);
  if (it == symbols().end()) throw std::runtime_error("unknown variable '" + name + "'");
  return it->second;
}

std::string to_str(const ex& e) {
  std::ostringstream os;
  os << e;
  return os.str();
}

/// GiNaC's default function table plus the alias ln = log (the table's entries are function
/// serial numbers in disguise, so copy log's entry rather than adding a reader).
const GiNaC::prototype_table& function_table() {
  static const GiNaC::prototype_table table = [] {
    GiNaC::prototype_table t = GiNaC::get_default_reader();
    t[GiNaC::prototype("ln", 1)] = t.at(GiNaC::prototype("log", 1));
    return t;
  }();
  return table;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// GiNaC's parse_error text is "GiNaC: parse error at line 0, column 0: MESSAGE\n[func(...)]":
/// the position is always 0, so keep only the message.
std::string clean_parse_message(const std::string& what) {
  std::string msg = what;
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  if (auto col = msg.find("column "); col != std::string::npos) {
    if (auto colon = msg.find(": ", col); colon != std::string::npos) msg = msg.substr(colon + 2);
  }
  if (msg.find("power should have exactly 2 operands") != std::string::npos)
    msg = "chained powers like a^b^c need parentheses: a^(b^c)";
  return msg;
}

std::string format_double(double v) {
  return fmt::format("{:.17g}", v);
}

/// Prints a GiNaC expression in muParser syntax, every operation parenthesised.
void print_muparser(const ex& e, std::string& out, const std::string& key,
                    const std::string& text) {
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(fmt::format("{}: cannot evaluate \"{}\": {}", key, text, why));
  };
  if (GiNaC::is_a<GiNaC::numeric>(e)) {
    const auto& n = GiNaC::ex_to<GiNaC::numeric>(e);
    if (!n.is_real()) fail("it has a complex value (" + to_str(n) + ")");
    const double v = n.to_double();
    if (!std::isfinite(v)) fail("a constant overflows double precision");
    if (v < 0) {
      out += "(" + format_double(v) + ")";
    } else {
      out += format_double(v);
    }
  } else if (GiNaC::is_a<GiNaC::symbol>(e)) {
    out += GiNaC::ex_to<GiNaC::symbol>(e).get_name();
  } else if (GiNaC::is_a<GiNaC::constant>(e)) {
    // As a literal: muParser's own _pi is truncated to 3.141592653589.
    print_muparser(GiNaC::evalf(e), out, key, text);
  } else if (GiNaC::is_a<GiNaC::add>(e) || GiNaC::is_a<GiNaC::mul>(e)) {
    const char* op = GiNaC::is_a<GiNaC::add>(e) ? "+" : "*";
    out += "(";
    for (std::size_t i = 0; i < e.nops(); ++i) {
      if (i) out += op;
      print_muparser(e.op(i), out, key, text);
    }
    out += ")";
  } else if (GiNaC::is_a<GiNaC::power>(e)) {
    const ex base = e.op(0), expo = e.op(1);
    if (expo.is_equal(GiNaC::numeric(1, 2))) {
      out += "sqrt(";
      print_muparser(base, out, key, text);
      out += ")";
    } else if (expo.is_equal(GiNaC::numeric(-1, 2))) {
      out += "(1/sqrt(";
      print_muparser(base, out, key, text);
      out += "))";
    } else if (expo.is_equal(GiNaC::numeric(-1))) {
      out += "(1/(";
      print_muparser(base, out, key, text);
      out += "))";
    } else if (base.is_equal(GiNaC::exp(ex(1)))) {  // e^a
      out += "exp(";
      print_muparser(expo, out, key, text);
      out += ")";
    } else {
      out += "((";
      print_muparser(base, out, key, text);
      out += ")^(";
      print_muparser(expo, out, key, text);
      out += "))";
    }
  } else if (GiNaC::is_a<GiNaC::fderivative>(e)) {
    fail("the derivative of " + GiNaC::ex_to<GiNaC::function>(e).get_name() +
         " is not available (it is not differentiable)");
  } else if (GiNaC::is_a<GiNaC::function>(e)) {
    const std::string name = GiNaC::ex_to<GiNaC::function>(e).get_name();
    // GiNaC name -> the muParser function with the same meaning (see define_functions).
    static const std::map<std::string, std::string> names = {
        {"sin", "sin"},    {"cos", "cos"},     {"tan", "tan"},     {"asin", "asin"},
        {"acos", "acos"},  {"atan", "atan"},   {"sinh", "sinh"},   {"cosh", "cosh"},
        {"tanh", "tanh"},  {"asinh", "asinh"}, {"acosh", "acosh"}, {"atanh", "atanh"},
        {"exp", "exp"},    {"log", "ln"},      {"abs", "abs"},     {"atan2", "atan2_"},
        {"csgn", "csgn_"}, {"step", "step_"}};
    auto it = names.find(name);
    if (it == names.end()) fail("the function " + name + " cannot be evaluated numerically");
    out += it->second + "(";
    for (std::size_t i = 0; i < e.nops(); ++i) {
      if (i) out += ",";
      print_muparser(e.op(i), out, key, text);
    }
    out += ")";
  } else {
    fail("unsupported term " + to_str(e));
  }
}

double atan2_fn(double y, double x) {
  return std::atan2(y, x);
}
double csgn_fn(double x) {
  return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
}
double step_fn(double x) {
  return x > 0 ? 1.0 : (x < 0 ? 0.0 : 0.5);
}  // GiNaC: step(0) = 1/2

/// Functions whose meaning must match GiNaC exactly; the unary ones are muParser built-ins
/// (sin ... atanh, exp, ln = natural log, sqrt, abs), checked against GiNaC in the tests.
void define_functions(mu::Parser& p) {
  p.DefineFun("atan2_", atan2_fn);
  p.DefineFun("csgn_", csgn_fn);
  p.DefineFun("step_", step_fn);
}

std::vector<std::string> used_variables(const ex& e) {
  std::vector<std::string> used;
  for (const auto& name : kVariables)
    if (e.has(symbol_of(name))) used.push_back(name);
  return used;
}

}  // namespace

const std::vector<std::string>& expression_variables() {
  return kVariables;
}

std::vector<std::string> spatial_variables(int dim, bool with_time, bool with_normals) {
  std::vector<std::string> v = {"x", "y"};
  if (dim == 3) v.push_back("z");
  if (with_time) v.push_back("t");
  if (with_normals) {
    v.push_back("nx");
    v.push_back("ny");
    if (dim == 3) v.push_back("nz");
  }
  return v;
}

struct Expression::Impl {
  ex e;
  std::string key;
  std::string text;
  std::string mup;
  std::vector<std::string> used;

  Impl(ex e_, std::string key_, std::string text_)
      : e(std::move(e_)), key(std::move(key_)), text(std::move(text_)) {
    if (text.empty()) text = to_str(e);
    print_muparser(e, mup, key, text);
    used = used_variables(e);
  }
};

Expression::Expression(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Expression::Expression() : Expression(constant(0.0)) {}
Expression::Expression(const Expression&) = default;
Expression& Expression::operator=(const Expression&) = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

Expression Expression::constant(double value, const std::string& key) {
  if (!std::isfinite(value)) throw std::runtime_error(key + ": constant is not finite");
  return Expression(std::make_shared<Impl>(ex(GiNaC::numeric(value)), key, ""));
}

Expression Expression::parse(const std::string& text, const std::string& key,
                             const std::vector<std::string>& allowed) {
  GiNaC::symtab table;
  for (const auto& [name, sym] : symbols()) table[name] = sym;
  std::vector<std::string> unknown;
  const ex e = parse_symbolic(text, key, table, unknown);
  if (!unknown.empty())
    throw std::runtime_error(
        fmt::format("{}: unknown variable '{}' in \"{}\" (allowed: {}, and the constants pi, e)",
                    key, unknown.front(), text, join(allowed)));
  if (!GiNaC::is_a<GiNaC::numeric>(e) && !GiNaC::is_a<GiNaC::symbol>(e) &&
      !GiNaC::is_a<GiNaC::constant>(e) && !GiNaC::is_a<GiNaC::add>(e) &&
      !GiNaC::is_a<GiNaC::mul>(e) && !GiNaC::is_a<GiNaC::power>(e) &&
      !GiNaC::is_a<GiNaC::function>(e))
    throw std::runtime_error(
        fmt::format("{}: cannot parse \"{}\": not a scalar expression", key, text));

  for (const auto& name : used_variables(e)) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      throw std::runtime_error(
          fmt::format("{}: variable '{}' is not allowed in \"{}\" (allowed: {}, and the "
                      "constants pi, e)",
                      key, name, text, join(allowed)));
  }
  return Expression(std::make_shared<Impl>(e, key, text));
}

const std::string& Expression::key() const {
  return impl_->key;
}
const std::string& Expression::text() const {
  return impl_->text;
}
std::string Expression::str() const {
  return to_str(impl_->e);
}
const std::string& Expression::muparser_str() const {
  return impl_->mup;
}

Expression Expression::renamed(const std::string& key) const {
  auto impl = std::make_shared<Impl>(*impl_);
  impl->key = key;
  return Expression(std::move(impl));
}

bool Expression::depends_on(const std::string& variable) const {
  return std::find(impl_->used.begin(), impl_->used.end(), variable) != impl_->used.end();
}

std::vector<std::string> Expression::variables() const {
  return impl_->used;
}

Expression Expression::diff(const std::string& variable) const {
  const ex d = impl_->e.diff(symbol_of(variable));
  return Expression(std::make_shared<Impl>(d, fmt::format("d({})/d{}", impl_->key, variable), ""));
}

Expression Expression::laplacian(int dim) const {
  if (dim != 2 && dim != 3) throw std::runtime_error("laplacian: dim must be 2 or 3");
  ex lap = 0;
  for (int i = 0; i < dim; ++i) lap += impl_->e.diff(symbol_of(kVariables[i]), 2);
  return Expression(std::make_shared<Impl>(lap, "Laplacian of " + impl_->key, ""));
}

Expression Expression::subs(const std::string& variable, double value) const {
  const ex s = impl_->e.subs(symbol_of(variable) == GiNaC::numeric(value));
  return Expression(
      std::make_shared<Impl>(s, fmt::format("{} at {} = {}", impl_->key, variable, value), ""));
}

Expression operator+(const Expression& a, const Expression& b) {
  return Expression(std::make_shared<Expression::Impl>(a.impl_->e + b.impl_->e, a.key(), ""));
}
Expression operator-(const Expression& a, const Expression& b) {
  return Expression(std::make_shared<Expression::Impl>(a.impl_->e - b.impl_->e, a.key(), ""));
}
Expression operator*(const Expression& a, const Expression& b) {
  return Expression(std::make_shared<Expression::Impl>(a.impl_->e * b.impl_->e, a.key(), ""));
}
Expression operator*(double a, const Expression& b) {
  return Expression(
      std::make_shared<Expression::Impl>(GiNaC::numeric(a) * b.impl_->e, b.key(), ""));
}
Expression exp(const Expression& a) {
  return Expression(std::make_shared<Expression::Impl>(GiNaC::exp(a.impl_->e), a.key(), ""));
}

Eigen::VectorXd Expression::evaluate(const nodegen::PointMatrix& points, double t,
                                     const nodegen::PointMatrix* normals) const {
  const Impl& im = *impl_;
  const Eigen::Index n = points.rows();
  const int d = static_cast<int>(points.cols());
  if (d != 2 && d != 3)
    throw std::runtime_error(fmt::format("{}: points must have 2 or 3 columns, got {}", im.key, d));
  if (normals && (normals->rows() != n || normals->cols() != d))
    throw std::runtime_error(fmt::format("{}: normals are {} x {}, points are {} x {}", im.key,
                                         normals->rows(), normals->cols(), n, d));
  if (!std::isfinite(t)) throw std::runtime_error(im.key + ": time t is not finite");
  // Where each used variable comes from: column c of points (0..2), t (3), normals (4..6).
  std::vector<std::pair<std::string, int>> sources;
  for (const auto& v : im.used) {
    const int idx =
        static_cast<int>(std::find(kVariables.begin(), kVariables.end(), v) - kVariables.begin());
    const bool spatial = idx < 3, normal = idx >= 4;
    const int comp = spatial ? idx : idx - 4;
    if ((spatial || normal) && comp >= d)
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses {}, but the points are {}D", im.key, im.text, v, d));
    if (normal && !normals)
      throw std::runtime_error(fmt::format(
          "{}: \"{}\" uses {}, but no normals are given here (only boundary data has them)", im.key,
          im.text, v));
    sources.emplace_back(v, idx);
  }
  Eigen::VectorXd out(n);
  if (n == 0) return out;

  // Compile once here, so a (never expected) muParser error surfaces before the threads start.
  auto make_parser = [&](double* vars) {
    auto p = std::make_unique<mu::Parser>();
    define_functions(*p);
    for (const auto& [name, idx] : sources) p->DefineVar(name, &vars[idx]);
    p->SetExpr(im.mup);
    p->Eval();
    return p;
  };
  try {
    double vars[7] = {0.5, 0.5, 0.5, t, 0.6, 0.8, 0.0};
    make_parser(vars);
  } catch (const mu::Parser::exception_type& err) {
    throw std::runtime_error(fmt::format("{}: internal evaluation error for \"{}\" (muParser: {})",
                                         im.key, im.mup, err.GetMsg()));
  }

  // One parser per thread on a contiguous chunk (no worksharing barrier, so an exception can
  // never leave a thread waiting).
  std::string error;
  const int threads = n >= 4096 ? std::max(1, omp_get_max_threads()) : 1;
#pragma omp parallel num_threads(threads)
  {
    const Eigen::Index nth = omp_get_num_threads(), id = omp_get_thread_num();
    const Eigen::Index begin = n * id / nth, end = n * (id + 1) / nth;
    try {
      double vars[7] = {0, 0, 0, t, 0, 0, 0};
      auto p = make_parser(vars);
      for (Eigen::Index i = begin; i < end; ++i) {
        for (int c = 0; c < d; ++c) vars[c] = points(i, c);
        if (normals)
          for (int c = 0; c < d; ++c) vars[4 + c] = (*normals)(i, c);
        out[i] = p->Eval();
      }
    } catch (const mu::Parser::exception_type& err) {
#pragma omp critical(dtpinn_expression_error)
      error = fmt::format("{}: evaluation error for \"{}\" (muParser: {})", im.key, im.mup,
                          err.GetMsg());
    } catch (const std::exception& err) {
#pragma omp critical(dtpinn_expression_error)
      error = fmt::format("{}: evaluation failed: {}", im.key, err.what());
    }
  }
  if (!error.empty()) throw std::runtime_error(error);

  for (Eigen::Index i = 0; i < n; ++i) {
    if (!std::isfinite(out[i])) {
      std::string where = fmt::format("x = {:.17g}, y = {:.17g}", points(i, 0), points(i, 1));
      if (d == 3) where += fmt::format(", z = {:.17g}", points(i, 2));
      if (std::find(im.used.begin(), im.used.end(), "t") != im.used.end())
        where += fmt::format(", t = {:.17g}", t);
      throw std::runtime_error(
          fmt::format("{}: \"{}\" is {} at point {} ({})", im.key, im.text,
                      std::isnan(out[i]) ? "NaN" : (out[i] > 0 ? "+inf" : "-inf"), i, where));
    }
  }
  return out;
}

double Expression::evaluate_reference(const std::map<std::string, double>& values) const {
  GiNaC::lst subs;
  for (const auto& [name, value] : values) subs.append(symbol_of(name) == GiNaC::numeric(value));
  const ex v = GiNaC::evalf(impl_->e.subs(subs));
  if (!GiNaC::is_a<GiNaC::numeric>(v))
    throw std::runtime_error(fmt::format("{}: \"{}\" did not evaluate to a number ({})", impl_->key,
                                         impl_->text, to_str(v)));
  const auto& num = GiNaC::ex_to<GiNaC::numeric>(v);
  if (!num.is_real())
    throw std::runtime_error(
        fmt::format("{}: \"{}\" has a complex value here", impl_->key, impl_->text));
  return num.to_double();
}

GiNaC::ex parse_symbolic(const std::string& text, const std::string& key, GiNaC::symtab table,
                         std::vector<std::string>& unknown) {
  std::string src = text;
  // Python-style powers.
  for (std::size_t pos; (pos = src.find("**")) != std::string::npos;) src.replace(pos, 2, "^");
  if (src.find_first_not_of(" \t\r\n") == std::string::npos)
    throw std::runtime_error(key + ": empty expression");
  table["pi"] = GiNaC::Pi;
  table["e"] = GiNaC::exp(ex(1));
  // Not strict: unknown names become fresh symbols, reported to the caller.
  GiNaC::parser reader(table, false, function_table());
  ex e;
  try {
    e = reader(src);
  } catch (const std::exception& err) {
    throw std::runtime_error(
        fmt::format("{}: cannot parse \"{}\": {}", key, text, clean_parse_message(err.what())));
  }
  unknown.clear();
  for (const auto& [name, sym] : reader.get_syms())
    if (!table.count(name)) unknown.push_back(name);
  return e;
}

const GiNaC::ex& ExpressionAccess::symbolic(const Expression& e) {
  return e.impl_->e;
}

Expression ExpressionAccess::make(const GiNaC::ex& e, const std::string& key,
                                  const std::string& text) {
  return Expression(std::make_shared<Expression::Impl>(e, key, text));
}

const GiNaC::realsymbol& variable_symbol(const std::string& name) {
  return symbol_of(name);
}

}  // namespace dtpinn::core
