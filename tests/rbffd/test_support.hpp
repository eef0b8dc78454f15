#pragma once
// Node sets for the rbffd tests, independent of nodegen's generator: a jittered hexagonal
// (2D) or cubic (3D) lattice in the unit disk / ball at spacing h, boundary nodes spread
// evenly on the circle / sphere (Fibonacci) with exact outward normals, one ghost per boundary
// node at distance h along the normal. Node ordering as in nodegen/node_set.hpp.
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <Eigen/Core>
#include <cmath>
#include <random>
#include <vector>

namespace rbffd_test {

using dtpinn::nodegen::NodeSet;
using dtpinn::nodegen::PointMatrix;

inline NodeSet make_set(int dim, const std::vector<double>& interior,
                        const std::vector<double>& boundary, double h, bool ghosts) {
  NodeSet s;
  s.dim = dim;
  s.n_interior = static_cast<long>(interior.size()) / dim;
  s.n_boundary = static_cast<long>(boundary.size()) / dim;
  s.n_ghost = ghosts ? s.n_boundary : 0;
  s.points.resize(s.size(), dim);
  s.normals.setZero(s.size(), dim);
  for (long i = 0; i < s.n_interior; ++i)
    for (int c = 0; c < dim; ++c) s.points(i, c) = interior[i * dim + c];
  for (long k = 0; k < s.n_boundary; ++k)
    for (int c = 0; c < dim; ++c) {
      const double v = boundary[k * dim + c];  // unit sphere: the point is its normal
      s.points(s.n_interior + k, c) = v;
      s.normals(s.n_interior + k, c) = v;
      if (ghosts) {
        s.points(s.n_interior + s.n_boundary + k, c) = (1.0 + h) * v;
        s.normals(s.n_interior + s.n_boundary + k, c) = v;
      }
    }
  return s;
}

/// Unit disk at spacing h.
inline NodeSet disk(double h, bool ghosts = true, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.15 * h, 0.15 * h);
  std::vector<double> in, bd;
  const int nb = static_cast<int>(std::round(2.0 * M_PI / h));
  for (int k = 0; k < nb; ++k) {
    const double t = 2.0 * M_PI * k / nb;
    bd.insert(bd.end(), {std::cos(t), std::sin(t)});
  }
  const double dy = h * std::sqrt(3.0) / 2.0;
  const int m = static_cast<int>(1.0 / dy) + 2;
  for (int j = -m; j <= m; ++j)
    for (int i = -m - 1; i <= m + 1; ++i) {
      const double x = (i + 0.5 * (j & 1)) * h + jitter(rng), y = j * dy + jitter(rng);
      if (std::hypot(x, y) < 1.0 - 0.5 * h) in.insert(in.end(), {x, y});
    }
  return make_set(2, in, bd, h, ghosts);
}

/// Unit ball at spacing h.
inline NodeSet ball(double h, bool ghosts = true, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.15 * h, 0.15 * h);
  std::vector<double> in, bd;
  const int nb = static_cast<int>(std::round(4.0 * M_PI / (h * h)));
  const double golden = M_PI * (3.0 - std::sqrt(5.0));
  for (int k = 0; k < nb; ++k) {
    const double z = 1.0 - 2.0 * (k + 0.5) / nb, r = std::sqrt(1.0 - z * z);
    bd.insert(bd.end(), {r * std::cos(golden * k), r * std::sin(golden * k), z});
  }
  const int m = static_cast<int>(1.0 / h) + 1;
  for (int i = -m; i <= m; ++i)
    for (int j = -m; j <= m; ++j)
      for (int k = -m; k <= m; ++k) {
        const double x = i * h + jitter(rng), y = j * h + jitter(rng), z = k * h + jitter(rng);
        if (std::sqrt(x * x + y * y + z * z) < 1.0 - 0.5 * h) in.insert(in.end(), {x, y, z});
      }
  return make_set(3, in, bd, h, ghosts);
}

/// Least-squares slope of log(err) against log(h).
inline double fitted_order(const std::vector<double>& h, const std::vector<double>& err) {
  const int n = static_cast<int>(h.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < n; ++i) {
    const double x = std::log(h[i]), y = std::log(err[i]);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace rbffd_test
