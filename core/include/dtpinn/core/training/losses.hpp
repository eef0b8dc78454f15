#pragma once
// The PINN loss terms, each a scalar tensor differentiable in the network weights.
//
// DT-PINN (paper eq. 12 and 16): the network is evaluated at ALL nodes (interior, boundary,
// ghost) and the sparse RBF-FD operators L, B are applied by the SpMV autograd op:
//   poisson:            pde = mean((L u - f)^2)            over Ni + Nb rows
//   nonlinear_poisson:  pde = mean((L u - exp(u) - f)^2)   (u at the Ni + Nb collocation nodes)
//   both:               bc  = mean((B u - g)^2)            over Nb rows
//   heat:               ic  = mean((u0 - u(., 0))^2) over Ni + Nb,
//                       pde = mean((u_t - L u - f)^2) over (Nt + 1)(Ni + Nb),
//                       bc  = mean((B u - g)^2) over (Nt + 1) Nb,
//                       u_t in the t input (forward-mode tangent, or autograd); L and B applied
//                       to all Nt + 1 slices
//                       at once as one multi-column SpMV ([N, Nt + 1]).
// Vanilla PINN: the same terms with Lap u, du/dn and u_t by autograd (create_graph) at the
// Ni + Nb collocation nodes (no ghosts).
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/model.hpp>

#include <ATen/Tensor.h>

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
  PdeKind pde = PdeKind::poisson;
  std::int64_t slices = 1;  ///< S: time slices in x (heat), else 1
  std::int64_t rows = 0;    ///< collocation rows of the block (the first `rows` nodes)
  std::int64_t nodes = 0;   ///< nodes per slice in x (DT-PINN: rows, then halo / ghosts)
  at::Tensor x;             ///< [S nodes, D] network inputs, slice-major
  /// DT-PINN: [rows, S] and [nb, S] (heat) or [rows] and [nb]; vanilla: [S rows] and [S nb],
  /// slice-major.
  at::Tensor f, g;
  at::Tensor u0;  ///< heat: [rows]
  /// Factors of the sums of squares; ic_scale = 0 when the block holds no t = 0 slice.
  double pde_scale = 1, bc_scale = 1, ic_scale = 1;
  // DT-PINN: the block's rows of L and B (columns = the x nodes), u_t by tangent or autograd.
  const autodiff::SparseOperator* L = nullptr;
  const autodiff::SparseOperator* B = nullptr;
  bool tangent = true;
  // Vanilla: Robin data at the block's boundary rows.
  int dim = 2;  ///< spatial dimension d
  double alpha = 1, beta = 1;
  at::Tensor normals;        ///< [S nb, d]
  at::Tensor boundary_rows;  ///< int64 [nb]: block rows of the boundary nodes
};

/// The host data of one block of rows, from which a loss builds its LossBlock: the whole problem
/// (make_loss) or one rank's share (distributed/train.hpp). Shapes as in LossBlock, with S the
/// block's slices.
struct BlockData {
  PdeKind pde = PdeKind::poisson;
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
  double pde_scale = 1, bc_scale = 1, ic_scale = 1;
  double alpha = 1, beta = 1;  ///< Robin coefficients (the vanilla PINN's du/dn)
  /// DT-PINN: the block's rows of L and B (columns = the rows of `points`); not owned.
  const rbffd::CsrMatrix* L = nullptr;
  const rbffd::CsrMatrix* B = nullptr;
};

/// The DT-PINN terms of a block ("pde", "bc" or heat "ic", "pde", "bc").
std::vector<at::Tensor> dtpinn_terms(const Network& net, const LossBlock& block);
/// The vanilla (autograd) PINN terms of a block, same names.
std::vector<at::Tensor> vanilla_terms(const Network& net, const LossBlock& block);
/// {"pde", "bc"} or, for heat, {"ic", "pde", "bc"}.
std::vector<std::string> loss_term_names(PdeKind pde);

class Loss {
 public:
  virtual ~Loss() = default;
  /// "pde", "bc" (Poisson) or "ic", "pde", "bc" (heat).
  const std::vector<std::string>& names() const { return names_; }
  /// The unweighted terms at the network's current weights, in names() order.
  virtual std::vector<at::Tensor> terms(const Network& net) const = 0;

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
