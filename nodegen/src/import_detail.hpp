#pragma once
// Private: what the ways of import_nodes share (import_nodes.cpp, import_cloud.cpp).
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/readers.hpp>

#include <random>
#include <string>

namespace dtpinn::nodegen::detail {

/// A boundary cloud needs at least this many points.
inline constexpr Index kMinBoundaryPoints = 20;

/// "FILE:LINE" of point i of a cloud (its source line), or "FILE: point i+1".
std::string line_ref(const std::string& path, const PointCloud& c, Index i);

/// Duplicate points (closer than 1e-12 of the box diagonal) are an error naming both lines.
void check_duplicates(const std::string& path, const PointCloud& c);

/// The generation options of an import (h, n, seed, ghosts, ghost distance).
FillOptions fill_options(const ImportOptions& options);

/// Spacing of a generated set: the median nearest-neighbour distance of its collocation nodes.
double used_spacing(const NodeSet& nodes);

/// Way 2: a boundary cloud (no kind column), 2D or 3D: see import.hpp.
NodeSet import_boundary_cloud(const std::string& path, const PointCloud& cloud,
                              const ImportOptions& options, ImportReport& report);

/// The domain a boundary cloud encloses: the fitted outline (2D) or the cloud with its
/// normals (3D).
DomainPtr boundary_cloud_domain(const std::string& path, const PointCloud& cloud);

}  // namespace dtpinn::nodegen::detail
