#pragma once
// Node files. The CSV format (SPEC.md) is the exchange format; .ply and legacy .vtk are for
// viewing (ParaView, MeshLab).
//
// CSV: header `x,y,kind,nx,ny` (2D) or `x,y,z,kind,nx,ny,nz` (3D), one node per line, kind one
// of interior|boundary|ghost, normals zero for interior nodes. Numbers are written in the
// shortest form that reads back to the identical double (so a round trip is exact). The
// writer emits the NodeSet ordering (interior, boundary, ghost). The reader accepts any row
// order, skips blank lines and lines starting with '#', trims spaces and CR, and reorders into
// the NodeSet ordering; if ghosts are present there must be exactly one per boundary node and
// the k-th ghost in the file belongs to the k-th boundary node in the file.
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

/// Writes `nodes` (validated first) to `path` in `format`.
void write_nodes(const std::string& path, const NodeSet& nodes, NodeFormat format);
/// Format from the extension.
void write_nodes(const std::string& path, const NodeSet& nodes);

/// Reads a node CSV. Throws std::runtime_error "FILE:LINE: reason" for a missing file, bad
/// header, wrong column count, NaN/inf/text in numeric columns, unknown kind, duplicate
/// nodes, boundary or ghost normals that are not unit length (1e-6), a ghost count other than
/// 0 or Nb, or no nodes.
NodeSet read_nodes(const std::string& path);

}  // namespace dtpinn::nodegen
