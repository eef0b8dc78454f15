#pragma once
// Sparse RBF-FD differentiation matrices on a node set (CSR, fp64, 32-bit indices, columns
// sorted within each row).
//
// Node ordering (nodegen/node_set.hpp): interior [0, Ni), boundary [Ni, Ni+Nb), ghost
// [Ni+Nb, N). Columns always run over all N nodes (N = Ni + 2 Nb with ghosts, Ni + Nb
// without). Shapes:
//   every derivative operator (derivative.hpp: L, Dx, Dxx, ..., L2):
//                                   (Ni + Nb) x N   row i = node i (interior, then boundary)
//   boundary operator B:            Nb x N          row k = boundary node Ni + k
//   evaluation at new points:       M x N           row k = point k
//   rows at chosen nodes (assemble_rows): one row per requested node, in the order requested
// Stencils are the n nearest nodes (ghosts included) of the evaluation point that are VISIBLE
// from it through the domain, n from the paper's rule for the operator's order theta
// (params.hpp): operators of different theta have different stencils (L and Dxx share theirs;
// B and Dx share theirs). Rows centred at a boundary node have n_b entries (= n in 2D, larger
// in 3D, params.hpp), all other rows n. Assembly is parallel over nodes (OpenMP) and
// deterministic: the same bits for any thread count, and the bits of an operator do not depend
// on which other operators are requested.
//
// Visibility: a node across a slot, a crack or a thin notch (a gap between two boundary walls
// whose normals face each other, more than 120 degrees apart) is not in the stencil, nor is a
// ghost of the far wall; the stencil is filled with the next nearest visible nodes. It is judged
// from the boundary nodes and their normals alone (no domain is needed); stencils without two
// facing walls among their nodes are the plain n nearest, so on shapes without narrow gaps
// (disk, star, rectangle, box, ball, annulus, the L-shape) nothing changes. Without boundary
// normals in the node set, stencils are the plain n nearest.
//
// Repair: a stencil centred at a node that is singular or ill-conditioned at the rule's
// polynomial degree l (a sharp tip, where its nodes lie along a few lines) is retried at
// l - 1, l - 2, ... down to max(theta, (m - 1) / 2); the row keeps its size, its consistency
// drops to that degree at that node only (OperatorInfo::repaired_rows counts them). A node far
// from all others or nearly on another is not repaired.
//
// A field without ghost unknowns (a pressure with no boundary condition, sparse_solve.hpp)
// takes its operators from the node set without its ghosts (nodegen's NodeSet minus the ghost
// rows): (Ni + Nb) x (Ni + Nb), the columns being the first Ni + Nb nodes of the full set.
//
// Errors (std::invalid_argument / std::runtime_error, one line): too few nodes for a stencil,
// coincident nodes, a singular stencil, a stencil centred at a node whose reciprocal
// condition estimate (StencilWeights::Status::rcond) is below kMinStencilRcond at every degree
// tried, or a stencil that cannot be filled with visible nodes, naming the node index, kind and
// coordinates, and the geometric cause where the nodes show one ("a feature thinner than 0.01
// (0.8 node spacings) near (x, y)", "a sharp tip ... near (x, y)", "near (x, y) (a gap of w
// between the walls there)"); a z derivative on a 2D node set.
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/rbffd/csr_matrix.hpp>
#include <dtpinn/rbffd/params.hpp>
#include <dtpinn/rbffd/weights.hpp>

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dtpinn::rbffd {

/// B u = alpha du/dn + beta u on the boundary; alpha and beta hold one value (every boundary
/// node) or Nb values (boundary node Ni + k uses entry k). alpha = 0: Dirichlet; beta = 0:
/// Neumann. A row with alpha = 0 is the plain value row: one entry, beta, at its own node (the
/// RBF-FD row would hold the same value there and exact zeros elsewhere).
/// n in du/dn is the node set's normal of the row's node, or, when `normals` is given (Nb x dim
/// unit vectors, row k for boundary node Ni + k), that row's: at a corner or an edge the
/// condition of one of the meeting parts uses that part's normal, not the node's bisector.
struct RobinCoefficients {
  Eigen::VectorXd alpha = Eigen::VectorXd::Ones(1);
  Eigen::VectorXd beta = Eigen::VectorXd::Ones(1);
  nodegen::PointMatrix normals;  ///< empty, or Nb x dim: the normal of each row
  static RobinCoefficients constant(double alpha, double beta);
};

/// Which operators assemble() builds. The booleans fill OperatorSet's named members; any
/// derivative of the table (derivative.hpp) can also be asked for in `derivatives`.
struct OperatorRequest {
  bool laplacian = true;    ///< L, into OperatorSet::laplacian
  bool boundary = true;     ///< B (Robin, below), into OperatorSet::boundary
  bool gradient = false;    ///< d/dx, d/dy[, d/dz], into OperatorSet::gradient
  bool biharmonic = false;  ///< into OperatorSet::biharmonic
  RobinCoefficients robin;
  /// Further derivative operators, each (Ni + Nb) x N, any order, repeats allowed: those not
  /// already asked for by a boolean go to OperatorSet::operators. OperatorSet::find() looks
  /// any of them up. A z derivative on a 2D node set is std::invalid_argument.
  std::vector<Derivative> derivatives;
};

/// Node-centred stencils below this rcond are refused. Measured minima over the generated
/// shapes (disk, star, annulus, lshape, rectangle, ball, box; n = 300 and 3000; p = 2, 4, 6;
/// ghosts at 0.05 to 4 spacings) and the data/geometry imports: 3e-7 (naca0012, p = 6) and above;
/// an interior node 50 units outside a unit disk: 7.5e-12, its weights 1e8.
inline constexpr double kMinStencilRcond = 1e-10;

/// What was built, for logs and info.json.
struct OperatorInfo {
  std::string name;  ///< "B" or the derivative's operator_name(): "L", "Dx", "Dxy", "L2", ...
  std::int32_t rows = 0, cols = 0;
  std::int64_t nnz = 0;
  StencilRule rule;
  double min_rcond = 1.0;  ///< smallest reciprocal condition estimate over its stencils
  /// Rows whose stencil was singular at the rule's degree and was repaired at a lower one.
  std::int64_t repaired_rows = 0;
};

/// The operators assemble() built. Each derivative operator is stored once: in its named
/// member when a boolean of the request asked for it, in `operators` otherwise; find() looks
/// in both, and is the lookup to use.
struct OperatorSet {
  CsrMatrix laplacian;              ///< (Ni + Nb) x N, if request.laplacian
  CsrMatrix boundary;               ///< Nb x N, if request.boundary
  std::vector<CsrMatrix> gradient;  ///< dim matrices (Ni + Nb) x N, if request.gradient
  CsrMatrix biharmonic;             ///< (Ni + Nb) x N, if request.biharmonic
  /// The other derivative operators of request.derivatives, (Ni + Nb) x N each.
  std::map<Derivative, CsrMatrix> operators;
  std::vector<OperatorInfo> info;  ///< one entry per matrix built
  double seconds = 0.0;            ///< wall time of the whole assembly (tree included)

  /// The operator of `op`, wherever it is stored; null if it was not built.
  const CsrMatrix* find(Derivative op) const;
  /// The matrix an info entry names ("B", or a derivative's operator_name(): "L", "Dx", "Dxx",
  /// "L2", ...); null for another name or a matrix not built.
  const CsrMatrix* matrix(const std::string& name) const;
};

/// Builds the requested operators; one k-d tree, one factorisation per (node, theta) shared
/// by all operators of that order at that node (B and the gradient share theirs; L and the
/// second partials theirs, one solve with several right-hand sides). Parallel and thread-safe
/// as assemble_rows (below).
OperatorSet assemble(const nodegen::NodeSet& nodes, const RbffdParams& params,
                     const OperatorRequest& request = {});

/// Rows of L, of any derivative operator and of B at chosen nodes only: what one rank of
/// distributed training builds (core::assemble_local), or any caller that needs a subset of
/// the rows.
struct RowRequest {
  /// Centre nodes of the rows of L and of every operator in `derivatives` (the collocation
  /// rows), collocation nodes in [0, Ni + Nb), any order (repeats allowed): row r of each
  /// result is the row of node laplacian_nodes[r]. Empty: no rows.
  std::vector<std::int32_t> laplacian_nodes;
  bool laplacian = true;  ///< build L's rows (into OperatorRows::laplacian)
  /// Further derivative operators whose rows are built at laplacian_nodes, into
  /// OperatorRows::operators (L here too when `laplacian` is false).
  std::vector<Derivative> derivatives;
  /// Centre nodes of the rows of B, boundary nodes in [Ni, Ni + Nb), any order: row k of the
  /// result is global B row boundary_nodes[k] - Ni. Empty: no rows (normals then not needed).
  std::vector<std::int32_t> boundary_nodes;
  RobinCoefficients robin;  ///< as in OperatorRequest: 1 or Nb values, indexed by global B row
};

struct OperatorRows {
  CsrMatrix laplacian;  ///< laplacian_nodes.size() x N (if request.laplacian)
  CsrMatrix boundary;   ///< boundary_nodes.size() x N
  /// The operators of request.derivatives (but L when request.laplacian), laplacian_nodes.size()
  /// x N each.
  std::map<Derivative, CsrMatrix> operators;
  std::vector<OperatorInfo> info;  ///< one per matrix (rows and rcond of the requested rows)
  double seconds = 0.0;            ///< wall time (tree included when built here)

  /// The rows of `op`, wherever they are stored; null if they were not built.
  const CsrMatrix* find(Derivative op) const;
};

/// The requested rows of L, the derivatives and B with GLOBAL columns (node indices in [0, N),
/// sorted within each row), bitwise equal to the same rows of assemble(nodes, params, request)
/// for any request that builds those operators with the same robin: assemble runs the same row
/// loop (same tree, stencils, weights and summation order) over all rows.
/// `tree`: a KnnIndex over nodes.points to reuse (several calls on one node set), or null to
/// build one. Parallel over the rows with params.threads OpenMP threads; while it runs, Eigen's
/// own thread count is set to 1 (restored after; Eigen::setNbThreads is process-wide, so do not
/// run it concurrently with code that changes it), otherwise reentrant. Throws
/// std::invalid_argument for a node outside its range, bad Robin coefficients or node set, and
/// std::runtime_error naming the node for coincident nodes or a singular stencil.
OperatorRows assemble_rows(const nodegen::NodeSet& nodes, const RbffdParams& params,
                           const RowRequest& request, const nodegen::KnnIndex* tree = nullptr);

/// The interior and boundary nodes of `nodes`, ghosts dropped (the same first Ni + Nb points,
/// normals and parts): the node set whose operators a field without ghost unknowns takes.
nodegen::NodeSet without_ghosts(const nodegen::NodeSet& nodes);

/// Nodes in the stencil of the row centred at `node` (an index into `nodes`, or -1 for a new
/// point): rule.boundary_size at a boundary node, rule.size anywhere else.
int stencil_size_at(const StencilRule& rule, const nodegen::NodeSet& nodes, nodegen::Index node);

/// Convenience: the Laplacian L, (Ni + Nb) x N.
CsrMatrix laplacian(const nodegen::NodeSet& nodes, const RbffdParams& params = {});
/// Convenience: B = alpha n.grad + beta, Nb x N.
CsrMatrix boundary_operator(const nodegen::NodeSet& nodes, double alpha, double beta,
                            const RbffdParams& params = {});
CsrMatrix boundary_operator(const nodegen::NodeSet& nodes, const RobinCoefficients& robin,
                            const RbffdParams& params = {});

/// The operator `op` (any derivative of the table) evaluated at arbitrary points (M x dim,
/// inside or near the node cloud; a point may coincide with a node): M x N. op = value gives
/// interpolation to new points. Stencils centred at each point use the rule for
/// theta = derivative_order(op).
CsrMatrix evaluation_matrix(const nodegen::NodeSet& nodes, const nodegen::PointMatrix& points,
                            Derivative op, const RbffdParams& params = {});
inline CsrMatrix interpolation(const nodegen::NodeSet& nodes, const nodegen::PointMatrix& points,
                               const RbffdParams& params = {}) {
  return evaluation_matrix(nodes, points, Derivative::value, params);
}

}  // namespace dtpinn::rbffd
