#pragma once
// What the node set's geometry does to a stencil, from the nodes alone (points, boundary
// normals, kinds): rbffd is given no domain, so the boundary is known only through its nodes and
// their outward normals. Private to dtpinn_rbffd (assemble.cpp).
//
// Visibility. A stencil takes only nodes visible from its centre through the domain, so the two
// sides of a slot, a crack or a thin notch do not couple. The segment from the centre x to a
// candidate s is blocked when it leaves the domain through one wall and comes back through a
// wall facing it: there are boundary nodes a and b with
//   - the segment crossing a's tangent plane outwards (n_a.(x - a) <= 0 < n_a.(s - a)) at a point
//     within one local spacing of a,
//   - the segment crossing b's tangent plane inwards (n_b.(x - b) > 0 >= n_b.(s - b)) at a point
//     within one local spacing of b, after the first crossing,
//   - the walls facing each other: n_a . n_b < kFacingCosine (the gap between them opens by less
//     than 60 degrees).
// A ghost node is visible exactly when its boundary node is (a ghost of the far side of a slot
// lies in the slot, in front of the far wall). Walls meeting at a convex or re-entrant corner
// (box edges, the L-shape's notch: normals 90 degrees apart) are not facing, and a thin plate's
// two faces are back to back (the segment between them stays inside): neither blocks anything.
// Only stencils whose nearest nodes include two facing boundary nodes are examined at all, so on
// shapes without narrow gaps (disk, box, ball, rectangle, annulus) every stencil, and so every
// operator, is the plain n-nearest one, bit for bit.
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dtpinn::rbffd::detail {

/// Normals of two boundary walls whose dot product is below this face each other across a gap.
inline constexpr double kFacingCosine = -0.5;
/// Candidates examined for a visible stencil of n nodes: kCandidateFactor * n, then
/// kWideCandidateFactor * n before giving up.
inline constexpr int kCandidateFactor = 3;
inline constexpr int kWideCandidateFactor = 10;

/// A boundary node as a wall: its point and one outward normal (the node's own, or at a corner
/// or edge listed in NodeSet::corners, each side's).
struct Wall {
  nodegen::Index node = 0;
  const double* normal = nullptr;
};

/// Per-thread workspace of the visibility filter (no allocation after the first rows).
struct VisibilityWorkspace {
  struct Crossing {
    double t;          ///< where along the segment, 0..1
    std::size_t wall;  ///< which of `walls`
  };
  std::vector<std::int32_t> idx, kept, nodes;
  std::vector<Wall> walls;
  std::vector<double> dist2, kept_dist2, spacing;
  std::vector<Crossing> exits, entries;
};

/// The outcome of filtering one stencil.
struct VisibilityResult {
  bool changed = false;  ///< some of the n nearest were invisible and were replaced
  bool refused = false;  ///< fewer than n visible nodes among the widest candidate set
  std::string narrow;    ///< refused: "near (x, y) (a gap of W between its walls)"
  int visible = 0;       ///< refused: visible nodes found
  int candidates = 0;    ///< refused: candidates examined
};

class Visibility {
 public:
  /// The filter over `nodes` (boundary normals required when Nb > 0) and its k-d tree.
  Visibility(const nodegen::NodeSet& nodes, const nodegen::KnnIndex& tree);

  /// idx/dist2 hold the n nearest nodes of x (nearest first, capacity n). If two facing
  /// boundary walls show among them, replaces them by the n nearest visible nodes (still nearest
  /// first). `centre`: the node at x, or -1. Thread-safe (const) with one workspace per thread.
  VisibilityResult filter(const double* x, nodegen::Index centre, int n, std::int32_t* idx,
                          double* dist2, VisibilityWorkspace& ws) const;

  /// Where a failed stencil sits, in words, when the geometry explains it: "a feature thinner
  /// than ... near (x, y)" (two boundary walls back to back closer than 2 local spacings) or "a
  /// sharp tip (about A degrees) at (x, y)"; "" when nothing stands out. idx: the n nodes of the
  /// stencil of x.
  std::string explain_failure(const double* x, const std::int32_t* idx, int n) const;
  /// "ghost node 12 and boundary node 40 lie only 1e-05 apart ..." when two nodes of the
  /// stencil are a hundred times closer than its centre's spacing; "" otherwise.
  std::string nearly_coincident(const std::int32_t* idx, int n) const;

 private:
  /// The boundary node of node i (itself, or a ghost's boundary node), or -1 for interior.
  nodegen::Index wall_of(nodegen::Index i) const;
  bool has_facing_walls(const std::int32_t* idx, int n, VisibilityWorkspace& ws) const;
  /// The walls of the distinct boundary nodes behind idx[0 .. k) into ws.walls (without
  /// spacings: has_facing_walls needs none).
  void gather_walls(const std::int32_t* idx, int k, VisibilityWorkspace& ws) const;
  /// gather_walls, and each wall's local spacing into ws.spacing.
  void collect_walls(const std::int32_t* idx, int k, VisibilityWorkspace& ws) const;
  /// Whether the segment x -> s crosses out through one wall and back in through a facing one;
  /// if so and `where` is set, the midpoint and gap of the two walls.
  bool blocked(const double* x, const double* s, VisibilityWorkspace& ws, std::string* where) const;
  double dot(const Wall& a, const Wall& b) const;
  /// n . (p - b) for wall (b, n).
  double height(const Wall& w, const double* p) const;

  const nodegen::NodeSet& nodes_;
  const nodegen::KnnIndex& tree_;
  int dim_;
  bool active_;  ///< boundary nodes with normals exist: otherwise every stencil is the nearest
};

}  // namespace dtpinn::rbffd::detail
