#pragma once
// Row partitioning of the DT-PINN operators for distributed training (LibTorch-free).
//
// The loss is a sum over the rows of L ((Ni + Nb) collocation nodes) and of B (Nb boundary
// nodes), so the collocation nodes are split into P parts: part q owns the rows of L and B at
// its nodes. The split is a weighted recursive coordinate bisection (RCB): the bounding box of
// a set is cut across its longest side at the weighted quantile that gives each half work in
// proportion to the number of parts it gets. Work of a node = its L row, plus one B row for a
// boundary node (weighted by the stencil sizes), so parts are equal in nonzeros up to one node.
// Parts are spatially compact, which keeps the halo (columns touched but not owned) small.
//
// Each part then builds ONLY its own rows (assemble_local, through rbffd::assemble_rows: the
// row loop rbffd::assemble runs over all rows, same tree and StencilWeights), so the local
// rows are bitwise the global rows, with columns renumbered to the part's local node list
//   columns = [owned collocation nodes (ascending global index), halo nodes (ascending)].
// Ghost nodes are never owned (they have no rows); they appear in the halo of the parts whose
// stencils reach them. Memory per part: the node coordinates (N x d, needed for the kNN tree)
// plus its own rows; no part ever holds the whole operator.
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/rbffd/csr_matrix.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/params.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dtpinn::core {

struct Partition {
  int parts = 1;
  /// owner[i] for collocation node i in [0, Ni + Nb): its part, 0..parts-1.
  std::vector<std::int32_t> owner;
  /// Per part: collocation nodes owned, boundary nodes owned, estimated work (nonzeros).
  std::vector<std::int64_t> rows, boundary_rows;
  std::vector<double> work;
  std::string method = "rcb";
  /// max work / mean work (1 = perfect balance).
  double imbalance() const;
};

/// Splits the collocation nodes of `nodes` into `parts` parts (1 <= parts <= Ni + Nb).
/// `l_stencil`, `b_stencil`: the stencil sizes of L and B (work weights; 1, 1 counts nodes).
/// Deterministic. Throws std::invalid_argument for parts out of range.
Partition partition_rcb(const nodegen::NodeSet& nodes, int parts, int l_stencil = 1,
                        int b_stencil = 1);

/// One part's rows of L and B with local column numbering (see above).
struct LocalOperators {
  int part = 0, parts = 1;
  /// Global indices of the owned collocation nodes, ascending: local row r of L is node
  /// owned[r]; these are also local columns [0, owned.size()).
  std::vector<std::int32_t> owned;
  /// Local L rows (indices into owned) of the owned boundary nodes, ascending: local row k of
  /// B is node owned[boundary_rows[k]], i.e. global B row owned[boundary_rows[k]] - Ni.
  std::vector<std::int32_t> boundary_rows;
  /// Global node index of each local column: owned nodes first, then the halo, ascending.
  std::vector<std::int32_t> columns;
  std::int64_t n_halo = 0;
  rbffd::CsrMatrix L;  ///< owned.size() x columns.size()
  rbffd::CsrMatrix B;  ///< boundary_rows.size() x columns.size()
  /// Row counts of the GLOBAL operators (Ni + Nb, Nb): the loss normalisation.
  std::int64_t global_l_rows = 0, global_b_rows = 0;
  double seconds = 0.0;  ///< wall time of the local assembly (tree included)
};

/// Builds part `part`'s rows of L (Laplacian) and B (alpha n.grad + beta) on `nodes` (with
/// ghosts and normals), bitwise equal to the corresponding rows of rbffd::assemble. Throws
/// std::runtime_error naming the node on a singular stencil, std::invalid_argument on bad
/// arguments.
LocalOperators assemble_local(const nodegen::NodeSet& nodes, const Partition& partition, int part,
                              const rbffd::RbffdParams& params,
                              const rbffd::RobinCoefficients& robin);

/// A contiguous block of time slices [begin, begin + count) of the heat equation's S slices.
struct SliceRange {
  std::int64_t begin = 0;
  std::int64_t count = -1;  ///< -1: all slices from begin
};

/// Time part `part` of `parts` over `slices` slices: contiguous blocks whose sizes differ by at
/// most one (the earlier parts get the extra slice). Throws std::invalid_argument when parts is
/// not in [1, slices] or part not in [0, parts).
SliceRange split_slices(std::int64_t slices, int parts, int part);

/// Part `part`'s rows without any operator (the vanilla PINN): owned, boundary_rows, columns =
/// owned (no halo: autograd needs no neighbours), L and B empty, the global row counts set.
LocalOperators local_rows(const nodegen::NodeSet& nodes, const Partition& partition, int part);

/// Rows `rows` (global row indices, any order) of a global CSR matrix, columns unchanged: the
/// reference the tests compare assemble_local against.
rbffd::CsrMatrix select_rows(const rbffd::CsrMatrix& a, const std::vector<std::int32_t>& rows);

}  // namespace dtpinn::core
