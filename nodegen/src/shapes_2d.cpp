// 2D shapes: CurveDomain2D (loops of smooth pieces, arc-length sampling) and the analytic
// shapes built on it (disk, rectangle, L-shape, star, polygon, parametric curve).
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

constexpr double kPi = 3.14159265358979323846;

// 8-point Gauss-Legendre on [-1, 1].
constexpr std::array<double, 8> kGlX = {
    -0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
    0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
constexpr std::array<double, 8> kGlW = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
                                        0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
                                        0.2223810344533745, 0.1012285362903763};

double speed(const CurvePiece& c, double t) {
  return c.derivative(t).norm();
}

double integrate_speed(const CurvePiece& c, double a, double b) {
  const double m = 0.5 * (a + b), r = 0.5 * (b - a);
  double s = 0.0;
  for (int i = 0; i < 8; ++i) s += kGlW[i] * speed(c, m + r * kGlX[i]);
  return s * r;
}

// Arc-length table of one piece: cumulative length at panel boundaries.
struct ArcTable {
  std::vector<double> cum;  // size panels + 1
  int panels = 0;
  double length() const { return cum.back(); }
};

ArcTable arc_table(const CurvePiece& c, int panels) {
  ArcTable a;
  a.panels = panels;
  a.cum.resize(panels + 1);
  a.cum[0] = 0.0;
  for (int i = 0; i < panels; ++i)
    a.cum[i + 1] = a.cum[i] + integrate_speed(c, double(i) / panels, double(i + 1) / panels);
  return a;
}

// Parameter t with arc length s from t = 0 (Newton within the panel, bisection safeguard).
double invert_arc(const CurvePiece& c, const ArcTable& a, double s) {
  if (s <= 0.0) return 0.0;
  if (s >= a.length()) return 1.0;
  const int p = int(std::upper_bound(a.cum.begin(), a.cum.end(), s) - a.cum.begin()) - 1;
  double lo = double(p) / a.panels, hi = double(p + 1) / a.panels;
  const double target = s - a.cum[p];
  const double seg = a.cum[p + 1] - a.cum[p];
  double t = lo + (hi - lo) * (seg > 0 ? target / seg : 0.5);
  const double t_lo = lo;
  for (int it = 0; it < 50; ++it) {
    const double f = integrate_speed(c, t_lo, t) - target;
    if (f > 0)
      hi = t;
    else
      lo = t;
    const double v = speed(c, t);
    double tn = v > 0 ? t - f / v : 0.5 * (lo + hi);
    if (!(tn > lo && tn < hi)) tn = 0.5 * (lo + hi);
    if (std::abs(tn - t) < 1e-15) {
      t = tn;
      break;
    }
    t = tn;
  }
  return t;
}

Eigen::Vector2d outward(const Eigen::Vector2d& d) {
  const double n = d.norm();
  return n > 0 ? Eigen::Vector2d(d.y() / n, -d.x() / n) : Eigen::Vector2d::Zero();
}

double cross(const Eigen::Vector2d& a, const Eigen::Vector2d& b) {
  return a.x() * b.y() - a.y() * b.x();
}

// Proper or touching intersection of segments [p1,p2] and [q1,q2].
bool segments_intersect(const Eigen::Vector2d& p1, const Eigen::Vector2d& p2,
                        const Eigen::Vector2d& q1, const Eigen::Vector2d& q2, double eps) {
  const double d1 = cross(p2 - p1, q1 - p1), d2 = cross(p2 - p1, q2 - p1);
  const double d3 = cross(q2 - q1, p1 - q1), d4 = cross(q2 - q1, p2 - q1);
  if (((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps)) &&
      ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps)))
    return true;
  auto on_seg = [eps](const Eigen::Vector2d& a, const Eigen::Vector2d& b, const Eigen::Vector2d& q,
                      double d) {
    if (std::abs(d) > eps) return false;
    return q.x() >= std::min(a.x(), b.x()) - eps && q.x() <= std::max(a.x(), b.x()) + eps &&
           q.y() >= std::min(a.y(), b.y()) - eps && q.y() <= std::max(a.y(), b.y()) + eps;
  };
  return on_seg(p1, p2, q1, d1) || on_seg(p1, p2, q2, d2) || on_seg(q1, q2, p1, d3) ||
         on_seg(q1, q2, p2, d4);
}

// First index of a pair of non-adjacent intersecting edges of a closed polygon, or -1.
int self_intersection(const std::vector<Eigen::Vector2d>& v, double eps) {
  const int n = int(v.size());
  for (int i = 0; i < n; ++i) {
    const auto& a = v[i];
    const auto& b = v[(i + 1) % n];
    for (int j = i + 1; j < n; ++j) {
      if (j == i + 1 || (i == 0 && j == n - 1)) continue;  // adjacent edges share a vertex
      const auto& c = v[j];
      const auto& d = v[(j + 1) % n];
      if (std::max(a.x(), b.x()) < std::min(c.x(), d.x()) - eps ||
          std::max(c.x(), d.x()) < std::min(a.x(), b.x()) - eps ||
          std::max(a.y(), b.y()) < std::min(c.y(), d.y()) - eps ||
          std::max(c.y(), d.y()) < std::min(a.y(), b.y()) - eps)
        continue;
      if (segments_intersect(a, b, c, d, eps)) return i;
    }
  }
  return -1;
}

double signed_area(const std::vector<Eigen::Vector2d>& v) {
  double s = 0.0;
  for (size_t i = 0; i < v.size(); ++i) s += cross(v[i], v[(i + 1) % v.size()]);
  return 0.5 * s;
}

CurvePiece segment_piece(const Eigen::Vector2d& a, const Eigen::Vector2d& b,
                         std::string part = {}) {
  return {[a, b](double t) -> Eigen::Vector2d { return a + t * (b - a); },
          [a, b](double) -> Eigen::Vector2d { return b - a; }, std::move(part)};
}

// Parity test against a closed polygon (exact geometry, as for make_polygon).
bool polygon_contains(const std::vector<Eigen::Vector2d>& v, const Eigen::Vector2d& p) {
  bool in = false;
  const size_t n = v.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const auto& a = v[i];
    const auto& b = v[j];
    if ((a.y() > p.y()) != (b.y() > p.y())) {
      const double x = a.x() + (p.y() - a.y()) * (b.x() - a.x()) / (b.y() - a.y());
      if (p.x() < x) in = !in;
    }
  }
  return in;
}

// Distance from p to a closed polygon's edges.
double polygon_distance(const std::vector<Eigen::Vector2d>& v, const Eigen::Vector2d& p) {
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < v.size(); ++i) {
    const auto& a = v[i];
    const auto& b = v[(i + 1) % v.size()];
    const Eigen::Vector2d ab = b - a;
    const double L2 = ab.squaredNorm();
    const double t = L2 > 0 ? std::clamp((p - a).dot(ab) / L2, 0.0, 1.0) : 0.0;
    best = std::min(best, (a + t * ab - p).norm());
  }
  return best;
}

// The part table of a set of loops and the part index of every piece (see the constructor).
void piece_parts(const std::vector<CurveLoop>& loops, const std::string& what,
                 std::vector<std::string>& names, std::vector<std::vector<std::int32_t>>& index) {
  const bool fixed = !names.empty();
  for (const auto& loop : loops) {
    index.emplace_back();
    for (const auto& piece : loop) {
      const std::string name = piece.part.empty() ? std::string("boundary") : piece.part;
      if (!is_valid_part_name(name))
        throw std::invalid_argument(fmt::format("{}: invalid part name \"{}\"", what, name));
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) {
        if (fixed)
          throw std::invalid_argument(
              fmt::format("{}: part \"{}\" is not in the part order", what, name));
        names.push_back(name);
        it = names.end() - 1;
      }
      index.back().push_back(static_cast<std::int32_t>(it - names.begin()));
    }
  }
}

constexpr int kPanels = 256;         // arc-length panels per piece
constexpr int kPolySegments = 2048;  // polygonal approximation per curved piece

}  // namespace

CurveDomain2D::CurveDomain2D(std::vector<CurveLoop> loops, std::string description,
                             std::function<bool(const Eigen::Vector2d&)> inside,
                             std::vector<std::string> part_order)
    : loops_(std::move(loops)),
      part_names_(std::move(part_order)),
      description_(std::move(description)),
      inside_(std::move(inside)) {
  if (loops_.empty()) throw std::invalid_argument(description_ + ": no boundary loops");
  piece_parts(loops_, description_, part_names_, piece_part_);
  bmin_ = Eigen::VectorXd::Constant(2, std::numeric_limits<double>::infinity());
  bmax_ = -bmin_;
  for (const auto& loop : loops_) {
    poly_loop_start_.push_back(int(poly_.size()));
    std::vector<double> lengths;
    for (const auto& piece : loop) {
      const ArcTable a = arc_table(piece, kPanels);
      lengths.push_back(a.length());
      perimeter_ += a.length();
      // A straight piece needs only its end points; curved ones a fine polyline.
      const Eigen::Vector2d p0 = piece.point(0.0), p1 = piece.point(1.0);
      const Eigen::Vector2d pm = piece.point(0.5);
      const bool straight = std::abs(a.length() - (p1 - p0).norm()) <= 1e-12 * a.length() &&
                            std::abs(cross(p1 - p0, pm - p0)) <= 1e-14 * a.length() * a.length();
      const int segs = straight ? 1 : kPolySegments;
      for (int i = 0; i < segs; ++i) poly_.push_back(piece.point(double(i) / segs));
    }
    piece_length_.push_back(lengths);
  }
  poly_loop_start_.push_back(int(poly_.size()));
  for (const auto& p : poly_) {
    bmin_ = bmin_.cwiseMin(p);
    bmax_ = bmax_.cwiseMax(p);
  }
  for (size_t l = 0; l + 1 < poly_loop_start_.size(); ++l) {
    std::vector<Eigen::Vector2d> v(poly_.begin() + poly_loop_start_[l],
                                   poly_.begin() + poly_loop_start_[l + 1]);
    area_ += signed_area(v);
  }
  {
    const std::size_t nbands = std::max<std::size_t>(1, poly_.size() / 4);
    bands_.assign(nbands, {});
    band_y0_ = bmin_[1];
    band_dy_ = std::max((bmax_[1] - bmin_[1]) / double(nbands), 1e-300);
    for (size_t l = 0; l + 1 < poly_loop_start_.size(); ++l) {
      const int b = poly_loop_start_[l], e = poly_loop_start_[l + 1];
      for (int i = b, j = e - 1; i < e; j = i++) {
        const double ylo = std::min(poly_[std::size_t(i)].y(), poly_[std::size_t(j)].y());
        const double yhi = std::max(poly_[std::size_t(i)].y(), poly_[std::size_t(j)].y());
        const long b0 =
            std::clamp(long(std::floor((ylo - band_y0_) / band_dy_)), 0L, long(nbands) - 1);
        const long b1 =
            std::clamp(long(std::floor((yhi - band_y0_) / band_dy_)), 0L, long(nbands) - 1);
        for (long k = b0; k <= b1; ++k) bands_[std::size_t(k)].emplace_back(i, j);
      }
    }
  }
  // Curved pieces: the polygon under-estimates the area by O(seg^2); fine for sizing h.
  if (!(area_ > 0)) throw std::invalid_argument(description_ + ": zero or negative area");
}

bool CurveDomain2D::contains(const Eigen::Ref<const Eigen::VectorXd>& p) const {
  const Eigen::Vector2d q(p[0], p[1]);
  if (inside_) return inside_(q);
  if (q.x() <= bmin_[0] || q.y() <= bmin_[1] || q.x() >= bmax_[0] || q.y() >= bmax_[1])
    return false;
  // Parity over the edges of the band holding q.y (all loops: holes toggle back).
  const long nb = long(bands_.size());
  const long band = std::clamp(long(std::floor((q.y() - band_y0_) / band_dy_)), 0L, nb - 1);
  bool in = false;
  for (const auto& [i, j] : bands_[std::size_t(band)]) {
    const auto& a = poly_[std::size_t(i)];
    const auto& c = poly_[std::size_t(j)];
    if ((a.y() > q.y()) != (c.y() > q.y())) {
      const double x = a.x() + (q.y() - a.y()) * (c.x() - a.x()) / (c.y() - a.y());
      if (q.x() < x) in = !in;
    }
  }
  return in;
}

double CurveDomain2D::boundary_distance(const Eigen::Vector2d& p) const {
  double best = std::numeric_limits<double>::infinity();
  for (size_t l = 0; l + 1 < poly_loop_start_.size(); ++l) {
    std::vector<Eigen::Vector2d> v(poly_.begin() + poly_loop_start_[l],
                                   poly_.begin() + poly_loop_start_[l + 1]);
    best = std::min(best, polygon_distance(v, p));
  }
  return best;
}

BoundarySample CurveDomain2D::sample_boundary(double h, std::mt19937_64& /*rng*/) const {
  if (!(h > 0) || !std::isfinite(h)) throw std::invalid_argument("sample_boundary: h must be > 0");
  std::vector<Eigen::Vector2d> pts, nrm;
  std::vector<std::int32_t> part;
  std::vector<BoundaryCorner> corners;
  for (size_t l = 0; l < loops_.size(); ++l) {
    const auto& loop = loops_[l];
    const size_t np = loop.size();
    for (size_t i = 0; i < np; ++i) {
      const auto& piece = loop[i];
      const ArcTable a = arc_table(piece, kPanels);
      const double L = a.length();
      long n = std::lround(L / h);
      n = std::max<long>(n, np == 1 ? 3 : 1);
      if (n > 100000000L) throw std::invalid_argument("sample_boundary: h too small");
      // Corner at t = 0: compare with the end tangent of the previous piece.
      const auto& prev = loop[(i + np - 1) % np];
      const Eigen::Vector2d n_prev = outward(prev.derivative(1.0));
      const Eigen::Vector2d n_here = outward(piece.derivative(0.0));
      Eigen::Vector2d n0 = n_here;
      if ((n_prev - n_here).norm() > 1e-9) {
        const Eigen::Vector2d s = n_prev + n_here;
        n0 = s.norm() > 1e-12 ? Eigen::Vector2d(s.normalized()) : n_here;
        // A corner: each side keeps its own part and normal.
        BoundaryCorner corner;
        corner.boundary = static_cast<Index>(pts.size());
        corner.sides = {{piece_part_[l][(i + np - 1) % np], {n_prev.x(), n_prev.y(), 0.0}},
                        {piece_part_[l][i], {n_here.x(), n_here.y(), 0.0}}};
        corners.push_back(std::move(corner));
      }
      // The corner at t = 0 belongs to this piece (the one that starts there).
      pts.push_back(piece.point(0.0));
      nrm.push_back(n0);
      for (long j = 1; j < n; ++j) {
        const double t = invert_arc(piece, a, L * double(j) / double(n));
        pts.push_back(piece.point(t));
        nrm.push_back(outward(piece.derivative(t)));
      }
      part.resize(pts.size(), piece_part_[l][i]);
    }
  }
  BoundarySample s;
  s.points.resize(Eigen::Index(pts.size()), 2);
  s.normals.resize(Eigen::Index(pts.size()), 2);
  s.part = std::move(part);
  s.part_names = part_names_;
  s.corners = std::move(corners);
  for (size_t i = 0; i < pts.size(); ++i) {
    s.points.row(Eigen::Index(i)) = pts[i].transpose();
    s.normals.row(Eigen::Index(i)) = nrm[i].transpose();
  }
  return s;
}

// ---- analytic shapes ----------------------------------------------------------------------

DomainPtr make_disk(const Eigen::Vector2d& c, double r) {
  if (!(r > 0) || !std::isfinite(r)) throw std::invalid_argument("disk: radius must be > 0");
  CurvePiece p{[c, r](double t) -> Eigen::Vector2d {
                 return c + r * Eigen::Vector2d(std::cos(2 * kPi * t), std::sin(2 * kPi * t));
               },
               [r](double t) -> Eigen::Vector2d {
                 return 2 * kPi * r *
                        Eigen::Vector2d(-std::sin(2 * kPi * t), std::cos(2 * kPi * t));
               },
               {}};
  return std::make_shared<CurveDomain2D>(
      std::vector<CurveLoop>{{p}}, fmt::format("disk(center=({},{}), r={})", c.x(), c.y(), r),
      [c, r](const Eigen::Vector2d& q) { return (q - c).squaredNorm() < r * r; });
}

DomainPtr make_annulus(const Eigen::Vector2d& c, double r_in, double r_out) {
  if (!(r_in > 0) || !(r_out > r_in))
    throw std::invalid_argument("annulus: need 0 < r_inner < r_outer");
  return make_difference(make_disk(c, r_out), {make_disk(c, r_in)});
}

DomainPtr make_rectangle(const Eigen::Vector2d& lo, const Eigen::Vector2d& hi) {
  if (!(hi.x() > lo.x()) || !(hi.y() > lo.y()))
    throw std::invalid_argument("rectangle: need lo < hi in both coordinates");
  // Counter-clockwise from (lo.x, lo.y); each side starts at the corner it owns.
  const Eigen::Vector2d a(lo.x(), lo.y()), b(hi.x(), lo.y()), c(hi.x(), hi.y()), d(lo.x(), hi.y());
  CurveLoop loop{segment_piece(a, b, "bottom"), segment_piece(b, c, "right"),
                 segment_piece(c, d, "top"), segment_piece(d, a, "left")};
  return std::make_shared<CurveDomain2D>(
      std::vector<CurveLoop>{loop},
      fmt::format("rectangle([{},{}]x[{},{}])", lo.x(), hi.x(), lo.y(), hi.y()),
      [lo, hi](const Eigen::Vector2d& q) {
        return q.x() > lo.x() && q.x() < hi.x() && q.y() > lo.y() && q.y() < hi.y();
      },
      std::vector<std::string>{"left", "right", "bottom", "top"});
}

DomainPtr make_lshape(double size) {
  if (!(size > 0)) throw std::invalid_argument("lshape: size must be > 0");
  const double s = 0.5 * size;
  const std::vector<Eigen::Vector2d> v = {{-s, -s}, {s, -s}, {s, 0}, {0, 0}, {0, s}, {-s, s}};
  static const char* names[] = {"bottom", "right", "notch_bottom", "notch_left", "top", "left"};
  CurveLoop loop;
  for (std::size_t i = 0; i < v.size(); ++i)
    loop.push_back(segment_piece(v[i], v[(i + 1) % v.size()], names[i]));
  return std::make_shared<CurveDomain2D>(
      std::vector<CurveLoop>{loop}, fmt::format("lshape(size={})", size),
      [v](const Eigen::Vector2d& q) {
        return polygon_contains(v, q) && polygon_distance(v, q) > 0.0;
      });
}

DomainPtr make_star(double r0, double a, int k, const Eigen::Vector2d& c) {
  if (!(r0 > 0) || !(a >= 0) || !(a < r0) || k < 1)
    throw std::invalid_argument("star: need r0 > 0, 0 <= a < r0, k >= 1");
  const double w = 2 * kPi;
  CurvePiece p{[=](double t) -> Eigen::Vector2d {
                 const double th = w * t, r = r0 + a * std::cos(k * th);
                 return c + r * Eigen::Vector2d(std::cos(th), std::sin(th));
               },
               [=](double t) -> Eigen::Vector2d {
                 const double th = w * t, r = r0 + a * std::cos(k * th);
                 const double dr = -a * k * std::sin(k * th);
                 return w * Eigen::Vector2d(dr * std::cos(th) - r * std::sin(th),
                                            dr * std::sin(th) + r * std::cos(th));
               },
               {}};
  return std::make_shared<CurveDomain2D>(std::vector<CurveLoop>{{p}},
                                         fmt::format("star(r = {} + {} cos({} t))", r0, a, k),
                                         [=](const Eigen::Vector2d& q) {
                                           const Eigen::Vector2d d = q - c;
                                           const double th = std::atan2(d.y(), d.x());
                                           return d.norm() < r0 + a * std::cos(k * th);
                                         });
}

DomainPtr make_polygon(const Eigen::MatrixX2d& vertices) {
  std::vector<Eigen::Vector2d> v;
  for (Eigen::Index i = 0; i < vertices.rows(); ++i) {
    const Eigen::Vector2d p = vertices.row(i).transpose();
    if (!p.allFinite())
      throw std::invalid_argument(fmt::format("polygon: vertex {} is not finite", i));
    v.push_back(p);
  }
  if (v.size() >= 2 && (v.front() - v.back()).norm() == 0.0) v.pop_back();  // explicit closure
  if (v.size() < 3)
    throw std::invalid_argument(
        fmt::format("polygon: needs at least 3 vertices, got {}", v.size()));
  double scale = 0.0;
  for (const auto& p : v) scale = std::max(scale, p.cwiseAbs().maxCoeff());
  const double eps = 1e-12 * std::max(scale, 1e-300) * std::max(scale, 1e-300);
  for (size_t i = 0; i < v.size(); ++i)
    if ((v[i] - v[(i + 1) % v.size()]).norm() <= 1e-12 * scale)
      throw std::invalid_argument(
          fmt::format("polygon: vertices {} and {} coincide", i, (i + 1) % v.size()));
  const int bad = self_intersection(v, eps);
  if (bad >= 0)
    throw std::invalid_argument(
        fmt::format("polygon: self-intersecting (edge {} crosses a non-adjacent edge)", bad));
  const double A = signed_area(v);
  if (std::abs(A) <= 1e-12 * scale * scale)
    throw std::invalid_argument("polygon: zero area (degenerate or collinear vertices)");
  if (A < 0) std::reverse(v.begin(), v.end());  // counter-clockwise: outward = tangent turned cw
  CurveLoop loop;
  for (size_t i = 0; i < v.size(); ++i) loop.push_back(segment_piece(v[i], v[(i + 1) % v.size()]));
  return std::make_shared<CurveDomain2D>(
      std::vector<CurveLoop>{loop}, fmt::format("polygon({} vertices)", v.size()),
      [v](const Eigen::Vector2d& q) {
        return polygon_contains(v, q) && polygon_distance(v, q) > 0.0;
      });
}

DomainPtr make_parametric(std::function<Eigen::Vector2d(double)> curve, double t0, double t1,
                          std::function<Eigen::Vector2d(double)> derivative,
                          std::string description) {
  if (!curve) throw std::invalid_argument("parametric curve: empty function");
  if (!(t1 > t0) || !std::isfinite(t0) || !std::isfinite(t1))
    throw std::invalid_argument("parametric curve: need t0 < t1");
  const double span = t1 - t0;
  if (!derivative) {
    // Fourth-order central difference; the step balances truncation and rounding.
    const double d = 1e-3 * span;
    derivative = [curve, d](double t) -> Eigen::Vector2d {
      return (8.0 * (curve(t + d) - curve(t - d)) - (curve(t + 2 * d) - curve(t - 2 * d))) /
             (12.0 * d);
    };
  }
  const Eigen::Vector2d a = curve(t0), b = curve(t1);
  if (!a.allFinite() || !b.allFinite())
    throw std::invalid_argument("parametric curve: non-finite point");
  // Coarse polygon: closure, orientation and simplicity checks.
  constexpr int kCheck = 512;
  std::vector<Eigen::Vector2d> v;
  double scale = 0.0;
  for (int i = 0; i < kCheck; ++i) {
    const Eigen::Vector2d p = curve(t0 + span * i / kCheck);
    if (!p.allFinite()) throw std::invalid_argument("parametric curve: non-finite point");
    v.push_back(p);
    scale = std::max(scale, p.cwiseAbs().maxCoeff());
  }
  if ((a - b).norm() > 1e-9 * std::max(scale, 1.0))
    throw std::invalid_argument(fmt::format(
        "parametric curve: not closed, x(t0) and x(t1) differ by {:.3g}", (a - b).norm()));
  if (self_intersection(v, 1e-14 * scale * scale) >= 0)
    throw std::invalid_argument("parametric curve: self-intersecting");
  const bool ccw = signed_area(v) > 0;
  CurvePiece p;
  if (ccw) {
    p.point = [curve, t0, span](double t) { return curve(t0 + span * t); };
    p.derivative = [derivative, t0, span](double t) -> Eigen::Vector2d {
      return span * derivative(t0 + span * t);
    };
  } else {
    p.point = [curve, t1, span](double t) { return curve(t1 - span * t); };
    p.derivative = [derivative, t1, span](double t) -> Eigen::Vector2d {
      return -span * derivative(t1 - span * t);
    };
  }
  return std::make_shared<CurveDomain2D>(std::vector<CurveLoop>{{p}}, std::move(description));
}

}  // namespace dtpinn::nodegen
