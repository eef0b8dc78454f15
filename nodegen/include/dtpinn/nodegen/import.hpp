#pragma once
// Turning user geometry files into node sets (CAD import):
//  1. a full labelled cloud (the dtpinn node CSV, or columns with a kind/label column): used
//     as is, ghost nodes added if missing;
//  2. a boundary point cloud (.xyz/.csv/.txt/.ply vertices, 2D or 3D), resampled at the target
//     spacing h (h, or from n, or the file's points spread evenly):
//       2D: the points joined into closed curves and a smooth curve fitted through them
//           (cloud_outline.hpp); the domain is the fitted outline (exact inside test), the
//           boundary nodes lie on it at equal arc length h with its normals (the file's normals,
//           if any, are only checked against them);
//       3D: the cloud's normals from the file or estimated (PCA of k nearest neighbours) and
//           oriented outward wall by wall; the points thinned to a Poisson-disk set at h where
//           denser, points projected onto a moving-least-squares fit where sparser (cloud.hpp);
//     the interior filled at h. keep_points keeps the file's points as they are instead;
//  3. a closed triangle surface (.stl/.obj/.ply with faces, 3D) or a closed polyline (2D):
//     boundary sampled at spacing h, normals from the faces, interior filled.
// Boundary parts travel from the file to the NodeSet (part_names, boundary_part): the labelled
// cloud's part column / property for its boundary rows, the boundary cloud's per point, the
// mesh's per face (a node takes its face's part), the outline's per loop or per point (rules in
// readers.hpp and surface_domain.hpp); a file without parts gives the single part `boundary`.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <string>
#include <vector>

namespace dtpinn::nodegen {

struct ImportOptions {
  double h = 0.0;        ///< spacing (units after any rescale); 0 = from n, or the cloud's own
  Index n = 0;           ///< target Ni + Nb (surfaces, outlines, boundary clouds); 0 = from h
  bool rescale = false;  ///< rescale the geometry into the unit box [0, 1]^d (aspect kept)
  std::uint64_t seed = 0;
  bool ghosts = true;
  /// Ghost offset along the normal in units of local h; 0 = default_ghost_distance(d).
  double ghost_distance = 0.0;
  /// RBF-FD order the nodes are meant for (0 = no check): the collocation nodes must be at
  /// least one stencil, 2 * binom(p + 1 + d, d) + 1, else the import fails.
  int order = 0;
  /// A 2D point table whose points run in order around a simple closed outline is treated as
  /// a polyline (way 3); set false to treat every point table as a boundary cloud (way 2).
  bool detect_polyline = true;
  /// A boundary cloud's points are the boundary nodes as they are (no resampling; the interior
  /// is filled at h, or the file's points' even spacing), normals as without it.
  bool keep_points = false;
};

struct ImportReport {
  std::string kind;  ///< "labelled cloud", "boundary cloud", "surface mesh", "polyline"
  int dim = 0;
  Eigen::VectorXd bbox_min, bbox_max;  ///< of the input, before any rescale
  double scale = 1.0;                  ///< factor applied by rescale (1 if none)
  double spacing = 0.0;                ///< spacing used for the fill
  bool normals_estimated = false;
  std::string path;            ///< the file read
  std::string normals_source;  ///< "file", "estimated (PCA + MST orientation)", "faces", ...
  Index n_interior = 0, n_boundary = 0, n_ghost = 0;
  std::vector<std::string> notes;  ///< repairs made (faces flipped, vertices welded, ...)
  /// The domain the nodes were generated in (the mesh, the outline, the fitted cloud outline or
  /// the cloud's implicit surface); null for a labelled cloud (its nodes are used as they are).
  DomainPtr domain;
  std::string summary() const;  ///< a few lines for the terminal
};

/// True if `name` looks like a geometry file (extension .csv .xyz .txt .ply .stl .obj, any
/// case, or an existing regular file) rather than a shape name of the library.
bool is_geometry_file(const std::string& name);

/// Why `path` cannot be read as a geometry file, or "" when it is a regular file:
/// "PATH: no such file", "PATH: is a folder, not a geometry file", "PATH: is not a regular file
/// (a FIFO, socket or device cannot be read as geometry)".
std::string geometry_path_problem(const std::string& path);

/// Reads and converts; throws std::runtime_error "FILE:LINE: reason" on bad input (empty
/// file, NaN or text in numeric columns, wrong column count, open surface, inconsistent
/// normals, too few points).
NodeSet import_nodes(const std::string& path, const ImportOptions& options,
                     ImportReport* report = nullptr);

/// The geometry of a closed surface mesh or polyline file as a Domain (for tests and for
/// generating test node sets on an imported shape).
DomainPtr load_domain(const std::string& path, bool rescale = false);

}  // namespace dtpinn::nodegen
