// read_geometry: picks the reader by extension and, for 2D point tables, tells an ordered
// outline (a simple closed polygon through the points in file order) from an unordered cloud.
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/readers.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "readers_detail.hpp"

namespace dtpinn::nodegen {
namespace {

double cross2(const Eigen::Vector2d& a, const Eigen::Vector2d& b) {
  return a.x() * b.y() - a.y() * b.x();
}

/// Proper or touching intersection of segments ab and cd.
bool segments_intersect(const Eigen::Vector2d& a, const Eigen::Vector2d& b,
                        const Eigen::Vector2d& c, const Eigen::Vector2d& d) {
  const double d1 = cross2(b - a, c - a), d2 = cross2(b - a, d - a);
  const double d3 = cross2(d - c, a - c), d4 = cross2(d - c, b - c);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
    return true;
  auto on = [](const Eigen::Vector2d& p, const Eigen::Vector2d& q, const Eigen::Vector2d& r,
               double cr) {  // r on segment pq, given collinear
    return cr == 0.0 && std::min(p.x(), q.x()) <= r.x() && r.x() <= std::max(p.x(), q.x()) &&
           std::min(p.y(), q.y()) <= r.y() && r.y() <= std::max(p.y(), q.y());
  };
  return on(a, b, c, d1) || on(a, b, d, d2) || on(c, d, a, d3) || on(c, d, b, d4);
}

/// The rows of `cloud` in `rows`, as a loop (K x 2), with their parts when the cloud has any.
PointMatrix loop_of(const PointCloud& cloud, const std::vector<Index>& rows,
                    std::vector<std::int32_t>* part) {
  PointMatrix L(Index(rows.size()), 2);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    L.row(Index(i)) = cloud.points.row(rows[i]);
    if (part && cloud.has_parts()) part->push_back(cloud.part[std::size_t(rows[i])]);
  }
  return L;
}

/// A `loop` column: each loop number's points in file order, loops by number.
void loops_from_column(GeometryData& g) {
  const PointCloud& c = g.cloud;
  std::map<std::int32_t, std::vector<Index>> rows;
  for (Index i = 0; i < c.points.rows(); ++i) rows[c.loop[std::size_t(i)]].push_back(i);
  for (const auto& [number, r] : rows) {
    std::vector<std::int32_t> part;
    g.loops.push_back(loop_of(c, r, &part));
    if (c.has_parts()) g.loop_part.push_back(std::move(part));
  }
  if (c.has_parts()) g.part_names = c.part_names;
}

/// With a part column: runs of consecutive points with the same part, each a simple closed
/// polygon whose closing segment is no longer than 3 of its steps (else not an outline).
bool loops_from_part_runs(GeometryData& g) {
  const PointCloud& c = g.cloud;
  std::vector<std::vector<Index>> runs;
  for (Index i = 0; i < c.points.rows(); ++i) {
    if (i == 0 || c.part[std::size_t(i)] != c.part[std::size_t(i - 1)]) runs.emplace_back();
    runs.back().push_back(i);
  }
  if (runs.size() < 2) return false;
  std::vector<PointMatrix> loops;
  for (const auto& r : runs) {
    if (r.size() < 3) return false;
    PointMatrix L = loop_of(c, r, nullptr);
    double longest = 0.0;
    for (Index i = 0; i + 1 < L.rows(); ++i)
      longest = std::max(longest, (L.row(i + 1) - L.row(i)).norm());
    if ((L.row(0) - L.row(L.rows() - 1)).norm() > 3.0 * longest || !is_simple_polygon(L))
      return false;
    loops.push_back(std::move(L));
  }
  g.loops = std::move(loops);
  g.part_names = c.part_names;
  for (const auto& r : runs) g.loop_part.emplace_back(r.size(), c.part[std::size_t(r.front())]);
  return true;
}

}  // namespace

/// True if the points, joined in order and closed, form a simple polygon (no two
/// non-adjacent edges meet, no repeated points). O(K^2) with a bounding-box cut.
bool is_simple_polygon(const PointMatrix& P) {
  const Eigen::Index n = P.rows();
  if (n < 3) return false;
  std::vector<Eigen::Vector2d> p(n);
  for (Eigen::Index i = 0; i < n; ++i) p[i] = P.row(i).head<2>().transpose();
  for (Eigen::Index i = 0; i < n; ++i)
    if (p[i] == p[(i + 1) % n]) return false;
  // Sort edges by min x to prune pairs quickly.
  std::vector<Eigen::Index> order(n);
  for (Eigen::Index i = 0; i < n; ++i) order[i] = i;
  auto lo = [&](Eigen::Index e) { return std::min(p[e].x(), p[(e + 1) % n].x()); };
  auto hi = [&](Eigen::Index e) { return std::max(p[e].x(), p[(e + 1) % n].x()); };
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return lo(a) < lo(b); });
  for (Eigen::Index s = 0; s < n; ++s) {
    const Eigen::Index e = order[s];
    for (Eigen::Index t = s + 1; t < n && lo(order[t]) <= hi(e); ++t) {
      const Eigen::Index f = order[t];
      if (f == (e + 1) % n || e == (f + 1) % n) continue;  // adjacent edges share a vertex
      if (segments_intersect(p[e], p[(e + 1) % n], p[f], p[(f + 1) % n])) return false;
    }
  }
  return true;
}

GeometryData read_geometry(const std::string& path, bool detect_polyline) {
  const std::string ext = detail::extension(path);
  GeometryData g;
  if (ext == ".stl") {
    g.type = GeometryData::Type::mesh;
    g.mesh = read_stl(path);
    return g;
  }
  if (ext == ".ply") return read_ply(path);
  if (ext == ".obj") return read_obj(path);
  g.type = GeometryData::Type::cloud;
  g.cloud = read_point_table(path);
  if (!g.cloud.loop.empty()) {
    if (g.cloud.has_normals())
      throw std::runtime_error(path +
                               ": an outline with a loop column takes its normals from its "
                               "segments; drop the normal columns");
    g.type = GeometryData::Type::polyline;
    loops_from_column(g);
    g.cloud = PointCloud{};
    return g;
  }
  const bool outline_like = detect_polyline && g.cloud.dim == 2 && !g.cloud.has_normals() &&
                            !g.cloud.has_kinds() && g.cloud.points.rows() <= 50000;
  const bool simple = outline_like && is_simple_polygon(g.cloud.points);
  if (outline_like && !simple && g.cloud.has_parts() && loops_from_part_runs(g)) {
    g.type = GeometryData::Type::polyline;
    g.cloud = PointCloud{};
    return g;
  }
  if (outline_like && !simple) {
    // Points in outline order that are not a simple polygon cross themselves (a figure-eight,
    // a bowtie): as a boundary cloud they would get wrong normals at the crossing.
    const NodeProblem x = find_outline_crossing(g.cloud.points);
    if (x) {
      const auto line = [&](Index i) { return g.cloud.lines[std::size_t(i)]; };
      const Index n = g.cloud.points.rows();
      throw std::runtime_error(fmt::format(
          "{}:{}: {}: the segment from line {} to line {} crosses the one from line {} to line "
          "{}; an outline must be a simple closed curve",
          path, line(x.node), x.reason, line(x.node), line((x.node + 1) % n), line(x.other),
          line((x.other + 1) % n)));
    }
  }
  if (simple) {
    g.type = GeometryData::Type::polyline;
    g.loops.push_back(g.cloud.points);
    if (g.cloud.has_parts()) {  // a part column: the part of the segment from each point on
      g.loop_part.push_back(g.cloud.part);
      g.part_names = g.cloud.part_names;
    }
    g.cloud = PointCloud{};
  }
  return g;
}

}  // namespace dtpinn::nodegen
