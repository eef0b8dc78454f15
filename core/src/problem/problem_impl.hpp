#pragma once
// Problem's state, shared by problem.cpp (the PDE data) and boundary.cpp (the conditions).
#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/core/problem/expression.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/selector.hpp>

#include <optional>
#include <vector>

namespace dtpinn::core {

struct Problem::Impl {
  PdeKind pde = PdeKind::poisson;
  std::vector<std::string> fields;           ///< {"u"} for a scalar problem
  std::vector<Equation> equations;           ///< one per field
  std::shared_ptr<const Equation> equation;  ///< equations[0]
  bool custom_equation = false;              ///< problem.equation given (else the preset of pde)
  int dim = 2;
  double t_final = 1;
  int nt = 1;
  std::optional<Expression> exact, laplacian;           ///< of the first field
  std::vector<std::optional<Expression>> exact_fields;  ///< per field
  Expression f, u0;                                     ///< f: of the first equation
  std::vector<std::optional<Expression>> sources;       ///< per equation (none without f)
  bool f_derived = false, u0_derived = false;
  std::vector<BoundaryCondition> conditions;
  std::vector<Expression> g;                      ///< per condition
  std::vector<std::optional<Selector>> selector;  ///< per condition (where = ...)
  bool fixes_mean = false;  ///< pure Neumann: u is fixed only up to a constant (mean rule)
};

/// Parses a problem expression and explains any variable that does not belong there in the
/// problem's own terms (2D domain, steady PDE, normals only in boundary data).
/// `heat`: the equation is time-dependent (for the message about t).
Expression parse_problem_expression(const std::string& text, const std::string& key, int dim,
                                    bool heat, bool time_allowed, bool normals_allowed);

}  // namespace dtpinn::core
