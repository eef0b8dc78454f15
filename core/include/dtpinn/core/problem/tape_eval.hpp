#pragma once
// The one evaluator of an equation's tape (equation.hpp), for any value type V with array
// arithmetic (+ - * / and unary -, products and sums with a double) and the members square(),
// pow(V or double), exp(), log(), sin(), cos(), tan(), sinh(), cosh(), tanh(), sqrt(), abs(),
// asin(), acos(), atan(): Eigen arrays (evaluate_tape in equation.hpp, the classical solve) and
// LibTorch tensors (training/tape.hpp, the losses). `Values` supplies what differs between them:
//   V constant(double c) const        a constant of the fields' shape
//   V reciprocal(const V& a) const    1 / a
// Header-only, no dependencies beyond equation.hpp.
#include <dtpinn/core/problem/equation.hpp>

#include <array>
#include <stdexcept>
#include <vector>

namespace dtpinn::core {

template <class V, class Values>
V run_tape(const Tape& tape, const std::vector<V>& variables, const V& source,
           const std::vector<V>& coefficients, const Values& values) {
  using Op = Tape::Op;
  std::vector<V> v(tape.code.size());
  for (std::size_t k = 0; k < tape.code.size(); ++k) {
    const auto& i = tape.code[k];
    const V& a = i.a >= 0 ? v[static_cast<std::size_t>(i.a)] : v[k];
    const V& b = i.b >= 0 ? v[static_cast<std::size_t>(i.b)] : v[k];
    V& out = v[k];
    switch (i.op) {
      case Op::field:
        out = variables.at(static_cast<std::size_t>(i.index));
        break;
      case Op::source:
        out = source;
        break;
      case Op::coefficient:
        out = coefficients.at(static_cast<std::size_t>(i.index));
        break;
      case Op::constant:
        out = values.constant(i.value);
        break;
      case Op::add:
        out = a + b;
        break;
      case Op::sub:
        out = a - b;
        break;
      case Op::mul:
        out = a * b;
        break;
      case Op::div:
        out = a / b;
        break;
      case Op::neg:
        out = -a;
        break;
      case Op::square:
        out = a.square();
        break;
      case Op::pow:
        out = a.pow(b);
        break;
      case Op::pow_const:
        out = a.pow(i.value);
        break;
      case Op::scale:
        out = a * i.value;
        break;
      case Op::shift:
        out = a + i.value;
        break;
      case Op::reciprocal:
        out = values.reciprocal(a);
        break;
      case Op::exp:
        out = a.exp();
        break;
      case Op::log:
        out = a.log();
        break;
      case Op::sin:
        out = a.sin();
        break;
      case Op::cos:
        out = a.cos();
        break;
      case Op::tan:
        out = a.tan();
        break;
      case Op::sinh:
        out = a.sinh();
        break;
      case Op::cosh:
        out = a.cosh();
        break;
      case Op::tanh:
        out = a.tanh();
        break;
      case Op::sqrt:
        out = a.sqrt();
        break;
      case Op::abs:
        out = a.abs();
        break;
      case Op::asin:
        out = a.asin();
        break;
      case Op::acos:
        out = a.acos();
        break;
      case Op::atan:
        out = a.atan();
        break;
    }
  }
  if (v.empty()) throw std::logic_error("run_tape: an empty tape");
  return v.back();
}

}  // namespace dtpinn::core
