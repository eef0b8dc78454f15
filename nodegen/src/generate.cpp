// Node generation on any Domain: boundary sample, advancing-front interior fill (fill_core.hpp),
// optional repulsion, ghost nodes; the target-count loop that picks h.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include "fill_core.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

using SpacingFn = std::function<double(const Eigen::Ref<const Eigen::VectorXd>&)>;

// Relative spacing factor, clamped so a bad user function cannot stall the fill.
double factor_at(const SpacingFn& f, const Eigen::Ref<const Eigen::VectorXd>& p) {
  if (!f) return 1.0;
  const double s = f(p);
  if (!std::isfinite(s) || !(s > 0))
    throw std::invalid_argument("spacing_factor returned a non-positive or non-finite value");
  return std::clamp(s, 1e-3, 1e3);
}

template <int D>
std::vector<detail::Vec<D>> fill_interior(const Domain& domain, const BoundarySample& b, double h,
                                          const SpacingFn& sf, std::mt19937_64& rng) {
  using V = detail::Vec<D>;
  std::vector<V> seeds;
  seeds.reserve(std::size_t(b.points.rows()));
  double smin = 1.0;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    seeds.emplace_back(b.points.row(i).transpose());
    if (sf) smin = std::min(smin, factor_at(sf, seeds.back()));
  }
  const V lo = domain.bbox_min(), hi = domain.bbox_max();
  if (sf) {  // a lower bound of the factor inside, from a deterministic probe lattice
    const int m = D == 2 ? 64 : 16;
    V p;
    for (int i = 0; i < (D == 2 ? m * m : m * m * m); ++i) {
      int r = i;
      for (int k = 0; k < D; ++k) {
        p[k] = lo[k] + (hi[k] - lo[k]) * ((r % m) + 0.5) / m;
        r /= m;
      }
      smin = std::min(smin, factor_at(sf, p));
    }
  }
  // Rough memory guard: number of nodes of a uniform fill at the finest spacing.
  double vol = 1.0;
  for (int k = 0; k < D; ++k) vol *= std::max(hi[k] - lo[k], 1e-300);
  if (vol / std::pow(h * smin, D) > static_cast<double>(kMaxNodes))
    throw std::invalid_argument(
        fmt::format("node fill: spacing h = {:.3g} is too small for this "
                    "domain (more than 2e8 nodes)",
                    h * smin));
  std::function<bool(const V&)> inside = [&domain](const V& p) { return domain.contains(p); };
  std::function<double(const V&)> spacing = [&sf, h](const V& p) {
    return sf ? h * factor_at(sf, p) : h;
  };
  return detail::advancing_front<D>(seeds, inside, spacing, h * smin, lo, hi, rng);
}

// Greedy thinning of a dense boundary sample to the local spacing h * s(x) (variable density).
BoundarySample thin_boundary(const BoundarySample& b, double h, const SpacingFn& sf, int dim) {
  std::vector<Eigen::Index> keep;
  const Eigen::VectorXd lo = b.points.colwise().minCoeff().transpose();
  const Eigen::VectorXd hi = b.points.colwise().maxCoeff().transpose();
  double smin = 1.0;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i)
    smin = std::min(smin, factor_at(sf, b.points.row(i).transpose()));
  if (dim == 2) {
    detail::PointGrid<2> g(lo, hi, h * smin);
    for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
      const detail::Vec<2> p = b.points.row(i).transpose();
      if (g.any_within(p, 0.999 * h * factor_at(sf, p))) continue;
      g.insert(p);
      keep.push_back(i);
    }
  } else {
    detail::PointGrid<3> g(lo, hi, h * smin);
    for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
      const detail::Vec<3> p = b.points.row(i).transpose();
      if (g.any_within(p, 0.999 * h * factor_at(sf, p))) continue;
      g.insert(p);
      keep.push_back(i);
    }
  }
  return sample_rows(b, keep);  // parts travel with their nodes
}

BoundarySample boundary_for(const Domain& domain, double h, const SpacingFn& sf,
                            std::mt19937_64& rng) {
  if (!sf) return domain.sample_boundary(h, rng);
  // Sample at the finest spacing found on a first pass, then thin to h * s(x).
  const BoundarySample coarse = domain.sample_boundary(h, rng);
  double smin = 1.0;
  for (Eigen::Index i = 0; i < coarse.points.rows(); ++i)
    smin = std::min(smin, factor_at(sf, coarse.points.row(i).transpose()));
  if (smin >= 0.999) return coarse;
  return thin_boundary(domain.sample_boundary(h * smin, rng), h, sf, domain.dim());
}

void check_options(const FillOptions& o) {
  if (!(o.h >= 0) || !std::isfinite(o.h))
    throw std::invalid_argument("node generation: h must be a finite number >= 0");
  if (o.repulsion_steps < 0) throw std::invalid_argument("node generation: repulsion steps < 0");
  if (!(o.ghost_distance >= 0) || !std::isfinite(o.ghost_distance))
    throw std::invalid_argument("node generation: ghost distance must be > 0 (or 0: default)");
}

}  // namespace

double spacing_for_count(const Domain& domain, Index n) {
  if (n < 10) throw std::invalid_argument(fmt::format("node count n = {} is below 10", n));
  const double V = domain.volume(), B = domain.boundary_measure();
  if (!(V > 0) || !(B > 0)) throw std::invalid_argument("domain has zero volume or boundary");
  // Empirical densities of this generator: interior c_v / h^d nodes per unit volume, boundary
  // c_b / h^(d-1) per unit boundary measure. Solve c_v V x^d + c_b B x^(d-1) = n for x = 1/h.
  const int d = domain.dim();
  const double cv = d == 2 ? 0.85 : 0.75, cb = d == 2 ? 1.0 : 1.15;
  double x = std::pow(double(n) / (cv * V), 1.0 / d);
  for (int it = 0; it < 60; ++it) {
    const double f = cv * V * std::pow(x, d) + cb * B * std::pow(x, d - 1) - double(n);
    const double df = cv * V * d * std::pow(x, d - 1) + cb * B * (d - 1) * std::pow(x, d - 2);
    const double xn = std::max(0.5 * x, x - f / df);
    if (std::abs(xn - x) < 1e-14 * x) break;
    x = xn;
  }
  return 1.0 / x;
}

NodeSet fill_domain(const Domain& domain, const BoundarySample& boundary, double h,
                    const FillOptions& options) {
  check_options(options);
  const int d = domain.dim();
  if (d != 2 && d != 3) throw std::invalid_argument("fill_domain: dimension must be 2 or 3");
  if (!(h > 0) || !std::isfinite(h)) throw std::invalid_argument("fill_domain: h must be > 0");
  if (boundary.points.cols() != d || boundary.normals.cols() != d ||
      boundary.normals.rows() != boundary.points.rows())
    throw std::invalid_argument("fill_domain: boundary sample has the wrong shape");
  if (boundary.points.rows() < 3)
    throw std::invalid_argument("fill_domain: too few boundary nodes");
  check_sample_parts(boundary, "fill_domain");
  std::mt19937_64 rng(options.seed ^ 0x9E3779B97F4A7C15ULL);
  NodeSet ns;
  ns.dim = d;
  const Index nb = boundary.points.rows();
  if (d == 2) {
    const auto in = fill_interior<2>(domain, boundary, h, options.spacing_factor, rng);
    ns.n_interior = Index(in.size());
    ns.points.resize(ns.n_interior + nb, 2);
    for (Index i = 0; i < ns.n_interior; ++i) ns.points.row(i) = in[std::size_t(i)].transpose();
  } else {
    const auto in = fill_interior<3>(domain, boundary, h, options.spacing_factor, rng);
    ns.n_interior = Index(in.size());
    ns.points.resize(ns.n_interior + nb, 3);
    for (Index i = 0; i < ns.n_interior; ++i) ns.points.row(i) = in[std::size_t(i)].transpose();
  }
  ns.n_boundary = nb;
  ns.points.bottomRows(nb) = boundary.points;
  // The boundary keeps the sample's order, so boundary node k has the sample's part k (the
  // fill, relax and ghosts below never reorder or drop boundary nodes).
  ns.part_names = boundary.part_names;
  ns.boundary_part.resize(std::size_t(nb));
  for (Index k = 0; k < nb; ++k) ns.boundary_part[std::size_t(k)] = boundary.part_of(k);
  ns.corners = boundary.corners;
  ns.normals = PointMatrix::Zero(ns.points.rows(), d);
  for (Index k = 0; k < nb; ++k) {
    const double len = boundary.normals.row(k).norm();
    if (!(len > 0) || !std::isfinite(len))
      throw std::invalid_argument(fmt::format("fill_domain: boundary node {} has no normal", k));
    ns.normals.row(ns.n_interior + k) = boundary.normals.row(k) / len;
  }
  if (options.repulsion_steps > 0)
    relax_nodes(ns, domain, h, options.repulsion_steps, options.spacing_factor);
  if (options.ghosts) {
    const SpacingFn& sf = options.spacing_factor;
    add_ghost_nodes(
        ns, domain, options.ghost_distance,
        [&sf, h](const Eigen::Ref<const Eigen::VectorXd>& p) { return h * factor_at(sf, p); });
  }
  ns.validate();
  return ns;
}

NodeSet generate_nodes(const Domain& domain, const FillOptions& options) {
  check_options(options);
  if (options.h > 0) {
    const int d = domain.dim();
    const double est = domain.volume() / std::pow(options.h, d) +
                       domain.boundary_measure() / std::pow(options.h, d - 1);
    if (!(est < static_cast<double>(kMaxNodes)))
      throw std::invalid_argument(fmt::format(
          "node generation: h = {:.3g} would give about {:.3g} nodes (limit 2e8)", options.h, est));
    std::mt19937_64 rng(options.seed);
    return fill_domain(domain, boundary_for(domain, options.h, options.spacing_factor, rng),
                       options.h, options);
  }
  if (options.n < 10)
    throw std::invalid_argument(
        fmt::format("node generation: n = {} is below 10 (give n >= 10 or h > 0)", options.n));
  if (options.n > kMaxNodes)
    throw std::invalid_argument(
        fmt::format("node generation: n = {} is above the limit of 2e8 nodes", options.n));
  // Regenerate with a corrected h until Ni + Nb is within 2% (at most 6 passes): the count
  // scales like h^-d, so h is corrected by (N / n)^(1/d) (the first guess is usually close).
  const int d = domain.dim();
  double h = spacing_for_count(domain, options.n);
  if (options.spacing_factor) {
    // A variable density packs more nodes: first guess from the mean factor on a probe lattice.
    const Eigen::VectorXd lo = domain.bbox_min(), hi = domain.bbox_max();
    double acc = 0;
    int cnt = 0;
    const int m = d == 2 ? 40 : 12;
    Eigen::VectorXd p(d);
    for (int i = 0; i < (d == 2 ? m * m : m * m * m); ++i) {
      int r = i;
      for (int k = 0; k < d; ++k) {
        p[k] = lo[k] + (hi[k] - lo[k]) * ((r % m) + 0.5) / m;
        r /= m;
      }
      if (!domain.contains(p)) continue;
      acc += std::pow(factor_at(options.spacing_factor, p), -d);
      ++cnt;
    }
    if (cnt > 0) h *= std::pow(acc / cnt, 1.0 / d);
  }
  FillOptions o = options;
  o.ghosts = false;
  NodeSet best;
  double best_err = std::numeric_limits<double>::infinity();
  double best_h = h;
  for (int pass = 0; pass < 6; ++pass) {
    std::mt19937_64 rng(options.seed);
    NodeSet ns = fill_domain(domain, boundary_for(domain, h, options.spacing_factor, rng), h, o);
    const double got = double(ns.n_collocation());
    const double err = std::abs(got - double(options.n)) / double(options.n);
    if (err < best_err) {
      best_err = err;
      best = std::move(ns);
      best_h = h;
    }
    if (best_err <= 0.02) break;
    h *= std::pow(got / double(options.n), 1.0 / d);
  }
  if (options.ghosts) {
    const SpacingFn& sf = options.spacing_factor;
    add_ghost_nodes(best, domain, options.ghost_distance,
                    [&sf, best_h](const Eigen::Ref<const Eigen::VectorXd>& p) {
                      return best_h * factor_at(sf, p);
                    });
    best.validate();
  }
  return best;
}

void relax_nodes(NodeSet& ns, const Domain& domain, double h, int steps, const SpacingFn& sf) {
  if (steps <= 0 || ns.n_interior == 0) return;
  const int d = ns.dim;
  const Index ni = ns.n_interior, nc = ns.n_collocation();
  const KnnIndex bnd(ns.points, ni, ns.n_boundary);
  const int k = d == 2 ? 7 : 13;
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  PointMatrix move(ni, d);
  for (int s = 0; s < steps; ++s) {
    const double step = 0.1 * (1.0 - double(s) / double(steps + 1));
    {
      const KnnIndex tree(ns.points, 0, nc);
      for (Index i = 0; i < ni; ++i) {
        const Eigen::RowVectorXd p = ns.points.row(i);
        const double hi = h * factor_at(sf, p.transpose());
        tree.nearest(p.data(), k, idx, d2);
        Eigen::RowVectorXd f = Eigen::RowVectorXd::Zero(d);
        for (std::size_t j = 1; j < idx.size(); ++j) {  // idx[0] is the node itself
          const double r = std::sqrt(d2[j]);
          if (r <= 0) continue;
          const Eigen::RowVectorXd u = (p - ns.points.row(idx[j])) / r;
          f += u * std::pow(hi / r, 3);  // short-range repulsion, Fornberg & Flyer style
        }
        const double fn = f.norm();
        move.row(i) = fn > 0 ? Eigen::RowVectorXd(f / fn * std::min(step * hi, 0.02 * hi * fn))
                             : Eigen::RowVectorXd::Zero(d);
      }
    }
    for (Index i = 0; i < ni; ++i) {
      const Eigen::RowVectorXd q = ns.points.row(i) + move.row(i);
      const double hi = h * factor_at(sf, q.transpose());
      if (!domain.contains(q.transpose())) continue;
      bnd.nearest(q.data(), 1, idx, d2);
      if (!d2.empty() && std::sqrt(d2[0]) < 0.5 * hi) continue;
      ns.points.row(i) = q;
    }
  }
}

NodeSet make_nodes(const std::string& shape, Index n, std::uint64_t seed, bool ghosts,
                   double ghost_distance) {
  const DomainPtr dom = make_shape(shape);
  FillOptions o;
  o.n = n;
  o.seed = seed;
  o.ghosts = ghosts;
  o.ghost_distance = ghost_distance;
  return generate_nodes(*dom, o);
}

}  // namespace dtpinn::nodegen
