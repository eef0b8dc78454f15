#pragma once
// The geometry interface every node generator works against: analytic shapes, polygons,
// parametric curves, CSG differences (holes), and imported closed surfaces all implement it.
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

/// Boundary nodes with outward unit normals, one per row (N x dim), and the boundary part of
/// each (as in NodeSet: `part` empty means all in part 0 of `part_names`).
struct BoundarySample {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> points;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> normals;
  std::vector<std::int32_t> part;
  std::vector<std::string> part_names{"boundary"};
  /// Rows at corners and edges with each side's part and normal (node_set.hpp), `boundary`
  /// being the row; increasing rows, may be empty.
  std::vector<BoundaryCorner> corners;

  /// The part of row i (0 when `part` is empty).
  std::int32_t part_of(Eigen::Index i) const {
    return part.empty() ? 0 : part[static_cast<std::size_t>(i)];
  }
};

/// Throws std::invalid_argument "`what`: reason" unless `part` is empty or has one entry per row
/// in [0, part_names.size()), and the names are unique valid part names (node_set.hpp).
void check_sample_parts(const BoundarySample& sample, const std::string& what);

/// The rows `rows` of `sample`, in that order, with their normals and parts (same part table).
BoundarySample sample_rows(const BoundarySample& sample, const std::vector<Eigen::Index>& rows);

class Domain {
 public:
  virtual ~Domain() = default;
  virtual int dim() const = 0;
  /// Axis-aligned bounding box of the closed domain: lower and upper corner (dim entries each).
  virtual Eigen::VectorXd bbox_min() const = 0;
  virtual Eigen::VectorXd bbox_max() const = 0;
  /// True if p (dim entries) lies strictly inside. Exact for analytic shapes, robust (winding
  /// number / ray parity with tolerance) for polygons and triangle surfaces.
  virtual bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const = 0;
  /// Boundary nodes at spacing about h, with outward unit normals; deterministic given rng.
  virtual BoundarySample sample_boundary(double h, std::mt19937_64& rng) const = 0;
  /// Measure of the domain (area in 2D, volume in 3D) and of its boundary (length / area);
  /// used to turn a requested total N into a spacing h.
  virtual double volume() const = 0;
  virtual double boundary_measure() const = 0;
  virtual std::string describe() const = 0;
};

using DomainPtr = std::shared_ptr<const Domain>;

}  // namespace dtpinn::nodegen
