#pragma once
// Quality of a node set: counts, separation, fill distance and the nearest-neighbour spacing
// distribution of the collocation nodes (interior + boundary; ghosts are excluded).
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <cstdint>
#include <string>

namespace dtpinn::nodegen {

struct QualityReport {
  int dim = 2;
  Index n_interior = 0, n_boundary = 0, n_ghost = 0;
  /// min over collocation nodes of the distance to the nearest other collocation node
  double min_separation = 0.0;
  /// estimated max over the domain of the distance to the nearest collocation node (random
  /// samples inside the domain); only when a Domain was given
  bool has_fill_distance = false;
  double max_fill_distance = 0.0;
  /// max_fill_distance / min_separation (about 1 for a good quasi-uniform set)
  double ratio = 0.0;
  /// nearest-neighbour distance distribution over the collocation nodes
  double nn_min = 0, nn_p05 = 0, nn_median = 0, nn_p95 = 0, nn_max = 0, nn_mean = 0;
  /// min over ghosts of the distance to the nearest collocation node (0 if no ghosts)
  double ghost_min_distance = 0.0;

  /// A few lines for the terminal / a sidecar file (no NaN: "n/a" where unknown).
  std::string to_string() const;
  /// The same as a flat JSON object.
  std::string to_json() const;
};

/// `domain` may be null (then no fill distance). `samples` random points estimate the fill
/// distance; deterministic for `seed`.
QualityReport assess_quality(const NodeSet& nodes, const Domain* domain = nullptr,
                             Index samples = 20000, std::uint64_t seed = 12345);

}  // namespace dtpinn::nodegen
