#pragma once
// Node files. The CSV format (docs/formats.md) is the exchange format; .ply and legacy .vtk
// are for viewing (ParaView, MeshLab).
//
// CSV: header `x,y,kind,nx,ny,part` (2D) or `x,y,z,kind,nx,ny,nz,part` (3D), then one node per
// line and nothing else, so that pandas.read_csv(path) and numpy.genfromtxt(path,
// delimiter=",", names=True) read it with their defaults (x, y, z, nx, ny, nz numeric). kind is
// one of interior|boundary|ghost, normals zero for interior nodes. `part` is the boundary
// part's name (a valid part name, node_set.hpp): the node's part on a boundary row, its
// boundary node's part on a ghost row, empty on an interior row. The part table is the parts
// in order of first appearance on the boundary rows; when that is not the node set's table (a
// part without nodes, another order) the writer puts the table into the sidecar PATH.parts,
// one name per line, so that it reads back exactly (and removes a stale sidecar otherwise).
// Numbers are written in the shortest form that reads back to the identical double (so a round
// trip is exact). The writer emits the NodeSet ordering (interior, boundary, ghost). The reader
// accepts any row order, skips blank lines and lines starting with '#', trims spaces and CR,
// drops a UTF-8 byte order mark before the header, and reorders into the NodeSet ordering; if
// ghosts are present there must be exactly one per boundary node and the k-th ghost in the
// file belongs to the k-th boundary node in the file. Files without the part column (older
// files, the old header) read with every boundary node in part `boundary`. With it: every
// boundary row needs a part; interior rows an empty one (or `-`); a ghost row empty, `-` or its
// boundary node's part. The table comes from a `# parts: a b c` line in the file (what older
// versions wrote after the header), else from the sidecar, else from the rows. Corners and
// edges (node_set.hpp) go into the sidecar PATH.corners, one line per corner node:
// `K PART NX NY [NZ] PART NX NY [NZ] ...`, K the node's ordinal among the file's boundary rows
// (0-based), then each side's part and outward normal (`# corner K ...` comment lines in the
// CSV itself are read too). Without it only the corners are lost: conditions at corners then
// use the node's own, bisector, normal.
// PLY (ASCII): vertex properties x y z nx ny nz, `uchar kind` (0 interior, 1 boundary, 2 ghost)
// and `int part` (-1 interior, a ghost its boundary node's), the names in header lines
// `comment part <index> <name>`; import_nodes reads it back as a labelled cloud with the same
// parts. VTK (legacy ASCII polydata): point scalars `kind` and `part` (as in PLY), the names as
// dataset FieldData, one 1-tuple int array per part named by the part and holding its index.
// Every writer goes through AtomicFile (no partial files on failure).
#include <dtpinn/nodegen/node_set.hpp>

#include <string>

namespace dtpinn::nodegen {

enum class NodeFormat { csv, ply, vtk };

/// From the extension (.csv, .ply, .vtk; case-insensitive). Throws std::invalid_argument naming
/// the path for anything else.
NodeFormat node_format_from_path(const std::string& path);
/// "csv" | "ply" | "vtk" -> format; throws std::invalid_argument otherwise.
NodeFormat parse_node_format(const std::string& name);

/// Writes `nodes` (validated first) to `path` in `format` (a CSV with its sidecar PATH.parts
/// when needed, see above).
void write_nodes(const std::string& path, const NodeSet& nodes, NodeFormat format);
/// Format from the extension.
void write_nodes(const std::string& path, const NodeSet& nodes);

/// Reads a node CSV. Throws std::runtime_error "FILE:LINE: reason" for a missing file, bad
/// header, wrong column count, NaN/inf/text in numeric columns, unknown kind, duplicate
/// nodes, boundary or ghost normals that are not unit length (1e-6), a ghost count other than
/// 0 or Nb, no nodes, an invalid part name, a boundary row without a part, a part missing
/// from the part table (`# parts:` line or sidecar), or a ghost whose part differs from its
/// boundary node's.
NodeSet read_nodes(const std::string& path);

}  // namespace dtpinn::nodegen
