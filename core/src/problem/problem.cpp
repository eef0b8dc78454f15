// The PDE problem: expressions for f, g, u0 given by the user or derived from the exact
// solution by symbolic differentiation (manufactured solutions).
#include "problem_impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace dtpinn::core {

namespace {

bool given(const std::optional<std::string>& s) {
  return s && s->find_first_not_of(" \t\r\n") != std::string::npos;
}

void check_points(const PointMatrix& x, int dim, const char* what) {
  if (x.cols() != dim)
    throw std::runtime_error(fmt::format("Problem::{}: points have {} columns, the problem is {}D",
                                         what, x.cols(), dim));
}

}  // namespace

Expression parse_problem_expression(const std::string& text, const std::string& key, int dim,
                                    bool heat, bool time_allowed, bool normals_allowed) {
  Expression e = Expression::parse(text, key, expression_variables());
  for (const auto& v : e.variables()) {
    if ((v == "z" || v == "nz") && dim == 2)
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses {}, but the domain is 2D (variables x, y)", key, text, v));
    if (v == "t" && !time_allowed) {
      if (heat)
        throw std::runtime_error(
            fmt::format("{}: \"{}\" uses t, but the initial condition is at t = 0 (use x, y{})",
                        key, text, dim == 3 ? ", z" : ""));
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses t, but the equation is steady (no u_t; pde = \"heat\" or an "
                      "equation with u_t is time-dependent)",
                      key, text));
    }
    if ((v == "nx" || v == "ny" || v == "nz") && !normals_allowed)
      throw std::runtime_error(fmt::format(
          "{}: \"{}\" uses {}: the normal components nx, ny, nz are only defined in boundary "
          "data (problem.g, bc values)",
          key, text, v));
  }
  return e;
}

Problem::Problem(const ProblemConfig& config, int dim) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  if (dim != 2 && dim != 3)
    throw std::runtime_error(fmt::format("problem: dimension must be 2 or 3, got {}", dim));
  im.pde = config.pde;
  im.dim = dim;
  const bool custom = given(config.equation);
  im.custom_equation = custom;
  im.equation = std::make_shared<const Equation>(Equation::parse(
      custom ? *config.equation : Equation::preset(config.pde), config.params, dim,
      custom ? "problem.equation" : fmt::format("problem.pde = \"{}\"", to_string(config.pde))));
  const bool heat = im.equation->time_dependent();
  if (heat) {
    if (!(config.t_final > 0) || !std::isfinite(config.t_final))
      throw std::runtime_error(fmt::format("problem.t_final: must be > 0, got {}", config.t_final));
    if (config.nt < 1)
      throw std::runtime_error(fmt::format("problem.nt: must be >= 1, got {}", config.nt));
  }
  im.t_final = config.t_final;
  im.nt = config.nt;

  if (given(config.exact)) {
    Expression u = parse_problem_expression(*config.exact, "problem.exact", dim, heat, heat, false);
    im.exact = u;
    im.laplacian = u.laplacian(dim).renamed("Laplacian of problem.exact");
  }

  if (im.exact && !im.equation->has_source()) {
    // No f to absorb the difference: the exact solution must solve the equation itself, or the
    // run would train towards one function and measure its error against another.
    std::string r;
    if (!im.equation->solved_by(*im.exact, &r)) {
      if (r.size() > 80) r = r.substr(0, 77) + "...";
      throw std::runtime_error(fmt::format(
          "problem.exact: \"{}\" does not solve the equation \"{}\" = 0 (it leaves {}), and the "
          "equation has no f to take up the difference: add f (\"{} - f\"), give an exact "
          "solution of it, or set problem.exact = \"\" when there is none",
          *config.exact, im.equation->text(), r, im.equation->text()));
    }
  }

  if (given(config.f)) {
    if (!im.equation->has_source())
      throw std::runtime_error(
          fmt::format("problem.f: the equation \"{}\" has no f", im.equation->text()));
    im.f = parse_problem_expression(*config.f, "problem.f", dim, heat, heat, false);
  } else if (im.exact && im.equation->has_source()) {
    im.f = im.equation->source_for(*im.exact, "problem.f (derived from problem.exact)");
    im.f_derived = true;
  } else if (im.equation->has_source()) {
    throw std::runtime_error("problem.f is required when problem.exact is not given");
  }

  make_conditions(im, config);

  if (heat) {
    if (given(config.u0)) {
      im.u0 = parse_problem_expression(*config.u0, "problem.u0", dim, heat, false, false);
    } else if (im.exact) {
      im.u0 = im.exact->subs("t", 0.0).renamed("problem.u0 (derived from problem.exact)");
      im.u0_derived = true;
    } else {
      throw std::runtime_error("problem.u0 is required when problem.exact is not given");
    }
  }
}

Problem::~Problem() = default;
Problem::Problem(Problem&&) noexcept = default;
Problem& Problem::operator=(Problem&&) noexcept = default;

PdeKind Problem::pde() const {
  return impl_->pde;
}
const Equation& Problem::equation() const {
  return *impl_->equation;
}
bool Problem::is_time_dependent() const {
  return impl_->equation->time_dependent();
}
int Problem::dim() const {
  return impl_->dim;
}
const std::vector<BoundaryCondition>& Problem::conditions() const {
  return impl_->conditions;
}
double Problem::t_final() const {
  return impl_->t_final;
}
int Problem::nt() const {
  return impl_->nt;
}
bool Problem::has_exact() const {
  return impl_->exact.has_value();
}

bool Problem::fixes_mean() const {
  return impl_->fixes_mean;
}

double Problem::mean_value(const PointMatrix& x) const {
  if (!impl_->fixes_mean)
    throw std::runtime_error(
        "Problem::mean_value: the problem's solution is not fixed by its mean");
  if (!impl_->exact || x.rows() == 0) return 0.0;
  return exact(x).mean();
}

Eigen::VectorXd Problem::source(const PointMatrix& x, double t) const {
  check_points(x, impl_->dim, "source");
  return impl_->f.evaluate(x, t);
}

Eigen::VectorXd Problem::initial(const PointMatrix& x) const {
  if (!is_time_dependent())
    throw std::runtime_error(
        "Problem::initial: only a time-dependent equation (with u_t) has an initial condition");
  check_points(x, impl_->dim, "initial");
  return impl_->u0.evaluate(x, 0.0);
}

Eigen::VectorXd Problem::exact(const PointMatrix& x, double t) const {
  if (!impl_->exact) throw std::runtime_error("Problem::exact: problem.exact is not given");
  check_points(x, impl_->dim, "exact");
  return impl_->exact->evaluate(x, t);
}

Eigen::VectorXd Problem::exact_laplacian(const PointMatrix& x, double t) const {
  if (!impl_->laplacian)
    throw std::runtime_error("Problem::exact_laplacian: problem.exact is not given");
  check_points(x, impl_->dim, "exact_laplacian");
  return impl_->laplacian->evaluate(x, t);
}

std::string Problem::describe() const {
  const Impl& im = *impl_;
  std::string out;
  // A preset is named by its pde; an equation of the user's by itself.
  if (!im.custom_equation) out += fmt::format("{}: ", to_string(im.pde));
  out += fmt::format("{} = 0", im.equation->text());
  if (im.equation->time_dependent())
    out += fmt::format(", 0 < t <= {} ({} steps), u(x, 0) = u0", im.t_final, im.nt);
  out += fmt::format(" in {}D\n", im.dim);
  if (im.exact) out += "  exact: u = " + im.exact->text() + "\n";
  auto line = [&](const char* name, const Expression& e, bool derived) {
    out += fmt::format("  {} = {}{}\n", name, derived ? e.str() : e.text(),
                       derived ? "  (derived from exact)" : "");
  };
  if (im.equation->has_source()) line("f", im.f, im.f_derived);
  for (std::size_t c = 0; c < im.conditions.size(); ++c) {
    const auto& bc = im.conditions[c];
    out += fmt::format("  {}: {}, g = {}{}\n", bc.term, bc.describe(), bc.value,
                       bc.value_derived ? "  (derived from exact)" : "");
  }
  if (im.equation->time_dependent()) line("u0", im.u0, im.u0_derived);
  return out;
}

}  // namespace dtpinn::core
