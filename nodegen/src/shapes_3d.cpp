// 3D shapes: ball (Fibonacci-sphere boundary) and box (edges + per-face 2D advancing front).
#include <dtpinn/nodegen/shapes.hpp>

#include "fill_core.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

constexpr double kPi = 3.14159265358979323846;

BoundarySample to_sample(const std::vector<Eigen::Vector3d>& p,
                         const std::vector<Eigen::Vector3d>& n) {
  BoundarySample s;
  s.part.assign(p.size(), 0);
  s.points.resize(Eigen::Index(p.size()), 3);
  s.normals.resize(Eigen::Index(p.size()), 3);
  for (std::size_t i = 0; i < p.size(); ++i) {
    s.points.row(Eigen::Index(i)) = p[i].transpose();
    // Component-wise: GCC 12 flags Eigen's AVX path for a normalized() temporary with a false
    // -Warray-bounds.
    const double len = n[i].norm();
    s.normals.row(Eigen::Index(i)) << n[i].x() / len, n[i].y() / len, n[i].z() / len;
  }
  return s;
}

class Ball final : public Domain {
 public:
  Ball(const Eigen::Vector3d& c, double r) : c_(c), r_(r) {}
  int dim() const override { return 3; }
  Eigen::VectorXd bbox_min() const override { return c_.array() - r_; }
  Eigen::VectorXd bbox_max() const override { return c_.array() + r_; }
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override {
    return (Eigen::Vector3d(p[0], p[1], p[2]) - c_).squaredNorm() < r_ * r_;
  }
  // Fibonacci sphere: n points with area 4 pi r^2 / n each; a hexagonal-like lattice whose
  // nearest-neighbour distance is about h when each point owns (sqrt(3)/2) h^2.
  BoundarySample sample_boundary(double h, std::mt19937_64&) const override {
    if (!(h > 0) || !std::isfinite(h)) throw std::invalid_argument("ball: h must be > 0");
    const double nd = 4 * kPi * r_ * r_ / (0.8660254037844386 * h * h);
    if (nd > 1e8) throw std::invalid_argument("ball: h too small");
    const long n = std::max(12L, std::lround(nd));
    const double golden = kPi * (3.0 - std::sqrt(5.0));
    std::vector<Eigen::Vector3d> p, nn;
    for (long i = 0; i < n; ++i) {
      const double z = 1.0 - (2.0 * double(i) + 1.0) / double(n);
      const double rho = std::sqrt(std::max(0.0, 1.0 - z * z));
      const Eigen::Vector3d u(rho * std::cos(golden * double(i)),
                              rho * std::sin(golden * double(i)), z);
      const Eigen::Vector3d un = u.normalized();
      p.push_back(c_ + r_ * un);
      nn.push_back(un);
    }
    return to_sample(p, nn);
  }
  double volume() const override { return 4.0 / 3.0 * kPi * r_ * r_ * r_; }
  double boundary_measure() const override { return 4 * kPi * r_ * r_; }
  std::string describe() const override {
    return fmt::format("ball(center=({},{},{}), r={})", c_.x(), c_.y(), c_.z(), r_);
  }

 private:
  Eigen::Vector3d c_;
  double r_;
};

class Box final : public Domain {
 public:
  Box(const Eigen::Vector3d& lo, const Eigen::Vector3d& hi) : lo_(lo), hi_(hi) {}
  int dim() const override { return 3; }
  Eigen::VectorXd bbox_min() const override { return lo_; }
  Eigen::VectorXd bbox_max() const override { return hi_; }
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override {
    for (int k = 0; k < 3; ++k)
      if (!(p[k] > lo_[k] && p[k] < hi_[k])) return false;
    return true;
  }
  BoundarySample sample_boundary(double h, std::mt19937_64& rng) const override {
    if (!(h > 0) || !std::isfinite(h)) throw std::invalid_argument("box: h must be > 0");
    const Eigen::Vector3d ext = hi_ - lo_;
    if (2 * (ext.x() * ext.y() + ext.y() * ext.z() + ext.x() * ext.z()) / (h * h) > 1e8)
      throw std::invalid_argument("box: h too small");
    std::vector<Eigen::Vector3d> p, nn;
    std::vector<std::int32_t> part;
    // Part of a point on the boundary: the first face it lies on, in the order x-, x+, y-, y+,
    // z-, z+ (left right front back bottom top), so edge and corner nodes have one part.
    auto part_at = [this](const Eigen::Vector3d& q) {
      for (int k = 0; k < 3; ++k) {
        if (q[k] == lo_[k]) return std::int32_t(2 * k);
        if (q[k] == hi_[k]) return std::int32_t(2 * k + 1);
      }
      return std::int32_t(0);  // not reached: every sample lies on a face
    };
    // Outward normal of a point on the boundary: sum over the faces it lies on.
    auto normal_at = [this](const Eigen::Vector3d& q) {
      Eigen::Vector3d n = Eigen::Vector3d::Zero();
      for (int k = 0; k < 3; ++k) {
        if (q[k] == lo_[k]) n[k] -= 1;
        if (q[k] == hi_[k]) n[k] += 1;
      }
      return n;
    };
    // Corners and edge nodes. Edge along axis a, at fixed (b, c) sides.
    int nseg[3];
    for (int a = 0; a < 3; ++a) nseg[a] = int(std::max(1L, std::lround(ext[a] / h)));
    for (int i = 0; i < 8; ++i) {
      const Eigen::Vector3d q((i & 1) ? hi_.x() : lo_.x(), (i & 2) ? hi_.y() : lo_.y(),
                              (i & 4) ? hi_.z() : lo_.z());
      p.push_back(q);
      nn.push_back(normal_at(q));
    }
    for (int a = 0; a < 3; ++a) {
      const int b = (a + 1) % 3, c = (a + 2) % 3;
      for (int s = 0; s < 4; ++s) {
        Eigen::Vector3d q;
        q[b] = (s & 1) ? hi_[b] : lo_[b];
        q[c] = (s & 2) ? hi_[c] : lo_[c];
        for (int j = 1; j < nseg[a]; ++j) {
          q[a] = lo_[a] + ext[a] * double(j) / double(nseg[a]);
          p.push_back(q);
          nn.push_back(normal_at(q));
        }
      }
    }
    const std::size_t n_edges = p.size();
    // Faces: 2D advancing front inside each face, seeded by that face's edge nodes.
    for (int a = 0; a < 3; ++a) {
      const int b = (a + 1) % 3, c = (a + 2) % 3;
      for (int side = 0; side < 2; ++side) {
        const double fixed = side ? hi_[a] : lo_[a];
        std::vector<detail::Vec<2>> seeds;
        for (std::size_t i = 0; i < n_edges; ++i)
          if (p[i][a] == fixed) seeds.emplace_back(p[i][b], p[i][c]);
        const detail::Vec<2> flo(lo_[b], lo_[c]), fhi(hi_[b], hi_[c]);
        std::function<bool(const detail::Vec<2>&)> inside = [flo, fhi](const detail::Vec<2>& q) {
          return q.x() > flo.x() && q.x() < fhi.x() && q.y() > flo.y() && q.y() < fhi.y();
        };
        std::function<double(const detail::Vec<2>&)> spacing = [h](const detail::Vec<2>&) {
          return h;
        };
        const auto face = detail::advancing_front<2>(seeds, inside, spacing, h, flo, fhi, rng);
        Eigen::Vector3d n = Eigen::Vector3d::Zero();
        n[a] = side ? 1.0 : -1.0;
        for (const auto& f : face) {
          Eigen::Vector3d q;
          q[a] = fixed;
          q[b] = f.x();
          q[c] = f.y();
          p.push_back(q);
          nn.push_back(n);
        }
      }
    }
    BoundarySample out = to_sample(p, nn);
    for (std::size_t i = 0; i < p.size(); ++i) out.part[i] = part_at(p[i]);
    // Edge and corner nodes (the first n_edges): each face they lie on is a side, with its own
    // part and normal.
    for (std::size_t i = 0; i < n_edges; ++i) {
      BoundaryCorner corner;
      corner.boundary = static_cast<Index>(i);
      for (int k = 0; k < 3; ++k)
        for (int side = 0; side < 2; ++side)
          if (p[i][k] == (side ? hi_[k] : lo_[k])) {
            CornerSide s{std::int32_t(2 * k + side), {0.0, 0.0, 0.0}};
            s.normal[std::size_t(k)] = side ? 1.0 : -1.0;
            corner.sides.push_back(s);
          }
      if (corner.sides.size() >= 2) out.corners.push_back(std::move(corner));
    }
    out.part_names = {"left", "right", "front", "back", "bottom", "top"};
    return out;
  }
  double volume() const override { return (hi_ - lo_).prod(); }
  double boundary_measure() const override {
    const Eigen::Vector3d e = hi_ - lo_;
    return 2 * (e.x() * e.y() + e.y() * e.z() + e.x() * e.z());
  }
  std::string describe() const override {
    return fmt::format("box([{},{}]x[{},{}]x[{},{}])", lo_.x(), hi_.x(), lo_.y(), hi_.y(), lo_.z(),
                       hi_.z());
  }

 private:
  Eigen::Vector3d lo_, hi_;
};

}  // namespace

DomainPtr make_ball(const Eigen::Vector3d& c, double r) {
  if (!(r > 0) || !std::isfinite(r) || !c.allFinite())
    throw std::invalid_argument("ball: radius must be > 0");
  return std::make_shared<Ball>(c, r);
}

DomainPtr make_box(const Eigen::Vector3d& lo, const Eigen::Vector3d& hi) {
  if (!((hi - lo).array() > 0).all() || !lo.allFinite() || !hi.allFinite())
    throw std::invalid_argument("box: need lo < hi in every coordinate");
  return std::make_shared<Box>(lo, hi);
}

}  // namespace dtpinn::nodegen
