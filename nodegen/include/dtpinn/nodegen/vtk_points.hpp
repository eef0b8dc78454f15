#pragma once
// THE writer of point data for ParaView: legacy ASCII VTK POLYDATA, one vertex cell per point,
// point scalars (and normals), and the boundary parts' names as dataset FieldData (one 1-tuple
// int array per part, named by the part and holding its index, since legacy VTK has no portable
// string arrays). Node files (node_io.hpp) and solution files (solution.vtk) both use it.
// Numbers are written in the shortest form that reads back to the identical double.
#include <dtpinn/nodegen/node_set.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

/// One point-data array: N values, written as int when `integer` (e.g. a part index, -1 for
/// none), else as double.
struct VtkScalars {
  std::string name;
  std::vector<double> values;
  bool integer = false;
};

/// Writes `points` (N x 2 or N x 3; z = 0 in 2D) with `scalars` (N values each), `normals`
/// (N x dim, or null) and `part_names` as FieldData to `out`. `title` is one line.
void write_vtk_points(std::ostream& out, const std::string& title, const PointMatrix& points,
                      const std::vector<VtkScalars>& scalars,
                      const std::vector<std::string>& part_names,
                      const PointMatrix* normals = nullptr);

/// Per node of `nodes`: the index of its boundary part (a ghost has its boundary node's), -1
/// for an interior node. N values.
std::vector<double> node_parts(const NodeSet& nodes);

}  // namespace dtpinn::nodegen
