#pragma once
// The shape library: analytic 2D and 3D domains implementing Domain.
//
// 2D domains are bounded by closed loops of smooth curve pieces. Each piece is a map
// t in [0, 1] -> R^2 with its derivative; the outward normal of a piece is its tangent turned
// clockwise, (x'(t), y'(t)) -> (y', -x') / |.|, so outer loops run counter-clockwise and hole
// loops clockwise. Boundary nodes are placed at equal arc-length steps on every piece (arc
// length inverted numerically to ~1e-13 relative), every corner (where two pieces meet) carries
// one node whose normal is the normalised sum of the two adjacent normals. Points are evaluated
// on the exact curve, so for analytic shapes they lie on the boundary to rounding error.
//
// Boundary parts (named sides, see NodeSet): each piece of a loop names its part. A node
// where two pieces meet (a corner) belongs to the piece that STARTS there in loop order (outer
// loops counter-clockwise), e.g. the rectangle's corner (lo.x, lo.y) is `bottom`, (hi.x, lo.y)
// `right`, (hi.x, hi.y) `top`, (lo.x, hi.y) `left`; so every node of a side lies on that side's
// line, and its normal is the side's normal except at that one start corner (the bisector).
// The box's edge and corner nodes belong to the first of its faces they lie on, in the order
// left right front back bottom top (x-, x+, y-, y+, z-, z+).
// Part names per shape: rectangle, square: left right bottom top (x = lo, x = hi, y = lo,
// y = hi); box, cube: left right front back bottom top; annulus, disk_with_hole: outer inner;
// lshape: bottom (y = -1), right (x = 1), notch_bottom (y = 0, 0 < x < 1), notch_left (x = 0,
// 0 < y < 1), top (y = 1), left (x = -1); disk, star, ball, polygon, parametric: boundary.
//
// Units are the shapes' own; nothing is rescaled.
#include <dtpinn/nodegen/domain.hpp>

#include <Eigen/Core>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dtpinn::nodegen {

/// One smooth piece of a 2D boundary loop: position and derivative for t in [0, 1], and the
/// boundary part it belongs to ("" = the default part "boundary").
struct CurvePiece {
  std::function<Eigen::Vector2d(double)> point;
  std::function<Eigen::Vector2d(double)> derivative;
  std::string part;
};

/// A closed loop: pieces in order, the end of piece i is the start of piece i+1 (mod count).
using CurveLoop = std::vector<CurvePiece>;

/// A 2D domain bounded by closed loops. `inside` is the exact membership test when the shape
/// knows one; otherwise (empty) a winding-number test against a fine polygonal approximation
/// of the loops (1e-7 relative) is used. `part_order` fixes the order of the part table; empty:
/// the pieces' part names in order of first appearance. Throws std::invalid_argument for an
/// invalid part name or a piece whose part is missing from a given `part_order`.
class CurveDomain2D : public Domain {
 public:
  CurveDomain2D(std::vector<CurveLoop> loops, std::string description,
                std::function<bool(const Eigen::Vector2d&)> inside = {},
                std::vector<std::string> part_order = {});
  int dim() const override { return 2; }
  Eigen::VectorXd bbox_min() const override { return bmin_; }
  Eigen::VectorXd bbox_max() const override { return bmax_; }
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override;
  BoundarySample sample_boundary(double h, std::mt19937_64& rng) const override;
  double volume() const override { return area_; }
  double boundary_measure() const override { return perimeter_; }
  std::string describe() const override { return description_; }

  /// Distance from p to the boundary polyline approximation (accuracy ~1e-7 relative); used by
  /// tests and by ghost placement checks.
  double boundary_distance(const Eigen::Vector2d& p) const;
  const std::vector<CurveLoop>& loops() const { return loops_; }
  /// The part table of the boundary samples.
  const std::vector<std::string>& part_names() const { return part_names_; }

 private:
  std::vector<CurveLoop> loops_;
  std::vector<std::string> part_names_;
  std::vector<std::vector<std::int32_t>> piece_part_;  // part index per piece per loop
  std::string description_;
  std::function<bool(const Eigen::Vector2d&)> inside_;
  std::vector<std::vector<double>> piece_length_;  // arc length per piece per loop
  std::vector<Eigen::Vector2d> poly_;              // fine polygon of all loops (for fallbacks)
  std::vector<int> poly_loop_start_;
  // Edges of poly_ bucketed by horizontal bands, so a fallback parity test costs O(edges in
  // one band) instead of O(all edges).
  std::vector<std::vector<std::pair<int, int>>> bands_;
  double band_y0_ = 0.0, band_dy_ = 1.0;
  Eigen::VectorXd bmin_, bmax_;
  double area_ = 0.0, perimeter_ = 0.0;
};

// ---- 2D shapes -------------------------------------------------------------------------
/// Disk of radius r around c.
DomainPtr make_disk(const Eigen::Vector2d& center = Eigen::Vector2d::Zero(), double radius = 1.0);
/// Annulus r_in < |x - c| < r_out.
DomainPtr make_annulus(const Eigen::Vector2d& center, double r_inner, double r_outer);
/// Axis-aligned rectangle [lo, hi].
DomainPtr make_rectangle(const Eigen::Vector2d& lo, const Eigen::Vector2d& hi);
/// L-shape: the square [-1, 1]^2 minus the quadrant (0, 1] x (0, 1], scaled by `size`/2.
DomainPtr make_lshape(double size = 2.0);
/// Star r(t) = r0 + a cos(k t), t in [0, 2 pi), around c. Requires 0 < a < r0, k >= 1.
DomainPtr make_star(double r0 = 1.0, double a = 0.3, int k = 5,
                    const Eigen::Vector2d& center = Eigen::Vector2d::Zero());
/// Simple polygon from vertices (rows, n x 2; the closing edge is implicit; a repeated first
/// vertex at the end is dropped). Throws std::invalid_argument for fewer than 3 vertices,
/// zero area, repeated consecutive vertices or self-intersection. Orientation is normalised.
DomainPtr make_polygon(const Eigen::MatrixX2d& vertices);
/// Closed parametric curve x(t), t in [t0, t1]. If `derivative` is empty a fourth-order
/// central difference is used. The curve must be simple and closed (x(t0) == x(t1) to 1e-9
/// relative); either orientation. Throws std::invalid_argument otherwise.
DomainPtr make_parametric(std::function<Eigen::Vector2d(double)> curve, double t0, double t1,
                          std::function<Eigen::Vector2d(double)> derivative = {},
                          std::string description = "parametric curve");
/// outer minus holes. Holes must lie inside outer and be disjoint (checked on boundary
/// samples); the hole boundaries join the boundary with flipped normals. Parts: the outer's
/// parts, then each hole's. A domain with only the default part "boundary" is renamed: the
/// outer to "outer", a single hole to "inner", several holes to "hole1", "hole2", ... (in the
/// order given). A hole's named part whose name is already taken becomes "holeK_<name>".
DomainPtr make_difference(DomainPtr outer, std::vector<DomainPtr> holes);

// ---- 3D shapes -------------------------------------------------------------------------
/// Ball of radius r around c; boundary nodes on a Fibonacci sphere at spacing ~h.
DomainPtr make_ball(const Eigen::Vector3d& center = Eigen::Vector3d::Zero(), double radius = 1.0);
/// Axis-aligned box [lo, hi]; boundary: edges at spacing h, each face filled by a 2D
/// advancing front from its edges; edge and corner normals are normalised sums.
DomainPtr make_box(const Eigen::Vector3d& lo, const Eigen::Vector3d& hi);

// ---- factory ---------------------------------------------------------------------------
/// Shapes by name with default parameters:
///  disk (unit disk), annulus (0.5 < r < 1), rectangle ([0,2]x[0,1]), square ([-1,1]^2),
///  lshape ([-1,1]^2 minus (0,1]^2), star (r = 1 + 0.3 cos 5t: the paper gives no parameters),
///  disk_with_hole (unit disk minus disk r = 0.3 at (0.3, 0.2)), ball (unit ball),
///  box ([-1,1]^3), cube (alias of box).
/// Throws std::invalid_argument listing the known names for anything else.
DomainPtr make_shape(const std::string& name);
std::vector<std::string> shape_names();

}  // namespace dtpinn::nodegen
