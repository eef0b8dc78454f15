// Node-set quality report and the quasi-uniformity gate (quality.hpp).
#include <dtpinn/nodegen/quality.hpp>

#include <dtpinn/nodegen/knn.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace dtpinn::nodegen {
namespace {

/// Samples kept for the climb to the local maxima of the distance to the nearest node.
constexpr int kClimbStarts = 32;
constexpr int kClimbSteps = 40;

std::string coords(const Eigen::VectorXd& p) {
  std::string s = "(";
  for (Eigen::Index c = 0; c < p.size(); ++c)
    s += fmt::format("{}{:.4g}", c ? ", " : "", p[c] + 0.0);
  return s + ")";
}

std::string json_coords(const Eigen::VectorXd& p) {
  if (p.size() == 0) return "null";
  std::string s = "[";
  for (Eigen::Index c = 0; c < p.size(); ++c) s += fmt::format("{}{}", c ? ", " : "", p[c] + 0.0);
  return s + "]";
}

double nearest_distance(const KnnIndex& tree, const Eigen::VectorXd& p) {
  std::int32_t i;
  double d2;
  tree.nearest(p.data(), 1, &i, &d2);
  return std::sqrt(d2);
}

/// The largest distance from a point inside `domain` to the nearest collocation node, and where:
/// random samples in the bounding box that the inside test keeps (so a patch the fill missed
/// counts as much as any other), then the best kClimbStarts climbed by shrinking random steps.
std::pair<double, Eigen::VectorXd> fill_distance(const Domain& domain, const KnnIndex& tree,
                                                 int dim, Index samples, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Eigen::VectorXd lo = domain.bbox_min(), hi = domain.bbox_max();
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> gauss(0.0, 1.0);
  Eigen::VectorXd p(dim);
  std::vector<std::pair<double, Eigen::VectorXd>> best;
  Index got = 0;
  for (Index tries = 0; got < samples && tries < 50 * samples; ++tries) {
    for (int k = 0; k < dim; ++k) p[k] = lo[k] + (hi[k] - lo[k]) * u(rng);
    if (!domain.contains(p)) continue;
    ++got;
    const double d = nearest_distance(tree, p);
    if (best.size() < std::size_t(kClimbStarts) || d > best.back().first) {
      best.emplace_back(d, p);
      std::sort(best.begin(), best.end(),
                [](const auto& a, const auto& b) { return a.first > b.first; });
      if (best.size() > std::size_t(kClimbStarts)) best.pop_back();
    }
  }
  if (best.empty()) return {-1.0, Eigen::VectorXd()};
  for (auto& [d, q] : best) {
    double step = 0.5 * d;
    for (int s = 0; s < kClimbSteps; ++s, step *= 0.85) {
      Eigen::VectorXd c = q;
      for (int k = 0; k < dim; ++k) c[k] += step * gauss(rng);
      if (!domain.contains(c)) continue;
      const double dc = nearest_distance(tree, c);
      if (dc > d) {
        d = dc;
        q = c;
      }
    }
  }
  const auto it = std::max_element(best.begin(), best.end(),
                                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return *it;
}

/// The thin part of QualityReport (see there): its median width and where, or width 0.
std::pair<double, Eigen::VectorXd> thin_part(const NodeSet& ns, double h) {
  if (ns.n_boundary < 4 || !(h > 0)) return {0.0, Eigen::VectorXd()};
  const Index b0 = ns.boundary_begin(), nb = ns.n_boundary;
  const KnnIndex boundary(ns.points, b0, nb);
  const auto interior =
      ns.n_interior > 0 ? std::make_unique<KnnIndex>(ns.points, 0, ns.n_interior) : nullptr;
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  std::vector<Index> flagged;
  std::vector<double> width;
  for (Index k = 0; k < nb; ++k) {
    const auto x = ns.points.row(b0 + k);
    if (interior && interior->nearest(x.data(), 1, idx, d2) > 0 && std::sqrt(d2[0]) <= 2.0 * h)
      continue;
    boundary.nearest(x.data(), 16, idx, d2);
    double across = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < idx.size(); ++j) {
      const auto d = (ns.points.row(b0 + idx[j]) - x).eval();
      if (ns.normals.row(b0 + k).dot(d) < -0.7 * d.norm()) across = std::min(across, d.norm());
    }
    if (across < QualityReport::kThinPart * h) {
      flagged.push_back(k);
      width.push_back(across);
    }
  }
  // Groups of flagged nodes within 2.5 h of each other.
  const Index nf = Index(flagged.size());
  std::vector<Index> group(std::size_t(nf), -1);
  double best = 0.0;
  Eigen::VectorXd where;
  for (Index s = 0; s < nf; ++s) {
    if (group[std::size_t(s)] >= 0) continue;
    std::vector<Index> members{s};
    group[std::size_t(s)] = s;
    for (std::size_t m = 0; m < members.size(); ++m)
      for (Index t = 0; t < nf; ++t)
        if (group[std::size_t(t)] < 0 && (ns.points.row(b0 + flagged[std::size_t(members[m])]) -
                                          ns.points.row(b0 + flagged[std::size_t(t)]))
                                                 .norm() <= 2.5 * h) {
          group[std::size_t(t)] = s;
          members.push_back(t);
        }
    if (members.size() < 4) continue;
    std::vector<double> w;
    Eigen::VectorXd centre = Eigen::VectorXd::Zero(ns.dim);
    for (Index m : members) {
      w.push_back(width[std::size_t(m)]);
      centre += ns.points.row(b0 + flagged[std::size_t(m)]).transpose();
    }
    centre /= double(members.size());
    std::sort(w.begin(), w.end());
    const auto at = [&w](double q) {
      return w[std::size_t(std::lround(q * double(w.size() - 1)))];
    };
    const double median = at(0.5);
    if (at(0.9) - at(0.1) > 0.35 * median || (best > 0 && median >= best)) continue;
    best = median;
    Index nearest = members[0];
    for (Index m : members)
      if ((ns.points.row(b0 + flagged[std::size_t(m)]).transpose() - centre).norm() <
          (ns.points.row(b0 + flagged[std::size_t(nearest)]).transpose() - centre).norm())
        nearest = m;
    where = ns.points.row(b0 + flagged[std::size_t(nearest)]).transpose();
  }
  return {best, where};
}

}  // namespace

QualityReport assess_quality(const NodeSet& ns, const Domain* domain, Index samples,
                             std::uint64_t seed) {
  ns.validate();
  QualityReport q;
  q.dim = ns.dim;
  q.n_interior = ns.n_interior;
  q.n_boundary = ns.n_boundary;
  q.n_ghost = ns.n_ghost;
  const Index nc = ns.n_collocation();
  if (nc < 2) return q;
  const KnnIndex tree(ns.points, 0, nc);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  std::vector<double> nn(std::size_t(nc), 0.0);
  Index closest = 0, partner = 0;
  for (Index i = 0; i < nc; ++i) {
    tree.nearest(ns.points.row(i).data(), 2, idx, d2);
    nn[std::size_t(i)] = std::sqrt(d2.size() > 1 ? d2[1] : 0.0);
    if (nn[std::size_t(i)] < nn[std::size_t(closest)] || i == 0) {
      closest = i;
      partner = idx.size() > 1 ? (idx[0] == i ? idx[1] : idx[0]) : i;
    }
  }
  q.closest_a = ns.points.row(closest).transpose();
  q.closest_b = ns.points.row(partner).transpose();
  std::vector<double> s = nn;
  std::sort(s.begin(), s.end());
  auto pct = [&s](double p) { return s[std::size_t(std::lround(p * double(s.size() - 1)))]; };
  q.nn_min = s.front();
  q.nn_p05 = pct(0.05);
  q.nn_median = pct(0.5);
  q.nn_p95 = pct(0.95);
  q.nn_max = s.back();
  q.nn_mean = std::accumulate(s.begin(), s.end(), 0.0) / double(s.size());
  q.min_separation = q.nn_min;
  if (ns.n_ghost > 0) {
    q.ghost_min_distance = std::numeric_limits<double>::infinity();
    for (Index g = ns.ghost_begin(); g < ns.size(); ++g) {
      tree.nearest(ns.points.row(g).data(), 1, idx, d2);
      if (std::sqrt(d2[0]) < q.ghost_min_distance) {
        q.ghost_min_distance = std::sqrt(d2[0]);
        q.ghost_closest = ns.points.row(g).transpose();
      }
      if (domain && domain->contains(ns.points.row(g).transpose()) && q.ghosts_inside++ == 0)
        q.ghost_inside = ns.points.row(g).transpose();
    }
  }
  std::tie(q.thin_part, q.thin_part_at) = thin_part(ns, q.nn_median);
  if (domain && samples > 0) {
    if (domain->dim() != ns.dim) throw std::invalid_argument("assess_quality: dimension mismatch");
    const auto [fill, where] = fill_distance(*domain, tree, ns.dim, samples, seed);
    if (fill >= 0) {
      q.has_fill_distance = true;
      q.max_fill_distance = fill;
      q.emptiest = where;
      q.ratio =
          q.min_separation > 0 ? fill / q.min_separation : std::numeric_limits<double>::infinity();
    }
  }
  return q;
}

std::string QualityReport::to_string() const {
  std::string s = fmt::format("nodes: {}D, interior {}, boundary {}, ghost {} (N = Ni + Nb = {})\n",
                              dim, n_interior, n_boundary, n_ghost, n_interior + n_boundary);
  s += fmt::format("min separation {:.4g}", min_separation);
  if (has_fill_distance)
    s += fmt::format(", max fill distance {:.4g} (estimated), fill/separation {:.3f}\n",
                     max_fill_distance, ratio);
  else
    s += ", max fill distance n/a\n";
  s += fmt::format(
      "nearest-neighbour distance: min {:.4g}, p5 {:.4g}, median {:.4g}, p95 {:.4g}, "
      "max {:.4g}, mean {:.4g}\n",
      nn_min, nn_p05, nn_median, nn_p95, nn_max, nn_mean);
  if (closest_a.size() > 0)
    s += fmt::format("closest nodes: {:.4g} apart ({:.3g} h) at {} and {}\n", min_separation,
                     spacing() > 0 ? min_separation / spacing() : 0.0, coords(closest_a),
                     coords(closest_b));
  if (has_fill_distance)
    s += fmt::format("largest empty spot: radius {:.4g} ({:.3g} h) around {}\n", max_fill_distance,
                     spacing() > 0 ? max_fill_distance / spacing() : 0.0, coords(emptiest));
  if (thin_part > 0)
    s += fmt::format("thin part: {:.4g} across ({:.2g} h) near {}, no interior node in it\n",
                     thin_part, spacing() > 0 ? thin_part / spacing() : 0.0, coords(thin_part_at));
  if (n_ghost > 0)
    s += fmt::format("ghosts: min distance to a collocation node {:.4g}{}\n", ghost_min_distance,
                     ghosts_inside > 0 ? fmt::format(", {} inside the domain (the first at {})",
                                                     ghosts_inside, coords(ghost_inside))
                                       : std::string());
  return s;
}

std::string QualityReport::to_json() const {
  auto f = [](double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string("null"); };
  const double h = spacing();
  return fmt::format(
      "{{\"dim\": {}, \"n_interior\": {}, \"n_boundary\": {}, \"n_ghost\": {}, "
      "\"spacing\": {}, \"min_separation\": {}, \"min_separation_over_h\": {}, "
      "\"closest_nodes\": [{}, {}], \"max_fill_distance\": {}, \"fill_over_separation\": {}, "
      "\"largest_empty_spot\": {}, \"nn_min\": {}, \"nn_p05\": {}, \"nn_median\": {}, "
      "\"nn_p95\": {}, \"nn_max\": {}, \"nn_mean\": {}, \"ghost_min_distance\": {}, "
      "\"ghosts_inside\": {}, \"thin_part\": {}, \"thin_part_at\": {}}}\n",
      dim, n_interior, n_boundary, n_ghost, f(h), f(min_separation),
      h > 0 ? f(min_separation / h) : "null", json_coords(closest_a), json_coords(closest_b),
      has_fill_distance ? f(max_fill_distance) : "null", has_fill_distance ? f(ratio) : "null",
      has_fill_distance ? json_coords(emptiest) : "null", f(nn_min), f(nn_p05), f(nn_median),
      f(nn_p95), f(nn_max), f(nn_mean), f(ghost_min_distance), ghosts_inside,
      thin_part > 0 ? f(thin_part) : "null", thin_part > 0 ? json_coords(thin_part_at) : "null");
}

std::string quality_problem(const QualityReport& q, const QualityLimits& limits) {
  const double h = q.spacing();
  if (q.ghosts_inside > 0)
    return fmt::format("{} ghost node(s) lie inside the domain, the first at {}", q.ghosts_inside,
                       coords(q.ghost_inside));
  if (q.thin_part > 0)
    return fmt::format(
        "a part of the domain thinner than {:.3g} ({:.2g} spacings of h = {:.4g}) near {}: no "
        "interior node fits in it (that takes about 2 spacings), and stencils on its two sides "
        "alone cannot be solved; use a spacing below {:.3g}",
        q.thin_part, q.thin_part / h, h, coords(q.thin_part_at), q.thin_part / 2.5);
  if (h > 0 && q.min_separation < limits.min_separation * h)
    return fmt::format(
        "two nodes {:.4g} apart at {} and {}: {:.3g} of the spacing h = {:.4g} (the median "
        "nearest-neighbour distance; below {:g} h is refused)",
        q.min_separation, coords(q.closest_a), coords(q.closest_b), q.min_separation / h, h,
        limits.min_separation);
  if (q.has_fill_distance && !(q.ratio <= limits.max_ratio))
    return fmt::format(
        "fill distance / separation {:.3g} (above {:g} is refused): no node within {:.4g} of {}, "
        "while the closest nodes are {:.4g} apart at {} and {}",
        q.ratio, limits.max_ratio, q.max_fill_distance, coords(q.emptiest), q.min_separation,
        coords(q.closest_a), coords(q.closest_b));
  if (q.n_ghost > 0 && h > 0 && q.ghost_min_distance < limits.min_ghost_distance * h)
    return fmt::format(
        "the ghost node at {} lies {:.4g} from a collocation node, {:.3g} of the spacing h = "
        "{:.4g} (below {:g} h is refused)",
        coords(q.ghost_closest), q.ghost_min_distance, q.ghost_min_distance / h, h,
        limits.min_ghost_distance);
  return "";
}

}  // namespace dtpinn::nodegen
