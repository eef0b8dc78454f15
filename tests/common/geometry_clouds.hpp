#pragma once
// Boundary clouds as CAD tools and section generators write them, with the analytic shapes they
// sample (independent inside tests): a box with a NACA-like airfoil hole (cosine-clustered),
// cosine-clustered ellipses, lat-long spheres (clustered at the poles), annuli and shells with
// thin walls. Shared by the nodegen, rbffd and cli tests.
#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace dtpinn::test {

using Cloud = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// NACA 0012-like half thickness at x in [0, 1] (chord 1), trailing edge closed
/// (last coefficient -0.1036).
inline double naca_half_thickness(double x) {
  x = std::min(std::max(x, 0.0), 1.0);
  return 5 * 0.12 *
         (0.2969 * std::sqrt(x) - 0.1260 * x - 0.3516 * x * x + 0.2843 * x * x * x -
          0.1036 * x * x * x * x);
}

/// The box [-0.5, 1.5] x [-0.5, 0.5] around the airfoil (chord [0, 1] on y = 0).
inline constexpr double kBoxLo[2] = {-0.5, -0.5}, kBoxHi[2] = {1.5, 0.5};

/// True inside the fluid: in the box, outside the airfoil.
inline bool in_airfoil_box(double x, double y) {
  if (!(x > kBoxLo[0] && x < kBoxHi[0] && y > kBoxLo[1] && y < kBoxHi[1])) return false;
  return !(x >= 0 && x <= 1 && std::abs(y) < naca_half_thickness(x));
}

/// The box (`box_points` uniform points, 1/4 per side) and the airfoil (`foil_points`,
/// cosine-clustered towards nose and tail: x = (1 - cos(pi i / m)) / 2, upper then lower
/// surface), in that order; `loop` gets 0 for the box rows and 1 for the airfoil's.
inline Cloud airfoil_box_cloud(int box_points = 240, int foil_points = 240,
                               std::vector<int>* loop = nullptr) {
  std::vector<Eigen::Vector2d> p;
  const int side = box_points / 4;
  const double w = kBoxHi[0] - kBoxLo[0], hgt = kBoxHi[1] - kBoxLo[1];
  for (int i = 0; i < side; ++i) p.emplace_back(kBoxLo[0] + w * i / side, kBoxLo[1]);
  for (int i = 0; i < side; ++i) p.emplace_back(kBoxHi[0], kBoxLo[1] + hgt * i / side);
  for (int i = 0; i < side; ++i) p.emplace_back(kBoxHi[0] - w * i / side, kBoxHi[1]);
  for (int i = 0; i < side; ++i) p.emplace_back(kBoxLo[0], kBoxHi[1] - hgt * i / side);
  const std::size_t box = p.size();
  const int m = foil_points / 2;
  for (int i = 0; i <= m; ++i) {  // upper surface, tail to nose
    const double x = 0.5 * (1 - std::cos(M_PI * (m - i) / m));
    p.emplace_back(x, naca_half_thickness(x));
  }
  for (int i = 1; i < m; ++i) {  // lower surface, nose to tail (ends not repeated)
    const double x = 0.5 * (1 - std::cos(M_PI * i / m));
    p.emplace_back(x, -naca_half_thickness(x));
  }
  Cloud out(Eigen::Index(p.size()), 2);
  for (std::size_t i = 0; i < p.size(); ++i) out.row(Eigen::Index(i)) = p[i].transpose();
  if (loop) {
    loop->assign(p.size(), 1);
    for (std::size_t i = 0; i < box; ++i) (*loop)[i] = 0;
  }
  return out;
}

/// An ellipse x^2/a^2 + y^2/b^2 = 1 sampled with cosine clustering towards (+-a, 0): the angle
/// t = pi (1 - cos(pi s)) / 2 per half, s uniform (n points, none repeated).
inline Cloud clustered_ellipse(int n, double a, double b) {
  Cloud P(n, 2);
  const int half = n / 2;
  for (int i = 0; i < n; ++i) {
    const int j = i < half ? i : i - half;
    const int m = i < half ? half : n - half;
    const double t = M_PI * (1 - std::cos(M_PI * j / m)) / 2 + (i < half ? 0.0 : M_PI);
    P.row(i) << a * std::cos(t), b * std::sin(t);
  }
  return P;
}

/// The unit sphere (times r) on a lat-long grid: nlat - 1 latitude circles of nlon points and
/// the two poles (clustered at the poles: the spacing along a circle is 2 pi r sin(theta) / nlon).
inline Cloud latlong_sphere(int nlat, int nlon, double r = 1.0) {
  Cloud P((nlat - 1) * nlon + 2, 3);
  Eigen::Index k = 0;
  P.row(k++) << 0, 0, r;
  for (int i = 1; i < nlat; ++i) {
    const double th = M_PI * i / nlat;
    for (int j = 0; j < nlon; ++j) {
      const double ph = 2 * M_PI * j / nlon;
      P.row(k++) << r * std::sin(th) * std::cos(ph), r * std::sin(th) * std::sin(ph),
          r * std::cos(th);
    }
  }
  P.row(k++) << 0, 0, -r;
  return P;
}

/// Points at spacing about h around the circle of radius r centred at (cx, cy).
inline void add_circle(std::vector<Eigen::Vector2d>& p, double r, double h, double cx = 0,
                       double cy = 0, double phase = 0) {
  const int n = int(std::lround(2 * M_PI * r / h));
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * (i + phase) / n;
    p.emplace_back(cx + r * std::cos(t), cy + r * std::sin(t));
  }
}

inline Cloud to_cloud(const std::vector<Eigen::Vector2d>& p) {
  Cloud out(Eigen::Index(p.size()), 2);
  for (std::size_t i = 0; i < p.size(); ++i) out.row(Eigen::Index(i)) = p[i].transpose();
  return out;
}

/// Fibonacci points on the sphere of radius r (nearly uniform, spacing ~ sqrt(4 pi / n) r).
inline void add_sphere(std::vector<Eigen::Vector3d>& p, double r, int n) {
  const double golden = M_PI * (3.0 - std::sqrt(5.0));
  for (int i = 0; i < n; ++i) {
    const double z = 1.0 - (2.0 * i + 1.0) / n, s = std::sqrt(1 - z * z);
    p.emplace_back(r * s * std::cos(golden * i), r * s * std::sin(golden * i), r * z);
  }
}

}  // namespace dtpinn::test
