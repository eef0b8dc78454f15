#pragma once
// The files that show a solution on a node set, for `dtpinn train` (the network on the test
// nodes) and `dtpinn solve` (the classical solution on the collocation nodes). LibTorch-free.
//   solution.vtk  legacy VTK POLYDATA for ParaView: point scalars u, exact | reference, error
//                 (|u - reference|), part (the boundary part's index, -1 interior; the names as
//                 FieldData), so the error per CAD face can be shown
//   solution.dat  x y [z] u reference abs_error part (whitespace, one point per line)
//   solution.gp, error.gp  gnuplot scripts of solution.png / error.png: 2D, a map of the nodes
//                 with axis and colour-bar labels; 3D, three slices through the centre of the
//                 box (planes x, y, z = centre), the nodes within a slab of about one spacing
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>

#include <functional>
#include <iosfwd>
#include <string>

namespace dtpinn::core {

/// Renders a plot script (`script`, a gnuplot file) inside `folder`, warning on `log` (may be
/// null) when it cannot. The engine writes the scripts and their data; the program linking it
/// decides whether and how they become pictures (`dtpinn` runs gnuplot). Empty: scripts only.
using PlotRenderer =
    std::function<void(const std::string& folder, const std::string& script, std::ostream* log)>;

/// A solution to show: values at the first u.size() nodes of `nodes` (interior + boundary,
/// node order; ghosts are not shown).
struct SolutionView {
  const nodegen::NodeSet* nodes = nullptr;
  std::string field = "u";  ///< the field's name: the VTK scalar's, the plots' titles and labels
  Eigen::VectorXd u;
  Eigen::VectorXd reference;    ///< same size as u, or empty (no error then)
  std::string reference_name;   ///< "exact" or "reference" (the VTK field's name)
  std::string where = "nodes";  ///< in titles: "test nodes", "nodes"
  std::string when;             ///< in titles: " at t = 1", or ""
};

/// Writes solution.vtk, solution.dat, solution.gp (and error.gp with a reference) into
/// `folder` (each file whole or not at all) and renders the scripts with `plot`. Throws
/// std::runtime_error naming the file on an I/O failure.
void write_solution_files(const std::string& folder, const SolutionView& view,
                          const PlotRenderer& plot, std::ostream* log);

}  // namespace dtpinn::core
