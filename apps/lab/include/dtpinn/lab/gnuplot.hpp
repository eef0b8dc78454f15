#pragma once
// Rendering the plot scripts that the engine and the study write (gnuplot, run as a child
// process). Lab code: the engine library never starts a process; a program links this and hands
// render_plot to the run writer (core/training/run.hpp, PlotRenderer).
#include <iosfwd>
#include <string>

namespace dtpinn::lab {

/// Runs `gnuplot SCRIPT` inside `folder`. Without gnuplot on PATH: one warning line on `log`
/// (once per process) and the script is kept; a failing script: one warning line naming it.
void render_plot(const std::string& folder, const std::string& script, std::ostream* log);

}  // namespace dtpinn::lab
