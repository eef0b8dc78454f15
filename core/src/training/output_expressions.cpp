// Output expressions of a trained network (output_expressions.hpp): parsing the NAME=EXPR
// definitions, the network's values and first derivatives at the points, the tape over them.
#include <dtpinn/autodiff/derivatives.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/output_expressions.hpp>

#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace dtpinn::core {

namespace {

/// A column name: a letter, then letters, digits or _.
bool valid_column_name(const std::string& name) {
  return !name.empty() && std::isalpha(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

/// The name of a definition NAME=EXPR, checked against the other columns and the earlier names.
std::string checked_name(const std::string& definition, const std::string& option,
                         const std::vector<std::string>& fields,
                         const std::vector<std::string>& earlier) {
  const auto eq = definition.find('=');
  if (eq == std::string::npos)
    throw std::runtime_error(
        fmt::format("{} {}: expected NAME=EXPR (e.g. g=\"u_x + 2*u\")", option, definition));
  std::string name = definition.substr(0, eq);
  name.erase(0, name.find_first_not_of(" \t"));
  name.erase(name.find_last_not_of(" \t") + 1);
  if (name.empty())
    throw std::runtime_error(fmt::format(
        "{} {}: empty NAME (expected NAME=EXPR, NAME the output column)", option, definition));
  if (!valid_column_name(name))
    throw std::runtime_error(
        fmt::format("{} {}: NAME '{}' is not a name (a letter, then letters, digits or _)", option,
                    definition, name));
  for (const char* coordinate : {"x", "y", "z", "t"})
    if (name == coordinate)
      throw std::runtime_error(
          fmt::format("{} {}: NAME '{}' is a coordinate column of the output; choose another name",
                      option, definition, name));
  if (std::find(fields.begin(), fields.end(), name) != fields.end())
    throw std::runtime_error(
        fmt::format("{} {}: NAME '{}' is a field of the model (its column is already in the "
                    "output); choose another name",
                    option, definition, name));
  if (std::find(earlier.begin(), earlier.end(), name) != earlier.end())
    throw std::runtime_error(
        fmt::format("{} {}: NAME '{}' is defined twice", option, definition, name));
  return name;
}

Eigen::ArrayXd host_column(const at::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return Eigen::Map<const Eigen::ArrayXd>(c.data_ptr<double>(), c.numel());
}

/// The tape variables (slot-indexed, equation.hpp) at the rows of x: every field's value, and
/// the first derivatives (w_x, w_y, w_z, w_t) of the fields in `slots` that use them, by
/// autograd in the inputs.
std::vector<Eigen::ArrayXd> network_variables(const Network& net, const nodegen::PointMatrix& x,
                                              int dim, const std::vector<int>& slots) {
  const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
  nodegen::PointMatrix rows = x;  // contiguous, row-major
  const auto xt = torch::from_blob(rows.data(), {rows.rows(), rows.cols()}, torch::kFloat64)
                      .to(o, false, /*copy=*/true)
                      .requires_grad_(true);
  auto u = net.forward(xt);
  if (u.dim() == 1) u = u.unsqueeze(1);
  const int F = static_cast<int>(u.size(1));
  std::vector<Eigen::ArrayXd> vars(static_cast<std::size_t>(F) * kDerivativeCount);
  std::vector<at::Tensor> grads(static_cast<std::size_t>(F));
  for (int w = 0; w < F; ++w)
    vars[static_cast<std::size_t>(variable_slot(w, Derivative::value))] =
        host_column(u.select(1, w));
  for (int slot : slots) {
    const int w = slot / kDerivativeCount;
    const auto d = static_cast<Derivative>(slot % kDerivativeCount);
    if (d == Derivative::value) continue;
    auto& g = grads[static_cast<std::size_t>(w)];
    if (!g.defined()) g = autodiff::input_gradient(u.select(1, w), xt, /*create_graph=*/false);
    // The input columns: x, y[, z], then t.
    const int column =
        d == Derivative::t ? dim : static_cast<int>(d) - static_cast<int>(Derivative::x);
    vars[static_cast<std::size_t>(slot)] = host_column(g.select(1, column));
  }
  return vars;
}

/// A coefficient of a tape (an expression in x, y, z, t) at the rows of x, whose column `dim`,
/// when `time_dependent`, is the time of each row.
Eigen::ArrayXd coefficient_values(const Expression& c, const nodegen::PointMatrix& x, int dim,
                                  bool time_dependent) {
  const nodegen::PointMatrix space = x.leftCols(dim);
  if (!time_dependent) return c.evaluate(space).array();
  std::map<double, std::vector<Eigen::Index>> rows_at;  // the rows at each time
  for (Eigen::Index i = 0; i < x.rows(); ++i) rows_at[x(i, dim)].push_back(i);
  Eigen::ArrayXd out(x.rows());
  for (const auto& [t, rows] : rows_at) {
    nodegen::PointMatrix p(static_cast<Eigen::Index>(rows.size()), dim);
    for (std::size_t k = 0; k < rows.size(); ++k)
      p.row(static_cast<Eigen::Index>(k)) = space.row(rows[k]);
    const Eigen::VectorXd v = c.evaluate(p, t);
    for (std::size_t k = 0; k < rows.size(); ++k) out[rows[k]] = v[static_cast<Eigen::Index>(k)];
  }
  return out;
}

std::string point_text(const nodegen::PointMatrix& x, Eigen::Index i) {
  std::string s;
  for (Eigen::Index j = 0; j < x.cols(); ++j) s += fmt::format("{}{:g}", j ? ", " : "", x(i, j));
  return s;
}

}  // namespace

OutputExpressions::OutputExpressions(const std::vector<std::string>& definitions,
                                     const std::vector<std::string>& fields,
                                     const std::map<std::string, std::string>& params, int dim,
                                     bool time_dependent, const std::string& option)
    : option_(option), fields_(fields.size()), dim_(dim), time_dependent_(time_dependent) {
  const auto role = time_dependent ? ExpressionRole::output_in_time : ExpressionRole::output;
  for (const auto& definition : definitions) {
    std::string name = checked_name(definition, option, fields, names_);
    const std::string text = definition.substr(definition.find('=') + 1);
    if (text.find_first_not_of(" \t") == std::string::npos)
      throw std::runtime_error(
          fmt::format("{} {}: empty EXPR (expected NAME=EXPR)", option, definition));
    expressions_.push_back(Equation::parse(text, params, dim, option + " " + name, fields, role));
    names_.push_back(std::move(name));
  }
}

Eigen::MatrixXd OutputExpressions::evaluate(const Network& net, const nodegen::PointMatrix& x,
                                            std::int64_t batch) const {
  if (static_cast<std::size_t>(net.outputs()) != fields_ ||
      net.in_dim() != dim_ + (time_dependent_ ? 1 : 0) || x.cols() != net.in_dim())
    throw std::invalid_argument(fmt::format(
        "output expressions: a network of {} outputs and {} inputs at {}-column points, for {} "
        "fields in {} inputs",
        net.outputs(), net.in_dim(), x.cols(), fields_, dim_ + (time_dependent_ ? 1 : 0)));
  std::vector<int> slots;
  for (const auto& e : expressions_) slots.insert(slots.end(), e.slots().begin(), e.slots().end());
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  Eigen::MatrixXd out(x.rows(), static_cast<Eigen::Index>(expressions_.size()));
  for (Eigen::Index start = 0; start < x.rows(); start += batch) {
    const Eigen::Index n = std::min<Eigen::Index>(batch, x.rows() - start);
    const nodegen::PointMatrix rows = x.middleRows(start, n);
    const auto vars = network_variables(net, rows, dim_, slots);
    for (std::size_t e = 0; e < expressions_.size(); ++e) {
      const Tape& tape = expressions_[e].residual();
      std::vector<Eigen::ArrayXd> coefficients;
      for (const auto& c : tape.coefficients)
        coefficients.push_back(coefficient_values(c, rows, dim_, time_dependent_));
      out.col(static_cast<Eigen::Index>(e)).segment(start, n) =
          evaluate_tape(tape, vars, Eigen::ArrayXd(), coefficients).matrix();
    }
  }
  for (Eigen::Index e = 0; e < out.cols(); ++e)
    for (Eigen::Index i = 0; i < out.rows(); ++i)
      if (!std::isfinite(out(i, e)))
        throw std::runtime_error(
            fmt::format("{} {}: \"{}\" is not a finite number at point {} ({}): {}", option_,
                        names_[static_cast<std::size_t>(e)],
                        expressions_[static_cast<std::size_t>(e)].text(), i + 1, point_text(x, i),
                        std::isnan(out(i, e)) ? "NaN" : (out(i, e) > 0 ? "inf" : "-inf")));
  return out;
}

}  // namespace dtpinn::core
