#pragma once
// The symbolic side of Expression for the other GiNaC users of dtpinn_problem (equation.cpp):
// the shared variable symbols, parsing with more symbols, and Expressions from GiNaC forms.
// Internal to dtpinn_problem.
#include <dtpinn/core/problem/expression.hpp>

#include <ginac/ginac.h>

#include <string>
#include <vector>

namespace dtpinn::core {

struct ExpressionAccess {
  /// The symbolic form of an Expression.
  static const GiNaC::ex& symbolic(const Expression& e);
  /// An Expression (compiled for evaluation) of a GiNaC form in the shared variables.
  static Expression make(const GiNaC::ex& e, const std::string& key, const std::string& text = "");
};

/// The symbol of an expression variable (x, y, z, t, nx, ny, nz), shared by every Expression.
const GiNaC::realsymbol& variable_symbol(const std::string& name);

/// Parses `text` with the symbols of `table` (plus pi and e and ** for ^); names the table does
/// not hold are returned in `unknown` (in order of appearance), the result then holds fresh
/// symbols for them. Throws std::runtime_error "KEY: cannot parse "TEXT": reason".
GiNaC::ex parse_symbolic(const std::string& text, const std::string& key, GiNaC::symtab table,
                         std::vector<std::string>& unknown);

}  // namespace dtpinn::core
