// A 3D boundary cloud resampled at spacing h: Poisson-disk thinning, MLS gap filling
// (cloud_resample.hpp).
#include "cloud_resample.hpp"

#include <dtpinn/nodegen/knn.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>

#include "fill_core.hpp"

namespace dtpinn::nodegen::detail {

using Vec3 = Eigen::Vector3d;

/// Neighbours of a point on the same side of the surface: normals within 60 degrees of the
/// reference, so the far wall of a thin part does not enter the fit.
constexpr double kSameSide = 0.5;

bool MlsSurface::fit(const Vec3& x, Frame& f) const {
  constexpr int k = 16;
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  tree_.nearest(x.data(), k, idx, d2);
  const Vec3 ref = N_.row(idx[0]).transpose();
  // Same-side neighbours and a Gaussian weight of width ~ their spread.
  std::vector<std::size_t> sel;
  for (std::size_t j = 0; j < idx.size(); ++j)
    if (N_.row(idx[j]).dot(ref) > kSameSide) sel.push_back(j);
  if (sel.size() < 6) return false;
  const double H2 = std::max(d2[sel.back()], 1e-300);
  Vec3 nm = Vec3::Zero();
  f.c.setZero();
  double wsum = 0.0;
  std::vector<double> w(sel.size());
  for (std::size_t s = 0; s < sel.size(); ++s) {
    const std::size_t j = sel[s];
    w[s] = std::exp(-2.0 * d2[j] / H2);
    f.c += w[s] * P_.row(idx[j]).transpose();
    nm += w[s] * N_.row(idx[j]).transpose();
    wsum += w[s];
  }
  f.c /= wsum;
  if (!(nm.norm() > 1e-12)) return false;
  f.n = nm.normalized();
  // Tangent frame (t1, t2, n); height z(u, v) = a0 + a1 u + a2 v + a3 u^2 + a4 uv + a5 v^2
  // in units of the neighbourhood's size.
  f.t1 = f.n.unitOrthogonal();
  f.t2 = f.n.cross(f.t1);
  f.scale = std::sqrt(H2);
  Eigen::Matrix<double, 6, 6> A = Eigen::Matrix<double, 6, 6>::Zero();
  Eigen::Matrix<double, 6, 1> b = Eigen::Matrix<double, 6, 1>::Zero();
  for (std::size_t s = 0; s < sel.size(); ++s) {
    const Vec3 q = P_.row(idx[sel[s]]).transpose() - f.c;
    const double u = q.dot(f.t1) / f.scale, v = q.dot(f.t2) / f.scale, z = q.dot(f.n);
    Eigen::Matrix<double, 6, 1> row;
    row << 1, u, v, u * u, u * v, v * v;
    A += w[s] * row * row.transpose();
    b += w[s] * z * row;
  }
  const Eigen::LDLT<Eigen::Matrix<double, 6, 6>> ldlt(A);
  f.a = ldlt.solve(b);
  if (ldlt.info() != Eigen::Success || !f.a.allFinite() || ldlt.rcond() < 1e-10)
    f.a.setZero();  // a plane through the weighted centroid
  return true;
}

bool MlsSurface::step(const Vec3& x, Vec3& p, Vec3& n) const {
  Frame f;
  if (!fit(x, f)) return false;
  const Vec3 q = x - f.c;
  const double u = q.dot(f.t1) / f.scale, v = q.dot(f.t2) / f.scale;
  const auto& a = f.a;
  const double z = a[0] + a[1] * u + a[2] * v + a[3] * u * u + a[4] * u * v + a[5] * v * v;
  const double zu = (a[1] + 2 * a[3] * u + a[4] * v) / f.scale;
  const double zv = (a[2] + a[4] * u + 2 * a[5] * v) / f.scale;
  p = f.c + u * f.scale * f.t1 + v * f.scale * f.t2 + z * f.n;
  n = (f.n - zu * f.t1 - zv * f.t2).normalized();
  return p.allFinite() && n.allFinite();
}

bool MlsSurface::project(const Vec3& x0, Vec3& p, Vec3& n) const {
  Vec3 x = x0;
  for (int it = 0; it < 3; ++it) {
    if (!step(x, p, n)) return false;
    x = p;
  }
  return true;
}

double MlsSurface::height(const Vec3& x, bool& ok) const {
  Frame f;
  ok = fit(x, f);
  if (!ok) return 0.0;
  const Vec3 q = x - f.c;
  const double u = q.dot(f.t1) / f.scale, v = q.dot(f.t2) / f.scale;
  const auto& a = f.a;
  return q.dot(f.n) - (a[0] + a[1] * u + a[2] * v + a[3] * u * u + a[4] * u * v + a[5] * v * v);
}

Index MlsSurface::nearest(const Vec3& x) const {
  std::int32_t i;
  double d2;
  tree_.nearest(x.data(), 1, &i, &d2);
  return i;
}

BoundarySample resample_cloud_surface(const PointMatrix& P, const PointMatrix& N,
                                      const std::vector<std::int32_t>& part,
                                      const std::vector<std::string>& part_names, double h,
                                      std::mt19937_64& rng) {
  if (P.cols() != 3) throw std::invalid_argument("resample_cloud_surface: 3D points expected");
  const Index n = P.rows();
  const double r = kCloudThinRadius * h;
  const Vec3 lo = P.colwise().minCoeff().transpose(), hi = P.colwise().maxCoeff().transpose();
  const Vec3 pad = Vec3::Constant(2 * h);
  if ((hi - lo + 2 * pad).prod() / (r * r * r) > 4e8)
    throw std::invalid_argument("sample_boundary: h too small for this cloud");
  PointGrid<3> grid(lo - pad, hi + pad, r);
  std::vector<Vec3> pts, nrm;
  std::vector<std::int32_t> prt;
  auto keep = [&](const Vec3& p, const Vec3& nv, std::int32_t pp) {
    grid.insert(p);
    pts.push_back(p);
    nrm.push_back(nv);
    prt.push_back(pp);
  };
  // 1. Thinning, in a random order (own Fisher-Yates: std::shuffle differs between libraries).
  std::vector<Index> order(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) order[std::size_t(i)] = i;
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  for (Index i : order) {
    const Vec3 p = P.row(i).transpose();
    if (grid.any_within(p, r)) continue;
    keep(p, N.row(i).transpose(), part.empty() ? 0 : part[std::size_t(i)]);
  }
  // 2. Gap filling: a front over the surface, candidates one h away in the tangent plane.
  const KnnIndex tree(P);
  const MlsSurface mls(P, N, tree);
  constexpr int kDirections = 8;
  std::uniform_real_distribution<double> U(0.0, 2.0 * M_PI);
  const Index limit = Index(40 * std::max<std::size_t>(pts.size(), 1)) + 1000;
  for (std::size_t q = 0; q < pts.size(); ++q) {
    const Vec3 p = pts[q], nv = nrm[q];
    const Vec3 t1 = nv.unitOrthogonal(), t2 = nv.cross(t1);
    const double a0 = U(rng);
    for (int d = 0; d < kDirections; ++d) {
      const double a = a0 + 2.0 * M_PI * d / kDirections;
      const Vec3 c = p + h * (std::cos(a) * t1 + std::sin(a) * t2);
      if (grid.any_within(c, 0.9 * r)) continue;  // cheap test before the projection
      Vec3 s, sn;
      if (!mls.project(c, s, sn)) continue;
      if ((s - c).norm() > 0.5 * h || sn.dot(nv) < kSameSide) continue;  // left the surface
      if (grid.any_within(s, r)) continue;
      const Index near = mls.nearest(s);
      keep(s, sn, part.empty() ? 0 : part[std::size_t(near)]);
      if (Index(pts.size()) > limit)
        throw std::invalid_argument(
            "sample_boundary: the surface fit does not close (h too small)");
    }
  }
  BoundarySample out;
  out.part_names = part_names.empty() ? std::vector<std::string>{"boundary"} : part_names;
  out.points.resize(Index(pts.size()), 3);
  out.normals.resize(Index(pts.size()), 3);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const Vec3 unit = nrm[i].normalized();
    for (int c = 0; c < 3; ++c) {  // element-wise: GCC 12 misreads a packet store here
      out.points(Index(i), c) = pts[i][c];
      out.normals(Index(i), c) = unit[c];
    }
  }
  if (!part.empty()) out.part = std::move(prt);
  return out;
}

double cloud_boundary_measure(const PointMatrix& P, const PointMatrix& N) {
  const Index n = P.rows();
  const int dim = int(P.cols());
  if (n < 4) return 0.0;
  const KnnIndex tree(P);
  const int want = dim == 3 ? 8 : 2;
  const int k = int(std::min<Index>(n, 4 * want + 1));
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  double total = 0.0;
  for (Index i = 0; i < n; ++i) {
    tree.nearest(P.row(i).data(), k, idx, d2);
    int found = 0;
    double r2 = 0.0, half = 0.0;
    for (std::size_t j = 0; j < idx.size() && found < want; ++j) {
      if (Index(idx[j]) == i || N.row(idx[j]).dot(N.row(i)) <= kSameSide) continue;
      ++found;
      r2 = d2[j];
      half += 0.5 * std::sqrt(d2[j]);
    }
    if (found == 0) continue;
    total += dim == 3 ? M_PI * r2 / (found + 0.5) : half * 2.0 / found;
  }
  return total;
}

}  // namespace dtpinn::nodegen::detail
