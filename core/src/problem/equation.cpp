// Equations as expressions: parsing and checking the residual (GiNaC), the manufactured source,
// and the tapes the losses and the classical solve evaluate.
#include "ginac_bridge.hpp"

#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/core/problem/tape_eval.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

namespace dtpinn::core {

namespace {

using GiNaC::ex;

const char* const kCoordinates[3] = {"x", "y", "z"};
const char* const kSuffixes[kDerivativeCount] = {"",    "_t",  "",    "_x",  "_y",  "_z",
                                                 "_xx", "_xy", "_yy", "_xz", "_yz", "_zz"};

/// The symbol named `name`, one per name for the whole program (GiNaC compares symbols by
/// identity), so equations parsed apart share their variables.
const GiNaC::realsymbol& named_symbol(const std::string& name) {
  static std::map<std::string, GiNaC::realsymbol> symbols;
  auto it = symbols.find(name);
  if (it == symbols.end()) it = symbols.emplace(name, GiNaC::realsymbol(name)).first;
  return it->second;
}

/// The symbol of a variable in the residual's symbolic form: u, u_t, lap_u, u_x, ..., u_zz.
std::string symbol_name(const std::string& field, Derivative d) {
  return d == Derivative::lap ? "lap_" + field : field + kSuffixes[static_cast<int>(d)];
}

const GiNaC::realsymbol& source_symbol() {
  return named_symbol("f");
}

/// The symbols of every slot of an equation over `fields`, slot-indexed.
std::vector<GiNaC::realsymbol> slot_symbols(const std::vector<std::string>& fields) {
  std::vector<GiNaC::realsymbol> out;
  for (const auto& field : fields)
    for (Derivative d : kDerivatives) out.push_back(named_symbol(symbol_name(field, d)));
  return out;
}

bool has_any(const ex& e, const std::vector<GiNaC::realsymbol>& symbols) {
  for (const auto& s : symbols)
    if (e.has(s)) return true;
  return false;
}

std::string to_str(const ex& e) {
  std::ostringstream os;
  os << e;
  return os.str();
}

/// Compiles a GiNaC form into a tape; `key` names coefficients in messages.
class TapeCompiler {
 public:
  TapeCompiler(Tape& tape, std::string key, const std::vector<GiNaC::realsymbol>& slots)
      : tape_(tape), key_(std::move(key)), slots_(slots) {}

  int compile(const ex& e) {
    if (!has_field_or_source(e)) return leaf_free(e);
    if (GiNaC::is_a<GiNaC::symbol>(e)) {
      if (e.is_equal(source_symbol())) return emit({Tape::Op::source});
      for (std::size_t k = 0; k < slots_.size(); ++k)
        if (e.is_equal(slots_[k])) return emit({Tape::Op::field, -1, -1, static_cast<int>(k)});
    }
    if (GiNaC::is_a<GiNaC::add>(e)) return compile_add(e);
    if (GiNaC::is_a<GiNaC::mul>(e)) return compile_mul(e);
    if (GiNaC::is_a<GiNaC::power>(e)) return compile_power(e);
    if (GiNaC::is_a<GiNaC::function>(e)) return compile_function(e);
    throw std::runtime_error(fmt::format("{}: cannot compile \"{}\"", key_, to_str(e)));
  }

 private:
  int emit(Tape::Instruction i) {
    tape_.code.push_back(i);
    return static_cast<int>(tape_.code.size()) - 1;
  }
  int binary(Tape::Op op, int a, int b) { return emit({op, a, b}); }
  int constant(double v) { return emit({Tape::Op::constant, -1, -1, -1, v}); }

  /// A sub-expression free of the fields and f: a constant or a coefficient evaluated at set-up.
  int leaf_free(const ex& e) {
    const ex v = GiNaC::evalf(e);
    if (GiNaC::is_a<GiNaC::numeric>(v) && GiNaC::ex_to<GiNaC::numeric>(v).is_real())
      return constant(GiNaC::ex_to<GiNaC::numeric>(v).to_double());
    tape_.coefficients.push_back(ExpressionAccess::make(
        e, fmt::format("{} (coefficient {})", key_, tape_.coefficients.size() + 1)));
    return emit({Tape::Op::coefficient, -1, -1, static_cast<int>(tape_.coefficients.size()) - 1});
  }

  static bool negated(const ex& t) {
    return GiNaC::is_a<GiNaC::mul>(t) && t.op(t.nops() - 1).is_equal(ex(-1));
  }

  /// A sum: the first positive term, then the others added or (c = -1) subtracted, so that
  /// R = lap(u) - f compiles to one sub, as written; a numeric part is one shift.
  int compile_add(const ex& e) {
    ex free = 0;
    std::vector<ex> terms;
    for (std::size_t i = 0; i < e.nops(); ++i)
      (has_field_or_source(e.op(i)) ? terms.push_back(e.op(i)) : void(free += e.op(i)));
    std::stable_partition(terms.begin(), terms.end(), [](const ex& t) { return !negated(t); });
    int r = compile(terms.front());
    for (std::size_t i = 1; i < terms.size(); ++i) {
      const ex& t = terms[i];
      r = negated(t) ? binary(Tape::Op::sub, r, compile(t / ex(-1)))
                     : binary(Tape::Op::add, r, compile(t));
    }
    if (free.is_zero()) return r;
    const ex v = GiNaC::evalf(free);
    if (GiNaC::is_a<GiNaC::numeric>(v))
      return emit({Tape::Op::shift, r, -1, -1, GiNaC::ex_to<GiNaC::numeric>(v).to_double()});
    return binary(Tape::Op::add, r, leaf_free(free));
  }

  int compile_mul(const ex& e) {
    ex free = 1;
    std::vector<ex> factors;
    for (std::size_t i = 0; i < e.nops(); ++i)
      (has_field_or_source(e.op(i)) ? factors.push_back(e.op(i)) : void(free *= e.op(i)));
    int r = -1;
    for (const auto& f : factors) {
      // X^-1 divides.
      if (GiNaC::is_a<GiNaC::power>(f) && f.op(1).is_equal(ex(-1)) && r >= 0) {
        r = binary(Tape::Op::div, r, compile(f.op(0)));
        continue;
      }
      const int v = compile(f);
      r = r < 0 ? v : binary(Tape::Op::mul, r, v);
    }
    if (free.is_equal(ex(-1))) return emit({Tape::Op::neg, r});
    if (free.is_equal(ex(1))) return r;
    const ex v = GiNaC::evalf(free);
    if (GiNaC::is_a<GiNaC::numeric>(v))
      return emit({Tape::Op::scale, r, -1, -1, GiNaC::ex_to<GiNaC::numeric>(v).to_double()});
    return binary(Tape::Op::mul, leaf_free(free), r);
  }

  int compile_power(const ex& e) {
    const ex base = e.op(0), expo = e.op(1);
    if (has_field_or_source(expo)) {
      return binary(Tape::Op::pow, compile(base), compile(expo));
    }
    const ex v = GiNaC::evalf(expo);
    if (!GiNaC::is_a<GiNaC::numeric>(v))
      return binary(Tape::Op::pow, compile(base), leaf_free(expo));
    const double p = GiNaC::ex_to<GiNaC::numeric>(v).to_double();
    const int b = compile(base);
    if (p == 2) return emit({Tape::Op::square, b});
    if (p == 0.5) return emit({Tape::Op::sqrt, b});
    if (p == -1) return emit({Tape::Op::reciprocal, b});
    return emit({Tape::Op::pow_const, b, -1, -1, p});
  }

  int compile_function(const ex& e) {
    static const std::map<std::string, Tape::Op> ops = {
        {"exp", Tape::Op::exp},   {"log", Tape::Op::log},   {"sin", Tape::Op::sin},
        {"cos", Tape::Op::cos},   {"tan", Tape::Op::tan},   {"sinh", Tape::Op::sinh},
        {"cosh", Tape::Op::cosh}, {"tanh", Tape::Op::tanh}, {"abs", Tape::Op::abs},
        {"asin", Tape::Op::asin}, {"acos", Tape::Op::acos}, {"atan", Tape::Op::atan}};
    const std::string name = GiNaC::ex_to<GiNaC::function>(e).get_name();
    auto it = ops.find(name);
    if (it == ops.end() || e.nops() != 1)
      throw std::runtime_error(
          fmt::format("{}: {}() of the solution is not supported (use exp, "
                      "log, sin, cos, tan, sinh, cosh, tanh, abs, asin, "
                      "acos, atan)",
                      key_, name));
    return emit({it->second, compile(e.op(0))});
  }

  bool has_field_or_source(const ex& e) const {
    return e.has(source_symbol()) || has_any(e, slots_);
  }
  Tape& tape_;
  std::string key_;
  const std::vector<GiNaC::realsymbol>& slots_;
};

Tape compile_tape(const ex& e, const std::string& key,
                  const std::vector<GiNaC::realsymbol>& slots) {
  Tape t;
  TapeCompiler c(t, key, slots);
  c.compile(e);
  return t;
}

bool is_reserved(const std::string& name) {
  static const std::set<std::string> reserved = {"x", "y",  "z", "t",   "nx",  "ny",  "nz",
                                                 "f", "pi", "e", "lap", "div", "grad"};
  return reserved.count(name) > 0;
}

/// A parameter name: a letter, then letters, digits or _; not reserved, not a field and not a
/// field's derivative.
bool valid_param_name(const std::string& name, const std::vector<std::string>& fields) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0])) || is_reserved(name))
    return false;
  for (const auto& field : fields)
    for (Derivative d : kDerivatives)
      if (name == symbol_name(field, d)) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// One div(A*grad(w)) of a residual: A's text and the field w.
struct Divergence {
  std::string coefficient;
  std::size_t field = 0;
};

/// The text with every lap(w) as lap_w and every div(A*grad(w)) as a placeholder div_k; the
/// placeholders' A and w in `divs`.
std::string rewrite_operators(const std::string& text, const std::string& key,
                              const std::vector<std::string>& fields,
                              std::vector<Divergence>& divs) {
  std::string s = text;
  for (const auto& w : fields)
    s = std::regex_replace(s, std::regex("\\blap\\s*\\(\\s*" + w + "\\s*\\)"), "lap_" + w);
  std::string names;
  for (const auto& w : fields) names += (names.empty() ? "" : ", ") + ("lap(" + w + ")");
  if (std::regex_search(s, std::regex(R"(\blap\s*\()")))
    throw std::runtime_error(
        fmt::format("{}: \"{}\": lap() applies to a field ({})", key, text, names));
  for (std::size_t pos; (pos = s.find("div(")) != std::string::npos;) {
    int depth = 0;
    std::size_t end = pos + 3;
    for (; end < s.size(); ++end) {
      if (s[end] == '(') ++depth;
      if (s[end] == ')' && --depth == 0) break;
    }
    if (end >= s.size())
      throw std::runtime_error(
          fmt::format("{}: \"{}\": unbalanced parentheses in div(", key, text));
    std::string inner = s.substr(pos + 4, end - pos - 4);
    std::smatch m;
    if (!std::regex_match(inner, m,
                          std::regex(R"(\s*(?:(.*\S)\s*\*\s*)?grad\s*\(\s*(\w+)\s*\)\s*)")) ||
        std::find(fields.begin(), fields.end(), m[2].str()) == fields.end())
      throw std::runtime_error(
          fmt::format("{}: \"{}\": div() takes A*grad(w) or grad(w) of a field w, got div({})", key,
                      text, inner));
    const auto field = static_cast<std::size_t>(
        std::find(fields.begin(), fields.end(), m[2].str()) - fields.begin());
    divs.push_back({m[1].matched ? m[1].str() : "1", field});
    s.replace(pos, end - pos + 1, fmt::format("div_{}", divs.size() - 1));
  }
  if (std::regex_search(s, std::regex(R"(\bgrad\s*\()")))
    throw std::runtime_error(fmt::format(
        "{}: \"{}\": grad(w) only inside div(A*grad(w)); use w_x, w_y, w_z", key, text));
  return s;
}

bool is_output(ExpressionRole role) {
  return role == ExpressionRole::output || role == ExpressionRole::output_in_time;
}

/// Whether a text of `role` may use derivative d of a field (z-derivatives aside).
bool provided(Derivative d, ExpressionRole role) {
  switch (role) {
    case ExpressionRole::equation:
      return true;
    case ExpressionRole::boundary:
    case ExpressionRole::output:
      return derivative_order(d) < 2 && d != Derivative::t;
    case ExpressionRole::output_in_time:
      return derivative_order(d) < 2;
  }
  return true;
}

/// What a text of `role` may use of each field: "u, u_t, lap(u), u_x, u_y, u_xx, u_xy, u_yy"
/// (and the z ones in 3D) for an equation.
std::string provided_variables(const std::vector<std::string>& fields, int dim,
                               ExpressionRole role = ExpressionRole::equation) {
  std::string out;
  for (const auto& w : fields)
    for (Derivative d : kDerivatives)
      if ((dim == 3 || !derivative_uses_z(d)) && provided(d, role))
        out += (out.empty() ? "" : ", ") + variable_name(w, d);
  return out;
}

}  // namespace

const char* derivative_suffix(Derivative d) {
  return kSuffixes[static_cast<int>(d)];
}

int derivative_order(Derivative d) {
  switch (d) {
    case Derivative::value:
    case Derivative::t:
      return 0;
    case Derivative::x:
    case Derivative::y:
    case Derivative::z:
      return 1;
    default:
      return 2;
  }
}

bool is_second_partial(Derivative d) {
  return derivative_order(d) == 2 && d != Derivative::lap;
}

bool derivative_uses_z(Derivative d) {
  return d == Derivative::z || d == Derivative::xz || d == Derivative::yz || d == Derivative::zz;
}

std::string variable_name(const std::string& field, Derivative d) {
  return d == Derivative::lap ? "lap(" + field + ")" : field + kSuffixes[static_cast<int>(d)];
}

bool valid_field_name(const std::string& name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0])) || is_reserved(name))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

struct Equation::Impl {
  std::string text;
  int dim = 2;
  std::vector<std::string> fields;
  std::vector<GiNaC::realsymbol> symbols;  ///< slot-indexed
  ex residual;
  double source_coefficient = 0;  ///< dR/df (0: no f)
  bool linear = false;
  std::vector<bool> uses;  ///< slot-indexed
  std::vector<int> slots;
  Tape tape;
  std::vector<Tape> derivatives;  ///< slot-indexed
  std::vector<std::string> unused_parameters;
};

Equation::Equation(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Equation::Equation(const Equation&) = default;
Equation& Equation::operator=(const Equation&) = default;
Equation::Equation(Equation&&) noexcept = default;
Equation& Equation::operator=(Equation&&) noexcept = default;
Equation::~Equation() = default;

const char* Equation::preset(PdeKind pde) {
  switch (pde) {
    case PdeKind::poisson:
      return "lap(u) - f";
    case PdeKind::nonlinear_poisson:
      return "lap(u) - exp(u) - f";
    case PdeKind::heat:
      return "u_t - lap(u) - f";
  }
  return "lap(u) - f";
}

namespace {

/// The parameters as GiNaC forms in x, y, z, t, with their derivatives NAME_x ... NAME_t.
std::map<std::string, ex> parameter_forms(const std::map<std::string, std::string>& params, int dim,
                                          const std::vector<std::string>& fields) {
  std::map<std::string, ex> out;
  std::vector<std::string> vars = {"x", "y", "t"};
  if (dim == 3) vars.insert(vars.begin() + 2, "z");
  for (const auto& [name, value] : params) {
    const std::string pkey = "problem.params." + name;
    if (!valid_param_name(name, fields))
      throw std::runtime_error(fmt::format(
          "{}: not a parameter name (a letter, then letters, digits or _; not x, y, z, t, f, pi, "
          "e, lap, div, grad, nor a field or one of its derivatives)",
          pkey));
    const ex p = ExpressionAccess::symbolic(Expression::parse(value, pkey, vars));
    out[name] = p;
    for (const char* v : {"x", "y", "z", "t"}) out[name + "_" + v] = p.diff(variable_symbol(v));
  }
  return out;
}

/// The symbol table of a residual over `fields`: x, y, z, t, f and every field's derivatives
/// (w_yx, w_zx, w_zy as w_xy, w_xz, w_yz); for a boundary residual also the normal and w_n.
GiNaC::symtab residual_table(const std::vector<std::string>& fields, ExpressionRole role) {
  GiNaC::symtab table;
  for (const char* v : {"x", "y", "z", "t"}) table[v] = variable_symbol(v);
  if (role == ExpressionRole::boundary) {
    for (const char* v : {"nx", "ny", "nz"}) table[v] = variable_symbol(v);
    for (const auto& w : fields) table[w + "_n"] = named_symbol(w + "_n");
  }
  for (const auto& w : fields) {
    for (Derivative d : kDerivatives) table[symbol_name(w, d)] = named_symbol(symbol_name(w, d));
    table[w + "_yx"] = named_symbol(w + "_xy");
    table[w + "_zx"] = named_symbol(w + "_xz");
    table[w + "_zy"] = named_symbol(w + "_yz");
  }
  table["f"] = source_symbol();
  return table;
}

/// The error for a name the residual does not know: a derivative the engine does not provide,
/// or an unknown name.
[[noreturn]] void unknown_name(const std::string& name, const std::string& text,
                               const std::vector<std::string>& fields,
                               const std::map<std::string, ex>& forms, int dim,
                               const std::string& key, ExpressionRole role) {
  for (const auto& w : fields)
    if (name.rfind(w + "_", 0) == 0)
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses {}, a derivative the engine does not provide (it has {})",
                      key, text, name, provided_variables(fields, dim, role)));
  std::string known;
  for (const auto& [p, form] : forms)
    if (p.find('_') == std::string::npos) known += ", " + p;
  std::string field_list;
  for (const auto& w : fields) field_list += (field_list.empty() ? "" : ", ") + w;
  // The variables besides x, y, z that a text of `role` may use.
  const char* others = role == ExpressionRole::output           ? ""
                       : role == ExpressionRole::output_in_time ? ", t"
                                                                : ", t, f";
  throw std::runtime_error(
      fmt::format("{}: unknown name '{}' in \"{}\" (known: the field{} {} and their derivatives, "
                  "x, y{}{}{})",
                  key, name, text, fields.size() > 1 ? "s" : "", field_list, dim == 3 ? ", z" : "",
                  others, known));
}

/// R = 0 as parsed: lap(w), div(.), parameters and their derivatives substituted. The
/// parameters R does not use go to `unused`.
ex parse_residual(const std::string& text, const std::map<std::string, std::string>& params,
                  int dim, const std::string& key, const std::vector<std::string>& fields,
                  ExpressionRole role, std::vector<std::string>& unused) {
  std::vector<Divergence> divs;
  const std::string rewritten = rewrite_operators(text, key, fields, divs);
  const auto forms = parameter_forms(params, dim, fields);
  GiNaC::symtab table = residual_table(fields, role);
  std::map<std::string, GiNaC::realsymbol> placeholders;
  for (const auto& [name, form] : forms) placeholders.emplace(name, GiNaC::realsymbol(name));
  for (std::size_t k = 0; k < divs.size(); ++k)
    placeholders.emplace(fmt::format("div_{}", k), GiNaC::realsymbol(fmt::format("div_{}", k)));
  for (const auto& [name, sym] : placeholders) table[name] = sym;
  std::vector<std::string> unknown;
  ex r = parse_symbolic(rewritten, key, table, unknown);
  if (!unknown.empty()) unknown_name(unknown.front(), text, fields, forms, dim, key, role);
  // A parameter is used when R or a div(A*grad(w)) names it or one of its derivatives.
  auto names_it = [&](const ex& e, const std::string& name) {
    for (const char* suffix : {"", "_x", "_y", "_z", "_t"})
      if (const auto it = placeholders.find(name + suffix);
          it != placeholders.end() && e.has(it->second))
        return true;
    return false;
  };
  std::vector<ex> divisions;  // the A of every div(A*grad(w)), parsed below
  // div(A grad w) = A lap(w) + grad(A) . grad(w), A with the parameters substituted.
  GiNaC::lst subs;
  for (const auto& [name, form] : forms) subs.append(placeholders.at(name) == form);
  if (role == ExpressionRole::boundary) {  // w_n = n . grad(w)
    for (const auto& w : fields) {
      ex dn = 0;
      for (int i = 0; i < dim; ++i)
        dn += variable_symbol(std::string("n") + kCoordinates[i]) *
              named_symbol(symbol_name(w, static_cast<Derivative>(3 + i)));
      subs.append(named_symbol(w + "_n") == dn);
    }
  }
  for (std::size_t k = 0; k < divs.size(); ++k) {
    std::vector<std::string> vars = {"x", "y", "t"};
    if (dim == 3) vars.push_back("z");
    std::vector<std::string> unknown_a;
    GiNaC::symtab atable;
    for (const auto& v : vars) atable[v] = variable_symbol(v);
    for (const auto& [name, form] : forms) atable[name] = placeholders.at(name);
    const std::string& w = fields[divs[k].field];
    ex a = parse_symbolic(divs[k].coefficient, key, atable, unknown_a);
    if (!unknown_a.empty())
      throw std::runtime_error(fmt::format("{}: unknown name '{}' in div({}*grad({}))", key,
                                           unknown_a.front(), divs[k].coefficient, w));
    divisions.push_back(a);
    a = a.subs(subs);
    ex d = a * named_symbol(symbol_name(w, Derivative::lap));
    for (int i = 0; i < dim; ++i)
      d += a.diff(variable_symbol(kCoordinates[i])) *
           named_symbol(symbol_name(w, static_cast<Derivative>(3 + i)));
    subs.append(placeholders.at(fmt::format("div_{}", k)) == d);
  }
  unused.clear();
  for (const auto& [name, value] : params) {
    bool used = names_it(r, name);
    for (const auto& a : divisions) used = used || names_it(a, name);
    if (!used) unused.push_back(name);
  }
  return r.subs(subs).expand();
}

/// The rules of an output expression: values and first derivatives (w_t and t in time), no f.
void check_output(const ex& r, const std::string& text, int dim, const std::string& key,
                  const std::vector<std::string>& fields, ExpressionRole role) {
  for (const auto& w : fields)
    for (Derivative d : kDerivatives) {
      if (provided(d, role) || !r.has(named_symbol(symbol_name(w, d)))) continue;
      if (d == Derivative::t)
        throw std::runtime_error(
            fmt::format("{}: \"{}\" uses {}, but the model is steady (it has no time input)", key,
                        text, variable_name(w, d)));
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses {}: an expression takes the fields' values and first "
                      "derivatives only ({})",
                      key, text, variable_name(w, d), provided_variables(fields, dim, role)));
    }
  if (r.has(source_symbol()))
    throw std::runtime_error(fmt::format(
        "{}: \"{}\" uses f, the equation's source, which is not an output (write it out in x, y, "
        "z and the parameters)",
        key, text));
  if (role == ExpressionRole::output && r.has(variable_symbol("t")))
    throw std::runtime_error(fmt::format(
        "{}: \"{}\" uses t, but the model is steady (it has no time input)", key, text));
}

/// The checks of the rules in equation.hpp (and of ExpressionRole) on the parsed residual.
void check_residual(const ex& r, const std::string& text, int dim, const std::string& key,
                    const std::vector<std::string>& fields,
                    const std::vector<GiNaC::realsymbol>& symbols, ExpressionRole role) {
  if (is_output(role)) check_output(r, text, dim, key, fields, role);
  if (role == ExpressionRole::boundary) {
    for (const auto& w : fields)
      for (Derivative d : kDerivatives)
        if ((derivative_order(d) == 2 || d == Derivative::t) &&
            r.has(named_symbol(symbol_name(w, d))))
          throw std::runtime_error(fmt::format(
              "{}: \"{}\" uses {}: a boundary residual takes the fields' values and first "
              "derivatives only (w, w_x, w_y, w_z, w_n)",
              key, text, variable_name(w, d)));
    if (r.has(source_symbol()))
      throw std::runtime_error(fmt::format(
          "{}: \"{}\" uses f, the equation's source: a boundary residual states its data itself",
          key, text));
  }
  if (!is_output(role) && !has_any(r, symbols))
    throw std::runtime_error(fmt::format("{}: \"{}\" does not involve {} (use {})", key, text,
                                         fields.size() == 1 ? fields[0] : "any field",
                                         provided_variables(fields, dim)));
  if (dim == 2) {
    bool z = r.has(variable_symbol("z"));
    for (const auto& w : fields)
      for (Derivative d : kDerivatives)
        z = z || (derivative_uses_z(d) && r.has(named_symbol(symbol_name(w, d))));
    if (z)
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses z or a z-derivative, but the domain is 2D", key, text));
  }
  if (is_output(role)) return;  // no rule on how w_t and t enter
  auto check_linear_constant = [&](const GiNaC::realsymbol& s, const std::string& what) {
    if (!r.has(s)) return;
    const ex c = r.diff(s);
    if (c.has(s) || c.has(source_symbol()) || has_any(c, symbols) ||
        !GiNaC::is_a<GiNaC::numeric>(GiNaC::evalf(c)))
      throw std::runtime_error(fmt::format(
          "{}: \"{}\": {} must enter linearly with a constant coefficient (as in u_t - lap(u) "
          "- f)",
          key, text, what));
  };
  check_linear_constant(source_symbol(), "f");
  bool any_time = false;
  for (const auto& w : fields) {
    const auto& s = named_symbol(symbol_name(w, Derivative::t));
    check_linear_constant(s, w + "_t");
    any_time = any_time || r.has(s);
  }
  if (r.has(variable_symbol("t")) && !any_time)
    throw std::runtime_error(fmt::format(
        "{}: \"{}\" uses t but no time derivative: a steady equation cannot depend on time", key,
        text));
}

}  // namespace

Equation Equation::parse(const std::string& text, const std::map<std::string, std::string>& params,
                         int dim, const std::string& key, const std::vector<std::string>& fields,
                         ExpressionRole role) {
  if (dim != 2 && dim != 3)
    throw std::runtime_error(fmt::format("{}: dimension must be 2 or 3, got {}", key, dim));
  if (fields.empty()) throw std::runtime_error(fmt::format("{}: no fields", key));
  auto im = std::make_shared<Impl>();
  im->text = text;
  im->dim = dim;
  im->fields = fields;
  im->symbols = slot_symbols(fields);
  im->residual = parse_residual(text, params, dim, key, fields, role, im->unused_parameters);
  check_residual(im->residual, text, dim, key, fields, im->symbols, role);
  const ex& r = im->residual;
  if (r.has(source_symbol()))
    im->source_coefficient =
        GiNaC::ex_to<GiNaC::numeric>(GiNaC::evalf(r.diff(source_symbol()))).to_double();
  im->linear = true;
  im->uses.assign(im->symbols.size(), false);
  im->derivatives.resize(im->symbols.size());
  for (std::size_t k = 0; k < im->symbols.size(); ++k) {
    const auto& s = im->symbols[k];
    if (!r.has(s)) continue;
    im->uses[k] = true;
    im->slots.push_back(static_cast<int>(k));
    const ex d = r.diff(s);
    im->linear = im->linear && !has_any(d, im->symbols);
    im->derivatives[k] = compile_tape(d, fmt::format("{} (d/d{})", key, to_str(s)), im->symbols);
  }
  im->tape = compile_tape(r, key, im->symbols);
  return Equation(std::move(im));
}

const std::vector<std::string>& Equation::unused_parameters() const {
  return impl_->unused_parameters;
}

const std::string& Equation::text() const {
  return impl_->text;
}
std::string Equation::str() const {
  return to_str(impl_->residual);
}
int Equation::dim() const {
  return impl_->dim;
}
const std::vector<std::string>& Equation::fields() const {
  return impl_->fields;
}
bool Equation::uses(Derivative d, int field) const {
  const auto slot = static_cast<std::size_t>(variable_slot(field, d));
  return slot < impl_->uses.size() && impl_->uses[slot];
}
bool Equation::uses_field(int field) const {
  for (Derivative d : kDerivatives)
    if (uses(d, field)) return true;
  return false;
}
bool Equation::uses_derivative(Derivative d) const {
  for (std::size_t w = 0; w < impl_->fields.size(); ++w)
    if (uses(d, static_cast<int>(w))) return true;
  return false;
}
const std::vector<int>& Equation::slots() const {
  return impl_->slots;
}
bool Equation::time_dependent() const {
  return uses_derivative(Derivative::t);
}
bool Equation::linear() const {
  return impl_->linear;
}
bool Equation::has_source() const {
  return impl_->source_coefficient != 0;
}
const Tape& Equation::residual() const {
  return impl_->tape;
}
const Tape& Equation::derivative(Derivative d, int field) const {
  return derivative_in_slot(variable_slot(field, d));
}
const Tape& Equation::derivative_in_slot(int slot) const {
  return impl_->derivatives.at(static_cast<std::size_t>(slot));
}

namespace {

/// R with the exact fields (and f = 0) substituted: R(exact) in x, y, z, t.
ex residual_of(const ex& residual, const std::vector<std::string>& fields,
               const std::vector<Expression>& exact, int dim) {
  if (exact.size() != fields.size())
    throw std::invalid_argument(
        fmt::format("equation: {} exact fields for {} fields", exact.size(), fields.size()));
  GiNaC::lst subs;
  for (std::size_t w = 0; w < fields.size(); ++w) {
    const ex u = ExpressionAccess::symbolic(exact[w]);
    const auto sym = [&](Derivative d) -> const GiNaC::realsymbol& {
      return named_symbol(symbol_name(fields[w], d));
    };
    const auto& X = variable_symbol("x");
    const auto& Y = variable_symbol("y");
    const auto& Z = variable_symbol("z");
    subs.append(sym(Derivative::value) == u);
    subs.append(sym(Derivative::t) == u.diff(variable_symbol("t")));
    ex lap = 0;
    for (int i = 0; i < dim; ++i) {
      const auto& xi = variable_symbol(kCoordinates[i]);
      lap += u.diff(xi, 2);
      subs.append(sym(static_cast<Derivative>(3 + i)) == u.diff(xi));
    }
    subs.append(sym(Derivative::lap) == lap);
    subs.append(sym(Derivative::xx) == u.diff(X, 2));
    subs.append(sym(Derivative::xy) == u.diff(X).diff(Y));
    subs.append(sym(Derivative::yy) == u.diff(Y, 2));
    if (dim == 3) {
      subs.append(sym(Derivative::xz) == u.diff(X).diff(Z));
      subs.append(sym(Derivative::yz) == u.diff(Y).diff(Z));
      subs.append(sym(Derivative::zz) == u.diff(Z, 2));
    }
  }
  subs.append(source_symbol() == 0);
  return residual.subs(subs);
}

/// `e` at a point as a real double; NaN where it is not defined or not real there.
double real_value_at(const ex& e, const GiNaC::lst& point) {
  try {
    const ex v = GiNaC::evalf(e.subs(point));
    if (!GiNaC::is_a<GiNaC::numeric>(v)) return std::nan("");
    const auto& n = GiNaC::ex_to<GiNaC::numeric>(v);
    return n.is_real() ? n.to_double() : std::nan("");
  } catch (const std::exception&) {
    return std::nan("");
  }
}

}  // namespace

Expression Equation::source_for(const std::vector<Expression>& exact,
                                const std::string& key) const {
  if (!has_source())
    throw std::runtime_error(fmt::format(
        "{}: the equation \"{}\" has no f to derive from problem.exact", key, impl_->text));
  const ex r = residual_of(impl_->residual, impl_->fields, exact, impl_->dim);
  return ExpressionAccess::make(-r / GiNaC::numeric(impl_->source_coefficient), key);
}

std::string Equation::restricted_functions_of_u() const {
  std::set<std::string> seen;
  std::string out;
  for (auto it = impl_->residual.preorder_begin(); it != impl_->residual.preorder_end(); ++it) {
    const ex& e = *it;
    bool restricted = false;
    if (GiNaC::is_a<GiNaC::function>(e)) {
      const std::string name = GiNaC::ex_to<GiNaC::function>(e).get_name();
      restricted = name == "log" || name == "asin" || name == "acos";
    } else if (GiNaC::is_a<GiNaC::power>(e)) {
      const ex exponent = e.op(1);
      restricted = GiNaC::is_a<GiNaC::numeric>(exponent) &&
                   !GiNaC::ex_to<GiNaC::numeric>(exponent).is_integer();
    }
    if (!restricted || !(has_any(e.op(0), impl_->symbols) || e.op(0).has(source_symbol())))
      continue;
    const std::string text = to_str(e);
    if (seen.insert(text).second) out += (out.empty() ? "" : ", ") + text;
  }
  return out;
}

bool Equation::solved_by(const std::vector<Expression>& exact, std::string* residual) const {
  const ex r = residual_of(impl_->residual, impl_->fields, exact, impl_->dim).expand().normal();
  if (r.is_zero()) return true;
  // Identities GiNaC does not apply (sin^2 + cos^2 = 1, ...): R(exact) at fixed points of
  // [-1, 1]^dim x [0, 1], against the size of its terms there. Points where exact is not
  // defined (log(x) at x < 0) are skipped.
  const ex terms = r.expand();
  const int dim = impl_->dim;
  for (int k = 1; k <= 23; ++k) {
    GiNaC::lst point;
    for (int i = 0; i < dim; ++i)  // a low-discrepancy sequence, reproducible
      point.append(variable_symbol(kCoordinates[i]) ==
                   std::fmod(0.6180339887498949 * k * (i + 1) + 0.31 * i, 1.0) * 2 - 1);
    point.append(variable_symbol("t") == std::fmod(0.7548776662466927 * k, 1.0));
    const double v = real_value_at(terms, point);
    if (!std::isfinite(v)) continue;
    double scale = 0;
    if (GiNaC::is_a<GiNaC::add>(terms)) {
      for (std::size_t j = 0; j < terms.nops(); ++j)
        scale += std::abs(real_value_at(terms.op(j), point));
    } else {
      scale = std::abs(v);
    }
    if (!std::isfinite(scale)) continue;
    if (std::abs(v) > 1e-9 * scale && std::abs(v) > 1e-300) {
      if (residual) *residual = to_str(r);
      return false;
    }
  }
  return true;
}

Expression parse_with_parameters(const std::string& text, const std::string& key,
                                 const std::vector<std::string>& allowed,
                                 const std::map<std::string, std::string>& params, int dim) {
  const auto forms = parameter_forms(params, dim, {});
  GiNaC::symtab table;
  for (const auto& v : allowed) table[v] = variable_symbol(v);
  std::map<std::string, GiNaC::realsymbol> placeholders;
  for (const auto& [name, form] : forms) placeholders.emplace(name, GiNaC::realsymbol(name));
  for (const auto& [name, sym] : placeholders) table[name] = sym;
  std::vector<std::string> unknown;
  const ex e = parse_symbolic(text, key, table, unknown);
  if (!unknown.empty()) {
    std::string names;
    for (const auto& v : allowed) names += v + ", ";
    for (const auto& [name, form] : forms)
      if (name.find('_') == std::string::npos) names += name + ", ";
    throw std::runtime_error(fmt::format("{}: unknown name '{}' in \"{}\" (allowed: {}pi, e)", key,
                                         unknown.front(), text, names));
  }
  GiNaC::lst subs;
  for (const auto& [name, form] : forms) subs.append(placeholders.at(name) == form);
  return ExpressionAccess::make(e.subs(subs), key, text);
}

Eigen::ArrayXd evaluate_tape(const Tape& tape, const std::vector<Eigen::ArrayXd>& variables,
                             const Eigen::ArrayXd& source,
                             const std::vector<Eigen::ArrayXd>& coefficients) {
  struct Values {
    Eigen::Index n;
    Eigen::ArrayXd constant(double c) const { return Eigen::ArrayXd::Constant(n, c); }
    Eigen::ArrayXd reciprocal(const Eigen::ArrayXd& a) const { return a.inverse(); }
  };
  Eigen::Index n = source.size();
  for (const auto& v : variables) n = std::max(n, v.size());
  return run_tape(tape, variables, source, coefficients, Values{n});
}

}  // namespace dtpinn::core
