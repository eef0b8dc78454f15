// Node-set quality report.
#include <dtpinn/nodegen/quality.hpp>

#include <dtpinn/nodegen/knn.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace dtpinn::nodegen {

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
  for (Index i = 0; i < nc; ++i) {
    tree.nearest(ns.points.row(i).data(), 2, idx, d2);
    nn[std::size_t(i)] = std::sqrt(d2.size() > 1 ? d2[1] : 0.0);
  }
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
      q.ghost_min_distance = std::min(q.ghost_min_distance, std::sqrt(d2[0]));
    }
  }
  if (domain && samples > 0) {
    if (domain->dim() != ns.dim) throw std::invalid_argument("assess_quality: dimension mismatch");
    std::mt19937_64 rng(seed);
    const Eigen::VectorXd lo = domain->bbox_min(), hi = domain->bbox_max();
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Eigen::VectorXd p(ns.dim);
    Index got = 0;
    double fill = 0.0;
    for (Index tries = 0; got < samples && tries < 50 * samples; ++tries) {
      for (int k = 0; k < ns.dim; ++k) p[k] = lo[k] + (hi[k] - lo[k]) * u(rng);
      if (!domain->contains(p)) continue;
      ++got;
      tree.nearest(p.data(), 1, idx, d2);
      fill = std::max(fill, std::sqrt(d2[0]));
    }
    if (got > 0) {
      q.has_fill_distance = true;
      q.max_fill_distance = fill;
      q.ratio = q.min_separation > 0 ? fill / q.min_separation : 0.0;
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
  if (n_ghost > 0)
    s += fmt::format("ghosts: min distance to a collocation node {:.4g}\n", ghost_min_distance);
  return s;
}

std::string QualityReport::to_json() const {
  auto f = [](double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string("null"); };
  return fmt::format(
      "{{\"dim\": {}, \"n_interior\": {}, \"n_boundary\": {}, \"n_ghost\": {}, "
      "\"min_separation\": {}, \"max_fill_distance\": {}, \"fill_over_separation\": {}, "
      "\"nn_min\": {}, \"nn_p05\": {}, \"nn_median\": {}, \"nn_p95\": {}, \"nn_max\": {}, "
      "\"nn_mean\": {}, \"ghost_min_distance\": {}}}\n",
      dim, n_interior, n_boundary, n_ghost, f(min_separation),
      has_fill_distance ? f(max_fill_distance) : "null", has_fill_distance ? f(ratio) : "null",
      f(nn_min), f(nn_p05), f(nn_median), f(nn_p95), f(nn_max), f(nn_mean), f(ghost_min_distance));
}

}  // namespace dtpinn::nodegen
