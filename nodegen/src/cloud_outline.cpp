// 2D boundary clouds made into outlines: NN-crust ordering, centripetal Catmull-Rom fit,
// densified polylines, a PolylineDomain (cloud_outline.hpp).
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/cloud_outline.hpp>
#include <dtpinn/nodegen/knn.hpp>

#include <fmt/format.h>

#include "neighbourhood_pca.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

using Vec2 = Eigen::Vector2d;

Vec2 at(const PointMatrix& P, Index i) {
  return P.row(i).transpose();
}

/// NN-crust candidates: the nearest points searched for the two curve neighbours of a point.
constexpr int kCrustNeighbours = 24;
/// An edge runs along the curve when its direction is within 60 degrees of the curve's tangent
/// (the principal axis of the 8 nearest points) at one of its ends at least: across a thin
/// wall, or between the two sides of a sharp tip, it is nearly perpendicular to both.
constexpr double kAlongCos = 0.5;
/// At the tip of a sharp wedge both curve neighbours of the tip point lie on one side; the
/// second is then the nearest seen more than this many degrees away from the first.
constexpr double kTipDeg = 5.0;
/// The outline touches itself where points of two curves, or of one curve whose path between
/// them leaves the ball of kTouchReach times their distance (plus the spacing), come closer
/// than the point spacing. The two sides of a wedge of angle a stay within 1 / (2 sin(a / 2))
/// times their distance: wedges down to about 6 degrees pass.
constexpr double kTouchReach = 10.0;

/// Unit tangent at each point: the principal axis of its 8 nearest points.
PointMatrix curve_tangents(const PointMatrix& P, const KnnIndex& tree) {
  PointMatrix T(P.rows(), 2);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < P.rows(); ++i) {
    tree.nearest(P.row(i).data(), int(std::min<Index>(8, P.rows())), idx, d2);
    const Vec2 t = neighbourhood_pca(P, idx).eigenvectors().col(1).normalized();
    for (int c = 0; c < 2; ++c) T(i, c) = t[c];
  }
  return T;
}

/// The two NN-crust neighbours of point i (Dey & Kumar), among edges along the curve: its
/// nearest q, and the nearest on the other side of it ((s - x_i).(x_q - x_i) < 0), or at a
/// sharp tip the nearest more than kTipDeg away from q. -1 where none is found.
std::pair<Index, Index> crust_neighbours(const PointMatrix& P, const PointMatrix& T,
                                         const KnnIndex& tree, Index i) {
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  tree.nearest(P.row(i).data(), int(std::min<Index>(kCrustNeighbours, P.rows())), idx, d2);
  const Vec2 xi = at(P, i), ti = at(T, i);
  auto along = [&](Index j) {
    const Vec2 d = (at(P, j) - xi).normalized();
    return std::max(std::abs(ti.dot(d)), std::abs(at(T, j).dot(d))) >= kAlongCos;
  };
  Index q = -1;
  for (auto j : idx)
    if (Index(j) != i && along(j)) {
      q = j;
      break;
    }
  if (q < 0) return {-1, -1};
  const Vec2 dq = (at(P, q) - xi).normalized();
  Index tip = -1;
  for (auto j : idx) {
    if (Index(j) == i || Index(j) == q || !along(j)) continue;
    const Vec2 d = (at(P, j) - xi).normalized();
    if (d.dot(dq) < 0) return {q, j};
    if (tip < 0 && d.dot(dq) < std::cos(kTipDeg * M_PI / 180.0)) tip = j;
  }
  return {q, tip};
}

/// Drops edges between two points that both have more than two neighbours, longest first: a
/// point of one curve whose nearest neighbour lies on the other wall of a thin part.
void drop_surplus_edges(const PointMatrix& P, std::vector<std::vector<Index>>& adj) {
  struct Edge {
    double len;
    Index a, b;
  };
  std::vector<Edge> surplus;
  for (Index a = 0; a < Index(adj.size()); ++a)
    for (Index b : adj[std::size_t(a)])
      if (a < b && adj[std::size_t(a)].size() > 2 && adj[std::size_t(b)].size() > 2)
        surplus.push_back({(at(P, a) - at(P, b)).norm(), a, b});
  std::sort(surplus.begin(), surplus.end(), [](const Edge& x, const Edge& y) {
    return x.len > y.len || (x.len == y.len && (x.a < y.a || (x.a == y.a && x.b < y.b)));
  });
  for (const Edge& e : surplus) {
    auto& A = adj[std::size_t(e.a)];
    auto& B = adj[std::size_t(e.b)];
    if (A.size() <= 2 || B.size() <= 2) continue;
    A.erase(std::find(A.begin(), A.end(), e.b));
    B.erase(std::find(B.begin(), B.end(), e.a));
  }
}

/// Centripetal Catmull-Rom point at parameter u in [0, 1] of the segment p1 -> p2 (Barry and
/// Goldman's pyramid with knot intervals |p_{k+1} - p_k|^(1/2)).
Vec2 catmull_rom(const Vec2& p0, const Vec2& p1, const Vec2& p2, const Vec2& p3, double u) {
  const double t0 = 0.0;
  const double t1 = t0 + std::sqrt((p1 - p0).norm());
  const double t2 = t1 + std::sqrt((p2 - p1).norm());
  const double t3 = t2 + std::sqrt((p3 - p2).norm());
  const double t = t1 + u * (t2 - t1);
  const Vec2 a1 = ((t1 - t) * p0 + (t - t0) * p1) / (t1 - t0);
  const Vec2 a2 = ((t2 - t) * p1 + (t - t1) * p2) / (t2 - t1);
  const Vec2 a3 = ((t3 - t) * p2 + (t - t2) * p3) / (t3 - t2);
  const Vec2 b1 = ((t2 - t) * a1 + (t - t0) * a2) / (t2 - t0);
  const Vec2 b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1);
  return ((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1);
}

double turn_deg(const Vec2& in, const Vec2& out) {
  const double c = in.dot(out) / (in.norm() * out.norm());
  return std::acos(std::clamp(c, -1.0, 1.0)) * 180.0 / M_PI;
}

/// Refuses curves that cross or touch: two points closer than the point spacing at them (the
/// longer of their curve edges) on different curves, or on one curve whose shorter path between
/// them leaves the ball of kTouchReach times that distance (plus the spacing) around the first
/// (a crossing, not the two sides of a sharp tip).
void check_apart(const PointMatrix& P, const KnnIndex& tree,
                 const std::vector<std::vector<Index>>& loops,
                 const std::function<std::string(Index)>& where) {
  const Index n = P.rows();
  std::vector<Index> loop_of(static_cast<std::size_t>(n)), pos(static_cast<std::size_t>(n));
  std::vector<double> spacing(static_cast<std::size_t>(n));
  for (std::size_t l = 0; l < loops.size(); ++l) {
    const auto& L = loops[l];
    const std::size_t m = L.size();
    for (std::size_t k = 0; k < m; ++k) {
      loop_of[std::size_t(L[k])] = Index(l);
      pos[std::size_t(L[k])] = Index(k);
      spacing[std::size_t(L[k])] = std::max((at(P, L[k]) - at(P, L[(k + 1) % m])).norm(),
                                            (at(P, L[k]) - at(P, L[(k + m - 1) % m])).norm());
    }
  }
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < n; ++i) {
    tree.nearest(P.row(i).data(), int(std::min<Index>(kCrustNeighbours, n)), idx, d2);
    for (std::size_t c = 0; c < idx.size(); ++c) {
      const Index j = idx[c];
      const double d = std::sqrt(d2[c]);
      if (j == i || d >= std::max(spacing[std::size_t(i)], spacing[std::size_t(j)])) continue;
      bool touch = loop_of[std::size_t(i)] != loop_of[std::size_t(j)];
      if (!touch) {
        const auto& L = loops[std::size_t(loop_of[std::size_t(i)])];
        const Index m = Index(L.size());
        const Index forward = (pos[std::size_t(j)] - pos[std::size_t(i)] + m) % m;
        const Index step = forward <= m - forward ? 1 : m - 1,
                    count = std::min(forward, m - forward);
        const double reach = kTouchReach * d + spacing[std::size_t(i)];
        for (Index k = 1, p = pos[std::size_t(i)]; k < count && !touch; ++k) {
          p = (p + step) % m;
          touch = (at(P, L[std::size_t(p)]) - at(P, i)).norm() > reach;
        }
      }
      if (touch)
        throw std::runtime_error(fmt::format(
            "{}: the outline crosses or touches itself near this point (or its points are too "
            "sparse for its thickness there): the curve through the points comes back within "
            "{:.3g} of it at {}, closer than the spacing of the points there ({:.3g}); a boundary "
            "cloud must sample simple closed curves that keep apart more than their spacing",
            where(i), d, point_text(P, j),
            std::max(spacing[std::size_t(i)], spacing[std::size_t(j)])));
    }
  }
}

}  // namespace

std::vector<std::vector<Index>> order_cloud_loops(const PointMatrix& P, const std::string& name,
                                                  const std::function<std::string(Index)>& ref) {
  const Index n = P.rows();
  const auto where = [&](Index i) {
    return (ref ? ref(i) : fmt::format("{}: point {}", name, i + 1)) + " " + point_text(P, i);
  };
  if (P.cols() != 2 || n < 3)
    throw std::runtime_error(name + ": a 2D boundary cloud needs at least 3 points");
  const KnnIndex tree(P);
  std::vector<std::vector<Index>> adj(static_cast<std::size_t>(n));
  auto join = [&adj](Index a, Index b) {
    auto& A = adj[std::size_t(a)];
    if (std::find(A.begin(), A.end(), b) == A.end()) A.push_back(b);
    auto& B = adj[std::size_t(b)];
    if (std::find(B.begin(), B.end(), a) == B.end()) B.push_back(a);
  };
  const PointMatrix T = curve_tangents(P, tree);
  for (Index i = 0; i < n; ++i) {
    const auto [q, s] = crust_neighbours(P, T, tree, i);
    if (q >= 0) join(i, q);
    if (s >= 0) join(i, s);
  }
  drop_surplus_edges(P, adj);
  for (Index i = 0; i < n; ++i) {
    const auto d = adj[std::size_t(i)].size();
    if (d != 2)
      throw std::runtime_error(fmt::format(
          "{}: cannot join the boundary points into closed curves near this point: it has {} "
          "neighbours along the curve where a closed curve has 2 (the points are too sparse "
          "there for the part's thickness, or the outline crosses or touches itself); sample "
          "the boundary more densely there, or give the points in order as an outline",
          where(i), d));
  }
  std::vector<std::vector<Index>> loops;
  std::vector<char> seen(std::size_t(n), 0);
  for (Index s = 0; s < n; ++s) {
    if (seen[std::size_t(s)]) continue;
    std::vector<Index> loop;
    Index prev = -1, cur = s;
    do {
      seen[std::size_t(cur)] = 1;
      loop.push_back(cur);
      const auto& a = adj[std::size_t(cur)];
      const Index next = a[0] != prev ? a[0] : a[1];
      prev = cur;
      cur = next;
    } while (cur != s && !seen[std::size_t(cur)]);
    if (cur != s || loop.size() < 3)
      throw std::runtime_error(fmt::format(
          "{}: the boundary points near this point do not close into a curve of at least 3 "
          "points; sample the boundary more densely there",
          where(s)));
    loops.push_back(std::move(loop));
  }
  check_apart(P, tree, loops, where);
  return loops;
}

FittedCurves fit_closed_curves(const PointMatrix& P, const std::vector<std::vector<Index>>& loops,
                               double corner_deg) {
  FittedCurves out;
  double chords = 0.0;
  Index count = 0;
  for (const auto& L : loops) {
    for (std::size_t j = 0; j < L.size(); ++j)
      chords += (at(P, L[(j + 1) % L.size()]) - at(P, L[j])).norm();
    count += Index(L.size());
  }
  const double step = chords / double(std::max<Index>(count, 1)) / 16.0;
  for (const auto& L : loops) {
    const std::size_t m = L.size();
    auto x = [&](std::size_t j) { return at(P, L[j % m]); };
    std::vector<char> corner(m);
    std::vector<double> turn(m);
    for (std::size_t j = 0; j < m; ++j) {
      turn[j] = turn_deg(x(j) - x(j + m - 1), x(j + 1) - x(j));
      corner[j] = turn[j] > corner_deg;
    }
    std::vector<Vec2> dense;
    std::vector<Index> source;
    for (std::size_t j = 0; j < m; ++j) {
      const Vec2 p1 = x(j), p2 = x(j + 1);
      // At a corner the curve leaves (arrives) along the chord: the mirrored neighbour makes the
      // spline's end tangent the chord's direction.
      const Vec2 p0 = corner[j] ? Vec2(2 * p1 - p2) : x(j + m - 1);
      const Vec2 p3 = corner[(j + 1) % m] ? Vec2(2 * p2 - p1) : x(j + 2);
      const double chord = (p2 - p1).norm();
      const double bend = corner[j] ? 0.0 : turn[j];
      const double bend2 = corner[(j + 1) % m] ? 0.0 : turn[(j + 1) % m];
      const long pieces = std::clamp<long>(
          std::max(long(std::ceil(chord / step)), long(std::ceil(std::max(bend, bend2) / 4.0))), 1,
          512);
      for (long k = 0; k < pieces; ++k) {
        const double u = double(k) / double(pieces);
        dense.push_back(k == 0 ? p1 : catmull_rom(p0, p1, p2, p3, u));
        source.push_back((dense.back() - p1).norm() <= (dense.back() - p2).norm() ? L[j]
                                                                                  : L[(j + 1) % m]);
      }
    }
    PointMatrix D(Index(dense.size()), 2);
    for (std::size_t i = 0; i < dense.size(); ++i) {
      D.row(Index(i)) = dense[i].transpose();
      out.length += (dense[(i + 1) % dense.size()] - dense[i]).norm();
    }
    out.loops.push_back(std::move(D));
    out.source.push_back(std::move(source));
  }
  return out;
}

std::shared_ptr<PolylineDomain> cloud_outline_domain(const PointMatrix& points,
                                                     const std::string& name,
                                                     const std::vector<std::int32_t>& part,
                                                     const std::vector<std::string>& part_names,
                                                     double* mean_spacing,
                                                     const std::function<std::string(Index)>& ref) {
  auto loops = order_cloud_loops(points, name, ref);
  // Larger curves first (an outer curve before its holes), whatever the order of the points.
  const auto box_area = [&points](const std::vector<Index>& L) {
    Vec2 lo = at(points, L[0]), hi = lo;
    for (Index i : L) {
      lo = lo.cwiseMin(at(points, i));
      hi = hi.cwiseMax(at(points, i));
    }
    return (hi - lo).prod();
  };
  std::stable_sort(loops.begin(), loops.end(),
                   [&](const auto& a, const auto& b) { return box_area(a) > box_area(b); });
  FittedCurves fit = fit_closed_curves(points, loops);
  std::vector<std::vector<std::int32_t>> dense_part;
  if (!part.empty())
    for (const auto& src : fit.source) {
      std::vector<std::int32_t> p;
      p.reserve(src.size());
      for (Index i : src) p.push_back(part[std::size_t(i)]);
      dense_part.push_back(std::move(p));
    }
  if (mean_spacing) *mean_spacing = fit.length / double(points.rows());
  try {
    return std::make_shared<PolylineDomain>(std::move(fit.loops), name, 30.0, std::move(dense_part),
                                            part.empty() ? std::vector<std::string>{} : part_names);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string(e.what()) +
                             " (the curve fitted through the boundary points)");
  }
}

PointMatrix outline_normals_at(const PolylineDomain& outline, const PointMatrix& points) {
  // Every vertex of the oriented loops (domain on the left) with the mean of its two edges'
  // outward normals; a cloud point takes the normal of the vertex nearest to it.
  Index total = 0;
  for (const auto& L : outline.loops()) total += L.rows();
  PointMatrix V(total, 2), N(total, 2);
  Index r = 0;
  for (const auto& L : outline.loops()) {
    const Index m = L.rows();
    for (Index i = 0; i < m; ++i, ++r) {
      const Vec2 a = at(L, (i + m - 1) % m), b = at(L, i), c = at(L, (i + 1) % m);
      const Vec2 t1 = (b - a).normalized(), t2 = (c - b).normalized();
      const Vec2 n = Vec2(t1.y(), -t1.x()) + Vec2(t2.y(), -t2.x());
      const Vec2 unit = n.norm() > 1e-12 ? Vec2(n.normalized()) : Vec2(t2.y(), -t2.x());
      for (int c = 0; c < 2; ++c) {  // element-wise: GCC 12 misreads a packet store here
        V(r, c) = b[c];
        N(r, c) = unit[c];
      }
    }
  }
  const KnnIndex tree(V);
  PointMatrix out(points.rows(), 2);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < points.rows(); ++i) {
    tree.nearest(points.row(i).data(), 1, idx, d2);
    out.row(i) = N.row(idx[0]);
  }
  return out;
}

}  // namespace dtpinn::nodegen
