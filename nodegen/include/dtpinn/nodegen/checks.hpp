#pragma once
// Checks of what a node file or a boundary cloud can get wrong that its format cannot show:
// normals that do not fit the boundary, interior nodes outside the domain, outlines that cross
// themselves (a 2D boundary cloud that crosses or touches itself is refused where its points are
// joined into curves, cloud_outline.hpp). read_nodes (node_io.hpp) and import_nodes (import.hpp)
// run them, so `dtpinn nodes`, `operators` and `train` refuse such input with the node named
// instead of assembling stencils with weights of 1e8 or placing ghosts inside the domain.
//
// Each check returns the first offending node (NodeProblem) and a one-line reason; the caller
// adds the file and line. The thresholds are chosen so that every generated shape and every
// file under data/geometry passes (tests/nodegen/test_checks.cpp).
#include <dtpinn/nodegen/node_set.hpp>

#include <string>

namespace dtpinn::nodegen {

/// A given normal more than this many degrees off the boundary's normal estimated by PCA of its
/// k nearest boundary points (8 in 2D, 12 in 3D) is refused. Only points whose neighbourhood is
/// flat are judged: smallest covariance eigenvalue <= kFlatRatio * the next one (a 2D right
/// corner has a ratio of 0.25, a 3D edge or corner more: PCA says nothing there).
inline constexpr double kMaxNormalAngleDeg = 45.0;
inline constexpr double kFlatRatio = 0.05;

/// An interior node is outside the domain when it lies more than kOutsideBoxMargin boundary
/// spacings (median nearest-neighbour distance of the boundary nodes) outside the boundary
/// nodes' bounding box, or when its implicit signed distance to the boundary nodes (the
/// inverse-square-distance weighted mean of n_i . (p - x_i) over its 4 (2D) or 8 (3D) nearest
/// boundary nodes, as BoundaryCloudDomain) exceeds kOutsideDistance boundary spacings.
/// Interior nodes near a re-entrant corner reach about +0.5 spacing; a node well outside
/// reaches its distance from the boundary.
inline constexpr double kOutsideBoxMargin = 0.5;
inline constexpr double kOutsideDistance = 1.0;

/// The first offending node or point and why (one line, naming the node and its coordinates);
/// node < 0: no problem.
struct NodeProblem {
  Index node = -1;
  Index other = -1;  ///< a second node or point involved (the other crossing segment), or -1
  std::string reason;
  explicit operator bool() const { return node >= 0; }
};

/// "(1.5, -2)": coordinates for messages.
std::string point_text(const PointMatrix& points, Index i);

/// Given normals against PCA estimates (kMaxNormalAngleDeg, kFlatRatio above): the first point
/// whose normal is too far off, with the count of such points. Unsigned: a flipped normal
/// passes (orientation is check_normals's job, cloud.hpp).
NodeProblem check_normal_directions(const PointMatrix& points, const PointMatrix& normals);

/// A labelled node set (a node file, an imported labelled cloud; validated): boundary normals
/// against the boundary (direction as above; flipped: more than 120 degrees from the normals of
/// at least 3/4 of the neighbours beside it, among its k nearest boundary nodes, |n . d| <=
/// 0.5 |d|, so that a thin wall's other side does not count; all pointing inward), then every
/// interior node inside (kOutsideBoxMargin, kOutsideDistance). Sets with fewer than 2 d + 1
/// boundary nodes skip the neighbourhood checks.
NodeProblem check_node_set(const NodeSet& nodes);

/// Points that, joined in order and closed, follow each other around an outline (every step at
/// most 3 times the larger nearest-neighbour distance of its two ends) but cross themselves:
/// the crossing point; `node` and `other` start the two segments that cross.
/// Returns no problem for a simple outline or for points that are not in outline order.
NodeProblem find_outline_crossing(const PointMatrix& points);

}  // namespace dtpinn::nodegen
