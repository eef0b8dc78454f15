#pragma once
// Small systems shared by the system-loss tests: Kovasznay flow (nonlinear, three fields, the
// pressure without a condition) and plane-strain elasticity (linear, second partials, the
// traction on one side as two expression conditions), both with exact solutions.
#include <dtpinn/core/problem/config.hpp>

#include <string>

namespace dtpinn::test {

/// Kovasznay flow, Re = 20, on the rectangle [0, 2] x [0, 1]: N nodes, a 2 x 16 tanh network.
inline core::RunConfig kovasznay_config(int n = 300) {
  return core::parse_config(R"toml(
[problem]
fields = ["u", "v", "p"]
equations = ["u*u_x + v*u_y + p_x - nu*lap(u)", "u*v_x + v*v_y + p_y - nu*lap(v)", "u_x + v_y"]
[problem.params]
nu = 0.05
l = "10 - sqrt(100 + 4*pi^2)"
[problem.exact]
u = "1 - exp(l*x)*cos(2*pi*y)"
v = "l/(2*pi)*exp(l*x)*sin(2*pi*y)"
p = "(1 - exp(2*l*x))/2"
[domain]
shape = "rectangle"
n = )toml" + std::to_string(n) + R"toml(
test_n = 600
[model]
depth = 2
width = 16
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "u"
type = "dirichlet"
[[bc]]
on = ["left", "right", "bottom", "top"]
field = "v"
type = "dirichlet"
)toml",
                            "kovasznay.toml");
}

/// Plane-strain elasticity, u = sin(x + y/2), v = cos(0.7 x - y), on [0, 2] x [0, 1]: clamped on
/// three sides, the traction sigma . n on the right side as two expression conditions; N nodes,
/// a 2 x 12 tanh network.
inline core::RunConfig elasticity_config(int n = 200) {
  return core::parse_config(R"toml(
[problem]
fields = ["u", "v"]
equations = ["(lam + 2*mu)*u_xx + mu*u_yy + (lam + mu)*v_xy + f",
             "mu*v_xx + (lam + 2*mu)*v_yy + (lam + mu)*u_xy + f"]
[problem.params]
lam = 1.0
mu = 0.5
[problem.exact]
u = "sin(x + 0.5*y)"
v = "cos(0.7*x - y)"
[domain]
shape = "rectangle"
n = )toml" + std::to_string(n) + R"toml(
test_n = 600
[model]
depth = 2
width = 12
[[bc]]
on = ["left", "bottom", "top"]
field = "u"
type = "dirichlet"
[[bc]]
on = ["left", "bottom", "top"]
field = "v"
type = "dirichlet"
[[bc]]
on = "right"
field = "u"
type = "expression"
residual = "((lam + 2*mu)*u_x + lam*v_y)*nx + mu*(u_y + v_x)*ny - ((lam + 2*mu)*cos(x + 0.5*y) + lam*sin(0.7*x - y))*nx"
[[bc]]
on = "right"
field = "v"
type = "expression"
residual = "mu*(u_y + v_x)*nx + ((lam + 2*mu)*v_y + lam*u_x)*ny - mu*(0.5*cos(x + 0.5*y) - 0.7*sin(0.7*x - y))*nx"
)toml",
                            "elasticity.toml");
}

}  // namespace dtpinn::test
