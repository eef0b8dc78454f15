#pragma once
// Everything a training run needs before the network exists (LibTorch-free): the collocation
// node set (with ghosts), the finer test node set, the RBF-FD operators L and B, the data f, g,
// u0 on the nodes and the reference solution on the test set. Built once; DT-PINN and the
// vanilla PINN of a `compare` share it, so both train on the same nodes.
//
// Shapes (node ordering of nodegen/node_set.hpp; S = 1 for Poisson, Nt + 1 slices for heat,
// slice k at t_k = k t_final / Nt):
//   nodes:  Ni interior, Nb boundary, Nb ghosts          L: (Ni + Nb) x (Ni + 2 Nb)
//   f:      (Ni + Nb) x S                                 B: Nb x (Ni + 2 Nb)
//   g:      Nb x S                                        u0: Ni + Nb (heat)
//   boundary: the condition of each boundary node (problem.hpp), Nb entries
//   test_points: M x D (D = d, or d + 1 with t last), test_reference: M
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/problem/system.hpp>
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/rbffd/csr_matrix.hpp>
#include <dtpinn/rbffd/params.hpp>

#include <Eigen/Core>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

/// The quality of the collocation nodes (nodegen/quality.hpp) as the gate found it.
struct NodeQuality {
  nodegen::QualityReport report;
  bool allowed_nonuniform = false;  ///< domain.allow_nonuniform was set
  std::string warning;              ///< the broken bound, when allowed; empty when within
};

/// `q` as a JSON object: the report's fields, "allow_nonuniform" and "warning" (null or text).
std::string node_quality_json(const NodeQuality& q);

/// A system's data on the collocation nodes (Problem::is_system; system.hpp), in place of the
/// scalar L, B, D, f, g.
struct SystemData {
  /// The operators of every derivative the system uses ((Ni + Nb) x N; DT-PINN only).
  std::shared_ptr<const DerivativeOperators> ops;
  std::vector<FieldBoundary> boundary;  ///< per field
  Eigen::MatrixXd f;                    ///< (Ni + Nb) x E: each equation's source
  /// M x F: each field's reference at the test nodes (exact, or the classical solve of the
  /// system on the test nodes when some field has no exact solution); zero columns where none.
  Eigen::MatrixXd test_reference;
  std::vector<bool> has_reference;     ///< per field
  std::vector<bool> constant_removed;  ///< per field: compared after removing the means
};

struct Dataset {
  nodegen::NodeSet nodes;       ///< collocation nodes + ghosts
  NodeQuality node_quality;     ///< their quality (results.json "node_quality")
  nodegen::NodeSet test_nodes;  ///< test set (no ghosts)
  std::string test_source;      ///< "generated (seed S)", a file, or "collocation nodes"
  /// The boundary condition of each boundary node; B's row k has its alpha and beta.
  BoundaryAssignment boundary;
  bool has_operators = false;
  rbffd::CsrMatrix L, B;
  /// d/dx, d/dy[, d/dz] ((Ni + Nb) x N), built only when the equation uses u_x, u_y or u_z.
  std::vector<rbffd::CsrMatrix> D;
  double operator_seconds = 0.0;

  std::vector<double> times;  ///< slice times (heat: Nt + 1 values; Poisson: {0})
  Eigen::MatrixXd f;          ///< (Ni + Nb) x S
  Eigen::MatrixXd g;          ///< Nb x S
  Eigen::VectorXd u0;         ///< Ni + Nb (heat), else empty

  nodegen::PointMatrix test_points;  ///< M x D: test nodes (x all slices in test_times)
  std::vector<double> test_times;    ///< heat: the times the test error is taken at
  bool has_reference = false;
  std::string reference_kind;      ///< "exact" | "rbffd solve" | "none"
  Eigen::VectorXd test_reference;  ///< M values

  Eigen::VectorXd lower, upper;  ///< the network's input box (D entries)

  std::shared_ptr<const Problem> problem;
  /// Set for a system (Problem::is_system); the scalar members above then describe its first
  /// field only (boundary, f, g) and L, B, D are not built.
  std::shared_ptr<const SystemData> system;

  int dim() const { return nodes.dim; }
  int input_dim() const { return nodes.dim + (problem && problem->is_time_dependent() ? 1 : 0); }
  std::int64_t n_collocation() const { return nodes.n_collocation(); }
};

/// The relative l2 error ||u - ref|| / ||ref|| of a network on the test set: `all` over every
/// field with a reference (-1 when there is none) and, for a system (Dataset::system), each
/// field's (-1 for a field without a reference; fields fixed up to a constant compared after
/// removing the mean of both), in the problem's field order; `field` is empty for one field.
struct TestError {
  double all = -1;
  std::vector<double> field;
};

struct DatasetOptions {
  bool operators = true;  ///< assemble L and B (DT-PINN; not needed by the vanilla PINN)
};

/// Builds the data for `config`, printing a few lines of set-up to `log` (may be null).
/// Throws std::runtime_error with one clear line on bad input: missing files, bad expressions,
/// an order p whose stencil is larger than the node count, too few nodes.
Dataset build_dataset(const RunConfig& config, const DatasetOptions& options = {},
                      std::ostream* log = nullptr);

/// build_dataset's second half for a system (Problem::is_system): `d` holds the problem and
/// the collocation nodes; fills d.system (the operators when options.operators), the test
/// nodes and the reference of every field.
Dataset build_system_dataset(Dataset d, const RunConfig& config, const DatasetOptions& options,
                             std::ostream* log);

/// The node set of `config.domain` (generated, read from domain.nodes or imported from
/// domain.file), with ghost nodes. Its quality is checked (nodegen::quality_problem): beyond the
/// bounds it throws std::runtime_error naming the place, unless domain.allow_nonuniform is set
/// (then the warning goes to `log` and into `quality`).
nodegen::NodeSet make_collocation_nodes(const RunConfig& config, std::ostream* log = nullptr,
                                        NodeQuality* quality = nullptr);

/// A few lines for the log: the parts of `nodes` with their node counts, and each condition
/// with the nodes it holds at.
std::string describe_boundary(const Problem& problem, const nodegen::NodeSet& nodes,
                              const BoundaryAssignment& boundary);
/// The same with the node count of each condition given (a system: each from its field's
/// assignment).
std::string describe_boundary(const Problem& problem, const nodegen::NodeSet& nodes,
                              const std::vector<std::int64_t>& counts_per_condition);

/// The RBF-FD parameters of `config.rbffd` (order, boundary stencil factor).
rbffd::RbffdParams rbffd_params(const RunConfig& config);

/// Throws std::runtime_error if the stencils of order p do not fit in `nodes` (names p, n, N).
void check_order_fits(const RunConfig& config, const nodegen::NodeSet& nodes);

}  // namespace dtpinn::core
