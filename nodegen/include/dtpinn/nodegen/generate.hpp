#pragma once
// Quasi-uniform node generation on any Domain: boundary nodes at spacing h, interior fill at
// spacing h (or a variable h(x)), interior kept >= ~h/2 from the boundary, optional repulsion,
// ghost nodes along the outward normals. Deterministic for a given seed.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <cstdint>
#include <functional>
#include <string>

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
  int repulsion_steps = 0;  ///< a few steps of node repulsion after the fill
  bool ghosts = true;       ///< add one ghost node per boundary node
  /// Ghost offset along the normal, in units of local h; 0 = default_ghost_distance(dim).
  double ghost_distance = 0.0;
};

/// The most nodes generation takes on (a larger n, or an h that implies one, is refused before
/// anything is allocated): about 13 GB of node data and fill fronts, and hours of filling.
inline constexpr Index kMaxNodes = 200'000'000;

/// The default ghost offset, in units of local h: 1.0 in 2D (the paper), 0.5 in 3D. In 3D a
/// ghost layer one h out leaves the boundary rows of the order-p operators a full order short
/// in the max norm (ball, p = 3: 2.1-2.8 instead of 3); at 0.5 h they converge at p (measured
/// over 3 seeds and 7 node counts, tests/rbffd/test_convergence.cpp).
double default_ghost_distance(int dim);

/// Boundary sample + interior fill + ghosts, in the NodeSet ordering. Throws
/// std::invalid_argument on impossible requests (n < 10, h <= 0 or too small for memory).
NodeSet generate_nodes(const Domain& domain, const FillOptions& options);

/// Interior fill around a given boundary sample (CAD imports bring their own boundary nodes).
/// `h` is the spacing; options.h and options.n are ignored, spacing_factor, seed,
/// repulsion_steps, ghosts and ghost_distance apply. Works for any Domain (only contains(),
/// the bounding box and dim() are used). Interior nodes keep >= h(x) from every boundary node,
/// so they stay >= ~h/2 from the boundary surface when the boundary nodes are at spacing <= ~h.
NodeSet fill_domain(const Domain& domain, const BoundarySample& boundary, double h,
                    const FillOptions& options);

/// Appends one ghost per boundary node at distance factor * (local spacing) along its normal,
/// replacing any ghosts already there. factor 0 = default_ghost_distance(nodes.dim).
void add_ghost_nodes(NodeSet& nodes, double distance_factor = 0.0);

/// The smallest ghost offset, in units of local h, that add_ghost_nodes(..., domain, ...) comes
/// down to where a feature is thinner than the requested offset (or the requested factor, if
/// smaller). Stencils with a ghost this close to its boundary node are still accurate: the
/// command line accepts ghost distances down to 0.05 (request.hpp, kMinGhostDistance).
inline constexpr double kGhostFloor = 0.1;

/// As above, with each ghost kept outside `domain` and apart from the other nodes: ghost k is
/// placed at the first of the distances d0, 0.8 d0, 0.64 d0, ... (down to the floor
/// min(kGhostFloor, f) h; h the local spacing of boundary node k) at which it lies outside the
/// domain, the segment from its boundary node to it does too (so it does not cross a thin
/// part and come out beyond it), and no collocation node or earlier ghost lies closer than half
/// that distance. d0 = f h, or, where the ray along the normal comes back into the domain
/// within 2 f h (a thin part of the outside), a third of the way across, so that the ghosts
/// of the two sides keep apart. Where no such distance exists (a part, slot or gap thinner than the
/// floor) it throws std::runtime_error "a feature thinner than ... near (x, y)"; a normal pointing
/// into the domain is named as such. `spacing(p)` gives the local h; empty = distance from the
/// boundary node to its nearest other collocation node. factor 0 = the default for the dim.
void add_ghost_nodes(
    NodeSet& nodes, const Domain& domain, double distance_factor,
    const std::function<double(const Eigen::Ref<const Eigen::VectorXd>&)>& spacing = {});

/// Spacing h whose uniform fill gives about n = Ni + Nb nodes (a first guess from the volume
/// and boundary measure; generate_nodes() refines it by regenerating).
double spacing_for_count(const Domain& domain, Index n);

/// Optional repulsion steps on the interior nodes (boundary and ghosts fixed); moves that would
/// leave the domain or come closer than h/2 to a boundary node are dropped. Deterministic.
void relax_nodes(
    NodeSet& nodes, const Domain& domain, double h, int steps,
    const std::function<double(const Eigen::Ref<const Eigen::VectorXd>&)>& spacing_factor = {});

/// One-call convenience: make_shape(shape) (see shapes.hpp) filled with about n nodes
/// (Ni + Nb within 5%), ghosts added if `ghosts` at ghost_distance local spacings (0: the
/// default for the dimension). Throws std::invalid_argument on an unknown
/// shape or n < 10.
NodeSet make_nodes(const std::string& shape, Index n, std::uint64_t seed = 0, bool ghosts = true,
                   double ghost_distance = 0.0);

}  // namespace dtpinn::nodegen
