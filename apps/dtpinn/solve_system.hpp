#pragma once
// dtpinn solve for a system (several fields, or conditions written as expressions): the coupled
// classical solve of core/problem/system.hpp and its files.
#include "run_args.hpp"

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <ostream>
#include <string>

namespace dtpinn::app {

/// Solves `problem` on `nodes` and, when `out` is not empty, writes solution.csv (x, y[, z],
/// one column per field, then FIELD_exact for each field with an exact solution), results.json
/// (test_rel_l2 over all fields and "fields": {FIELD: {test_rel_l2, max_error,
/// constant_removed}}) and, per field, FIELD/solution.vtk with its plots.
void solve_system_command(const RunArgs& a, const std::string& out, const core::RunConfig& cfg,
                          const nodegen::NodeSet& nodes, const core::NodeQuality& quality,
                          const core::Problem& problem, std::ostream* log);

}  // namespace dtpinn::app
