// Normals of boundary point clouds: PCA estimation, Hoppe-style consistent orientation, and
// consistency checks of normals read from a file.
#include "neighbourhood_pca.hpp"

#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/knn.hpp>

#include <fmt/format.h>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

/// An offset d from a point is across the surface (not beside the point on it) when
/// |n . d| > kAcross |d|: a neighbour on the far wall of a thin part sits nearly straight
/// across (|n . d| / |d| > 0.85 for a wall 2 spacings thick and the 12 nearest), a neighbour on
/// the next face at a 90-degree edge of a box at 0.71.
constexpr double kAcross = 0.75;

/// A neighbourhood whose smallest covariance eigenvalue exceeds this fraction of the next is
/// not a piece of one surface (two walls 1.5 spacings apart give about 1).
constexpr double kThickRatio = 0.25;

int default_k(int dim, int k) {
  return k > 0 ? k : (dim == 2 ? 8 : 12);
}

/// Implicit signed distance of p to the surface sampled by (pts, nrm) restricted to `subset`:
/// inverse-square-distance weighted mean of n_i . (p - x_i) over the k nearest (brute force).
double subset_signed(const PointMatrix& pts, const PointMatrix& nrm,
                     const std::vector<Index>& subset, const Eigen::VectorXd& p, int k) {
  std::vector<std::pair<double, Index>> d;
  d.reserve(subset.size());
  for (Index i : subset) d.push_back({(pts.row(i).transpose() - p).squaredNorm(), i});
  const auto kk = std::min<std::size_t>(std::size_t(k), d.size());
  std::partial_sort(d.begin(), d.begin() + long(kk), d.end());
  double s = 0.0, w = 0.0;
  for (std::size_t j = 0; j < kk; ++j) {
    const double wj = 1.0 / (d[j].first + 1e-300);
    s += wj * nrm.row(d[j].second).dot(p.transpose() - pts.row(d[j].second));
    w += wj;
  }
  return s / w;
}

}  // namespace

double median_spacing(const PointMatrix& points) {
  const Index n = points.rows();
  if (n < 2) return 0.0;
  KnnIndex tree(points);
  std::vector<double> nn(static_cast<std::size_t>(n));
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < n; ++i) {
    tree.nearest(points.row(i).data(), 2, idx, d2);
    nn[std::size_t(i)] = std::sqrt(d2.size() > 1 ? d2[1] : 0.0);
  }
  std::nth_element(nn.begin(), nn.begin() + long(nn.size() / 2), nn.end());
  return nn[nn.size() / 2];
}

double tangential_spacing(const PointMatrix& points, const PointMatrix& normals, int k) {
  const Index n = points.rows();
  if (n < 2) return 0.0;
  k = std::min<int>(default_k(int(points.cols()), k), int(n));
  KnnIndex tree(points);
  std::vector<double> nn;
  nn.reserve(std::size_t(n));
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < n; ++i) {
    tree.nearest(points.row(i).data(), k, idx, d2);
    for (std::size_t j = 0; j < idx.size(); ++j) {
      if (Index(idx[j]) == i) continue;
      const double d = std::sqrt(d2[j]);
      if (std::abs(normals.row(i).dot(points.row(idx[j]) - points.row(i))) <=
          0.5 * d * normals.row(i).norm()) {
        nn.push_back(d);
        break;
      }
    }
  }
  if (nn.empty()) return median_spacing(points);
  std::nth_element(nn.begin(), nn.begin() + long(nn.size() / 2), nn.end());
  return nn[nn.size() / 2];
}

PointMatrix estimate_normals(const PointMatrix& points, int k) {
  const int dim = int(points.cols());
  const Index n = points.rows();
  k = std::min<int>(default_k(dim, k), int(n));
  KnnIndex tree(points);
  PointMatrix normals(n, dim);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  // Where the k nearest are not flat (the far wall of a part thinner than ~2 spacings among
  // them), the nearest 2 d + 1 alone: the point's own ring of neighbours.
  const int few = std::min<int>(2 * dim + 1, int(n));
  for (Index i = 0; i < n; ++i) {
    tree.nearest(points.row(i).data(), k, idx, d2);
    auto es = neighbourhood_pca(points, idx);
    if (!(es.eigenvalues()[0] <= kThickRatio * es.eigenvalues()[1]) && few < k) {
      tree.nearest(points.row(i).data(), few, idx, d2);
      es = neighbourhood_pca(points, idx);
    }
    normals.row(i) = es.eigenvectors().col(0).transpose().normalized();
  }
  return normals;
}

Index orient_normals(const PointMatrix& points, PointMatrix& normals, int k) {
  const int dim = int(points.cols());
  const Index n = points.rows();
  k = std::min<int>(default_k(dim, k), int(n));
  KnnIndex tree(points);
  std::vector<std::vector<Index>> adj(static_cast<std::size_t>(n));
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  // Only neighbours beside a point, along its surface, are joined: a neighbour straight across
  // a thin wall has parallel normals too, and the walk would carry the outer wall's direction
  // onto the inner one. The walls stay separate pieces, oriented by nesting below.
  for (Index i = 0; i < n; ++i) {
    tree.nearest(points.row(i).data(), k, idx, d2);
    for (auto j : idx) {
      if (Index(j) == i) continue;
      const auto d = (points.row(j) - points.row(i)).eval();
      const double len = d.norm();
      if (std::abs(normals.row(i).dot(d)) > kAcross * len ||
          std::abs(normals.row(j).dot(d)) > kAcross * len)
        continue;
      adj[std::size_t(i)].push_back(Index(j));
      adj[j].push_back(i);
    }
  }
  for (auto& a : adj) {
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
  }
  // Connected pieces of the neighbour graph.
  std::vector<int> comp(std::size_t(n), -1);
  std::vector<std::vector<Index>> members;
  for (Index s = 0; s < n; ++s) {
    if (comp[std::size_t(s)] >= 0) continue;
    const int c = int(members.size());
    members.push_back({});
    std::vector<Index> stack{s};
    comp[std::size_t(s)] = c;
    while (!stack.empty()) {
      const Index i = stack.back();
      stack.pop_back();
      members[std::size_t(c)].push_back(i);
      for (Index j : adj[std::size_t(i)])
        if (comp[std::size_t(j)] < 0) {
          comp[std::size_t(j)] = c;
          stack.push_back(j);
        }
    }
  }
  Index flips = 0;
  std::vector<char> done(std::size_t(n), 0);
  auto flip = [&](Index i) {
    normals.row(i) *= -1.0;
    ++flips;
  };
  // A piece too small to have a shape of its own cannot be oriented by itself or by nesting.
  for (const auto& m : members)
    if (m.size() < std::size_t(2 * dim + 1) && Index(m.size()) < n)
      throw std::runtime_error(fmt::format(
          "cannot orient the estimated normal at {}: its nearest points lie across a thin wall, "
          "none beside it on its own side; give the normals in the file (columns nx, ny{})",
          point_text(points, m[0]), dim == 3 ? ", nz" : ""));
  std::vector<Index> seeds;
  for (const auto& m : members) {
    Eigen::VectorXd c = Eigen::VectorXd::Zero(dim);
    for (Index i : m) c += points.row(i).transpose();
    c /= double(m.size());
    Index seed = m[0];
    double far = -1.0;
    for (Index i : m) {
      const double d = (points.row(i).transpose() - c).squaredNorm();
      if (d > far) {
        far = d;
        seed = i;
      }
    }
    seeds.push_back(seed);
    if (normals.row(seed).dot(points.row(seed) - c.transpose()) < 0) flip(seed);
    // Prim's minimum spanning tree, cheapest edge (most parallel normals) first.
    using Item = std::tuple<double, Index, Index>;  // weight, node, parent
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> pq;
    done[std::size_t(seed)] = 1;
    auto push_from = [&](Index i) {
      for (Index j : adj[std::size_t(i)])
        if (!done[std::size_t(j)])
          pq.push({1.0 - std::abs(normals.row(i).dot(normals.row(j))), j, i});
    };
    push_from(seed);
    while (!pq.empty()) {
      const auto [w, j, parent] = pq.top();
      pq.pop();
      if (done[std::size_t(j)]) continue;
      done[std::size_t(j)] = 1;
      if (normals.row(parent).dot(normals.row(j)) < 0) flip(j);
      push_from(j);
    }
  }
  // Holes / voids: pieces inside an odd number of other pieces face into their own inside.
  if (members.size() > 1) {
    std::vector<char> turn(members.size(), 0);
    for (std::size_t a = 0; a < members.size(); ++a) {
      int depth = 0;
      const Eigen::VectorXd p = points.row(seeds[a]).transpose();
      for (std::size_t b = 0; b < members.size(); ++b)
        if (b != a && members[b].size() >= std::size_t(dim + 1) &&
            subset_signed(points, normals, members[b], p, dim == 2 ? 4 : 8) < 0)
          ++depth;
      turn[a] = depth % 2;
    }
    for (std::size_t a = 0; a < members.size(); ++a)
      if (turn[a])
        for (Index i : members[a]) flip(i);
  }
  return flips;
}

NormalConsistency check_normals(const PointMatrix& points, const PointMatrix& normals, int k) {
  const int dim = int(points.cols());
  const Index n = points.rows();
  k = std::min<int>(default_k(dim, k), int(n));
  KnnIndex tree(points);
  NormalConsistency out;
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < n; ++i) {
    tree.nearest(points.row(i).data(), k, idx, d2);
    int against = 0, total = 0, across = 0;
    for (auto j : idx) {
      if (Index(j) == i) continue;
      ++total;
      if (normals.row(i).dot(normals.row(j)) < 0) {
        ++against;
        const auto d = (points.row(j) - points.row(i)).eval();
        if (std::abs(normals.row(i).dot(d)) > 0.7 * d.norm() * normals.row(i).norm()) ++across;
      }
    }
    if (2 * against > total) {
      if (out.inconsistent++ == 0) out.first = i;
      if (2 * across > against) ++out.across;
    }
  }
  const Eigen::VectorXd c = points.colwise().mean().transpose();
  Index far = 0;
  (points.rowwise() - c.transpose()).rowwise().squaredNorm().maxCoeff(&far);
  out.inward = normals.row(far).dot(points.row(far) - c.transpose()) < 0;
  return out;
}

}  // namespace dtpinn::nodegen
