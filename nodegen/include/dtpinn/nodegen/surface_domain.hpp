#pragma once
// Domains bounded by imported geometry:
//   TriangleSurfaceDomain  3D, inside a closed triangle surface (STL / OBJ / PLY);
//   PolylineDomain         2D, inside closed polylines (an outline and optional holes).
// Both keep the input's units. Normals of boundary samples are "crease-aware" smooth normals:
// across an edge / vertex where the surface turns by less than crease_angle the face normals
// are blended (angle-weighted vertex normals interpolated over the face), so a fine mesh of a
// smooth part gives normals within a fraction of a degree of the true ones; across sharper
// edges (a CAD part's corners) each face keeps its own normal.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/readers.hpp>

#include <memory>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

class TriangleSurfaceDomain : public Domain {
 public:
  /// `mesh` must be closed and outward oriented (run prepare_closed_mesh first).
  explicit TriangleSurfaceDomain(TriangleMesh mesh, std::string name = "triangle surface",
                                 double crease_angle_deg = 30.0);
  ~TriangleSurfaceDomain() override;
  int dim() const override { return 3; }
  Eigen::VectorXd bbox_min() const override;
  Eigen::VectorXd bbox_max() const override;
  /// Sign of the distance to the closest surface point, decided by the angle-weighted
  /// pseudo-normal of the closest feature (Baerentzen & Aanaes 2005): exact for closed,
  /// consistently oriented meshes; O(log F) with an AABB tree.
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override;
  /// Poisson-disk sample of the surface: area-weighted (stratified) random candidates, greedy
  /// thinning at radius 0.75 h (mean nearest-neighbour distance ~ h), then light tangential
  /// relaxation projected back onto the surface. Normals: crease-aware smooth normals.
  /// Parts: the mesh's part table; a node takes the part of the face it was drawn on (nodes are
  /// drawn strictly inside faces, so none sits on an edge between two parts).
  BoundarySample sample_boundary(double h, std::mt19937_64& rng) const override;
  double volume() const override;
  double boundary_measure() const override;
  std::string describe() const override;

  /// Signed distance to the surface (negative inside), in the mesh's units.
  double signed_distance(const Eigen::Vector3d& p) const;
  /// Closest surface point to p and the smooth outward normal there.
  Eigen::Vector3d closest_point(const Eigen::Vector3d& p, Eigen::Vector3d* normal = nullptr) const;
  const TriangleMesh& mesh() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class PolylineDomain : public Domain {
 public:
  /// Closed loops (each K x 2, in order, first point not repeated). Orientation and nesting
  /// are normalised: loops inside an odd number of others are holes. Throws
  /// std::invalid_argument "name: ..." for fewer than 3 points, repeated consecutive points,
  /// zero area or intersecting edges.
  /// Parts: `point_part` (per loop, per point, an index into `part_names`) gives each segment
  /// the part of its start point (in the file's order), so a node between two points has the
  /// start point's part and a node at a point has that point's part. Empty: each loop is a part,
  /// a single loop `boundary`; with several loops the outer loop `outer` (or `outer1`,
  /// `outer2`, ... if there are several) and the holes `hole1`, `hole2`, ... in file order.
  explicit PolylineDomain(std::vector<PointMatrix> loops, std::string name = "polyline",
                          double crease_angle_deg = 30.0,
                          std::vector<std::vector<std::int32_t>> point_part = {},
                          std::vector<std::string> part_names = {});
  int dim() const override { return 2; }
  Eigen::VectorXd bbox_min() const override { return bmin_; }
  Eigen::VectorXd bbox_max() const override { return bmax_; }
  /// Even-odd crossing test over all edges (row-bucketed for speed).
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override;
  /// Equal arc-length nodes on each smooth stretch between corners (turn > crease angle);
  /// every corner carries a node with the normalised sum of the two edge normals. Towards a
  /// sharp corner (a turn of more than 120 degrees: a thin wedge of the domain or of the
  /// outside) the stretch's last node lies half a step from the corner, so that the nodes of
  /// its two sides alternate instead of facing each other. Deterministic.
  BoundarySample sample_boundary(double h, std::mt19937_64& rng) const override;
  double volume() const override { return area_; }
  double boundary_measure() const override { return perimeter_; }
  std::string describe() const override { return name_; }
  /// Median edge length of the input outline (a default spacing).
  double median_edge() const { return median_edge_; }
  const std::vector<PointMatrix>& loops() const { return loops_; }

 private:
  std::vector<PointMatrix> loops_;  // oriented: outer CCW, holes CW (domain on the left)
  // Part of each point of each loop (reordered with its loop); the segment (i, i+1) has the part
  // of its start point in the file's order: point i, or point i+1 of a loop reversed here.
  std::vector<std::vector<std::int32_t>> seg_part_;
  std::vector<char> reversed_;
  std::vector<std::string> part_names_;
  std::string name_;
  double crease_cos_;
  Eigen::VectorXd bmin_, bmax_;
  double area_ = 0.0, perimeter_ = 0.0, median_edge_ = 0.0;
  // Row buckets of edges for contains(): edges overlapping each horizontal band.
  double band_y0_ = 0.0, band_dy_ = 1.0;
  std::vector<std::vector<std::pair<int, int>>> bands_;  // (loop, edge start index)
};

}  // namespace dtpinn::nodegen
