// Tapes over tensors (see tape.hpp): the one evaluator of problem/tape_eval.hpp.
#include <dtpinn/core/problem/tape_eval.hpp>
#include <dtpinn/core/training/tape.hpp>

#include <torch/torch.h>

#include <stdexcept>

namespace dtpinn::core {

at::Tensor evaluate_tape(const Tape& tape, const FieldTensors& fields, const at::Tensor& source,
                         const std::vector<at::Tensor>& coefficients) {
  // Every used field must be there (an undefined tensor would fail deep inside an operation).
  for (const auto& i : tape.code)
    if (i.op == Tape::Op::field && !fields[static_cast<std::size_t>(i.index)].defined())
      throw std::logic_error("evaluate_tape: a used field is missing");
  const at::Tensor* like = nullptr;  // the shape and options of the constants
  for (const auto& f : fields)
    if (f.defined()) like = &f;
  struct Values {
    const at::Tensor* like;
    at::Tensor constant(double c) const { return torch::full_like(*like, c); }
    at::Tensor reciprocal(const at::Tensor& a) const { return a.reciprocal(); }
  };
  return run_tape(tape, fields, source, coefficients, Values{like});
}

}  // namespace dtpinn::core
