// Ghost nodes: one per boundary node, outside the domain along its outward normal, apart from the
// other nodes (generate.hpp).
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/knn.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fill_core.hpp"

namespace dtpinn::nodegen {
namespace {

using SpacingFn = std::function<double(const Eigen::Ref<const Eigen::VectorXd>&)>;

// Local spacing of boundary node k: distance to the nearest other collocation node.
std::vector<double> boundary_spacing(const NodeSet& ns) {
  const Index nc = ns.n_collocation();
  KnnIndex tree(ns.points, 0, nc);
  std::vector<double> out(std::size_t(ns.n_boundary));
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index k = 0; k < ns.n_boundary; ++k) {
    tree.nearest(ns.points.row(ns.n_interior + k).data(), 2, idx, d2);
    out[std::size_t(k)] = d2.size() > 1 ? std::sqrt(d2[1]) : 1.0;
  }
  return out;
}

void resize_for_ghosts(NodeSet& ns) {
  const Index nc = ns.n_collocation();
  ns.points.conservativeResize(nc + ns.n_boundary, ns.dim);
  ns.normals.conservativeResize(nc + ns.n_boundary, ns.dim);
  ns.n_ghost = ns.n_boundary;
}

double ghost_factor(double distance_factor, int dim) {
  if (!(distance_factor >= 0) || !std::isfinite(distance_factor))
    throw std::invalid_argument("add_ghost_nodes: distance factor must be > 0 (or 0: default)");
  return distance_factor == 0.0 ? default_ghost_distance(dim) : distance_factor;
}

/// The ghosts of `ns` (already resized for them) inside `domain`'s complement: for boundary
/// node k at p with normal n and spacing h_k, the first distance d = d0, 0.8 d0, ... down to
/// the floor min(kGhostFloor, f) h_k at which p + d n is outside, the segment to it too (three
/// points on it), and no collocation node or earlier ghost lies closer than d / 2; d0 = f h_k,
/// or a third of the way across the outside where the ray comes back into the domain.
/// Samples of the ray along the normal, out to twice the ghost distance, for re-entry.
constexpr int kRaySteps = 16;
/// A ghost in a thin part of the outside stays within this fraction of the way across it: the
/// ghosts of its two sides then keep a third of it apart, more than half their offset.
constexpr double kHalfGap = 1.0 / 3.0;

template <int D>
void place_ghosts(NodeSet& ns, const Domain& domain, double f, const std::vector<double>& h) {
  using V = detail::Vec<D>;
  const Index b0 = ns.boundary_begin(), g0 = ns.ghost_begin(), nc = ns.n_collocation();
  V lo = ns.points.topRows(nc).colwise().minCoeff().transpose();
  V hi = ns.points.topRows(nc).colwise().maxCoeff().transpose();
  std::vector<double> sorted = h;
  std::sort(sorted.begin(), sorted.end());
  const double reach = f * sorted.back(), typical = sorted[sorted.size() / 2];
  const double floor = std::min(kGhostFloor, f);
  detail::PointGrid<D> grid(lo - V::Constant(reach), hi + V::Constant(reach),
                            0.5 * floor * typical);
  for (Index i = 0; i < nc; ++i) grid.insert(ns.points.row(i).transpose());
  auto outside = [&domain](const V& x) { return !domain.contains(x); };
  for (Index k = 0; k < ns.n_boundary; ++k) {
    // Element-wise copies: GCC 12 misreads Eigen's packet loads of a fixed-size vector here.
    V p, n;
    for (int c = 0; c < D; ++c) {
      p[c] = ns.points(b0 + k, c);
      n[c] = ns.normals(b0 + k, c);
    }
    n.normalize();
    const double hk = h[std::size_t(k)];
    // The outside along the normal, up to where the ray re-enters the domain (a thin part of the
    // outside: a slot, a trailing edge): the ghost stays in its nearer third, so that the ghosts
    // of its two sides do not meet.
    double start = f * hk;
    for (int j = 1; j <= kRaySteps; ++j) {
      const double t = 2.0 * f * hk * j / kRaySteps;
      if (!outside(p + t * n)) {
        start = std::min(start, kHalfGap * t);
        break;
      }
    }
    bool placed = false;
    for (double d = std::max(start, floor * hk); d >= floor * hk * (1 - 1e-12);
         d = std::max(0.8 * d, floor * hk)) {
      const V g = p + d * n;
      // Its own boundary node is d away: every other node must be at least d / 2 away.
      if (outside(g) && outside(p + 0.25 * d * n) && outside(p + 0.5 * d * n) &&
          outside(p + 0.75 * d * n) && !grid.any_within(g, 0.5 * d)) {
        for (int c = 0; c < D; ++c) ns.points(g0 + k, c) = g[c];  // element-wise: see below
        placed = true;
        break;
      }
      if (d <= floor * hk) break;
    }
    if (!placed) {
      const std::string at = point_text(ns.points, b0 + k);
      if (!outside(p + floor * hk * n) && outside(p - floor * hk * n))
        throw std::runtime_error(fmt::format(
            "the ghost of the boundary node at {} stays inside the domain: its normal points "
            "inward",
            at));
      throw std::runtime_error(fmt::format(
          "a feature thinner than {:.3g} near {}: the ghost node of the boundary node there "
          "finds no place outside the domain {:.3g} to {:.3g} out along its normal, in the nearer "
          "third of the outside and at least half that from every other node (a part, slot or "
          "gap thinner than {:.2g} spacings); use a smaller spacing or widen the feature",
          3 * floor * hk, at, floor * hk, f * hk, 3 * floor));
    }
    ns.normals.row(g0 + k) = ns.normals.row(b0 + k);
    grid.insert(ns.points.row(g0 + k).transpose());
  }
}

}  // namespace

double default_ghost_distance(int dim) {
  return dim == 3 ? 0.5 : 1.0;
}

void add_ghost_nodes(NodeSet& nodes, double distance_factor) {
  distance_factor = ghost_factor(distance_factor, nodes.dim);
  if (nodes.n_boundary == 0) throw std::invalid_argument("add_ghost_nodes: no boundary nodes");
  const auto h = boundary_spacing(nodes);
  resize_for_ghosts(nodes);
  const Index b0 = nodes.boundary_begin(), g0 = nodes.ghost_begin();
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    const Eigen::RowVectorXd n = nodes.normals.row(b0 + k).normalized();
    nodes.normals.row(g0 + k) = nodes.normals.row(b0 + k);  // the very same normal
    nodes.points.row(g0 + k) = nodes.points.row(b0 + k) + distance_factor * h[std::size_t(k)] * n;
  }
}

void add_ghost_nodes(NodeSet& nodes, const Domain& domain, double distance_factor,
                     const SpacingFn& spacing) {
  distance_factor = ghost_factor(distance_factor, nodes.dim);
  if (nodes.n_boundary == 0) throw std::invalid_argument("add_ghost_nodes: no boundary nodes");
  if (domain.dim() != nodes.dim) throw std::invalid_argument("add_ghost_nodes: dimension mismatch");
  std::vector<double> h;
  if (spacing) {
    for (Index k = 0; k < nodes.n_boundary; ++k)
      h.push_back(spacing(nodes.points.row(nodes.n_interior + k).transpose()));
  } else {
    h = boundary_spacing(nodes);
  }
  resize_for_ghosts(nodes);
  if (nodes.dim == 2)
    place_ghosts<2>(nodes, domain, distance_factor, h);
  else
    place_ghosts<3>(nodes, domain, distance_factor, h);
}

}  // namespace dtpinn::nodegen
