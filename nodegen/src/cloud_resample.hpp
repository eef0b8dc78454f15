#pragma once
// Private: a 3D boundary cloud resampled at spacing h (BoundaryCloudDomain::sample_boundary).
//  1. Poisson-disk thinning of the cloud's own points at radius 0.75 h (random order): where
//     the cloud is denser than h (clustered at the poles of a lat-long sphere, at a CAD part's
//     fillets) the kept points are >= 0.75 h apart and every dropped point lies within 0.75 h
//     of a kept one.
//  2. Gap filling where the cloud is sparser than h: an advancing front over the surface from
//     the kept points proposes points one h away along the tangent plane and projects them
//     onto a moving-least-squares fit of the cloud (a weighted quadratic height function over
//     the tangent plane of the nearest points on the same side of the surface, Levin 2003);
//     a projected point is kept when no node lies within 0.75 h.
// Normals: the cloud's (oriented, unit) at a cloud point, the fit's at a projected point.
// Parts: a projected point takes the part of its nearest cloud point. Deterministic for rng.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>

#include <random>
#include <string>
#include <vector>

namespace dtpinn::nodegen {
class KnnIndex;
}

namespace dtpinn::nodegen::detail {

/// A moving-least-squares surface through a 3D cloud with oriented unit normals (Levin 2003):
/// near x, a weighted quadratic height function over the tangent plane of the 16 nearest points
/// on the same side of the surface (normals within 60 degrees of the nearest point's), Gaussian
/// weights of the neighbourhood's width. References P, N and the tree over P (must outlive it).
/// Thread-safe (no state between calls).
class MlsSurface {
 public:
  MlsSurface(const PointMatrix& P, const PointMatrix& N, const KnnIndex& tree)
      : P_(P), N_(N), tree_(tree) {}
  /// x moved onto the surface (three projection steps), with the outward unit normal there;
  /// false where the fit has fewer than 6 points on one side.
  bool project(const Eigen::Vector3d& x, Eigen::Vector3d& p, Eigen::Vector3d& n) const;
  /// Signed height of x over the surface fitted around it (> 0 outside); ok false as above.
  double height(const Eigen::Vector3d& x, bool& ok) const;
  /// The nearest cloud point's index.
  Index nearest(const Eigen::Vector3d& x) const;

 private:
  struct Frame {
    Eigen::Vector3d c, n, t1, t2;
    double scale = 1.0;
    Eigen::Matrix<double, 6, 1> a;
  };
  bool fit(const Eigen::Vector3d& x, Frame& f) const;
  bool step(const Eigen::Vector3d& x, Eigen::Vector3d& p, Eigen::Vector3d& n) const;
  const PointMatrix& P_;
  const PointMatrix& N_;
  const KnnIndex& tree_;
};

/// The Poisson-disk radius of the resampling, in units of h.
inline constexpr double kCloudThinRadius = 0.75;

/// `points` N x 3, `normals` N x 3 outward unit, `part` N entries or empty.
BoundarySample resample_cloud_surface(const PointMatrix& points, const PointMatrix& normals,
                                      const std::vector<std::int32_t>& part,
                                      const std::vector<std::string>& part_names, double h,
                                      std::mt19937_64& rng);

/// Area of the surface sampled by a 3D cloud (sum over the points of pi r^2 / (k + 1/2), r the
/// distance to the k-th nearest point on the same side, k = 8); the length of the curve for a
/// 2D cloud (sum of half the distances to the two nearest on the same side).
double cloud_boundary_measure(const PointMatrix& points, const PointMatrix& normals);

}  // namespace dtpinn::nodegen::detail
