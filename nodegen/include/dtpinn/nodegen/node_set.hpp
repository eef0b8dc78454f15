#pragma once
// A node cloud for RBF-FD and PINN training: interior, boundary and ghost nodes.
//
// Node ordering (fixed, relied on by rbffd/ and core/): all interior nodes first, then all
// boundary nodes, then all ghost nodes, so indices are
//   interior  [0, Ni),  boundary [Ni, Ni + Nb),  ghost [Ni + Nb, Ni + 2 Nb)
// and ghost k (index Ni + Nb + k) belongs to boundary node k (index Ni + k). Ghost nodes are
// optional (Ng = 0 or Ng = Nb). Units are the domain's own (no scaling is applied here).
#include <Eigen/Core>

#include <cstdint>
#include <string>

namespace dtpinn::nodegen {

using Index = std::int64_t;

/// N x d coordinates, one node per row (row-major, so a row is a contiguous point and the block
/// maps directly onto an N x d LibTorch tensor).
using PointMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class NodeKind : std::uint8_t { interior = 0, boundary = 1, ghost = 2 };

const char* to_string(NodeKind kind);

struct NodeSet {
  int dim = 2;           ///< spatial dimension, 2 or 3
  PointMatrix points;    ///< N x dim, ordered as described above
  PointMatrix normals;   ///< N x dim outward unit normals; zero rows for interior nodes,
                         ///< a ghost carries the normal of its boundary node
  Index n_interior = 0;  ///< Ni
  Index n_boundary = 0;  ///< Nb
  Index n_ghost = 0;     ///< Ng, 0 or Nb

  Index size() const { return n_interior + n_boundary + n_ghost; }
  /// Ni + Nb: the nodes where the PDE or the boundary condition is imposed (rows of L).
  Index n_collocation() const { return n_interior + n_boundary; }
  Index boundary_begin() const { return n_interior; }
  Index ghost_begin() const { return n_interior + n_boundary; }
  NodeKind kind(Index i) const {
    return i < n_interior ? NodeKind::interior
                          : (i < n_interior + n_boundary ? NodeKind::boundary : NodeKind::ghost);
  }
  /// Throws std::invalid_argument with a one-line reason if shapes, counts or normals are
  /// inconsistent, or any coordinate is not finite.
  void validate() const;
};

}  // namespace dtpinn::nodegen
