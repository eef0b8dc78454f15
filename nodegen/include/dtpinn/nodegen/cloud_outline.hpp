#pragma once
// 2D boundary clouds made into outlines: the points are joined into closed curves, a smooth
// curve is fitted through each, and the result is a PolylineDomain (surface_domain.hpp) whose
// exact even-odd inside test, arc-length sampling and edge normals stand for the cloud.
//
//  1. Order: the NN-crust of Dey & Kumar (1999): every point is joined to its nearest
//     neighbour and to its nearest neighbour on the other side (the nearest point q with
//     (q - p) . (n1 - p) < 0, n1 its nearest neighbour). For a curve sampled finely enough
//     against its local feature size (also non-uniformly: cosine-clustered airfoils, ...) every
//     point then has exactly two neighbours and the edges form the closed curves. No
//     propagation across gaps: two walls 2 spacings apart stay two curves.
//  2. Fit: a centripetal Catmull-Rom spline (Yuksel, Schaefer & Keyser 2011: no cusps or
//     self-intersections within a segment, also with very unequal point spacing) through the
//     points of each curve; where the curve turns by more than the corner angle at a point the
//     point is kept as a corner (the spline arrives and leaves along the chords).
//  3. Densify: each spline segment becomes a polyline of sub-edges no longer than a sixteenth
//     of the mean point spacing (the sagitta is then ~1e-4 of it), so that sampling the
//     polyline at spacing h gives nodes on the fitted curve and normals within a fraction of a
//     degree of its normals.
// Units are the cloud's own; deterministic.
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/nodegen/surface_domain.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

/// A turn of more than this many degrees at a cloud point makes it a corner of the fitted curve.
inline constexpr double kCloudCornerDeg = 40.0;

/// The closed curves through a 2D point set, as point indices in order around each curve (the
/// order says nothing yet about orientation). Throws std::runtime_error "`name`: ... near
/// (x, y)" when a point has not exactly two curve neighbours (the cloud is too sparse there
/// for the part's thickness, or the outline crosses itself) or a curve has fewer than 3 points.
/// `point_ref(i)` names point i in messages ("FILE:LINE"); empty: "point i+1".
std::vector<std::vector<Index>> order_cloud_loops(
    const PointMatrix& points, const std::string& name,
    const std::function<std::string(Index)>& point_ref = {});

/// The fitted closed curves: dense polylines (K x 2 each, in the order of `loops`), and for
/// each dense vertex the cloud point nearest to it along the curve (to carry parts).
struct FittedCurves {
  std::vector<PointMatrix> loops;
  std::vector<std::vector<Index>> source;
  double length = 0.0;  ///< total length of the fitted curves
};

/// Fits the curves through `points` in the order of `loops` (order_cloud_loops).
FittedCurves fit_closed_curves(const PointMatrix& points,
                               const std::vector<std::vector<Index>>& loops,
                               double corner_deg = kCloudCornerDeg);

/// The outline of a 2D boundary cloud (order, fit, densify, as above) as a PolylineDomain with
/// the cloud's parts: a curve's stretch takes the part of the cloud point nearest along it;
/// `part` empty: each curve is a part (PolylineDomain's names: boundary, or outer, hole1, ...,
/// the curves in the order of their bounding boxes' areas, largest first).
/// `mean_spacing` (optional out): the fitted curves' length over the point count, the spacing
/// the same number of points would have spread evenly. Throws std::runtime_error naming the
/// place for a cloud that cannot be joined into simple closed curves.
std::shared_ptr<PolylineDomain> cloud_outline_domain(
    const PointMatrix& points, const std::string& name, const std::vector<std::int32_t>& part = {},
    const std::vector<std::string>& part_names = {}, double* mean_spacing = nullptr,
    const std::function<std::string(Index)>& point_ref = {});

/// The outward unit normal of the fitted outline at each cloud point (N x 2): for checking the
/// normals a file gives against the fitted curves.
PointMatrix outline_normals_at(const PolylineDomain& outline, const PointMatrix& points);

}  // namespace dtpinn::nodegen
