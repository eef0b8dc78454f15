// Checks of node sets and boundary clouds read from files (checks.hpp).
#include "neighbourhood_pca.hpp"

#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/knn.hpp>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace dtpinn::nodegen {
namespace {

constexpr double kDeg = 180.0 / M_PI;

double cross2(const Eigen::Vector2d& a, const Eigen::Vector2d& b) {
  return a.x() * b.y() - a.y() * b.x();
}

/// The proper crossing point of segments ab and cd, if they cross (touching ends excluded:
/// is_simple_polygon already refused those outlines, and a crossing is what we name).
bool crossing(const Eigen::Vector2d& a, const Eigen::Vector2d& b, const Eigen::Vector2d& c,
              const Eigen::Vector2d& d, Eigen::Vector2d& at) {
  const double d1 = cross2(b - a, c - a), d2 = cross2(b - a, d - a);
  const double d3 = cross2(d - c, a - c), d4 = cross2(d - c, b - c);
  if (!((d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0)) || d1 == d2) return false;
  at = c + (d - c) * (d1 / (d1 - d2));
  return true;
}

/// Nearest-neighbour distance of every point.
std::vector<double> nn_distances(const PointMatrix& P, const KnnIndex& tree) {
  std::vector<double> nn(std::size_t(P.rows()), 0.0);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < P.rows(); ++i) {
    tree.nearest(P.row(i).data(), 2, idx, d2);
    nn[std::size_t(i)] = d2.size() > 1 ? std::sqrt(d2[1]) : 0.0;
  }
  return nn;
}

/// A boundary node whose normal points against those of the neighbours beside it (on its own
/// stretch of boundary: |n . d| <= 0.5 |d|): the first, and how many.
std::pair<Index, Index> flipped_normals(const PointMatrix& B, const PointMatrix& N) {
  const int k = std::min<int>(B.cols() == 2 ? 8 : 12, int(B.rows()));
  const KnnIndex tree(B);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  Index first = -1, count = 0;
  for (Index i = 0; i < B.rows(); ++i) {
    tree.nearest(B.row(i).data(), k, idx, d2);
    int beside = 0, against = 0;
    for (std::size_t j = 0; j < idx.size(); ++j) {
      if (Index(idx[j]) == i) continue;
      const auto d = (B.row(idx[j]) - B.row(i)).eval();
      if (std::abs(N.row(i).dot(d)) > 0.5 * d.norm()) continue;  // across a wall or a hole
      ++beside;
      // Clearly opposite (> 120 degrees): a neighbour on a face at right angles to this one
      // has a dot product near 0 of either sign.
      against += N.row(i).dot(N.row(idx[j])) < -0.5;
    }
    if (beside >= 2 && 4 * against >= 3 * beside && count++ == 0) first = i;
  }
  return {first, count};
}

/// Boundary normals of a node set: flipped against their neighbours', or all inward.
NodeProblem check_orientation(const NodeSet& ns, const PointMatrix& B, const PointMatrix& N) {
  const Index ni = ns.n_interior;
  NodeProblem p;
  const auto [first, count] = flipped_normals(B, N);
  if (count > 0) {
    p.node = ni + first;
    p.reason = fmt::format(
        "boundary node {} at {}: its normal {} points opposite to its neighbours' ({} such "
        "boundary nodes of {}); a normal flipped inward?",
        p.node, point_text(B, first), point_text(N, first), count, B.rows());
    return p;
  }
  // The node farthest from the centre of the boundary nodes is on the outer boundary, where
  // the outward normal points away from that centre.
  const Eigen::RowVectorXd c = B.colwise().mean();
  Index far = 0;
  (B.rowwise() - c).rowwise().squaredNorm().maxCoeff(&far);
  if (N.row(far).dot(B.row(far) - c) < 0) {
    p.node = ni + far;
    p.reason = fmt::format(
        "boundary node {} at {}, the farthest from the centre, has its normal {} pointing "
        "inward: the boundary normals must point out of the domain",
        p.node, point_text(B, far), point_text(N, far));
  }
  return p;
}

/// Interior nodes outside the bounding box of the boundary nodes or beyond the boundary.
NodeProblem check_interior_inside(const NodeSet& ns, const PointMatrix& B, const PointMatrix& N) {
  const int d = ns.dim;
  const double h = median_spacing(B);
  const Eigen::RowVectorXd lo = B.colwise().minCoeff(), hi = B.colwise().maxCoeff();
  const KnnIndex tree(B);
  const int k = std::min<int>(d == 2 ? 4 : 8, int(B.rows()));
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  NodeProblem p;
  for (Index i = 0; i < ns.n_interior; ++i) {
    const Eigen::RowVectorXd x = ns.points.row(i);
    const double out = std::max((lo - x).maxCoeff(), (x - hi).maxCoeff());
    if (out > kOutsideBoxMargin * h) {
      p.node = i;
      p.reason = fmt::format(
          "interior node {} at {} lies outside the domain: {:.4g} beyond the bounding box of "
          "the boundary nodes ({:.3g} boundary spacings of {:.4g}; more than {:g} is refused)",
          i, point_text(ns.points, i), out, out / h, h, kOutsideBoxMargin);
      return p;
    }
    tree.nearest(x.data(), k, idx, d2);
    double s = 0.0, w = 0.0;
    for (std::size_t j = 0; j < idx.size(); ++j) {
      const double wj = 1.0 / (d2[j] + 1e-300);
      s += wj * N.row(idx[j]).dot(x - B.row(idx[j]));
      w += wj;
    }
    if (s / w > kOutsideDistance * h) {
      p.node = i;
      p.reason = fmt::format(
          "interior node {} at {} lies outside the domain: {:.3g} boundary spacings beyond the "
          "boundary along its outward normals (nearest boundary node {} at {}; more than {:g} "
          "is refused)",
          i, point_text(ns.points, i), s / w / h, ns.n_interior + idx[0], point_text(B, idx[0]),
          kOutsideDistance);
      return p;
    }
  }
  return p;
}

}  // namespace

std::string point_text(const PointMatrix& points, Index i) {
  std::string s = "(";
  for (Index c = 0; c < points.cols(); ++c)
    s += fmt::format("{}{:.6g}", c ? ", " : "", points(i, c) + 0.0);  // -0 -> 0
  return s + ")";
}

NodeProblem check_normal_directions(const PointMatrix& points, const PointMatrix& normals) {
  const int dim = int(points.cols());
  const Index n = points.rows();
  NodeProblem p;
  if (n < 2 * dim + 1) return p;  // too few points for a neighbourhood
  const int k = std::min<int>(dim == 2 ? 8 : 12, int(n));
  const KnnIndex tree(points);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  Index bad = 0;
  double first_angle = 0.0;
  for (Index i = 0; i < n; ++i) {
    tree.nearest(points.row(i).data(), k, idx, d2);
    const auto es = neighbourhood_pca(points, idx);
    const auto& ev = es.eigenvalues();
    if (!(ev[0] <= kFlatRatio * ev[1])) continue;  // a corner, an edge, noise: no estimate
    const double len = normals.row(i).norm();
    const double c = std::abs(normals.row(i).dot(es.eigenvectors().col(0))) / len;
    const double angle = std::acos(std::min(1.0, c)) * kDeg;
    if (angle > kMaxNormalAngleDeg && bad++ == 0) {
      p.node = i;
      first_angle = angle;
    }
  }
  if (bad > 0)
    p.reason = fmt::format(
        "the normal {} at {} is {:.0f} degrees off the boundary's normal estimated from its {} "
        "nearest points (more than {:g} is refused; {} such points of {})",
        point_text(normals, p.node), point_text(points, p.node), first_angle, k, kMaxNormalAngleDeg,
        bad, n);
  return p;
}

NodeProblem check_node_set(const NodeSet& ns) {
  const Index nb = ns.n_boundary;
  if (nb < 2 * ns.dim + 1) return {};
  const PointMatrix B = ns.points.middleRows(ns.boundary_begin(), nb);
  const PointMatrix N = ns.normals.middleRows(ns.boundary_begin(), nb);
  NodeProblem p = check_normal_directions(B, N);
  if (p) {
    p.reason = fmt::format("boundary node {}: {}", ns.n_interior + p.node, p.reason);
    p.node += ns.n_interior;
    return p;
  }
  p = check_orientation(ns, B, N);
  if (p) return p;
  return check_interior_inside(ns, B, N);
}

NodeProblem find_outline_crossing(const PointMatrix& P) {
  NodeProblem p;
  const Index n = P.rows();
  if (P.cols() != 2 || n < 4) return p;
  const KnnIndex tree(P);
  const std::vector<double> nn = nn_distances(P, tree);
  for (Index i = 0; i < n; ++i) {
    const Index j = (i + 1) % n;
    if ((P.row(j) - P.row(i)).norm() > 3.0 * std::max(nn[std::size_t(i)], nn[std::size_t(j)]))
      return p;  // not in outline order (a shuffled cloud, several loops)
  }
  // O(n^2) over the segments: outlines in files are a few thousand points, and this only runs
  // for the ordered tables is_simple_polygon refused.
  for (Index a = 0; a < n; ++a)
    for (Index b = a + 2; b < n; ++b) {
      if (a == 0 && b == n - 1) continue;  // neighbours across the closing segment
      Eigen::Vector2d at;
      if (crossing(P.row(a).transpose(), P.row((a + 1) % n).transpose(), P.row(b).transpose(),
                   P.row((b + 1) % n).transpose(), at)) {
        p.node = a;
        p.other = b;
        // Round-off below 1e-12 of the outline's size is printed as 0, not 3.5e-18.
        const double tiny = 1e-12 * (P.colwise().maxCoeff() - P.colwise().minCoeff()).norm();
        for (int c = 0; c < 2; ++c)
          if (std::abs(at[c]) < tiny) at[c] = 0.0;
        p.reason = fmt::format("the outline crosses itself at ({:.6g}, {:.6g})", at.x(), at.y());
        return p;
      }
    }
  return p;
}

}  // namespace dtpinn::nodegen
