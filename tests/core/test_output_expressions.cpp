// Output expressions of a network (output_expressions.hpp): every bad NAME=EXPR refused with one
// line naming the option; the values of expressions in a 3D system with a time input (u_z, v_t,
// t as a coefficient, a parameter varying in space) against central differences of the network.
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/output_expressions.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace core = dtpinn::core;
using dtpinn::nodegen::PointMatrix;

namespace {

std::string refusal(const std::vector<std::string>& definitions, int dim = 2, bool timed = false,
                    const std::vector<std::string>& fields = {"u"}) {
  try {
    core::OutputExpressions(definitions, fields, {{"k", "3"}}, dim, timed);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(OutputExpressions, BadDefinitionsAreRefusedNamingTheOption) {
  struct Case {
    std::string definition, message;
  };
  const Case cases[] = {
      {"g", "--expr g: expected NAME=EXPR (e.g. g=\"u_x + 2*u\")"},
      {"=u", "--expr =u: empty NAME (expected NAME=EXPR, NAME the output column)"},
      {" =u", "--expr  =u: empty NAME (expected NAME=EXPR, NAME the output column)"},
      {"1g=u", "--expr 1g=u: NAME '1g' is not a name (a letter, then letters, digits or _)"},
      {"a,b=u", "--expr a,b=u: NAME 'a,b' is not a name (a letter, then letters, digits or _)"},
      {"x=u", "--expr x=u: NAME 'x' is a coordinate column of the output; choose another name"},
      {"t=u", "--expr t=u: NAME 't' is a coordinate column of the output; choose another name"},
      {"z=u", "--expr z=u: NAME 'z' is a coordinate column of the output; choose another name"},
      {"u=u_x",
       "--expr u=u_x: NAME 'u' is a field of the model (its column is already in the output); "
       "choose another name"},
      {"g= ", "--expr g= : empty EXPR (expected NAME=EXPR)"},
      {"g=foo*u",
       "--expr g: unknown name 'foo' in \"foo*u\" (known: the field u and their derivatives, x, "
       "y, k)"},
      {"g=u_xx",
       "--expr g: \"u_xx\" uses u_xx: an expression takes the fields' values and first "
       "derivatives only (u, u_x, u_y)"},
      {"g=lap(u)",
       "--expr g: \"lap(u)\" uses lap(u): an expression takes the fields' values and first "
       "derivatives only (u, u_x, u_y)"},
      {"g=div(k*grad(u))",
       "--expr g: \"div(k*grad(u))\" uses lap(u): an expression takes the fields' values and "
       "first derivatives only (u, u_x, u_y)"},
      {"g=u_xxx",
       "--expr g: \"u_xxx\" uses u_xxx, a derivative the engine does not provide (it has u, u_x, "
       "u_y)"},
      {"g=z*u", "--expr g: \"z*u\" uses z or a z-derivative, but the domain is 2D"},
      {"g=u_z", "--expr g: \"u_z\" uses z or a z-derivative, but the domain is 2D"},
      {"g=u_t", "--expr g: \"u_t\" uses u_t, but the model is steady (it has no time input)"},
      {"g=t*u", "--expr g: \"t*u\" uses t, but the model is steady (it has no time input)"},
      {"g=nx*u",
       "--expr g: unknown name 'nx' in \"nx*u\" (known: the field u and their derivatives, x, y, "
       "k)"},
      {"g=u_n",
       "--expr g: \"u_n\" uses u_n, a derivative the engine does not provide (it has u, "
       "u_x, u_y)"},
      {"g=f",
       "--expr g: \"f\" uses f, the equation's source, which is not an output (write it out in "
       "x, y, z and the parameters)"},
      {"g=sin(u", "--expr g: cannot parse"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(refusal({c.definition}).substr(0, c.message.size()), c.message) << c.definition;
  EXPECT_EQ(refusal({"g=u", "h=u_x", "g=2*u"}), "--expr g=2*u: NAME 'g' is defined twice");
  // A field of a system, and z, u_z, t, u_t where the model has them.
  EXPECT_EQ(refusal({"v=u"}, 2, false, {"u", "v"}).substr(0, 30), "--expr v=u: NAME 'v' is a fiel");
  EXPECT_EQ(refusal({"g=u_z + z + t + v_t", "h=u_y + u_t*t"}, 3, true, {"u", "v"}), "(accepted)");
  EXPECT_EQ(refusal({"g=u_tt"}, 3, true).substr(0, 27), "--expr g: \"u_tt\" uses u_tt,");
  // An expression need not involve a field.
  EXPECT_EQ(refusal({"r=sqrt(x^2 + y^2)", "c=2"}), "(accepted)");
}

// A 3D network with a time input and two outputs (u, v): expressions of values, every first
// derivative, t and a parameter in space, against central differences (h = 1e-5).
TEST(OutputExpressions, ValuesEqualCentralDifferencesOfTheNetwork) {
  core::ModelConfig m;
  m.depth = 2;
  m.width = 12;
  m.outputs = 2;
  Eigen::VectorXd lo(4), hi(4);
  lo << -1, -1, 0, 0;
  hi << 1, 2, 1, 2;
  const core::Network net(m, lo, hi, c10::kDouble, c10::kCPU, 7);
  const core::OutputExpressions e({"a=u_x + u_y*u_z", "b=k*v_t - t*u", "c=v_z + x*y*z", "d=x + t"},
                                  {"u", "v"}, {{"k", "1 + x*y"}}, 3, /*time_dependent=*/true);
  EXPECT_EQ(e.names(), (std::vector<std::string>{"a", "b", "c", "d"}));
  PointMatrix x(5, 4);
  x << 0.1, 0.2, 0.3, 0.5,  //
      -0.4, 1.5, 0.9, 1.5,  //
      0.7, -0.2, 0.1, 0.5,  //
      0.0, 0.0, 0.0, 0.0,   //
      2.0, 3.0, -1.0, 4.0;  // outside the box: extrapolation is still the network's
  const Eigen::MatrixXd got = e.evaluate(net, x, /*batch=*/2);  // three batches
  const Eigen::MatrixXd u = net.evaluate_fields(x);
  std::vector<Eigen::MatrixXd> d;
  const double h = 1e-5;
  for (int j = 0; j < 4; ++j) {
    PointMatrix p = x, q = x;
    p.col(j).array() += h;
    q.col(j).array() -= h;
    d.push_back((net.evaluate_fields(p) - net.evaluate_fields(q)) / (2 * h));
  }
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const double X = x(i, 0), Y = x(i, 1), Z = x(i, 2), T = x(i, 3);
    EXPECT_NEAR(got(i, 0), d[0](i, 0) + d[1](i, 0) * d[2](i, 0), 1e-8) << i;
    EXPECT_NEAR(got(i, 1), (1 + X * Y) * d[3](i, 1) - T * u(i, 0), 1e-8) << i;
    EXPECT_NEAR(got(i, 2), d[2](i, 1) + X * Y * Z, 1e-8) << i;
    EXPECT_EQ(got(i, 3), X + T) << i;
    EXPECT_GT(std::abs(d[3](i, 1)), 1e-4) << i;  // v_t is not trivially zero
  }
  // A value that is not finite: refused naming the expression and the point.
  const core::OutputExpressions bad({"g=log(u - 100)"}, {"u", "v"}, {}, 3, true);
  try {
    bad.evaluate(net, x);
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& err) {
    EXPECT_EQ(std::string(err.what()),
              "--expr g: \"log(u - 100)\" is not a finite number at point 1 (0.1, 0.2, 0.3, "
              "0.5): NaN");
  }
  // A network that is not the one the expressions were made for.
  const core::OutputExpressions other({"g=u"}, {"u"}, {}, 2, false);
  EXPECT_THROW(other.evaluate(net, x), std::invalid_argument);
}
