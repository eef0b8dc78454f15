#pragma once
// Inside the losses (not installed): the pieces every residual Jacobian (least_squares.hpp) is
// built from, shared by the scalar losses (residuals.cpp) and the system loss
// (system_loss.cpp). Columns are the parameters that have deltas (Network::row_deltas), in the
// flat parameter order.
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/tape.hpp>

#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace dtpinn::core {

/// d F_n / d theta for every row n of the per-row network that F is computed from (F [N'],
/// each entry from one input row of Network::forward_per_row; `rows` input rows): [rows, C].
/// Rows of inputs no entry of F reads are zero.
at::Tensor row_jacobian(const at::Tensor& F, const std::vector<at::Tensor>& deltas,
                        std::int64_t rows);

/// y = A X for X [cols, ...] without autograd: A applied to every trailing column; [A.rows, ...].
at::Tensor multiply_columns(const autodiff::SparseOperator& A, const at::Tensor& X);

/// The Jacobian of R = tape(fields), pointwise in its fields: sum_k diag(dR/dF_k) J_k, with
/// dR/dF_k from one reverse pass over the tape. `fields`: values (slot-indexed, undefined where
/// unused; any shape [rows...]); `field_jacobian(slot)`: J_k [rows..., C], asked only for the
/// slots R depends on; `zero`: the result's shape [rows..., C] (returned when R is constant).
at::Tensor tape_jacobian(const Tape& tape, FieldTensors fields, const at::Tensor& source,
                         const std::vector<at::Tensor>& coefficients,
                         const std::function<at::Tensor(int slot)>& field_jacobian,
                         const at::Tensor& zero);

}  // namespace dtpinn::core
