#pragma once
// Checks and repairs that turn a triangle soup from a CAD export into a closed, consistently
// and outwardly oriented surface, or explain in one line why it cannot be one.
#include <dtpinn/nodegen/readers.hpp>

#include <string>

namespace dtpinn::nodegen {

struct MeshCheck {
  Index input_vertices = 0;  ///< before welding
  Index vertices = 0;        ///< after welding
  Index faces = 0;           ///< after dropping degenerate faces
  Index dropped_faces = 0;   ///< faces with a repeated vertex after welding
  Index flipped_faces = 0;   ///< faces whose final orientation differs from the file's
  int components = 0;        ///< connected shells (an outer shell plus internal voids, ...)
  double volume = 0.0;       ///< enclosed volume (> 0 once oriented outward)
  double area = 0.0;         ///< surface area
};

/// Merges vertices closer than rel_tol * (bounding-box diagonal) (STL repeats every vertex per
/// triangle) and drops faces that become degenerate (a repeated vertex). Returns the count of
/// dropped faces.
Index weld_vertices(TriangleMesh& mesh, double rel_tol = 1e-9);

/// Signed volume (divergence theorem; > 0 for outward orientation) and area.
double signed_volume(const TriangleMesh& mesh);
double surface_area(const TriangleMesh& mesh);

/// Welds, then requires a closed 2-manifold (every edge shared by exactly two faces), makes the
/// orientation consistent across each shell, orients shells outward (internal voids inward),
/// so that the enclosed volume is positive. Throws std::runtime_error with one line starting
/// with `name`, e.g. "part.stl: open surface (not watertight): 12 boundary edges, e.g. the
/// edge (0.1, 0, 0)-(0.2, 0, 0)", for open, non-manifold, non-orientable or empty surfaces.
MeshCheck prepare_closed_mesh(TriangleMesh& mesh, const std::string& name);

}  // namespace dtpinn::nodegen
