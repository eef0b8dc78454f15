#pragma once
// The [[bc]] array of the run config: reading it from TOML, writing it back, and the checks
// every entry must pass wherever it came from (file, code). Internal to dtpinn_problem.
#include <dtpinn/core/problem/config.hpp>

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace dtpinn::core {

/// "FILE:LINE:COLUMN" of a TOML node.
std::string toml_position(const std::string& origin, const toml::source_region& where);

/// Reads the `bc` array of tables. Throws std::runtime_error "FILE:LINE:COLUMN: bc[i].key:
/// reason" for an unknown key, a wrong type, a bad type name, `on` and `where` both or neither
/// given, alpha/beta on a condition that is not robin, a bad selector or value expression.
/// `field` and `residual` are read as given; validate_bc checks them against the problem.
std::vector<BoundaryConditionConfig> parse_bc_array(const toml::node& node,
                                                    const std::string& origin);

/// The entries as [[bc]] tables (empty text for none).
std::string bc_to_toml(const std::vector<BoundaryConditionConfig>& bc);

/// The checks of parse_bc_array on an entry made in code (index 1-based, for messages) and the
/// cross checks with the problem (problem.g refused next to [[bc]] entries, names unique,
/// `field` one of the problem's fields, `residual` exactly for type = "expression").
/// Throws std::runtime_error "bc[i].key: reason".
void validate_bc(const ProblemConfig& problem);

/// The loss-term name of entry `index` (1-based): its name, or the default (config.hpp)
/// without the field.
std::string bc_entry_name(const BoundaryConditionConfig& bc, std::size_t index);
/// Same, with ".FIELD" appended to a default name when the problem has several fields
/// (config.hpp), e.g. "lid.u".
std::string bc_entry_name(const BoundaryConditionConfig& bc, std::size_t index,
                          const ProblemConfig& problem);

}  // namespace dtpinn::core
