#include <dtpinn/nodegen/node_set.hpp>

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace dtpinn::nodegen {

const char* to_string(NodeKind kind) {
  switch (kind) {
    case NodeKind::interior:
      return "interior";
    case NodeKind::boundary:
      return "boundary";
    case NodeKind::ghost:
      return "ghost";
  }
  return "unknown";
}

void NodeSet::validate() const {
  auto fail = [](const std::string& why) { throw std::invalid_argument("node set: " + why); };
  if (dim != 2 && dim != 3) fail(fmt::format("dimension must be 2 or 3, got {}", dim));
  if (n_interior < 0 || n_boundary < 0 || n_ghost < 0) fail("negative node count");
  if (n_ghost != 0 && n_ghost != n_boundary)
    fail(fmt::format("ghost count {} must be 0 or the boundary count {}", n_ghost, n_boundary));
  if (points.rows() != size() || points.cols() != dim)
    fail(
        fmt::format("points are {}x{}, expected {}x{}", points.rows(), points.cols(), size(), dim));
  if (normals.rows() != size() || normals.cols() != dim)
    fail(fmt::format("normals are {}x{}, expected {}x{}", normals.rows(), normals.cols(), size(),
                     dim));
  for (Index i = 0; i < size(); ++i) {
    if (!points.row(i).allFinite()) fail(fmt::format("node {} has a non-finite coordinate", i));
    if (!normals.row(i).allFinite()) fail(fmt::format("node {} has a non-finite normal", i));
    if (i >= n_interior) {
      const double len = normals.row(i).norm();
      if (std::abs(len - 1.0) > 1e-6)
        fail(fmt::format("{} node {} has a normal of length {:.6g}, expected 1", to_string(kind(i)),
                         i, len));
    }
  }
  for (Index k = 0; k < n_ghost; ++k) {
    const Index b = n_interior + k, g = n_interior + n_boundary + k;
    if ((points.row(g) - points.row(b)).norm() == 0.0)
      fail(fmt::format("ghost node {} coincides with its boundary node {}", g, b));
  }
}

}  // namespace dtpinn::nodegen
