#pragma once
// Private: the Poisson-disk advancing-front fill (Slak & Kosec 2019, "On generation of node
// distributions for meshless PDE discretizations") on a uniform background grid, used for the
// interior fill in 2D/3D and for the faces of a box surface.
//
// Starting from seed nodes (boundary nodes), every node p of a FIFO queue proposes candidates
// on the circle / sphere of radius h(p) around it (a fixed candidate pattern under a random
// rotation); a candidate c is accepted when it is inside the domain and no node lies closer than
// min(h(p), h(c)). Accepted nodes join the queue. Deterministic for a given rng state; no
// threads (thread count cannot change the result).
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace dtpinn::nodegen::detail {

template <int D>
using Vec = Eigen::Matrix<double, D, 1>;

/// Uniform grid of node indices (linked lists per cell) over a box.
template <int D>
class PointGrid {
 public:
  PointGrid(const Vec<D>& lo, const Vec<D>& hi, double cell, std::int64_t max_cells = 1LL << 27) {
    Vec<D> ext = hi - lo;
    cell_ = cell;
    for (;;) {
      std::int64_t total = 1;
      bool ok = true;
      for (int k = 0; k < D; ++k) {
        dims_[k] = std::max<std::int64_t>(1, std::int64_t(std::ceil(ext[k] / cell_)) + 1);
        total *= dims_[k];
        if (total > max_cells) ok = false;
      }
      if (ok) break;
      cell_ *= 1.5;  // too fine for memory: coarser cells only cost more distance checks
    }
    lo_ = lo;
    std::int64_t total = 1;
    for (int k = 0; k < D; ++k) total *= dims_[k];
    head_.assign(std::size_t(total), -1);
  }

  double cell() const { return cell_; }

  void insert(const Vec<D>& p) {
    const std::int64_t id = std::int64_t(pts_.size());
    pts_.push_back(p);
    const std::int64_t c = cell_of(p);
    next_.push_back(head_[std::size_t(c)]);
    head_[std::size_t(c)] = id;
  }

  /// True if some stored node lies strictly closer than r to p.
  bool any_within(const Vec<D>& p, double r) const {
    std::array<std::int64_t, 3> c0{}, c1{};
    const int reach = int(std::ceil(r / cell_));
    for (int k = 0; k < D; ++k) {
      const std::int64_t ck = coord(p, k);
      c0[k] = std::max<std::int64_t>(0, ck - reach);
      c1[k] = std::min<std::int64_t>(dims_[k] - 1, ck + reach);
    }
    const double r2 = r * r;
    if constexpr (D == 2) {
      for (std::int64_t y = c0[1]; y <= c1[1]; ++y)
        for (std::int64_t x = c0[0]; x <= c1[0]; ++x)
          for (std::int64_t i = head_[std::size_t(y * dims_[0] + x)]; i >= 0;
               i = next_[std::size_t(i)])
            if ((pts_[std::size_t(i)] - p).squaredNorm() < r2) return true;
    } else {
      for (std::int64_t z = c0[2]; z <= c1[2]; ++z)
        for (std::int64_t y = c0[1]; y <= c1[1]; ++y)
          for (std::int64_t x = c0[0]; x <= c1[0]; ++x)
            for (std::int64_t i = head_[std::size_t((z * dims_[1] + y) * dims_[0] + x)]; i >= 0;
                 i = next_[std::size_t(i)])
              if ((pts_[std::size_t(i)] - p).squaredNorm() < r2) return true;
    }
    return false;
  }

  bool in_box(const Vec<D>& p) const {
    for (int k = 0; k < D; ++k)
      if (!(p[k] >= lo_[k]) || p[k] > lo_[k] + cell_ * double(dims_[k])) return false;
    return true;
  }

 private:
  std::int64_t coord(const Vec<D>& p, int k) const {
    const double f = std::floor((p[k] - lo_[k]) / cell_);
    return std::clamp<std::int64_t>(std::int64_t(f), 0, dims_[k] - 1);
  }
  std::int64_t cell_of(const Vec<D>& p) const {
    std::int64_t c = 0;
    for (int k = D - 1; k >= 0; --k) c = c * dims_[k] + coord(p, k);
    return c;
  }

  Vec<D> lo_;
  double cell_;
  std::array<std::int64_t, 3> dims_{1, 1, 1};
  std::vector<std::int64_t> head_, next_;
  std::vector<Vec<D>> pts_;
};

/// Candidate directions: 2D, n equally spaced angles; 3D, a Fibonacci sphere of n points.
template <int D>
std::vector<Vec<D>> candidate_pattern(int n) {
  std::vector<Vec<D>> dirs;
  constexpr double kPi = 3.14159265358979323846;
  if constexpr (D == 2) {
    for (int i = 0; i < n; ++i) {
      const double a = 2 * kPi * i / n;
      dirs.emplace_back(std::cos(a), std::sin(a));
    }
  } else {
    const double golden = kPi * (3.0 - std::sqrt(5.0));
    for (int i = 0; i < n; ++i) {
      const double z = 1.0 - (2.0 * i + 1.0) / n;
      const double r = std::sqrt(std::max(0.0, 1.0 - z * z));
      dirs.emplace_back(r * std::cos(golden * i), r * std::sin(golden * i), z);
    }
  }
  return dirs;
}

/// Random rotation applied to the candidate pattern of one parent.
template <int D>
Eigen::Matrix<double, D, D> random_rotation(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  constexpr double kPi = 3.14159265358979323846;
  if constexpr (D == 2) {
    const double a = 2 * kPi * u(rng);
    Eigen::Matrix2d R;
    R << std::cos(a), -std::sin(a), std::sin(a), std::cos(a);
    return R;
  } else {
    // Uniform random unit quaternion (Shoemake).
    const double u1 = u(rng), u2 = u(rng), u3 = u(rng);
    const double a = std::sqrt(1 - u1), b = std::sqrt(u1);
    const double w = a * std::sin(2 * kPi * u2), x = a * std::cos(2 * kPi * u2);
    const double y = b * std::sin(2 * kPi * u3), z = b * std::cos(2 * kPi * u3);
    Eigen::Matrix3d R;
    R << 1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),  //
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),   //
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y);
    return R;
  }
}

struct FrontOptions {
  int candidates = 0;  ///< 0: 15 in 2D, 40 in 3D
  std::int64_t max_nodes = 200000000;
};

/// Advancing-front Poisson-disk fill. `seeds` are existing nodes (kept, not returned); returns
/// the new nodes. `spacing(p)` is the local spacing (> 0); `h_min` a lower bound of it (grid
/// cell size). `inside(p)` decides membership.
template <int D>
std::vector<Vec<D>> advancing_front(const std::vector<Vec<D>>& seeds,
                                    const std::function<bool(const Vec<D>&)>& inside,
                                    const std::function<double(const Vec<D>&)>& spacing,
                                    double h_min, const Vec<D>& lo, const Vec<D>& hi,
                                    std::mt19937_64& rng, const FrontOptions& opt = {}) {
  const int nc = opt.candidates > 0 ? opt.candidates : (D == 2 ? 15 : 40);
  const auto pattern = candidate_pattern<D>(nc);
  const Vec<D> pad = Vec<D>::Constant(2 * h_min);
  PointGrid<D> grid(lo - pad, hi + pad, h_min);
  std::vector<Vec<D>> all;
  std::vector<double> hs;
  all.reserve(seeds.size() * 4);
  for (const auto& s : seeds) {
    grid.insert(s);
    all.push_back(s);
    hs.push_back(spacing(s));
  }
  const std::size_t n_seeds = all.size();
  constexpr double kTol = 1.0 - 1e-10;  // the parent itself sits at exactly h(p)
  for (std::size_t q = 0; q < all.size(); ++q) {
    const Vec<D> p = all[q];
    const double hp = hs[q];
    const Eigen::Matrix<double, D, D> R = random_rotation<D>(rng);
    for (const auto& d : pattern) {
      const Vec<D> c = p + hp * (R * d);
      if (!grid.in_box(c)) continue;
      const double hc = spacing(c);
      const double r = std::min(hp, hc) * kTol;
      if (grid.any_within(c, r)) continue;
      if (!inside(c)) continue;
      grid.insert(c);
      all.push_back(c);
      hs.push_back(hc);
      if (std::int64_t(all.size()) > opt.max_nodes)
        throw std::invalid_argument("node fill: more nodes than allowed (h too small)");
    }
  }
  return std::vector<Vec<D>>(all.begin() + std::ptrdiff_t(n_seeds), all.end());
}

}  // namespace dtpinn::nodegen::detail
