#pragma once
// Boundary point clouds: spacing, normal estimation and orientation, consistency checks, and the
// domain a boundary cloud with outward normals encloses.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <memory>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

/// Median distance from each point to its nearest neighbour (the cloud's spacing).
double median_spacing(const PointMatrix& points);

/// Median distance from each point to its nearest neighbour *along the surface* (the nearest
/// of its k nearest whose offset is mostly tangent, |n . d| <= 0.5 |d|): unlike
/// median_spacing it does not mistake the opposite wall of a thin part for a neighbour.
double tangential_spacing(const PointMatrix& points, const PointMatrix& normals, int k = 0);

/// Unoriented unit normals by PCA of the k nearest neighbours (k includes the point itself):
/// the eigenvector of the smallest eigenvalue of the neighbourhood covariance; where that
/// neighbourhood is not flat (smallest eigenvalue above a quarter of the next: the far wall of
/// a thin part reaches into it), of the 2 d + 1 nearest. N x dim.
PointMatrix estimate_normals(const PointMatrix& points, int k = 0 /* 0: 8 in 2D, 12 in 3D */);

/// Orients normals consistently (Hoppe et al. 1992): a minimum spanning tree over the symmetric
/// k-nearest-neighbour graph with weights 1 - |n_i . n_j|, walked from the point farthest from
/// the centroid of each connected piece (which must point away from that centroid), flipping
/// normals that disagree with their tree parent. The graph joins only neighbours beside each
/// other on the surface (|n . d| <= 0.75 |d| at both ends), never across a thin wall, so each
/// wall is its own piece. Pieces nested inside an odd number of other pieces (holes, internal
/// voids, the inner wall of a shell) are then turned to face into their own inside.
/// Returns the number of normals flipped. Throws std::runtime_error naming the point where a
/// piece has fewer than 2 d + 1 points (its neighbours all across a wall: undecidable).
Index orient_normals(const PointMatrix& points, PointMatrix& normals, int k = 0);

/// For given normals: the count of points whose normal points opposite (n_i . n_j < 0) to more
/// than half of their k nearest neighbours', and the first such point (or -1).
struct NormalConsistency {
  Index inconsistent = 0;
  Index first = -1;
  bool inward = false;  ///< the outermost point's normal points towards the centroid
  /// Of the inconsistent points, those whose opposing neighbours lie mostly along the normal
  /// (across a thin wall rather than beside the point): a cloud too sparse for its thickness.
  Index across = 0;
};
NormalConsistency check_normals(const PointMatrix& points, const PointMatrix& normals, int k = 0);

/// The region enclosed by a boundary point cloud with outward unit normals. contains() is the
/// sign of an implicit signed distance: the inverse-distance-weighted mean of n_i . (p - x_i)
/// over the k nearest cloud points (negative inside); in 3D within 2 spacings of the surface
/// the sign of the height over a moving-least-squares fit of the cloud (the planes' mean bulges
/// out of a curved surface between the points).
class BoundaryCloudDomain : public Domain {
 public:
  /// `part` (one index into `part_names` per point, or empty: all in part 0 of `part_names`,
  /// default {"boundary"}) is carried to the boundary samples.
  BoundaryCloudDomain(PointMatrix points, PointMatrix normals, std::string name = "point cloud",
                      std::vector<std::int32_t> part = {},
                      std::vector<std::string> part_names = {});
  ~BoundaryCloudDomain() override;
  int dim() const override;
  Eigen::VectorXd bbox_min() const override;
  Eigen::VectorXd bbox_max() const override;
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override;
  /// 3D: the cloud resampled at spacing h, whatever its own spacing: Poisson-disk thinning of
  /// its points at radius 0.75 h where it is denser, points projected onto a moving-least-
  /// squares fit of it where it is sparser (normals and parts carried along). 2D (2D clouds
  /// are imported as fitted outlines, cloud_outline.hpp): the cloud itself when h <= 1.5 *
  /// spacing(), else a Poisson-disk thinning at 0.75 h. Deterministic.
  BoundarySample sample_boundary(double h, std::mt19937_64& rng) const override;
  /// Monte-Carlo estimate (fixed seed, 40k samples in the box).
  double volume() const override;
  /// Estimate from the local density of the points (robust to clustering): area (3D) as the
  /// sum of pi r_8^2 / 8.5 (r_8 the distance to the 8th nearest point on the same side), length
  /// (2D) as the sum of the mean distances to the two nearest.
  double boundary_measure() const override;
  /// The spacing at which sample_boundary gives about as many nodes as the cloud has points
  /// (the cloud's points spread evenly): the default spacing of an imported cloud.
  double even_spacing() const;
  /// Surface area per node of sample_boundary at spacing h, in units of h^2.
  static constexpr double kAreaPerNode = 0.8;
  std::string describe() const override;
  /// tangential_spacing of the cloud.
  double spacing() const;
  double signed_distance(const Eigen::Ref<const Eigen::VectorXd>& p) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dtpinn::nodegen
