// PolylineDomain: a 2D domain bounded by closed polylines (an imported outline with holes).
#include <dtpinn/nodegen/surface_domain.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

using Vec2 = Eigen::Vector2d;

/// A corner where the outline turns by more than 120 degrees (a wedge of less than 60 degrees,
/// inside or outside): its two sides come closer than the spacing within one spacing of it.
const double kStaggerCos = std::cos(120.0 * M_PI / 180.0);

double cross2(const Vec2& a, const Vec2& b) {
  return a.x() * b.y() - a.y() * b.x();
}

bool segments_touch(const Vec2& a, const Vec2& b, const Vec2& c, const Vec2& d) {
  const double d1 = cross2(b - a, c - a), d2 = cross2(b - a, d - a);
  const double d3 = cross2(d - c, a - c), d4 = cross2(d - c, b - c);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
    return true;
  auto on = [](const Vec2& p, const Vec2& q, const Vec2& r, double cr) {
    return cr == 0.0 && std::min(p.x(), q.x()) <= r.x() && r.x() <= std::max(p.x(), q.x()) &&
           std::min(p.y(), q.y()) <= r.y() && r.y() <= std::max(p.y(), q.y());
  };
  return on(a, b, c, d1) || on(a, b, d, d2) || on(c, d, a, d3) || on(c, d, b, d4);
}

/// Where segments ab and cd meet: their crossing point, or for touching / overlapping segments
/// the first end of one lying on the other.
Vec2 meeting_point(const Vec2& a, const Vec2& b, const Vec2& c, const Vec2& d) {
  const double d1 = cross2(b - a, c - a), d2 = cross2(b - a, d - a);
  if (d1 != d2 && ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0))) return c + (d - c) * (d1 / (d1 - d2));
  if (d1 == 0.0) return c;
  if (d2 == 0.0) return d;
  return cross2(d - c, a - c) == 0.0 ? a : b;
}

double signed_area(const PointMatrix& P) {
  double a = 0.0;
  const auto n = P.rows();
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto j = (i + 1) % n;
    a += P(i, 0) * P(j, 1) - P(j, 0) * P(i, 1);
  }
  return 0.5 * a;
}

/// Even-odd crossing test of p against one loop.
bool inside_loop(const PointMatrix& P, const Vec2& p) {
  bool in = false;
  const auto n = P.rows();
  for (Eigen::Index i = 0, j = n - 1; i < n; j = i++) {
    const double yi = P(i, 1), yj = P(j, 1);
    if ((yi > p.y()) != (yj > p.y()) &&
        p.x() < P(j, 0) + (p.y() - yj) * (P(i, 0) - P(j, 0)) / (yi - yj))
      in = !in;
  }
  return in;
}

std::string pt(const Vec2& p) {
  return fmt::format("({:.6g}, {:.6g})", p.x(), p.y());
}

// The default parts of loops at the given nesting depths (see the constructor).
std::vector<std::string> loop_part_names(const std::vector<int>& depth,
                                         std::vector<std::int32_t>& loop_part) {
  if (depth.size() == 1) {
    loop_part = {0};
    return {"boundary"};
  }
  int outers = 0, holes = 0;
  for (int d : depth) outers += d % 2 == 0;
  std::vector<std::string> names;
  for (int d : depth) {
    if (d % 2 == 0)
      names.push_back(outers == 1 ? std::string("outer")
                                  : fmt::format("outer{}", names.size() + 1 - holes));
    else
      names.push_back(fmt::format("hole{}", ++holes));
    loop_part.push_back(static_cast<std::int32_t>(names.size() - 1));
  }
  return names;
}

}  // namespace

PolylineDomain::PolylineDomain(std::vector<PointMatrix> loops, std::string name,
                               double crease_angle_deg,
                               std::vector<std::vector<std::int32_t>> point_part,
                               std::vector<std::string> part_names)
    : seg_part_(std::move(point_part)),
      part_names_(std::move(part_names)),
      name_(std::move(name)),
      crease_cos_(std::cos(crease_angle_deg * M_PI / 180.0)) {
  if (loops.empty()) throw std::invalid_argument(name_ + ": no outline");
  if (!seg_part_.empty() && seg_part_.size() != loops.size())
    throw std::invalid_argument(name_ + ": point parts do not match the loops");
  for (std::size_t l = 0; l < seg_part_.size(); ++l) {
    if (seg_part_[l].size() != std::size_t(loops[l].rows()))
      throw std::invalid_argument(name_ + ": point parts do not match the loop's points");
    for (auto p : seg_part_[l])
      if (p < 0 || std::size_t(p) >= part_names_.size())
        throw std::invalid_argument(name_ + ": point part outside the part table");
  }
  for (std::size_t l = 0; l < loops.size(); ++l) {
    auto& L = loops[l];
    if (L.cols() != 2) throw std::invalid_argument(name_ + ": outline points must be 2D");
    if (L.rows() > 1 && L.row(0) == L.row(L.rows() - 1)) {
      PointMatrix T = L.topRows(L.rows() - 1);
      L = T;
      if (!seg_part_.empty()) seg_part_[l].pop_back();  // the repeated point starts no segment
    }
    if (L.rows() < 3)
      throw std::invalid_argument(name_ + ": an outline needs at least 3 points, found " +
                                  std::to_string(L.rows()));
    for (Eigen::Index i = 0; i < L.rows(); ++i)
      if (L.row(i) == L.row((i + 1) % L.rows()))
        throw std::invalid_argument(name_ + ": repeated consecutive point " +
                                    pt(L.row(i).transpose()) + " in the outline");
  }
  // No two edges (of any loops) may meet except neighbours within a loop.
  struct Edge {
    int loop;
    Eigen::Index i;
    Vec2 a, b;
  };
  std::vector<Edge> edges;
  for (int l = 0; l < int(loops.size()); ++l)
    for (Eigen::Index i = 0; i < loops[l].rows(); ++i)
      edges.push_back(
          {l, i, loops[l].row(i).transpose(), loops[l].row((i + 1) % loops[l].rows()).transpose()});
  std::sort(edges.begin(), edges.end(), [](const Edge& e, const Edge& f) {
    return std::min(e.a.x(), e.b.x()) < std::min(f.a.x(), f.b.x());
  });
  for (std::size_t s = 0; s < edges.size(); ++s) {
    const Edge& e = edges[s];
    const double hi = std::max(e.a.x(), e.b.x());
    for (std::size_t t = s + 1; t < edges.size() && std::min(edges[t].a.x(), edges[t].b.x()) <= hi;
         ++t) {
      const Edge& f = edges[t];
      if (e.loop == f.loop) {
        const auto n = loops[e.loop].rows();
        if (f.i == (e.i + 1) % n || e.i == (f.i + 1) % n) continue;
      }
      if (segments_touch(e.a, e.b, f.a, f.b))
        throw std::invalid_argument(fmt::format(
            "{}: the outline intersects itself at {}: the edge {}-{} meets the edge "
            "{}-{}",
            name_, pt(meeting_point(e.a, e.b, f.a, f.b)), pt(e.a), pt(e.b), pt(f.a), pt(f.b)));
    }
  }
  // After the crossing test: a bowtie's two lobes cancel to zero area, and the crossing is
  // what the user needs to hear about.
  for (const auto& L : loops)
    if (signed_area(L) == 0.0) throw std::invalid_argument(name_ + ": outline of zero area");
  // Nesting: loops inside an odd number of others are holes (clockwise), others counter-clockwise.
  std::vector<int> depths;
  for (std::size_t l = 0; l < loops.size(); ++l) {
    int depth = 0;
    const Vec2 p = loops[l].row(0).transpose();
    for (std::size_t o = 0; o < loops.size(); ++o)
      if (o != l && inside_loop(loops[o], p)) ++depth;
    depths.push_back(depth);
  }
  if (seg_part_.empty()) {
    std::vector<std::int32_t> loop_part;
    part_names_ = loop_part_names(depths, loop_part);
    for (std::size_t l = 0; l < loops.size(); ++l)
      seg_part_.emplace_back(std::size_t(loops[l].rows()), loop_part[l]);
  }
  for (std::size_t l = 0; l < loops.size(); ++l) {
    const bool want_ccw = depths[l] % 2 == 0;
    reversed_.push_back((signed_area(loops[l]) > 0) != want_ccw);
    if (reversed_.back()) {
      // Reversed, segment k runs from old point n-1-k to old point n-2-k, which started it.
      loops[l] = loops[l].colwise().reverse().eval();
      std::reverse(seg_part_[l].begin(), seg_part_[l].end());
    }
    area_ += signed_area(loops[l]);
  }
  if (!(area_ > 0)) throw std::invalid_argument(name_ + ": outline encloses no area");
  loops_ = std::move(loops);
  bmin_ = Eigen::Vector2d::Constant(std::numeric_limits<double>::infinity());
  bmax_ = -bmin_;
  std::vector<double> lengths;
  for (const auto& L : loops_) {
    bmin_ = bmin_.cwiseMin(L.colwise().minCoeff().transpose());
    bmax_ = bmax_.cwiseMax(L.colwise().maxCoeff().transpose());
    for (Eigen::Index i = 0; i < L.rows(); ++i)
      lengths.push_back((L.row((i + 1) % L.rows()) - L.row(i)).norm());
  }
  for (double l : lengths) perimeter_ += l;
  std::nth_element(lengths.begin(), lengths.begin() + lengths.size() / 2, lengths.end());
  median_edge_ = lengths[lengths.size() / 2];
  // Horizontal bands of edges make contains() O(edges per band) instead of O(all edges).
  const std::size_t nb = std::max<std::size_t>(1, std::size_t(std::sqrt(double(lengths.size()))));
  band_y0_ = bmin_[1];
  band_dy_ = std::max((bmax_[1] - bmin_[1]) / double(nb), 1e-300);
  bands_.assign(nb, {});
  for (int l = 0; l < int(loops_.size()); ++l) {
    const auto& L = loops_[l];
    for (Eigen::Index i = 0; i < L.rows(); ++i) {
      const double y0 = std::min(L(i, 1), L((i + 1) % L.rows(), 1));
      const double y1 = std::max(L(i, 1), L((i + 1) % L.rows(), 1));
      const auto b0 = std::clamp<long>(long((y0 - band_y0_) / band_dy_), 0, long(nb) - 1);
      const auto b1 = std::clamp<long>(long((y1 - band_y0_) / band_dy_), 0, long(nb) - 1);
      for (long b = b0; b <= b1; ++b) bands_[b].push_back({l, int(i)});
    }
  }
}

bool PolylineDomain::contains(const Eigen::Ref<const Eigen::VectorXd>& p) const {
  const double px = p[0], py = p[1];
  if (px <= bmin_[0] || px >= bmax_[0] || py <= bmin_[1] || py >= bmax_[1]) return false;
  const auto b = std::clamp<long>(long((py - band_y0_) / band_dy_), 0, long(bands_.size()) - 1);
  bool in = false;
  for (auto [l, i] : bands_[b]) {
    const auto& L = loops_[l];
    const Eigen::Index j = (i + 1) % L.rows();
    const double yi = L(i, 1), yj = L(j, 1);
    if ((yi > py) != (yj > py) && px < L(i, 0) + (py - yi) * (L(j, 0) - L(i, 0)) / (yj - yi))
      in = !in;
  }
  return in;
}

BoundarySample PolylineDomain::sample_boundary(double h, std::mt19937_64& /*rng*/) const {
  if (!(h > 0) || !std::isfinite(h))
    throw std::invalid_argument("sample_boundary: h must be > 0 and finite");
  if (perimeter_ / h > 1e8) throw std::invalid_argument("sample_boundary: h too small");
  std::vector<Vec2> pts, nrm;
  std::vector<std::int32_t> part;
  std::vector<BoundaryCorner> corners_out;
  for (std::size_t l = 0; l < loops_.size(); ++l) {
    const auto& L = loops_[l];
    const auto& seg = seg_part_[l];
    const auto n = L.rows();
    std::vector<Vec2> en(n), vn(n);
    std::vector<double> len(n);
    std::vector<char> corner(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Vec2 t = (L.row((i + 1) % n) - L.row(i)).transpose();
      len[i] = t.norm();
      en[i] = Vec2(t.y(), -t.x()) / len[i];  // domain on the left: outward is to the right
    }
    std::vector<Eigen::Index> corners;
    std::vector<char> sharp(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Vec2& a = en[(i + n - 1) % n];
      const Vec2& b = en[i];
      vn[i] = (a + b).norm() > 1e-12 ? Vec2((a + b).normalized()) : b;
      corner[i] = a.dot(b) < crease_cos_;
      sharp[i] = a.dot(b) < kStaggerCos;
      if (corner[i]) corners.push_back(i);
    }
    // Stretches between corners (or the whole loop from vertex 0 if it is smooth).
    const bool smooth = corners.empty();
    if (smooth) corners.push_back(0);
    for (std::size_t c = 0; c < corners.size(); ++c) {
      const Eigen::Index start = corners[c];
      const Eigen::Index stop = corners[(c + 1) % corners.size()];
      double L_chain = 0.0;
      Eigen::Index e = start;
      do {
        L_chain += len[e];
        e = (e + 1) % n;
      } while (e != stop);
      const long m = std::max<long>(smooth ? 3 : 1, std::lround(L_chain / h));
      // Walk the stretch placing nodes at s_k = k L / m, k = 0 .. m-1; towards a sharp corner
      // at s_k = k L / (m - 1/2), the last half a step from it, between the next stretch's
      // corner node and its first node: the two sides of a thin wedge take turns instead of
      // facing each other closer than the spacing.
      const double steps = !smooth && m > 1 && sharp[stop] ? double(m) - 0.5 : double(m);
      Eigen::Index edge = start;
      double s_edge = 0.0;  // arc length at the start of `edge`
      for (long k = 0; k < m; ++k) {
        const double s = L_chain * double(k) / steps;
        while (s > s_edge + len[edge] && (edge + 1) % n != stop) {
          s_edge += len[edge];
          edge = (edge + 1) % n;
        }
        const double t = std::clamp((s - s_edge) / len[edge], 0.0, 1.0);
        const Eigen::Index i0 = edge, i1 = (edge + 1) % n;
        const Vec2 p = (1 - t) * L.row(i0).transpose() + t * L.row(i1).transpose();
        Vec2 nv;
        if (k == 0 && !smooth) {
          nv = vn[i0];  // a corner: the normalised sum of its two edge normals
          // Each side keeps its own part and normal: segment i runs from point i to i + 1 and
          // has the part of its start point in the file's order (i + 1 when reversed).
          const Eigen::Index before = (i0 + n - 1) % n;
          const auto segment_part = [&](Eigen::Index s) {
            return seg[std::size_t(reversed_[l] ? (s + 1) % n : s)];
          };
          BoundaryCorner c;
          c.boundary = static_cast<Index>(pts.size());
          c.sides = {{segment_part(before), {en[before].x(), en[before].y(), 0.0}},
                     {segment_part(i0), {en[i0].x(), en[i0].y(), 0.0}}};
          corners_out.push_back(std::move(c));
        } else {
          const Vec2 n0 = corner[i0] ? en[edge] : vn[i0];
          const Vec2 n1 = corner[i1] ? en[edge] : vn[i1];
          const Vec2 q = (1 - t) * n0 + t * n1;
          nv = q.norm() > 1e-12 ? Vec2(q.normalized()) : en[edge];
        }
        pts.push_back(p);
        nrm.push_back(nv);
        // A node at a point has the point's part, one between two points the part of the
        // segment's start point in the file's order (i1 when the loop was reversed here).
        const Eigen::Index at = t <= 0.0 ? i0 : (t >= 1.0 || reversed_[l]) ? i1 : i0;
        part.push_back(seg[std::size_t(at)]);
      }
    }
  }
  BoundarySample out;
  out.points.resize(Eigen::Index(pts.size()), 2);
  out.normals.resize(Eigen::Index(pts.size()), 2);
  out.part = std::move(part);
  out.part_names = part_names_;
  out.corners = std::move(corners_out);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    out.points.row(Eigen::Index(i)) = pts[i].transpose();
    out.normals.row(Eigen::Index(i)) = nrm[i].transpose();
  }
  return out;
}

}  // namespace dtpinn::nodegen
