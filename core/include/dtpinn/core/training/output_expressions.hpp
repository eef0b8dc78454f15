#pragma once
// Quantities computed from a trained network at points: expressions of its fields' values and
// first derivatives, x, y, z, t and the run's parameters, e.g. a stress
// "sxx = (lam + 2*mu)*u_x + lam*v_y" (what `dtpinn eval --expr NAME=EXPR` writes). Parsed
// once (Equation::parse with ExpressionRole::output or output_in_time) and evaluated on the
// tape of equation.hpp; the derivatives come from autograd of the network in its inputs at the
// points themselves (any points, not only nodes). LibTorch stays out of this header.
#include <dtpinn/core/problem/equation.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Core>

#include <map>
#include <string>
#include <vector>

namespace dtpinn::core {

class Network;

class OutputExpressions {
 public:
  /// Parses `definitions`, each "NAME=EXPR", for a network over `fields` (in its output order)
  /// in `dim` dimensions, with a time input when `time_dependent`; `params` are the run's
  /// problem.params. NAME: a letter, then letters, digits or _, none twice, and neither x, y,
  /// z, t nor a field (the other columns of the output). EXPR: the rules of
  /// ExpressionRole::output (output_in_time when time_dependent). Throws std::runtime_error
  /// "OPTION DEFINITION: reason" (one line; `option` as the caller names it, "--expr").
  OutputExpressions(const std::vector<std::string>& definitions,
                    const std::vector<std::string>& fields,
                    const std::map<std::string, std::string>& params, int dim, bool time_dependent,
                    const std::string& option = "--expr");

  bool empty() const { return names_.empty(); }
  /// The names, in the order given.
  const std::vector<std::string>& names() const { return names_; }

  /// The expressions at the rows of `x` (N x D: x, y[, z][, t], the network's inputs): N x E,
  /// column e being expression e. The network's first derivatives in its inputs by autograd,
  /// in batches of `batch` rows. Throws std::runtime_error naming the expression and the point
  /// where a value is not a finite number (log of a negative field, division by zero), and
  /// std::invalid_argument when `net` does not match the fields or the inputs.
  Eigen::MatrixXd evaluate(const Network& net, const nodegen::PointMatrix& x,
                           std::int64_t batch = 16384) const;

 private:
  std::vector<std::string> names_;
  std::vector<Equation> expressions_;
  std::string option_;
  std::size_t fields_ = 1;
  int dim_ = 2;
  bool time_dependent_ = false;
};

}  // namespace dtpinn::core
