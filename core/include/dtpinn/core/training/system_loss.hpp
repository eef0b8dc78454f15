#pragma once
// The PINN loss of a system (Problem::is_system: several fields, conditions written as
// expressions, second partial derivatives), for DT-PINN and the vanilla PINN. One term per
// equation, "pde" for one field or "pde:FIELD" (equation i named after field i), then one per
// boundary condition (problem.hpp's terms), each the mean square of its residual over its rows:
//   pde:w    mean over the Ni + Nb collocation rows of R_i(fields, derivatives)^2
//   bc:NAME  mean over the condition's boundary rows of (B_w u_w - g)^2 (presets) or R_b^2
// The network has one output per field (u: [N, F]). DT-PINN evaluates it at every node (ghosts
// included) and takes each derivative d the system uses as op(d) U, one sparse product over all
// F columns (training/dataset.hpp: Dataset::system); the vanilla PINN takes first and second
// derivatives of each output by autograd at the collocation nodes. Steady systems only.
// residuals() (least_squares.hpp) stacks the terms' residual rows, each scaled by
// sqrt(weight / rows), in names() order; its Jacobian is built as the scalar losses' is: DT-PINN
// chains dR/d(variable) through op(d) dU/dtheta (one reverse pass per field), the vanilla PINN
// takes each term's rows from one reverse pass of its autograd residual.
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/model.hpp>

#include <memory>

namespace dtpinn::core {

/// The loss of `method` for the system of `data` (data.system set; DT-PINN needs its
/// operators). Throws std::invalid_argument when the network's outputs or inputs do not match.
std::unique_ptr<Loss> make_system_loss(Method method, const Dataset& data, const Network& net);

/// The relative l2 error of the network against data.system's reference at the test nodes,
/// over all fields with a reference and per field (TestError, dataset.hpp); {-1, {}} without
/// a reference.
TestError system_test_error(const Network& net, const Dataset& data);

}  // namespace dtpinn::core
