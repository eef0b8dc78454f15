#pragma once
// A node set from a shape name or a geometry file, as `dtpinn nodes` makes it: the one place
// that checks the request and picks between generation (shapes.hpp, generate.hpp) and import
// (import.hpp). The command line and the Python module both call it.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <cstdint>
#include <string>

namespace dtpinn::nodegen {

struct NodeRequest {
  std::string domain;    ///< shape name (shape_names()) or geometry file (is_geometry_file())
  Index n = 0;           ///< target Ni + Nb (10 .. kMaxNodes); a shape needs n or h, a file neither
  bool n_given = false;  ///< n was given (n = 0 is then refused, not taken for "none")
  double h = 0.0;        ///< target spacing instead of n
  bool h_given = false;  ///< h was given (h = 0 is then refused, not taken for "none")
  std::uint64_t seed = 0;
  bool ghosts = true;
  double ghost_distance = 0.0;  ///< spacings along the normal; 0 = the default for the dim
  bool ghost_distance_given = false;
  int repulsion = 0;         ///< repulsion steps after the fill (shapes only)
  bool rescale = false;      ///< geometry files only: into the unit box
  bool keep_points = false;  ///< boundary clouds only: the file's points as the boundary nodes
  /// Refuse a request whose nodes would take more than this many bytes to make (the program
  /// passes what the machine has available); 0: no check.
  double memory_limit = 0;
};

/// Bytes to generate and hold `n` nodes: a lower bound of the peak (~64 bytes a node).
double node_memory(double n);

/// Ghosts are accepted at [kMinGhostDistance, kMaxGhostDistance] spacings: farther out they fall
/// outside their boundary node's stencil at the low orders (a 2D order-2 stencil of 21 nodes
/// reaches about 2.6 spacings), closer they nearly coincide with it (the stencil rcond falls
/// with the distance; at 0.05 the disk and the ball still measure 3e-6 at p = 6).
inline constexpr double kMinGhostDistance = 0.05, kMaxGhostDistance = 4.0;

/// Throws std::invalid_argument naming the flag (--n, --h, --repulsion, --ghost-distance,
/// --domain) when the request is out of range, names a folder or a FIFO, or asks for more
/// nodes than kMaxNodes or than memory_limit holds. Allocates nothing.
void check_request(const NodeRequest& request);

struct NodeResult {
  NodeSet nodes;
  DomainPtr domain;    ///< the shape or the imported geometry; null for a labelled node file
  std::string source;  ///< "domain: ..." or the import report, a few lines for the terminal
};

/// Checks the request, then generates (shape) or imports (file) the nodes. Throws
/// std::invalid_argument on a bad request or unknown shape, std::runtime_error "FILE: ..." on a
/// file that is missing or bad.
NodeResult build_nodes(const NodeRequest& request);

}  // namespace dtpinn::nodegen
