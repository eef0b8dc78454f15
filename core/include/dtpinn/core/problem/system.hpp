#pragma once
// A problem's equations and conditions on one node set, for any number of fields (one field is
// the case F = 1): the RBF-FD operators of the derivatives they use, stored by derivative, each
// field's boundary rows, and the classical solve of the coupled system. LibTorch-free; the
// DT-PINN loss of a system (training/system_loss.hpp) reads the same operators.
//
// Shapes (node order of nodegen/node_set.hpp: Ni interior, Nb boundary, Nb ghosts; N = all):
//   op(d)           (Ni + Nb) x N  the operator of derivative d (value: the identity rows)
//   boundary[w]     field w's condition at each boundary node (problem.hpp), Nb entries
//   B[w], g[w]      Nb x N, Nb: the preset (Robin) rows of field w; rows of nodes under an
//                   expression condition (or of a field without conditions) are zero
//   f               (Ni + Nb) x E: the source of each equation at the collocation nodes
//
// The classical solve: unknowns field by field; a field with conditions has a value at every
// node (ghosts included), a field without conditions (a pressure) only at the Ni + Nb
// collocation nodes, with operators built without the ghosts (its ghost values would have no
// equation). Rows in the order of the unknowns: per field w, equation w at the Ni + Nb
// collocation rows, then field w's Nb boundary rows when it has conditions (B u - g, or the
// expression residual); the diagonal blocks are the fields' own operators, as in the scalar
// solve. A field that appears in the equations
// only through its derivatives is fixed up to a constant: one more unknown (a constant added to
// the rows of the equations that use it) and one row (the mean of the field over the
// collocation nodes = the mean of its exact solution there, else 0) make the system square and
// nonsingular. Linear systems are one sparse solve; nonlinear ones Newton's method from zero,
// with the Jacobian sum_{w,d} diag(dR/d(w,d)) op_w(d) from the symbolic derivatives. Every row is
// scaled by its largest entry before the solve (the operators' rows scale like h^-2, the
// Dirichlet rows like 1). The sparse solver: SolveOptions::linear_solver; `automatic` is
// BiCGSTAB + ILUT for a linear 2D system from iterative_min_size unknowns, SparseLU for 3D
// systems and Newton steps.
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/rbffd/csr_matrix.hpp>
#include <dtpinn/rbffd/params.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <Eigen/Core>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace dtpinn::core {

/// The operators of the derivatives a problem uses, on one node set.
class DerivativeOperators {
 public:
  DerivativeOperators() = default;
  /// Builds op(d) for every derivative in `needed` (value and t need no matrix) on `nodes`.
  /// Throws std::runtime_error when the stencils do not fit (rbffd's message).
  DerivativeOperators(const nodegen::NodeSet& nodes, const rbffd::RbffdParams& params,
                      const std::vector<Derivative>& needed);
  bool has(Derivative d) const { return ops_[static_cast<std::size_t>(d)].has_value(); }
  /// (Ni + Nb) x N; throws std::logic_error for a derivative not built.
  const rbffd::CsrMatrix& op(Derivative d) const;
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }

 private:
  std::array<std::optional<rbffd::CsrMatrix>, kDerivativeCount> ops_;
  std::int64_t rows_ = 0, cols_ = 0;
};

/// The derivatives (spatial; not value or t) the problem's equations and conditions use, in
/// table order.
std::vector<Derivative> derivatives_used(const Problem& problem);

/// Each field's boundary rows on a node set (with ghosts).
struct FieldBoundary {
  BoundaryAssignment assignment;  ///< problem.assign_boundary(nodes, w)
  rbffd::CsrMatrix B;             ///< Nb x N: preset rows; zero rows elsewhere
  Eigen::VectorXd g;              ///< Nb: preset data; 0 elsewhere
  bool has_conditions = false;
};
std::vector<FieldBoundary> field_boundaries(const Problem& problem, const nodegen::NodeSet& nodes,
                                            const rbffd::RbffdParams& params);

/// The boundary rows (0-based within the Nb boundary nodes) under expression condition c, and
/// the normals there (the assignment's, corner sides included).
struct ConditionRows {
  std::vector<nodegen::Index> rows;
  nodegen::PointMatrix points, normals;
};
ConditionRows condition_rows(const nodegen::NodeSet& nodes, const BoundaryAssignment& assignment,
                             std::size_t condition);

/// The config poses a system in the sense of Problem::is_system (several fields, a condition
/// written as an expression, or an equation with a second partial derivative such as u_xx):
/// the classical solve and single-process training handle it; the study and distributed
/// training do not yet. False for a config whose equation does not parse (that error is
/// reported where it is used).
bool is_system_config(const ProblemConfig& config);
/// One line for what cannot run a system yet: "WHAT: this problem is a system ...".
std::string system_not_trainable(const std::string& what);

/// A field is fixed only up to a constant: no condition, and no equation uses its value.
bool field_fixed_up_to_constant(const Problem& problem, int field);

struct SystemSolution {
  Eigen::MatrixXd u;          ///< (Ni + Nb) x F: each field at the collocation nodes
  double residual = 0.0;      ///< relative residual of the last (scaled) linear solve
  int newton_iterations = 0;  ///< 0 for a linear system
  /// LU factorisations of the Jacobian (Newton: one Jacobian's LU preconditions the next ones
  /// until they drift too far from it).
  int factorisations = 0;
  std::string method;  ///< the sparse solver that answered
  double seconds = 0.0;
};

/// The classical solve of the problem's steady system on `nodes` (with ghosts) at order
/// params.order (above). Throws std::runtime_error for a time-dependent problem, a singular
/// system (naming the residual), values that are not finite, or Newton not converging.
SystemSolution solve_system(const Problem& problem, const nodegen::NodeSet& nodes,
                            const rbffd::RbffdParams& params,
                            const rbffd::SolveOptions& options = {});

}  // namespace dtpinn::core
