// Stencil visibility through the domain and the geometric diagnosis of failed stencils, from the
// boundary nodes and their normals (stencil_geometry.hpp).
#include "stencil_geometry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dtpinn::rbffd::detail {

using nodegen::Index;

namespace {

std::string point_text(const double* p, int dim) {
  return dim == 2 ? fmt::format("({:.6g}, {:.6g})", p[0], p[1])
                  : fmt::format("({:.6g}, {:.6g}, {:.6g})", p[0], p[1], p[2]);
}

}  // namespace

Visibility::Visibility(const nodegen::NodeSet& nodes, const nodegen::KnnIndex& tree)
    : nodes_(nodes),
      tree_(tree),
      dim_(nodes.dim),
      active_(nodes.n_boundary > 0 && nodes.normals.rows() == nodes.size() &&
              nodes.normals.cols() == nodes.dim) {}

Index Visibility::wall_of(Index i) const {
  if (i < nodes_.n_interior) return -1;
  if (i < nodes_.ghost_begin()) return i;
  return i - nodes_.n_boundary;  // ghost k belongs to boundary node k
}

double Visibility::dot(const Wall& a, const Wall& b) const {
  double v = 0.0;
  for (int c = 0; c < dim_; ++c) v += a.normal[c] * b.normal[c];
  return v;
}

double Visibility::height(const Wall& w, const double* p) const {
  double v = 0.0;
  for (int c = 0; c < dim_; ++c) v += w.normal[c] * (p[c] - nodes_.points(w.node, c));
  return v;
}

void Visibility::gather_walls(const std::int32_t* idx, int k, VisibilityWorkspace& ws) const {
  ws.nodes.clear();
  for (int j = 0; j < k; ++j) {
    const Index w = wall_of(idx[j]);
    if (w >= 0) ws.nodes.push_back(static_cast<std::int32_t>(w));
  }
  std::sort(ws.nodes.begin(), ws.nodes.end());
  ws.nodes.erase(std::unique(ws.nodes.begin(), ws.nodes.end()), ws.nodes.end());
  ws.walls.clear();
  for (const auto b : ws.nodes) {
    // A corner's sides are its walls (its bisector normal is no wall's).
    const nodegen::BoundaryCorner* corner = nodes_.corner_of(b - nodes_.n_interior);
    if (!corner) {
      ws.walls.push_back({b, nodes_.normals.row(b).data()});
      continue;
    }
    for (const auto& side : corner->sides) ws.walls.push_back({b, side.normal.data()});
  }
}

bool Visibility::has_facing_walls(const std::int32_t* idx, int n, VisibilityWorkspace& ws) const {
  if (!active_) return false;
  gather_walls(idx, n, ws);
  for (std::size_t a = 0; a < ws.walls.size(); ++a)
    for (std::size_t b = a + 1; b < ws.walls.size(); ++b)
      if (dot(ws.walls[a], ws.walls[b]) < kFacingCosine) return true;
  return false;
}

void Visibility::collect_walls(const std::int32_t* idx, int k, VisibilityWorkspace& ws) const {
  gather_walls(idx, k, ws);
  // The local spacing of each wall: the distance to the nearest node of its own wall (normals
  // less than 90 degrees apart); across a gap narrower than the spacing the far wall must not
  // count.
  ws.spacing.assign(ws.walls.size(), std::numeric_limits<double>::infinity());
  for (std::size_t a = 0; a < ws.walls.size(); ++a)
    for (std::size_t b = a + 1; b < ws.walls.size(); ++b) {
      const Wall &wa = ws.walls[a], &wb = ws.walls[b];
      if (wa.node == wb.node || dot(wa, wb) <= 0.0) continue;
      const double d = (nodes_.points.row(wa.node) - nodes_.points.row(wb.node)).norm();
      ws.spacing[a] = std::min(ws.spacing[a], d);
      ws.spacing[b] = std::min(ws.spacing[b], d);
    }
  for (std::size_t a = 0; a < ws.walls.size(); ++a) {
    if (std::isfinite(ws.spacing[a])) continue;
    std::int32_t near[2];
    double d2[2];
    const int found = tree_.nearest(nodes_.points.row(ws.walls[a].node).data(), 2, near, d2);
    ws.spacing[a] = found == 2 ? std::sqrt(d2[1]) : 0.0;
  }
}

bool Visibility::blocked(const double* x, const double* s, VisibilityWorkspace& ws,
                         std::string* where) const {
  // Crossings of the walls' tangent planes, out of the domain (exits) and back in (entries),
  // each with its position t along the segment; a pair exit-then-entry through facing walls
  // blocks the segment.
  ws.exits.clear();
  ws.entries.clear();
  for (std::size_t k = 0; k < ws.walls.size(); ++k) {
    const Wall& w = ws.walls[k];
    const double rho = ws.spacing[k], tol = 1e-9 * rho;
    const double hx = height(w, x), hs = height(w, s);
    const bool exit = hx <= tol && hs > tol, entry = hx > tol && hs <= tol;
    if (!exit && !entry) continue;
    const double t = std::clamp(hx / (hx - hs), 0.0, 1.0);
    double d2 = 0.0;
    for (int c = 0; c < dim_; ++c) {
      const double v = x[c] + t * (s[c] - x[c]) - nodes_.points(w.node, c);
      d2 += v * v;
    }
    if (d2 > rho * rho) continue;  // the plane is crossed away from the wall node
    (exit ? ws.exits : ws.entries).push_back({t, k});
  }
  for (const auto& out : ws.exits)
    for (const auto& in : ws.entries) {
      if (in.t + 1e-12 < out.t) continue;
      const Wall &a = ws.walls[out.wall], &b = ws.walls[in.wall];
      if (dot(a, b) >= kFacingCosine) continue;
      if (where) {
        double mid[3];
        for (int c = 0; c < dim_; ++c)
          mid[c] = 0.5 * (nodes_.points(a.node, c) + nodes_.points(b.node, c));
        *where =
            fmt::format("near {} (a gap of {:.3g} between the walls there)", point_text(mid, dim_),
                        std::abs(height(a, nodes_.points.row(b.node).data())));
      }
      return true;
    }
  return false;
}

VisibilityResult Visibility::filter(const double* x, Index centre, int n, std::int32_t* idx,
                                    double* dist2, VisibilityWorkspace& ws) const {
  VisibilityResult result;
  if (!has_facing_walls(idx, n, ws)) return result;
  const Index total = nodes_.size();
  for (const int factor : {kCandidateFactor, kWideCandidateFactor}) {
    const int k = static_cast<int>(std::min<Index>(total, static_cast<Index>(factor) * n));
    ws.idx.resize(static_cast<std::size_t>(k));
    ws.dist2.resize(static_cast<std::size_t>(k));
    const int found = tree_.nearest(x, k, ws.idx.data(), ws.dist2.data());
    collect_walls(ws.idx.data(), found, ws);
    ws.kept.clear();
    ws.kept_dist2.clear();
    std::string where;
    for (int j = 0; j < found && static_cast<int>(ws.kept.size()) < n; ++j) {
      const Index i = ws.idx[static_cast<std::size_t>(j)];
      // A ghost is judged by its boundary node; the centre and its own ghost always see it.
      const Index target = nodes_.kind(i) == nodegen::NodeKind::ghost ? wall_of(i) : i;
      const bool visible = target == centre || !blocked(x, nodes_.points.row(target).data(), ws,
                                                        where.empty() ? &where : nullptr);
      if (!visible) continue;
      ws.kept.push_back(ws.idx[static_cast<std::size_t>(j)]);
      ws.kept_dist2.push_back(ws.dist2[static_cast<std::size_t>(j)]);
    }
    if (static_cast<int>(ws.kept.size()) == n) {
      for (int j = 0; j < n; ++j) {
        result.changed = result.changed || idx[j] != ws.kept[static_cast<std::size_t>(j)];
        idx[j] = ws.kept[static_cast<std::size_t>(j)];
        dist2[j] = ws.kept_dist2[static_cast<std::size_t>(j)];
      }
      return result;
    }
    result.visible = static_cast<int>(ws.kept.size());
    result.candidates = found;
    result.narrow = where;
    if (found == total) break;  // no more candidates to look at
  }
  result.refused = true;
  return result;
}

std::string Visibility::nearly_coincident(const std::int32_t* idx, int n) const {
  // The closest pair of the stencil against the distance from its first node to its nearest
  // other: a pair a hundred times closer than the spacing makes the stencil singular.
  double closest = std::numeric_limits<double>::infinity(), spacing = closest;
  int a = -1, b = -1;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double d = (nodes_.points.row(idx[i]) - nodes_.points.row(idx[j])).norm();
      if (i == 0) spacing = std::min(spacing, d);
      if (d < closest) {
        closest = d;
        a = i;
        b = j;
      }
    }
  if (a < 0 || !(closest < 1e-2 * spacing)) return "";
  return fmt::format(
      "{} node {} and {} node {} lie only {:.3g} apart ({:.2g} of the spacing) at {}",
      nodegen::to_string(nodes_.kind(idx[a])), idx[a], nodegen::to_string(nodes_.kind(idx[b])),
      idx[b], closest, closest / spacing, point_text(nodes_.points.row(idx[a]).data(), dim_));
}

std::string Visibility::explain_failure(const double* x, const std::int32_t* idx, int n) const {
  if (!active_) return "";
  VisibilityWorkspace ws;
  collect_walls(idx, n, ws);
  // Two walls back to back (each behind the other's tangent plane): the material between them
  // is as thick as the distance across. Of the pairs thinner than two spacings, the one
  // nearest to x.
  double thinnest = 0.0, nearest = std::numeric_limits<double>::infinity(), cosine = 0.0,
         spacing = 0.0;
  const Wall* best[2] = {nullptr, nullptr};
  for (std::size_t a = 0; a < ws.walls.size(); ++a)
    for (std::size_t b = a + 1; b < ws.walls.size(); ++b) {
      const Wall &wa = ws.walls[a], &wb = ws.walls[b];
      const double c = dot(wa, wb);
      if (wa.node == wb.node || c >= kFacingCosine) continue;
      const double ha = height(wa, nodes_.points.row(wb.node).data());
      const double hb = height(wb, nodes_.points.row(wa.node).data());
      if (!(ha < 0.0 && hb < 0.0)) continue;  // facing across a gap, not back to back
      const double thickness = std::min(-ha, -hb);
      const double local = std::min(ws.spacing[a], ws.spacing[b]);
      if (!(thickness < 2.0 * local)) continue;
      double d2 = 0.0;
      for (int k = 0; k < dim_; ++k) {
        const double m = 0.5 * (nodes_.points(wa.node, k) + nodes_.points(wb.node, k)) - x[k];
        d2 += m * m;
      }
      if (d2 < nearest) {
        nearest = d2;
        thinnest = thickness;
        cosine = c;
        spacing = local;
        best[0] = &wa;
        best[1] = &wb;
      }
    }
  if (!best[0]) return nearly_coincident(idx, n);
  double mid[3];
  for (int c = 0; c < dim_; ++c)
    mid[c] = 0.5 * (nodes_.points(best[0]->node, c) + nodes_.points(best[1]->node, c));
  const double opening = 180.0 - std::acos(std::clamp(cosine, -1.0, 1.0)) * 180.0 / M_PI;
  if (opening > 2.0)
    return fmt::format("a sharp tip (the walls meet at about {:.0f} degrees) near {}", opening,
                       point_text(mid, dim_));
  return fmt::format("a feature thinner than {:.3g} ({:.2g} node spacings across) near {}",
                     thinnest, thinnest / spacing, point_text(mid, dim_));
}

}  // namespace dtpinn::rbffd::detail
