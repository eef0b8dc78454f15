#pragma once
// Quasi-uniform node generation on any Domain: boundary nodes at spacing h, interior fill at
// spacing h (or a variable h(x)), interior kept >= ~h/2 from the boundary, optional repulsion,
// ghost nodes along the outward normals. Deterministic for a given seed.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <functional>

namespace dtpinn::nodegen {

struct FillOptions {
  /// Target spacing h (domain units). If 0, derived from n.
  double h = 0.0;
  /// Target total of interior + boundary nodes (used when h == 0); achieved within ~5%.
  Index n = 0;
  /// Optional relative spacing factor s(x) in (0, 1]: local spacing is h * s(x) (finer near a
  /// boundary, for example). Empty means uniform.
  std::function<double(const Eigen::Ref<const Eigen::VectorXd>&)> spacing_factor;
  std::uint64_t seed = 0;
  int repulsion_steps = 0;        ///< a few steps of node repulsion after the fill
  bool ghosts = true;             ///< add one ghost node per boundary node
  double ghost_distance = 1.0;    ///< ghost offset along the normal, in units of local h
};

/// Boundary sample + interior fill + ghosts, in the NodeSet ordering. Throws
/// std::invalid_argument on impossible requests (n < 10, h <= 0 or too small for memory).
NodeSet generate_nodes(const Domain& domain, const FillOptions& options);

/// Interior fill around a given boundary sample (CAD imports bring their own boundary nodes).
/// `h` is the spacing; ghosts per options.
NodeSet fill_domain(const Domain& domain, const BoundarySample& boundary, double h,
                    const FillOptions& options);

/// Appends one ghost per boundary node at distance factor * (local spacing) along its normal,
/// replacing any ghosts already there.
void add_ghost_nodes(NodeSet& nodes, double distance_factor = 1.0);

}  // namespace dtpinn::nodegen
