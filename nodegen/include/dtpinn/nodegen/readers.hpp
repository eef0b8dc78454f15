#pragma once
// Readers (and a few writers) for the geometry files users bring from CAD tools:
//   .xyz / .csv / .txt  point tables: whitespace, comma or semicolon separated, optional header
//                       line, '#' comments; columns x y [z] [nx ny [nz]] [kind]
//   .ply                ASCII, binary_little_endian, binary_big_endian; vertex x y z [nx ny nz],
//                       faces as a vertex_indices / vertex_index list (polygons fan-triangulated)
//   .stl                ASCII and binary (told apart by the size the binary header announces)
//   .obj                v, vn, f (v, v/vt, v//vn, v/vt/vn, negative indices), l (polylines);
//                       polygons fan-triangulated
// Small readers of our own: the formats are simple, the error messages must name FILE:LINE,
// and the library stays free of heavy dependencies (see the README section on CAD import).
// Every reader throws std::runtime_error with one line "FILE:LINE: reason" (or "FILE: reason"
// where no line applies, e.g. binary files). Coordinates are returned in the file's own units.
//
// Boundary parts (named pieces of the boundary, see NodeSet) come from:
//   STL    ASCII: one part per `solid NAME` block, named NAME made a valid part name
//          (sanitize_part_name: "Body 1" -> "Body_1"); a solid without a (usable) name is
//          `solidK` (K = its 1-based position in the file), or `boundary` when it is the only
//          solid; solids of the same name merge into one part. Binary: one part, `boundary`.
//   OBJ    `g NAME` / `o NAME`: the latest group or object name (sanitised) applies to the faces
//          after it; faces before any group, or after a bare `g`, are in part `boundary`.
//          `l` outlines ignore groups (their loops are parts, see PolylineDomain).
//   PLY    an integer property `part`, `label` or `group` (first of these found) on the face
//          element, else on the vertex element (a face then takes the lowest part of its three
//          vertices). Values index the names of `comment part <index> <name>` header lines when
//          there are any (indices must be 0..K-1; a value outside is an error); otherwise the
//          distinct values, in increasing order, are the parts, named by the integers as text.
//          On a vertex, -1 means "no part" (interior and ghost rows of a node file).
//   tables a `part` (or `group`) header column: part names or non-negative integers, one per
//          point; empty or `-` on interior and ghost rows of a labelled cloud. Integer-only
//          columns order the parts numerically, names by first appearance; a comment line
//          `# parts: a b c` (as our node CSV writes) fixes the table and its order.
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

/// Triangles of a surface: vertices M x 3 (row-major), faces F x 3 vertex indices, and the
/// boundary part of each face (F entries in [0, part_names.size()), or empty: all in part 0).
struct TriangleMesh {
  Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor> vertices;
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, 3, Eigen::RowMajor> faces;
  std::vector<std::int32_t> face_part;
  std::vector<std::string> part_names{"boundary"};
  std::int32_t part_of_face(Eigen::Index f) const {
    return face_part.empty() ? 0 : face_part[static_cast<std::size_t>(f)];
  }
};

/// Points (2D or 3D) with optional per-point normals and node kinds.
struct PointCloud {
  int dim = 3;
  PointMatrix points;               ///< N x dim
  PointMatrix normals;              ///< N x dim, or 0 rows when the file had none
  std::vector<NodeKind> kinds;      ///< one per point when a kind/label column was present
  std::vector<std::int64_t> lines;  ///< 1-based source line per point (text files), for errors
  /// One part index per point when the file had a part column / property (-1: none, allowed
  /// only on interior and ghost rows), else empty; `part_names` is the table.
  std::vector<std::int32_t> part;
  std::vector<std::string> part_names{"boundary"};
  /// One loop number per point when the table had a `loop` column (an ordered 2D outline with
  /// several loops: read_geometry turns it into loops), else empty.
  std::vector<std::int32_t> loop;
  bool has_normals() const { return normals.rows() == points.rows() && points.rows() > 0; }
  bool has_kinds() const { return !kinds.empty(); }
  bool has_parts() const { return !part.empty(); }
};

/// What a geometry file holds once read.
struct GeometryData {
  enum class Type { cloud, mesh, polyline };
  Type type = Type::cloud;
  PointCloud cloud;   ///< type == cloud
  TriangleMesh mesh;  ///< type == mesh
  /// type == polyline: closed 2D loops (an outline and possibly holes), each K x 2, in order,
  /// the first point not repeated at the end.
  std::vector<PointMatrix> loops;
  /// type == polyline, from a point table with a part column: per loop, per point, the part of
  /// the segment that starts at that point (indices into part_names); empty: the loops are the
  /// parts (PolylineDomain).
  std::vector<std::vector<std::int32_t>> loop_part;
  std::vector<std::string> part_names{"boundary"};
};

/// Point table (.xyz/.csv/.txt). Header names understood: x y z nx ny nz kind|label|type
/// part|group loop (case-insensitive). Without a header: 2 numbers = x y, 3 = x y z,
/// 4 = x y nx ny, 6 = x y z nx ny nz; a text column of interior/boundary/ghost words is the kind.
/// A `loop` column (2D only, non-negative integers) numbers the loops of an ordered outline.
PointCloud read_point_table(const std::string& path);
/// PLY: a mesh if it has faces, else a point cloud (2D if every z is 0 and no nz is given).
GeometryData read_ply(const std::string& path);
/// STL: always a mesh (vertices not yet welded: three per triangle).
TriangleMesh read_stl(const std::string& path);
/// OBJ: a mesh if it has faces, a polyline (2D if z == 0) if it has `l` lines, else a cloud.
GeometryData read_obj(const std::string& path);

/// Dispatch on the extension (case-insensitive). 2D point tables without normals or kinds that
/// are ordered outlines are returned as polylines (always with a `loop` column; otherwise when
/// `detect_polyline` is set), else as clouds:
///   - a `loop` column: the points of each loop number, in file order, are one closed loop (loops
///     ordered by number); a `part` column then names the segment starting at each point;
///   - the points in file order form a simple closed polygon: one loop;
///   - with a `part` column, each run of consecutive points with the same part forms a simple
///     closed polygon (its closing segment at most 3 times its longest step): one loop each,
///     the part naming the loop.
GeometryData read_geometry(const std::string& path, bool detect_polyline = true);

/// True if the rows of P (K x 2), joined in order and closed, form a simple polygon.
bool is_simple_polygon(const PointMatrix& P);

/// Writers (through AtomicFile): used by tests and the data/ generators. They keep the mesh's
/// parts: ASCII STL one `solid NAME` per part, PLY a face property `int part` with
/// `comment part <i> <name>` lines, OBJ a `g NAME` line before each part's faces. Binary STL
/// has no place for them.
void write_stl(const std::string& path, const TriangleMesh& mesh, bool binary);
/// PLY mesh; `format` is "ascii", "binary_little_endian" or "binary_big_endian".
void write_ply_mesh(const std::string& path, const TriangleMesh& mesh,
                    const std::string& format = "ascii");
void write_obj(const std::string& path, const TriangleMesh& mesh);
/// Point table "x y [z] [nx ny [nz]]" separated by `sep`, with an optional header line.
void write_point_table(const std::string& path, const PointMatrix& points,
                       const PointMatrix& normals, char sep = ' ', bool header = false);

}  // namespace dtpinn::nodegen
