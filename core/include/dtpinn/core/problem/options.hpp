#pragma once
// Every choice a run config offers, as an enum with ONE table of {name, value}: the config
// reader, the TOML writer, the command-line help and every error message read the names from
// here, and the engine compares enums only. LibTorch-free, header-only, no dependencies.
//
// Adding a choice: add the enumerator and one row to its table; parse_option() then accepts it,
// option_choices() lists it, and switch statements over the enum warn where it is not handled.
// Distributed training has one more (Backend, distributed/communicator.hpp), the study its own.
#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace dtpinn::core {

enum class PdeKind { poisson, nonlinear_poisson, heat };
enum class Method { dtpinn, vanilla };
enum class DeviceKind { cpu, cuda };
enum class Precision { fp64, fp32 };
enum class Optimizer { lbfgs, adam, adam_lbfgs, device_lbfgs, device_adam, gauss_newton };
/// How a Gauss-Newton step solves its damped least-squares problem (least_squares.hpp).
enum class GnSolver { automatic, dual, primal, cg };
/// The output layer's weights: trained by the optimiser, or solved exactly at every evaluation.
enum class OutputLayer { trained, least_squares };
enum class LineSearch { strong_wolfe, none };
enum class TimeDerivative { tangent, autograd };
enum class LossWeighting { fixed, annealing };
enum class Architecture { mlp, modified_mlp };
enum class Activation { tanh, sin, sigmoid, gelu, softplus, silu };
enum class CpuKernel { fused, torch };
/// A boundary condition ([[bc]] type): u = g, du/dn = g, or alpha du/dn + beta u = g.
/// Preset conditions on one field (Robin form), or a residual expression in the fields.
enum class BcType { dirichlet, neumann, robin, expression };

template <class E>
struct OptionName {
  const char* name;
  E value;
};

/// option_table<E>(): the names of E as a std::array of OptionName<E>, in documentation order
/// (the defaults live in config.hpp, not here).
template <class E>
constexpr auto option_table();

template <>
constexpr auto option_table<PdeKind>() {
  return std::array{OptionName<PdeKind>{"poisson", PdeKind::poisson},
                    OptionName<PdeKind>{"nonlinear_poisson", PdeKind::nonlinear_poisson},
                    OptionName<PdeKind>{"heat", PdeKind::heat}};
}
template <>
constexpr auto option_table<Method>() {
  return std::array{OptionName<Method>{"dtpinn", Method::dtpinn},
                    OptionName<Method>{"vanilla", Method::vanilla}};
}
template <>
constexpr auto option_table<DeviceKind>() {
  return std::array{OptionName<DeviceKind>{"cpu", DeviceKind::cpu},
                    OptionName<DeviceKind>{"cuda", DeviceKind::cuda}};
}
template <>
constexpr auto option_table<Precision>() {
  return std::array{OptionName<Precision>{"fp64", Precision::fp64},
                    OptionName<Precision>{"fp32", Precision::fp32}};
}
template <>
constexpr auto option_table<Optimizer>() {
  return std::array{OptionName<Optimizer>{"lbfgs", Optimizer::lbfgs},
                    OptionName<Optimizer>{"adam", Optimizer::adam},
                    OptionName<Optimizer>{"adam_lbfgs", Optimizer::adam_lbfgs},
                    OptionName<Optimizer>{"device_lbfgs", Optimizer::device_lbfgs},
                    OptionName<Optimizer>{"device_adam", Optimizer::device_adam},
                    OptionName<Optimizer>{"gauss_newton", Optimizer::gauss_newton}};
}
template <>
constexpr auto option_table<GnSolver>() {
  return std::array{OptionName<GnSolver>{"auto", GnSolver::automatic},
                    OptionName<GnSolver>{"dual", GnSolver::dual},
                    OptionName<GnSolver>{"primal", GnSolver::primal},
                    OptionName<GnSolver>{"cg", GnSolver::cg}};
}
template <>
constexpr auto option_table<OutputLayer>() {
  return std::array{OptionName<OutputLayer>{"trained", OutputLayer::trained},
                    OptionName<OutputLayer>{"least_squares", OutputLayer::least_squares}};
}
template <>
constexpr auto option_table<LineSearch>() {
  return std::array{OptionName<LineSearch>{"strong_wolfe", LineSearch::strong_wolfe},
                    OptionName<LineSearch>{"none", LineSearch::none}};
}
template <>
constexpr auto option_table<TimeDerivative>() {
  return std::array{OptionName<TimeDerivative>{"tangent", TimeDerivative::tangent},
                    OptionName<TimeDerivative>{"autograd", TimeDerivative::autograd}};
}
template <>
constexpr auto option_table<BcType>() {
  return std::array{OptionName<BcType>{"dirichlet", BcType::dirichlet},
                    OptionName<BcType>{"neumann", BcType::neumann},
                    OptionName<BcType>{"robin", BcType::robin},
                    OptionName<BcType>{"expression", BcType::expression}};
}
template <>
constexpr auto option_table<LossWeighting>() {
  return std::array{OptionName<LossWeighting>{"fixed", LossWeighting::fixed},
                    OptionName<LossWeighting>{"annealing", LossWeighting::annealing}};
}
template <>
constexpr auto option_table<Architecture>() {
  return std::array{OptionName<Architecture>{"mlp", Architecture::mlp},
                    OptionName<Architecture>{"modified_mlp", Architecture::modified_mlp}};
}
template <>
constexpr auto option_table<Activation>() {
  return std::array{OptionName<Activation>{"tanh", Activation::tanh},
                    OptionName<Activation>{"sin", Activation::sin},
                    OptionName<Activation>{"sigmoid", Activation::sigmoid},
                    OptionName<Activation>{"gelu", Activation::gelu},
                    OptionName<Activation>{"softplus", Activation::softplus},
                    OptionName<Activation>{"silu", Activation::silu}};
}
template <>
constexpr auto option_table<CpuKernel>() {
  return std::array{OptionName<CpuKernel>{"fused", CpuKernel::fused},
                    OptionName<CpuKernel>{"torch", CpuKernel::torch}};
}

/// The name of a value ("?" for a value outside the table, which a cast could make).
template <class E, class = std::enable_if_t<std::is_enum_v<E>>>
const char* to_string(E value) {
  for (const auto& row : option_table<E>())
    if (row.value == value) return row.name;
  return "?";
}

/// `"a", "b" or "c"`: the choices as error messages quote them.
template <class E>
std::string option_choices() {
  std::string out;
  std::size_t i = 0;
  for (const auto& row : option_table<E>()) {
    out += i == 0 ? "" : (i + 1 == option_table<E>().size() ? " or " : ", ");
    out += '"' + std::string(row.name) + '"';
    ++i;
  }
  return out;
}

/// `a | b | c`: the choices as help texts list them.
template <class E>
std::string option_list() {
  std::string out;
  for (const auto& row : option_table<E>())
    out += (out.empty() ? "" : " | ") + std::string(row.name);
  return out;
}

/// True and `out` set when `name` is one of E's names.
template <class E>
bool try_parse_option(std::string_view name, E& out) {
  for (const auto& row : option_table<E>())
    if (name == row.name) {
      out = row.value;
      return true;
    }
  return false;
}

/// The value named `name`; throws std::invalid_argument "must be "a", "b" or "c", got "x"".
template <class E>
E parse_option(std::string_view name) {
  E v{};
  if (!try_parse_option(name, v))
    throw std::invalid_argument("must be " + option_choices<E>() + ", got \"" + std::string(name) +
                                "\"");
  return v;
}

}  // namespace dtpinn::core
