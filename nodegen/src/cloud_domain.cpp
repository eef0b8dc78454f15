// BoundaryCloudDomain: the region enclosed by a boundary point cloud with outward normals.
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/knn.hpp>

#include "cloud_resample.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <stdexcept>

namespace dtpinn::nodegen {

struct BoundaryCloudDomain::Impl {
  PointMatrix points, normals;
  std::vector<std::int32_t> part;
  std::vector<std::string> part_names;
  std::string name;
  std::unique_ptr<KnnIndex> tree;
  std::unique_ptr<detail::MlsSurface> mls;  // 3D: the inside test near the surface
  Eigen::VectorXd lo, hi;
  double spacing = 0.0, volume = 0.0, measure = 0.0;
  int k = 4;
};

BoundaryCloudDomain::BoundaryCloudDomain(PointMatrix points, PointMatrix normals, std::string name,
                                         std::vector<std::int32_t> part,
                                         std::vector<std::string> part_names)
    : impl_(std::make_unique<Impl>()) {
  auto& I = *impl_;
  if (points.rows() < 4 || normals.rows() != points.rows() || normals.cols() != points.cols() ||
      (points.cols() != 2 && points.cols() != 3))
    throw std::invalid_argument(name + ": a boundary cloud needs >= 4 points with normals");
  if (!part.empty() && part.size() != std::size_t(points.rows()))
    throw std::invalid_argument(name + ": one part per point needed");
  I.part = std::move(part);
  I.part_names = part_names.empty() ? std::vector<std::string>{"boundary"} : std::move(part_names);
  I.points = std::move(points);
  I.normals = std::move(normals);
  for (Index i = 0; i < I.normals.rows(); ++i) I.normals.row(i).normalize();
  I.name = std::move(name);
  I.tree = std::make_unique<KnnIndex>(I.points);
  if (I.points.cols() == 3)
    I.mls = std::make_unique<detail::MlsSurface>(I.points, I.normals, *I.tree);
  I.lo = I.points.colwise().minCoeff().transpose();
  I.hi = I.points.colwise().maxCoeff().transpose();
  I.spacing = tangential_spacing(I.points, I.normals);
  I.measure = detail::cloud_boundary_measure(I.points, I.normals);
  I.k = I.points.cols() == 2 ? 4 : 8;
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const int samples = 40000;
  int in = 0;
  Eigen::VectorXd p(I.points.cols());
  for (int s = 0; s < samples; ++s) {
    for (Eigen::Index d = 0; d < p.size(); ++d) p[d] = I.lo[d] + U(rng) * (I.hi[d] - I.lo[d]);
    in += contains(p);
  }
  I.volume = (I.hi - I.lo).prod() * double(in) / double(samples);
}

BoundaryCloudDomain::~BoundaryCloudDomain() = default;
int BoundaryCloudDomain::dim() const {
  return int(impl_->points.cols());
}
Eigen::VectorXd BoundaryCloudDomain::bbox_min() const {
  return impl_->lo;
}
Eigen::VectorXd BoundaryCloudDomain::bbox_max() const {
  return impl_->hi;
}
double BoundaryCloudDomain::volume() const {
  return impl_->volume;
}
double BoundaryCloudDomain::spacing() const {
  return impl_->spacing;
}
double BoundaryCloudDomain::boundary_measure() const {
  return impl_->measure;
}
double BoundaryCloudDomain::even_spacing() const {
  const double n = double(impl_->points.rows());
  // Poisson-disk sampling at radius 0.75 h puts about area / (kAreaPerNode h^2) nodes on a
  // surface (measured on spheres and ellipsoids, tests/nodegen/test_cloud_resample.cpp).
  return dim() == 2 ? impl_->measure / n : std::sqrt(impl_->measure / (kAreaPerNode * n));
}
std::string BoundaryCloudDomain::describe() const {
  return fmt::format("{} ({} boundary points, spacing {:.4g})", impl_->name, impl_->points.rows(),
                     impl_->spacing);
}

double BoundaryCloudDomain::signed_distance(const Eigen::Ref<const Eigen::VectorXd>& p) const {
  const auto& I = *impl_;
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  const Eigen::VectorXd q = p;
  I.tree->nearest(q.data(), I.k, idx, d2);
  double s = 0.0, w = 0.0;
  for (std::size_t j = 0; j < idx.size(); ++j) {
    const double wj = 1.0 / (d2[j] + 1e-300);
    s += wj * I.normals.row(idx[j]).dot(q.transpose() - I.points.row(idx[j]));
    w += wj;
  }
  return s / w;
}

bool BoundaryCloudDomain::contains(const Eigen::Ref<const Eigen::VectorXd>& p) const {
  const auto& I = *impl_;
  for (Eigen::Index d = 0; d < p.size(); ++d)
    if (p[d] <= I.lo[d] || p[d] >= I.hi[d]) return false;
  const double sd = signed_distance(p);
  // Near the surface the tangent planes' mean bulges out of a curved surface by about
  // spacing^2 curvature / 8; the moving-least-squares fit is exact to third order there.
  if (I.mls && std::abs(sd) < 2.0 * I.spacing) {
    bool ok = false;
    const double z = I.mls->height(Eigen::Vector3d(p), ok);
    if (ok) return z < 0;
  }
  return sd < 0;
}

BoundarySample BoundaryCloudDomain::sample_boundary(double h, std::mt19937_64& rng) const {
  const auto& I = *impl_;
  BoundarySample out;
  if (!(h > 0) || !std::isfinite(h))
    throw std::invalid_argument("sample_boundary: h must be > 0 and finite");
  out.part_names = I.part_names;
  if (dim() == 3)
    return detail::resample_cloud_surface(I.points, I.normals, I.part, I.part_names, h, rng);
  if (h <= 1.5 * I.spacing) {
    out.points = I.points;
    out.normals = I.normals;
    out.part = I.part;
    return out;
  }
  const Index n = I.points.rows();
  const int dim = int(I.points.cols());
  std::vector<Index> order(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) order[std::size_t(i)] = i;
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  const double r = 0.75 * h;
  std::map<std::array<long, 3>, std::vector<Index>> grid;
  std::vector<Index> kept;
  for (Index i : order) {
    std::array<long, 3> c{0, 0, 0};
    for (int d = 0; d < dim; ++d) c[d] = long(std::floor((I.points(i, d) - I.lo[d]) / r));
    bool free = true;
    for (int dx = -1; dx <= 1 && free; ++dx)
      for (int dy = -1; dy <= 1 && free; ++dy)
        for (int dz = (dim == 3 ? -1 : 0); dz <= (dim == 3 ? 1 : 0) && free; ++dz) {
          const auto it = grid.find({c[0] + dx, c[1] + dy, c[2] + dz});
          if (it == grid.end()) continue;
          for (Index j : it->second)
            if ((I.points.row(i) - I.points.row(j)).squaredNorm() < r * r) {
              free = false;
              break;
            }
        }
    if (!free) continue;
    grid[c].push_back(i);
    kept.push_back(i);
  }
  std::sort(kept.begin(), kept.end());  // keep the file's order
  out.points.resize(Index(kept.size()), dim);
  out.normals.resize(Index(kept.size()), dim);
  for (std::size_t j = 0; j < kept.size(); ++j) {
    out.points.row(Index(j)) = I.points.row(kept[j]);
    out.normals.row(Index(j)) = I.normals.row(kept[j]);
    if (!I.part.empty()) out.part.push_back(I.part[std::size_t(kept[j])]);
  }
  return out;
}

}  // namespace dtpinn::nodegen
