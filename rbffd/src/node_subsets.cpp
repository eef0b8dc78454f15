// Node subsets for fields with fewer unknowns than the node set (operators.hpp).
#include <dtpinn/rbffd/operators.hpp>

namespace dtpinn::rbffd {

nodegen::NodeSet without_ghosts(const nodegen::NodeSet& nodes) {
  nodegen::NodeSet out = nodes;
  const auto nc = nodes.n_collocation();
  out.points = nodes.points.topRows(nc);
  out.normals =
      nodes.normals.rows() >= nc ? nodegen::PointMatrix(nodes.normals.topRows(nc)) : nodes.normals;
  out.n_ghost = 0;
  return out;
}

}  // namespace dtpinn::rbffd
