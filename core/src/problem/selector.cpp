// Selectors: boolean expressions over boundary nodes, evaluated by muParser.
#include <dtpinn/core/problem/selector.hpp>

#include <fmt/format.h>
#include <muParser.h>

#include <array>
#include <cmath>
#include <stdexcept>

namespace dtpinn::core {

namespace {

double logical_not(double v) {
  return v == 0.0 ? 1.0 : 0.0;
}

/// A parser over the six node variables (x y z nx ny nz, in that order in `values`).
struct NodeParser {
  mu::Parser parser;
  std::array<double, 6> values{};

  explicit NodeParser(const std::string& text) {
    static const char* names[] = {"x", "y", "z", "nx", "ny", "nz"};
    for (std::size_t i = 0; i < values.size(); ++i) parser.DefineVar(names[i], &values[i]);
    // As a literal: muParser's own _pi is truncated (expression.cpp says the same).
    parser.DefineConst("pi", 3.14159265358979323846);
    parser.DefineInfixOprt("!", logical_not);
    parser.SetExpr(text);
  }
};

std::string parser_message(const mu::Parser::exception_type& e) {
  std::string msg = e.GetMsg();
  while (!msg.empty() && (msg.back() == '.' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

/// `text` with every lone `=` (muParser's assignment, not a comparison) doubled, or "" when
/// it has none: "x = 0" -> "x == 0".
std::string assignments_as_comparisons(const std::string& text) {
  std::string fixed;
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    fixed += text[i];
    if (text[i] != '=') continue;
    const char prev = i > 0 ? text[i - 1] : '\0';
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (next == '=' || prev == '=' || prev == '<' || prev == '>' || prev == '!') continue;
    fixed += '=';
    any = true;
  }
  return any ? fixed : std::string();
}

}  // namespace

Selector::Selector(std::string text, std::string key, bool uses_z)
    : text_(std::move(text)), key_(std::move(key)), uses_z_(uses_z) {}

Selector Selector::parse(const std::string& text, const std::string& key, int dim) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw std::runtime_error(fmt::format("{}: the selector is empty", key));
  // muParser would take "x = 0" as an assignment to x, true at no node.
  if (const std::string fixed = assignments_as_comparisons(text); !fixed.empty())
    throw std::runtime_error(fmt::format(
        "{}: \"{}\" assigns with '=', it does not compare: write \"{}\" (or a tolerance, e.g. "
        "abs(x) < 1e-9)",
        key, text, fixed));
  bool uses_z = false;
  try {
    NodeParser p(text);
    p.parser.Eval();  // compiles; a syntax error or an unknown name throws here
    for (const auto& [name, ptr] : p.parser.GetUsedVar())
      if (name == "z" || name == "nz") uses_z = true;
  } catch (const mu::Parser::exception_type& e) {
    throw std::runtime_error(
        fmt::format("{}: cannot parse \"{}\": {} (variables: x, y, z, nx, "
                    "ny, nz)",
                    key, text, parser_message(e)));
  }
  if (uses_z && dim == 2)
    throw std::runtime_error(
        fmt::format("{}: \"{}\" uses z or nz, but the domain is 2D (x, y, nx, ny)", key, text));
  return Selector(text, key, uses_z);
}

std::vector<bool> Selector::select(const nodegen::PointMatrix& points,
                                   const nodegen::PointMatrix& normals) const {
  const auto d = points.cols();
  if (normals.rows() != points.rows() || normals.cols() != d)
    throw std::invalid_argument(fmt::format("{}: normals are {} x {}, points {} x {}", key_,
                                            normals.rows(), normals.cols(), points.rows(), d));
  if (uses_z_ && d < 3)
    throw std::runtime_error(
        fmt::format("{}: \"{}\" uses z or nz, but the nodes are 2D", key_, text_));
  NodeParser p(text_);
  std::vector<bool> out(static_cast<std::size_t>(points.rows()));
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    p.values.fill(0.0);
    for (Eigen::Index c = 0; c < d; ++c) {
      p.values[static_cast<std::size_t>(c)] = points(i, c);
      p.values[static_cast<std::size_t>(3 + c)] = normals(i, c);
    }
    double v = 0.0;
    try {
      v = p.parser.Eval();
    } catch (const mu::Parser::exception_type& e) {
      throw std::runtime_error(fmt::format("{}: \"{}\": {}", key_, text_, parser_message(e)));
    }
    if (!std::isfinite(v)) {
      std::string at;
      for (Eigen::Index c = 0; c < d; ++c)
        at += fmt::format("{}{:.6g}", c ? ", " : "", points(i, c));
      throw std::runtime_error(
          fmt::format("{}: \"{}\" is not finite at the node ({})", key_, text_, at));
    }
    out[static_cast<std::size_t>(i)] = v != 0.0;
  }
  return out;
}

}  // namespace dtpinn::core
