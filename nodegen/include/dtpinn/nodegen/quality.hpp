#pragma once
// Quality of a node set: counts, separation, fill distance and the nearest-neighbour spacing
// distribution of the collocation nodes (interior + boundary; ghosts are excluded), where the
// worst spots are, and the gate `nodes`, `solve` and `train` apply to it (quality_problem).
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <string>

namespace dtpinn::nodegen {

struct QualityReport {
  int dim = 2;
  Index n_interior = 0, n_boundary = 0, n_ghost = 0;
  /// min over collocation nodes of the distance to the nearest other collocation node
  double min_separation = 0.0;
  /// the two collocation nodes that are min_separation apart (dim coordinates each)
  Eigen::VectorXd closest_a, closest_b;
  /// estimated max over the domain of the distance to the nearest collocation node: random
  /// samples over the domain's bounding box, those the domain's inside test keeps, the largest
  /// few then climbed to a local maximum; only when a Domain was given
  bool has_fill_distance = false;
  double max_fill_distance = 0.0;
  /// where the fill distance is reached: the centre of the largest empty disk / ball
  Eigen::VectorXd emptiest;
  /// max_fill_distance / min_separation (about 1 for a good quasi-uniform set)
  double ratio = 0.0;
  /// nearest-neighbour distance distribution over the collocation nodes
  double nn_min = 0, nn_p05 = 0, nn_median = 0, nn_p95 = 0, nn_max = 0, nn_mean = 0;
  /// the set's spacing h: nn_median (the gate measures separations against it)
  double spacing() const { return nn_median; }
  /// min over ghosts of the distance to the nearest collocation node (0 if no ghosts), and
  /// that ghost's position
  double ghost_min_distance = 0.0;
  Eigen::VectorXd ghost_closest;
  /// ghosts the domain's inside test takes for inside (only when a Domain was given), and the
  /// first of them
  Index ghosts_inside = 0;
  Eigen::VectorXd ghost_inside;

  /// A part of the domain too thin for interior nodes (a plate, a fin, a thin wall): boundary
  /// nodes with no interior node within 2 h whose nearest boundary node straight across the
  /// domain is closer than kThinPart h, in a group of at least 4 whose widths agree (parallel
  /// sides; the widening sides of a wedge's tip do not count). Its median width (0: none) and
  /// the node of the group nearest its centre. Stencils there lie on the few lines or planes of
  /// the two sides and their ghosts, and cannot be solved for.
  double thin_part = 0.0;
  Eigen::VectorXd thin_part_at;
  static constexpr double kThinPart = 2.2;

  /// A few lines for the terminal / a sidecar file (no NaN: "n/a" where unknown), with where
  /// the closest nodes and the largest empty spot are.
  std::string to_string() const;
  /// The same as a flat JSON object (coordinates as arrays).
  std::string to_json() const;
};

/// `domain` may be null (then no fill distance and no ghost inside test). `samples` random
/// points estimate the fill distance; deterministic for `seed`.
QualityReport assess_quality(const NodeSet& nodes, const Domain* domain = nullptr,
                             Index samples = 20000, std::uint64_t seed = 12345);

/// The bounds of a quasi-uniform node set, the gate of `nodes`, `solve` and `train` (RBF-FD's
/// accuracy rests on them; a generated or resampled set is at 1.1-1.6 and >= 0.5):
struct QualityLimits {
  double max_ratio = 3.0;        ///< fill distance / min separation
  double min_separation = 0.25;  ///< min separation / h (h = median nearest-neighbour distance)
  /// ghost distance to the nearest collocation node / h: half the smallest ghost offset the
  /// command line accepts (kMinGhostDistance, request.hpp)
  double min_ghost_distance = 0.025;
};

/// "" when `q` is within `limits`, else one line saying which bound is broken and where
/// (coordinates): ghosts inside the domain, a part too thin for interior nodes, a separation
/// below min_separation h, a fill / separation ratio above max_ratio, a ghost too close to a
/// collocation node.
std::string quality_problem(const QualityReport& q, const QualityLimits& limits = {});

}  // namespace dtpinn::nodegen
