// The [[bc]] entries of the run config: reader, writer and checks.
#include "boundary_config.hpp"

#include <dtpinn/core/problem/expression.hpp>
#include <dtpinn/core/problem/selector.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

namespace dtpinn::core {

namespace {

std::string entry_key(std::size_t index, const std::string& key) {
  return fmt::format("bc[{}].{}", index, key);
}

/// An error at a TOML node: "FILE:LINE:COLUMN: bc[i].key: reason".
[[noreturn]] void fail_at(const std::string& origin, const toml::node& n, std::size_t index,
                          const std::string& key, const std::string& reason) {
  throw std::runtime_error(
      fmt::format("{}: {}: {}", toml_position(origin, n.source()), entry_key(index, key), reason));
}

std::string toml_text(const std::string& s) {
  std::ostringstream out;
  out << toml::value<std::string>(s);
  return out.str();
}

std::string toml_real(double x) {
  std::ostringstream out;
  out << toml::value<double>(x);
  return out.str();
}

std::vector<std::string> read_names(const toml::node& n, const std::string& origin,
                                    std::size_t index) {
  std::vector<std::string> names;
  if (const auto* s = n.as_string()) {
    names.push_back(**s);
  } else if (const auto* a = n.as_array()) {
    for (const auto& item : *a) {
      if (!item.is_string())
        fail_at(origin, item, index, "on", "must be a part name or a list of part names");
      names.push_back(**item.as_string());
    }
    if (names.empty()) fail_at(origin, n, index, "on", "the list of part names is empty");
  } else {
    fail_at(origin, n, index, "on", "must be a part name or a list of part names");
  }
  return names;
}

std::string read_string(const toml::node& n, const std::string& origin, std::size_t index,
                        const std::string& key) {
  if (!n.is_string()) fail_at(origin, n, index, key, "must be a string");
  return **n.as_string();
}

double read_real(const toml::node& n, const std::string& origin, std::size_t index,
                 const std::string& key) {
  if (const auto* i = n.as_integer()) return static_cast<double>(**i);
  if (const auto* f = n.as_floating_point()) return **f;
  fail_at(origin, n, index, key, "must be a number");
}

BoundaryConditionConfig read_entry(const toml::table& t, const std::string& origin,
                                   std::size_t index) {
  BoundaryConditionConfig bc;
  bool typed = false;
  for (auto&& [k, node] : t) {
    const std::string key(k.str());
    if (key == "on") {
      bc.on = read_names(node, origin, index);
    } else if (key == "where") {
      bc.where = read_string(node, origin, index, key);
    } else if (key == "type") {
      try {
        bc.type = parse_option<BcType>(read_string(node, origin, index, key));
      } catch (const std::invalid_argument& e) {
        fail_at(origin, node, index, key, e.what());
      }
      typed = true;
    } else if (key == "value") {
      bc.value = read_string(node, origin, index, key);
    } else if (key == "alpha") {
      bc.alpha = read_real(node, origin, index, key);
    } else if (key == "beta") {
      bc.beta = read_real(node, origin, index, key);
    } else if (key == "name") {
      bc.name = read_string(node, origin, index, key);
    } else if (key == "field") {
      bc.field = read_string(node, origin, index, key);
    } else if (key == "residual") {
      bc.residual = read_string(node, origin, index, key);
    } else {
      std::string known;
      for (const auto& o : bc_options()) known += (known.empty() ? "" : ", ") + o.key.substr(3);
      fail_at(origin, node, index, key, "unknown key (a [[bc]] entry has " + known + ")");
    }
  }
  if (!typed)
    throw std::runtime_error(fmt::format("{}: {}: missing (one of {})",
                                         toml_position(origin, t.source()),
                                         entry_key(index, "type"), option_choices<BcType>()));
  return bc;
}

/// Whether the parentheses of `text` pair up.
bool balanced(const std::string& text) {
  int depth = 0;
  for (char c : text) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth == 0;
}

/// Whether `text` names a field or one of its first or normal derivatives (u, u_x, u_n, ...):
/// a residual that uses none constrains nothing.
/// Whether the text names a field or one of its derivatives (any w_SUFFIX: whether the suffix
/// is allowed there is the Problem's parser's to say, with its own message).
bool uses_a_field(const std::string& text, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < text.size();) {
    if (!std::isalpha(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      ++end;
    const std::string word = text.substr(i, end - i);
    for (const auto& field : fields)
      if (word == field || word.rfind(field + "_", 0) == 0) return true;
    i = end;
  }
  return false;
}

/// The field and the residual of an entry: `field` one of the problem's, a residual exactly
/// for the expression type, and one that could parse (the Problem parses it over the fields).
void check_field_and_residual(const BoundaryConditionConfig& bc, std::size_t i,
                              const std::vector<std::string>& fields) {
  auto fail = [i](const std::string& key, const std::string& why) {
    throw std::runtime_error(fmt::format("{}: {}", entry_key(i, key), why));
  };
  if (!bc.field.empty() && std::find(fields.begin(), fields.end(), bc.field) == fields.end())
    fail("field",
         fmt::format("\"{}\" is not a field (fields: {})", bc.field, fmt::join(fields, ", ")));
  const bool has_residual = bc.residual.find_first_not_of(" \t\r\n") != std::string::npos;
  if (bc.type != BcType::expression) {
    if (!bc.residual.empty())
      fail("residual", fmt::format("only an expression condition takes a residual (this one is "
                                   "{}; its data is value)",
                                   to_string(bc.type)));
    return;
  }
  if (!has_residual)
    fail("residual",
         "required for type = \"expression\": the expression that must vanish on these nodes, "
         "e.g. \"u_n - 1\"");
  if (bc.value) fail("value", "an expression condition takes no value (write it into residual)");
  if (!balanced(bc.residual))
    fail("residual", fmt::format("unbalanced parentheses in \"{}\"", bc.residual));
  if (!uses_a_field(bc.residual, fields))
    fail("residual", fmt::format("\"{}\" uses no field ({}) nor its derivatives", bc.residual,
                                 fmt::join(fields, ", ")));
}

/// The checks of one entry that need no geometry; throws "bc[i].key: reason".
void check_entry(const BoundaryConditionConfig& bc, std::size_t i, bool heat,
                 const std::vector<std::string>& fields) {
  auto fail = [i](const std::string& key, const std::string& why) {
    throw std::runtime_error(fmt::format("{}: {}", entry_key(i, key), why));
  };
  check_field_and_residual(bc, i, fields);
  const bool has_where = bc.where.find_first_not_of(" \t") != std::string::npos;
  if (bc.on.empty() == !has_where)
    fail(bc.on.empty() ? "on" : "where",
         bc.on.empty() ? "give the parts (on = \"NAME\" or a list) or a selector (where = ...)"
                       : "give either on (parts) or where (a selector), not both");
  for (const auto& name : bc.on)
    if (!nodegen::is_valid_part_name(name))
      fail("on", fmt::format("\"{}\" is not a part name (letters, digits, _ . -)", name));
  if (has_where) Selector::parse(bc.where, entry_key(i, "where"));
  if (bc.type != BcType::robin && (bc.alpha || bc.beta))
    fail(bc.alpha ? "alpha" : "beta",
         fmt::format("only a robin condition takes alpha and beta (this one is {})",
                     to_string(bc.type)));
  if (bc.type == BcType::robin) {
    const double a = bc.alpha.value_or(1.0), b = bc.beta.value_or(1.0);
    if (!std::isfinite(a)) fail("alpha", "must be finite");
    if (!std::isfinite(b)) fail("beta", "must be finite");
    if (a == 0 && b == 0) fail("alpha", "alpha and beta are both 0: the condition would be empty");
  }
  if (bc.value) {
    std::vector<std::string> allowed = {"x", "y", "z", "nx", "ny", "nz"};
    if (heat) allowed.push_back("t");
    Expression::parse(*bc.value, entry_key(i, "value"), allowed);
  }
  if (!bc.name.empty() && !nodegen::is_valid_part_name(bc.name))
    fail("name", fmt::format("\"{}\" is not a word of letters, digits, _ . -", bc.name));
}

}  // namespace

std::vector<ConfigOption> bc_options() {
  // The reader knows these keys (read_entry) and its error message lists them.
  const std::vector<ConfigOption> out = {
      {"bc.on", "string", "",
       "the boundary parts the condition holds on (`dtpinn nodes` lists them)",
       "a part name, or a list of part names"},
      {"bc.where", "string", "",
       "or a selector: the boundary nodes where it is true (instead of on)",
       "a boolean expression in x, y, z, nx, ny, nz (< <= > >= == != && || !)"},
      {"bc.field", "string", "",
       "the field the condition is on (default: the first field; a system names it in every "
       "entry)",
       "one of problem.fields"},
      {"bc.type", "string", "",
       "dirichlet (u = g) | neumann (du/dn = g) | robin "
       "(alpha du/dn + beta u = g) | expression (residual = 0); required",
       option_list<BcType>()},
      {"bc.value", "string", "",
       "g of a dirichlet, neumann or robin condition; derived from problem.exact when not given",
       "an expression in x, y, z, t, nx, ny, nz"},
      {"bc.residual", "string", "",
       "expression only (required there): what must vanish on these nodes, e.g. "
       "\"(lam + 2*mu)*u_x*nx + mu*(u_y + v_x)*ny - 1\"",
       "an expression in the fields, their first derivatives (u_x, u_y, u_z) and normal "
       "derivatives (u_n), nx, ny, nz, x, y, z, t and the parameters"},
      {"bc.alpha", "real", "1.0", "robin only: the coefficient of du/dn", "any finite number"},
      {"bc.beta", "real", "1.0", "robin only: the coefficient of u", "any finite number"},
      {"bc.name", "string", "",
       "the loss term is bc:NAME (default: the part names joined by +, or where<i>)",
       "1-64 characters of [A-Za-z0-9_.-]"}};
  return out;
}

std::string toml_position(const std::string& origin, const toml::source_region& where) {
  return fmt::format("{}:{}:{}", origin, where.begin.line, where.begin.column);
}

std::vector<BoundaryConditionConfig> parse_bc_array(const toml::node& node,
                                                    const std::string& origin) {
  const auto* array = node.as_array();
  if (!array || !array->is_array_of_tables())
    throw std::runtime_error(
        fmt::format("{}: bc: must be an array of tables, one [[bc]] per condition",
                    toml_position(origin, node.source())));
  std::vector<BoundaryConditionConfig> out;
  for (const auto& item : *array) {
    out.push_back(read_entry(*item.as_table(), origin, out.size() + 1));
  }
  return out;
}

std::string bc_entry_name(const BoundaryConditionConfig& bc, std::size_t index) {
  if (!bc.name.empty()) return bc.name;
  if (bc.on.empty()) return fmt::format("where{}", index);
  std::string name;
  for (const auto& part : bc.on) name += (name.empty() ? "" : "+") + part;
  return name;
}

std::string bc_entry_name(const BoundaryConditionConfig& bc, std::size_t index,
                          const ProblemConfig& problem) {
  const std::vector<std::string> fields = field_names(problem);
  if (!bc.name.empty() || fields.size() == 1) return bc_entry_name(bc, index);
  return bc_entry_name(bc, index) + "." + (bc.field.empty() ? fields.front() : bc.field);
}

void validate_bc(const ProblemConfig& problem) {
  if (problem.bc.empty()) return;
  if (problem.g)
    throw std::runtime_error(
        "problem.g: not used with [[bc]] entries: give each condition its own value");
  const std::vector<std::string> fields = field_names(problem);
  const bool heat = is_time_dependent(problem);
  std::set<std::string> names;
  for (std::size_t i = 0; i < problem.bc.size(); ++i) {
    check_entry(problem.bc[i], i + 1, heat, fields);
    const std::string name = bc_entry_name(problem.bc[i], i + 1, problem);
    if (!names.insert(name).second)
      throw std::runtime_error(fmt::format(
          "{}: two conditions are called \"{}\" (their loss terms would share a name): give one "
          "a name = \"...\"",
          entry_key(i + 1, "name"), name));
  }
}

std::string bc_to_toml(const std::vector<BoundaryConditionConfig>& bc) {
  std::string out;
  for (const auto& e : bc) {
    out += "\n[[bc]]\n";
    if (!e.on.empty()) {
      if (e.on.size() == 1) {
        out += "on = " + toml_text(e.on[0]) + "\n";
      } else {
        std::string list;
        for (const auto& name : e.on) list += (list.empty() ? "" : ", ") + toml_text(name);
        out += "on = [" + list + "]\n";
      }
    }
    if (!e.where.empty()) out += "where = " + toml_text(e.where) + "\n";
    if (!e.field.empty()) out += "field = " + toml_text(e.field) + "\n";
    out += fmt::format("type = \"{}\"\n", to_string(e.type));
    if (e.value) out += "value = " + toml_text(*e.value) + "\n";
    if (!e.residual.empty()) out += "residual = " + toml_text(e.residual) + "\n";
    if (e.alpha) out += "alpha = " + toml_real(*e.alpha) + "\n";
    if (e.beta) out += "beta = " + toml_real(*e.beta) + "\n";
    if (!e.name.empty()) out += "name = " + toml_text(e.name) + "\n";
  }
  return out;
}

bool operator==(const BoundaryConditionConfig& a, const BoundaryConditionConfig& b) {
  return a.on == b.on && a.where == b.where && a.type == b.type && a.value == b.value &&
         a.alpha == b.alpha && a.beta == b.beta && a.name == b.name && a.field == b.field &&
         a.residual == b.residual;
}

}  // namespace dtpinn::core
