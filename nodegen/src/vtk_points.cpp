// Points for ParaView: legacy ASCII VTK POLYDATA (vtk_points.hpp).
#include <dtpinn/nodegen/vtk_points.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace dtpinn::nodegen {

namespace {

// Shortest decimal that reads back to the same double (-0 as 0).
std::string num(double v) {
  return fmt::format("{}", v == 0.0 ? 0.0 : v);
}

std::string xyz(const PointMatrix& m, Index i) {
  return fmt::format("{} {} {}", num(m(i, 0)), num(m(i, 1)), num(m.cols() > 2 ? m(i, 2) : 0.0));
}

}  // namespace

void write_vtk_points(std::ostream& o, const std::string& title, const PointMatrix& points,
                      const std::vector<VtkScalars>& scalars,
                      const std::vector<std::string>& part_names, const PointMatrix* normals) {
  const Index n = points.rows();
  for (const auto& s : scalars)
    if (static_cast<Index>(s.values.size()) != n)
      throw std::invalid_argument(fmt::format("write_vtk_points: {} has {} values for {} points",
                                              s.name, s.values.size(), n));
  o << "# vtk DataFile Version 3.0\n" << title << "\nASCII\nDATASET POLYDATA\n";
  if (!part_names.empty()) {
    o << "FIELD FieldData " << part_names.size() << "\n";
    for (std::size_t p = 0; p < part_names.size(); ++p)
      o << part_names[p] << " 1 1 int\n" << p << "\n";
  }
  o << "POINTS " << n << " double\n";
  for (Index i = 0; i < n; ++i) o << xyz(points, i) << '\n';
  o << "VERTICES " << n << " " << 2 * n << "\n";
  for (Index i = 0; i < n; ++i) o << "1 " << i << "\n";
  o << "POINT_DATA " << n << "\n";
  for (const auto& s : scalars) {
    o << "SCALARS " << s.name << (s.integer ? " int" : " double") << " 1\nLOOKUP_TABLE default\n";
    for (double v : s.values)
      o << (s.integer ? fmt::format("{}", static_cast<long long>(v)) : num(v)) << '\n';
  }
  if (normals) {
    o << "NORMALS normals double\n";
    for (Index i = 0; i < n; ++i) o << xyz(*normals, i) << '\n';
  }
}

std::vector<double> node_parts(const NodeSet& ns) {
  std::vector<double> out(static_cast<std::size_t>(ns.size()), -1.0);
  for (Index k = 0; k < ns.n_boundary; ++k) {
    const double p = ns.part_of_boundary(k);
    out[static_cast<std::size_t>(ns.n_interior + k)] = p;
    if (ns.n_ghost > 0) out[static_cast<std::size_t>(ns.ghost_begin() + k)] = p;
  }
  return out;
}

}  // namespace dtpinn::nodegen
