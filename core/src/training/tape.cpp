// Tapes over tensors (see tape.hpp).
#include <dtpinn/core/training/tape.hpp>

#include <torch/torch.h>

#include <stdexcept>

namespace dtpinn::core {

at::Tensor evaluate_tape(const Tape& tape, const FieldTensors& fields, const at::Tensor& source,
                         const std::vector<at::Tensor>& coefficients) {
  using Op = Tape::Op;
  std::vector<at::Tensor> v(tape.code.size());
  const at::Tensor* like = nullptr;  // the shape and options of the constants
  for (const auto& f : fields)
    if (f.defined()) like = &f;
  for (std::size_t k = 0; k < tape.code.size(); ++k) {
    const auto& i = tape.code[k];
    const at::Tensor& a = i.a >= 0 ? v[static_cast<std::size_t>(i.a)] : v[k];
    const at::Tensor& b = i.b >= 0 ? v[static_cast<std::size_t>(i.b)] : v[k];
    switch (i.op) {
      case Op::field:
        v[k] = fields[static_cast<std::size_t>(i.index)];
        if (!v[k].defined()) throw std::logic_error("evaluate_tape: a used field is missing");
        break;
      case Op::source:
        v[k] = source;
        break;
      case Op::coefficient:
        v[k] = coefficients.at(static_cast<std::size_t>(i.index));
        break;
      case Op::constant:
        v[k] = torch::full_like(*like, i.value);
        break;
      case Op::add:
        v[k] = a + b;
        break;
      case Op::sub:
        v[k] = a - b;
        break;
      case Op::mul:
        v[k] = a * b;
        break;
      case Op::div:
        v[k] = a / b;
        break;
      case Op::neg:
        v[k] = -a;
        break;
      case Op::square:
        v[k] = a.square();
        break;
      case Op::pow:
        v[k] = torch::pow(a, b);
        break;
      case Op::pow_const:
        v[k] = torch::pow(a, i.value);
        break;
      case Op::scale:
        v[k] = a * i.value;
        break;
      case Op::shift:
        v[k] = a + i.value;
        break;
      case Op::reciprocal:
        v[k] = torch::reciprocal(a);
        break;
      case Op::exp:
        v[k] = torch::exp(a);
        break;
      case Op::log:
        v[k] = torch::log(a);
        break;
      case Op::sin:
        v[k] = torch::sin(a);
        break;
      case Op::cos:
        v[k] = torch::cos(a);
        break;
      case Op::tan:
        v[k] = torch::tan(a);
        break;
      case Op::sinh:
        v[k] = torch::sinh(a);
        break;
      case Op::cosh:
        v[k] = torch::cosh(a);
        break;
      case Op::tanh:
        v[k] = torch::tanh(a);
        break;
      case Op::sqrt:
        v[k] = torch::sqrt(a);
        break;
      case Op::abs:
        v[k] = torch::abs(a);
        break;
      case Op::asin:
        v[k] = torch::asin(a);
        break;
      case Op::acos:
        v[k] = torch::acos(a);
        break;
      case Op::atan:
        v[k] = torch::atan(a);
        break;
    }
  }
  return v.back();
}

}  // namespace dtpinn::core
