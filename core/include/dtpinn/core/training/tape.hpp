#pragma once
// An equation's tape (problem/equation.hpp) over tensors: the residual R of the losses, one op
// per instruction, so an equation given as text runs the same kernels as written-out code.
#include <dtpinn/core/problem/equation.hpp>

#include <ATen/Tensor.h>

#include <array>
#include <vector>

namespace dtpinn::core {

/// The variables at a block's rows, slot-indexed (equation.hpp; undefined for the slots a tape
/// does not use), all one shape.
using FieldTensors = std::vector<at::Tensor>;

/// R at the block's rows: `source` f and `coefficients` (the tape's, evaluated at the rows) in
/// the fields' shape. Differentiable in the fields.
at::Tensor evaluate_tape(const Tape& tape, const FieldTensors& fields, const at::Tensor& source,
                         const std::vector<at::Tensor>& coefficients);

}  // namespace dtpinn::core
