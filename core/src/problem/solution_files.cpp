// The files that show a solution: VTK for ParaView, a data table and gnuplot scripts
// (solution_files.hpp).
#include <dtpinn/core/problem/solution_files.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/vtk_points.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace dtpinn::core {

namespace {

using nodegen::Index;

std::vector<double> values(const Eigen::VectorXd& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

void write_vtk(const std::string& path, const SolutionView& s, const Eigen::VectorXd& err) {
  const nodegen::NodeSet& ns = *s.nodes;
  const Index m = s.u.size();
  std::vector<nodegen::VtkScalars> fields = {{s.field, values(s.u), false}};
  if (s.reference.size() > 0) {
    fields.push_back({s.reference_name, values(s.reference), false});
    fields.push_back({"error", values(err), false});
  }
  auto parts = nodegen::node_parts(ns);
  parts.resize(static_cast<std::size_t>(m));
  fields.push_back({"part", parts, true});
  nodegen::AtomicFile f(path);
  nodegen::write_vtk_points(f.stream(),
                            fmt::format("dtpinn solution on {} {}{}", m, s.where, s.when),
                            ns.points.topRows(m), fields, ns.part_names);
  f.commit();
}

void write_data(const std::string& path, const SolutionView& s, const Eigen::VectorXd& ref,
                const Eigen::VectorXd& err) {
  const nodegen::NodeSet& ns = *s.nodes;
  const auto parts = nodegen::node_parts(ns);
  nodegen::AtomicFile f(path);
  f.stream() << fmt::format("# x y{} {} reference abs_error part\n", ns.dim > 2 ? " z" : "",
                            s.field);
  for (Index i = 0; i < s.u.size(); ++i) {
    for (int j = 0; j < ns.dim; ++j) f.stream() << fmt::format("{:.10g} ", ns.points(i, j));
    f.stream() << fmt::format("{:.12g} {:.12g} {:.6e} {}\n", s.u[i], ref[i], err[i],
                              static_cast<int>(parts[static_cast<std::size_t>(i)]));
  }
  f.commit();
}

/// A gnuplot script drawing column `col` of solution.dat coloured at the nodes: in 2D one map,
/// in 3D three slices through the centre of the box. `value` is the gnuplot expression of the
/// colour (e.g. "$3" or "log10($5)"), `label` its colour-bar label.
std::string map_script(const SolutionView& s, const std::string& png, const std::string& title,
                       const std::string& label, int col, bool log_scale) {
  const nodegen::NodeSet& ns = *s.nodes;
  const Index m = s.u.size();
  const std::string head =
      fmt::format("set output '{}'\nset palette rgb 33,13,10\nunset key\nset cblabel '{}'\n{}", png,
                  label, log_scale ? "set logscale cb\nset format cb '%.0e'\n" : "");
  // Floored so that an exact zero still shows on a log scale.
  const std::string v =
      log_scale ? fmt::format("(${0} > 1e-300 ? ${0} : 1e-300)", col) : fmt::format("${}", col);
  if (ns.dim == 2)
    return fmt::format(
        "set terminal png size 900,760\n{}set title '{}'\nset size ratio -1\nset xlabel 'x'\n"
        "set ylabel 'y'\nplot 'solution.dat' using 1:2:({}) with points pt 7 ps 0.4 palette\n",
        head, title, v);
  // 3D: slabs of half-width w around the planes through the centre of the nodes' box.
  const Eigen::RowVectorXd lo = ns.points.topRows(m).colwise().minCoeff();
  const Eigen::RowVectorXd hi = ns.points.topRows(m).colwise().maxCoeff();
  const Eigen::RowVectorXd mid = 0.5 * (lo + hi);
  const double volume = std::max((hi - lo).prod(), 1e-300);
  const double w = 0.75 * std::cbrt(volume / static_cast<double>(std::max<Index>(m, 1)));
  // One colour scale for the three slices: the values' range (log scales keep their own).
  const bool spread = m > 0 && s.u.maxCoeff() > s.u.minCoeff();
  const std::string range =
      !log_scale && col == ns.dim + 1 && spread
          ? fmt::format("set cbrange [{:.10g}:{:.10g}]\n", s.u.minCoeff(), s.u.maxCoeff())
          : "";
  std::string out = fmt::format(
      "set terminal png size 1500,560\n{}{}set multiplot layout 1,3 title '{}: slices through "
      "the centre (nodes within {:.3g} of each plane)'\nset size ratio -1\n",
      head, range, title, w);
  const char* names = "xyz";
  for (int a = 0; a < 3; ++a) {
    const int p = a == 0 ? 1 : 0, q = a == 2 ? 1 : 2;  // the two axes of the slice
    out += fmt::format(
        "set title '{} = {:.4g}'\nset xlabel '{}'\nset ylabel '{}'\n"
        "plot 'solution.dat' using (abs(${}-({:.10g})) < {:.10g} ? ${} : 1/0):{}:({}) with points "
        "pt 7 ps 0.6 palette\n",
        names[a], mid[a], names[p], names[q], a + 1, mid[a], w, p + 1, q + 1, v);
  }
  return out + "unset multiplot\n";
}

}  // namespace

void write_solution_files(const std::string& folder, const SolutionView& s,
                          const PlotRenderer& plot, std::ostream* log) {
  if (!s.nodes || s.u.size() > s.nodes->size() ||
      (s.reference.size() > 0 && s.reference.size() != s.u.size()))
    throw std::invalid_argument("write_solution_files: the values do not fit the nodes");
  const bool has_ref = s.reference.size() > 0;
  const Eigen::VectorXd ref = has_ref ? s.reference : Eigen::VectorXd::Zero(s.u.size());
  Eigen::VectorXd err = Eigen::VectorXd::Zero(s.u.size());  // 0 without a reference
  if (has_ref) err = (s.u - ref).cwiseAbs();
  auto in = [&folder](const char* name) { return nodegen::join_path(folder, name); };
  write_vtk(in("solution.vtk"), s, err);
  write_data(in("solution.dat"), s, ref, err);
  const int dim = s.nodes->dim;
  nodegen::write_file_atomically(
      in("solution.gp"),
      map_script(s, "solution.png", fmt::format("{} ({}{})", s.field, s.where, s.when), s.field,
                 dim + 1, false));
  if (has_ref)
    nodegen::write_file_atomically(
        in("error.gp"),
        map_script(s, "error.png",
                   fmt::format("|{} - {}| ({}{})", s.field, s.reference_name, s.where, s.when),
                   fmt::format("|{} - {}|", s.field, s.reference_name), dim + 3, true));
  if (!plot) return;
  plot(folder, "solution.gp", log);
  if (has_ref) plot(folder, "error.gp", log);
}

}  // namespace dtpinn::core
