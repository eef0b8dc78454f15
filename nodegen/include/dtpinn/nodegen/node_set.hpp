#pragma once
// A node cloud for RBF-FD and PINN training: interior, boundary and ghost nodes.
//
// Node ordering (fixed, relied on by rbffd/ and core/): all interior nodes first, then all
// boundary nodes, then all ghost nodes, so indices are
//   interior  [0, Ni),  boundary [Ni, Ni + Nb),  ghost [Ni + Nb, Ni + 2 Nb)
// and ghost k (index Ni + Nb + k) belongs to boundary node k (index Ni + k). Ghost nodes are
// optional (Ng = 0 or Ng = Nb). Units are the domain's own (no scaling is applied here).
//
// Boundary parts: the boundary is split into named parts (a shape's sides, a CAD file's solids
// or groups, the loops of an outline), on which a run puts its boundary conditions. The parts
// are data on the nodes, as the kinds are: `part_names` is the table, `boundary_part[k]` the
// part of boundary node Ni + k; a ghost is in its boundary node's part. An empty
// `boundary_part` means every boundary node is in part 0 (the default table is {"boundary"}).
//
// Corners and edges: where the boundary is not smooth (a 2D corner where two sides meet, a 3D
// edge or corner of a box or of a mesh's crease), a boundary node has several one-sided
// normals, one per side. Its `normals` row is then their normalised sum (the bisector), which
// places its ghost; `corners` lists such nodes with each side's part and exact normal, so that
// a boundary condition can use the normal of the side it belongs to. The table is optional:
// empty when the node set's source did not know its corners (a point cloud, an older node file).
#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

using Index = std::int64_t;

/// N x d coordinates, one node per row (row-major, so a row is a contiguous point and the block
/// maps directly onto an N x d LibTorch tensor).
using PointMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class NodeKind : std::uint8_t { interior = 0, boundary = 1, ghost = 2 };

const char* to_string(NodeKind kind);

/// One side of a boundary corner or edge: a part meeting there and its outward unit normal at
/// the node (the first dim entries).
struct CornerSide {
  std::int32_t part = 0;
  std::array<double, 3> normal{};
};

/// A boundary node where the boundary has a corner or an edge: the sides meeting there.
struct BoundaryCorner {
  Index boundary = 0;             ///< k: boundary node Ni + k
  std::vector<CornerSide> sides;  ///< 2 or more, in the order the source met them
};

struct NodeSet {
  int dim = 2;           ///< spatial dimension, 2 or 3
  PointMatrix points;    ///< N x dim, ordered as described above
  PointMatrix normals;   ///< N x dim outward unit normals; zero rows for interior nodes,
                         ///< a ghost carries the normal of its boundary node
  Index n_interior = 0;  ///< Ni
  Index n_boundary = 0;  ///< Nb
  Index n_ghost = 0;     ///< Ng, 0 or Nb
  /// Names of the boundary parts: at least one, unique, each a valid part name (below).
  std::vector<std::string> part_names{std::string(kDefaultPartName)};
  /// Nb entries in [0, part_names.size()), or empty (every boundary node in part 0).
  std::vector<std::int32_t> boundary_part;
  /// The boundary nodes at corners and edges (above), in increasing `boundary`, each once; may
  /// be empty.
  std::vector<BoundaryCorner> corners;

  Index size() const { return n_interior + n_boundary + n_ghost; }
  /// Ni + Nb: the nodes where the PDE or the boundary condition is imposed (rows of L).
  Index n_collocation() const { return n_interior + n_boundary; }
  Index boundary_begin() const { return n_interior; }
  Index ghost_begin() const { return n_interior + n_boundary; }
  NodeKind kind(Index i) const {
    return i < n_interior ? NodeKind::interior
                          : (i < n_interior + n_boundary ? NodeKind::boundary : NodeKind::ghost);
  }
  /// The part of boundary node Ni + k, k in [0, Nb).
  std::int32_t part_of_boundary(Index k) const {
    return boundary_part.empty() ? 0 : boundary_part[static_cast<std::size_t>(k)];
  }
  /// Index of the part called `name`, or -1.
  int find_part(const std::string& name) const;
  /// Boundary nodes in each part (part_names.size() entries; a part may hold none).
  std::vector<Index> part_counts() const;
  /// The corner entry of boundary node Ni + k, or null (binary search in `corners`).
  const BoundaryCorner* corner_of(Index k) const;
  /// Throws std::invalid_argument with a one-line reason if shapes, counts, normals, parts or
  /// corners are inconsistent, or any coordinate is not finite.
  void validate() const;

  static constexpr const char* kDefaultPartName = "boundary";
};

/// True if `name` can name a part: 1 to 64 characters from [A-Za-z0-9_.-], starting with a
/// letter or digit (so it is a word in a CSV column, a PLY comment and a TOML string alike).
bool is_valid_part_name(const std::string& name);

/// A part name made from a name found in a file (an STL solid, an OBJ group): every character
/// outside [A-Za-z0-9_.-] becomes '_', leading characters that are not a letter or digit are
/// dropped, and the result is cut to 64 characters; "" when nothing is left
/// ("Body 1" -> "Body_1", "  " -> "").
std::string sanitize_part_name(const std::string& raw);

/// "left 40, right 40, bottom 80, top 80": each part with its boundary node count, in table
/// order (for terminal reports).
std::string part_summary(const NodeSet& nodes);

}  // namespace dtpinn::nodegen
