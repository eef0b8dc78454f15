#pragma once
// The PINN loss terms, each a scalar tensor differentiable in the network weights.
//
// The PDE term is the mean square of the equation's residual R (problem/equation.hpp) at the
// collocation rows; the fields R uses come, for DT-PINN (paper eq. 12 and 16), from the network
// evaluated at ALL nodes (interior, boundary, ghost) and the sparse RBF-FD operators applied by
// the SpMV autograd op: lap(u) = L u, u_x = Dx u (...), u = the rows' values, u_t by forward-mode
// tangent (or autograd); for the vanilla PINN from autograd (create_graph) at the Ni + Nb
// collocation nodes (no ghosts). So, e.g. for the presets:
//   poisson:            pde = mean((L u - f)^2)            over Ni + Nb rows
//   nonlinear_poisson:  pde = mean((L u - exp(u) - f)^2)
//   heat:               pde = mean((u_t - L u - f)^2) over (Nt + 1)(Ni + Nb),
//                       ic  = mean((u0 - u(., 0))^2) over Ni + Nb
// Time-dependent equations run all Nt + 1 slices at once (L applied as one multi-column SpMV,
// [N, Nt + 1]). Boundary: bc = mean((B u - g)^2) over Nb rows, one term per boundary condition
// ("bc" or "bc:NAME", problem.hpp) over its rows. Pure Neumann (Problem::fixes_mean): one more
// term, mean = (mean of u over the Ni + Nb collocation rows - the mean rule's value)^2, last;
// it pins the constant the other terms leave free (one process only: the mean is global).
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/least_squares.hpp>
#include <dtpinn/core/training/model.hpp>

#include <ATen/Tensor.h>

#include <array>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::autodiff {
class SparseOperator;
}

namespace dtpinn::core {

/// The tensors of one block of collocation rows: all of them for a single process, one rank's
/// share when distributed (distributed_train.hpp). Every term is a SUM of squares over the
/// block times its scale, so with scales 1 / (global count) the blocks' terms add up to the
/// global means above. Tensors on the network's device and dtype.
struct LossBlock {
  bool time_dependent = false;     ///< the equation has u_t (slices, ic)
  const Tape* residual = nullptr;  ///< R (owned by the loss)
  std::vector<bool> uses;          ///< the slots R uses (equation.hpp)
  /// R's coefficients at the block's rows, shaped as the fields (DT-PINN [rows] / [rows, S],
  /// vanilla [S rows]).
  std::vector<at::Tensor> coefficients;
  std::int64_t slices = 1;  ///< S: time slices in x (heat), else 1
  std::int64_t rows = 0;    ///< collocation rows of the block (the first `rows` nodes)
  std::int64_t nodes = 0;   ///< nodes per slice in x (DT-PINN: rows, then halo / ghosts)
  at::Tensor x;             ///< [S nodes, D] network inputs, slice-major
  /// DT-PINN: [rows, S] and [nb, S] (heat) or [rows] and [nb]; vanilla: [S rows] and [S nb],
  /// slice-major.
  at::Tensor f, g;
  at::Tensor u0;  ///< heat: [rows]
  /// Factors of the sums of squares; ic_scale = 0 when the block holds no t = 0 slice.
  double pde_scale = 1, ic_scale = 1;
  /// Per boundary condition: the factor of its sum of squares (0 when the block has none of
  /// its rows); with one condition the whole boundary sum is scaled by bc_scales[0].
  std::vector<double> bc_scales{1.0};
  /// More than one condition: the condition of each boundary row (int64 [nb], DT-PINN; [S nb]
  /// vanilla, slice-major) and bc_scales as a tensor [C].
  at::Tensor bc_index, bc_scale_tensor;
  // DT-PINN: the block's rows of L and B (columns = the x nodes), u_t by tangent or autograd.
  const autodiff::SparseOperator* L = nullptr;
  const autodiff::SparseOperator* B = nullptr;
  /// The gradient rows d/dx_i (those R uses; null otherwise).
  std::array<const autodiff::SparseOperator*, 3> D{};
  bool tangent = true;
  /// Pure Neumann: the "mean" term (mean(u over the rows) - mean_value)^2 is added.
  bool fix_mean = false;
  double mean_value = 0.0;
  // Vanilla: Robin data at the block's boundary rows.
  int dim = 2;               ///< spatial dimension d
  at::Tensor alpha, beta;    ///< [S nb]: the coefficients of each boundary row's condition
  at::Tensor normals;        ///< [S nb, d]
  at::Tensor boundary_rows;  ///< int64 [nb]: block rows of the boundary nodes
};

/// The host data of one block of rows, from which a loss builds its LossBlock: the whole problem
/// (make_loss) or one rank's share (distributed/train.hpp). Shapes as in LossBlock, with S the
/// block's slices.
struct BlockData {
  /// The equation; required, not owned (the loss keeps a copy).
  const Equation* equation = nullptr;
  /// The block's nodes, its `rows` collocation rows first; DT-PINN also evaluates the network
  /// at the rest (ghosts, halo), which are the columns of L and B. d columns.
  nodegen::PointMatrix points;
  std::int64_t rows = 0;
  Eigen::MatrixXd f;                        ///< rows x S
  Eigen::MatrixXd g;                        ///< nb x S
  Eigen::VectorXd u0;                       ///< rows (heat)
  std::vector<double> times{0.0};           ///< the block's slice times
  nodegen::PointMatrix normals;             ///< nb x d: outward normals at the boundary rows
  std::vector<std::int64_t> boundary_rows;  ///< nb block rows of the boundary nodes
  double pde_scale = 1, ic_scale = 1;
  /// The boundary conditions: the term names ("bc" or "bc:NAME"), the factor of each one's sum
  /// of squares (1 / (global rows of the condition x S) gives the means), and the condition and
  /// the Robin coefficients of each of the nb boundary rows.
  std::vector<std::string> bc_terms{"bc"};
  std::vector<double> bc_scales{1.0};
  std::vector<std::int32_t> bc_condition;  ///< nb entries (empty: all in condition 0)
  Eigen::VectorXd alpha, beta;             ///< nb entries
  /// DT-PINN: the block's rows of L and B (columns = the rows of `points`); not owned.
  const rbffd::CsrMatrix* L = nullptr;
  const rbffd::CsrMatrix* B = nullptr;
  /// DT-PINN, equations with u_x, u_y, u_z: the block's rows of d/dx_i; not owned.
  std::array<const rbffd::CsrMatrix*, 3> D{};
  /// Pure Neumann: add the "mean" term over the block's rows (the whole problem only).
  bool fix_mean = false;
  double mean_value = 0.0;
};

/// The DT-PINN terms of a block ("pde", then the boundary terms; heat "ic" first; "mean" last
/// when the block fixes the mean).
std::vector<at::Tensor> dtpinn_terms(const Network& net, const LossBlock& block);
/// The vanilla (autograd) PINN terms of a block, same names.
std::vector<at::Tensor> vanilla_terms(const Network& net, const LossBlock& block);
/// The weighted residual vector of a block's terms and its Jacobian (least_squares.hpp):
/// r . r = sum_i weights[i] term_i with the terms of dtpinn_terms / vanilla_terms and `weights`
/// in their order; rows ic, pde, then boundary, each row-major over (rows, slices) as the
/// residuals are laid out above.
ResidualSystem dtpinn_residuals(const Network& net, const LossBlock& block,
                                const std::vector<double>& weights, JacobianColumns columns);
ResidualSystem vanilla_residuals(const Network& net, const LossBlock& block,
                                 const std::vector<double>& weights, JacobianColumns columns);
/// {"pde", bc terms...} or, time-dependent, {"ic", "pde", bc terms...}.
std::vector<std::string> loss_term_names(bool time_dependent,
                                         const std::vector<std::string>& bc_terms = {"bc"});
/// The loss-term names of the problem's boundary conditions, in order.
std::vector<std::string> boundary_term_names(const Problem& problem);

class Loss {
 public:
  virtual ~Loss() = default;
  /// loss_term_names(): "pde", "bc" (Poisson) or "ic", "pde", "bc" (heat), with one boundary
  /// term per condition ("bc:NAME") when the problem has [[bc]] entries.
  const std::vector<std::string>& names() const { return names_; }
  /// The unweighted terms at the network's current weights, in names() order.
  virtual std::vector<at::Tensor> terms(const Network& net) const = 0;
  /// The terms as one least-squares system: r . r = sum_i weights[i] term_i (names() order).
  virtual ResidualSystem residuals(const Network& net, const std::vector<double>& weights,
                                   JacobianColumns columns) const = 0;

 protected:
  std::vector<std::string> names_;
};

/// The loss of `method` over one block (the operators are copied into SparseOperators on the
/// network's device). Throws std::invalid_argument when the network's inputs do not match or
/// DT-PINN has no operators.
std::unique_ptr<Loss> make_block_loss(Method method, const BlockData& block, const Network& net,
                                      TimeDerivative time_derivative = TimeDerivative::tangent);

/// The loss of `method` on the whole of `data` (DT-PINN needs data.has_operators); tensors are
/// made on the network's device and dtype. `time_derivative`: how DT-PINN takes u_t (heat).
/// Throws std::invalid_argument when the network's inputs do not match the problem.
std::unique_ptr<Loss> make_loss(Method method, const Dataset& data, const Network& net,
                                TimeDerivative time_derivative = TimeDerivative::tangent);

}  // namespace dtpinn::core
