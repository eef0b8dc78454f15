// The PDE problem: expressions for f, g, u0 given by the user or derived from the exact
// solution by symbolic differentiation (manufactured solutions).
#include <dtpinn/core/problem/expression.hpp>
#include <dtpinn/core/problem/problem.hpp>

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

/// Parses with every variable allowed, then explains any variable that does not belong here
/// in the problem's own terms (2D domain, steady PDE, normals only in g).
Expression parse_problem_expression(const std::string& text, const std::string& key, int dim,
                                    PdeKind pde, bool time_allowed, bool normals_allowed) {
  Expression e = Expression::parse(text, key, expression_variables());
  for (const auto& v : e.variables()) {
    if ((v == "z" || v == "nz") && dim == 2)
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses {}, but the domain is 2D (variables x, y)", key, text, v));
    if (v == "t" && !time_allowed) {
      if (pde == PdeKind::heat)
        throw std::runtime_error(
            fmt::format("{}: \"{}\" uses t, but the initial condition is at t = 0 (use x, y{})",
                        key, text, dim == 3 ? ", z" : ""));
      throw std::runtime_error(
          fmt::format("{}: \"{}\" uses t, but pde = \"{}\" is steady (use pde = \"heat\")", key,
                      text, to_string(pde)));
    }
    if ((v == "nx" || v == "ny" || v == "nz") && !normals_allowed)
      throw std::runtime_error(fmt::format(
          "{}: \"{}\" uses {}: the normal components nx, ny, nz are only defined in problem.g", key,
          text, v));
  }
  return e;
}

void check_points(const PointMatrix& x, int dim, const char* what) {
  if (x.cols() != dim)
    throw std::runtime_error(fmt::format("Problem::{}: points have {} columns, the problem is {}D",
                                         what, x.cols(), dim));
}

}  // namespace

struct Problem::Impl {
  PdeKind pde = PdeKind::poisson;
  int dim = 2;
  double alpha = 1, beta = 1, t_final = 1;
  int nt = 1;
  std::optional<Expression> exact, laplacian;
  Expression f, g, u0;
  bool f_derived = false, g_derived = false, u0_derived = false;
};

Problem::Problem(const ProblemConfig& config, int dim) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  if (dim != 2 && dim != 3)
    throw std::runtime_error(fmt::format("problem: dimension must be 2 or 3, got {}", dim));
  if (!std::isfinite(config.alpha)) throw std::runtime_error("problem.alpha: must be finite");
  if (!std::isfinite(config.beta)) throw std::runtime_error("problem.beta: must be finite");
  if (config.alpha == 0 && config.beta == 0)
    throw std::runtime_error(
        "problem.alpha and problem.beta are both 0: the boundary condition would be empty");
  im.pde = config.pde;
  im.dim = dim;
  im.alpha = config.alpha;
  im.beta = config.beta;
  const bool heat = config.pde == PdeKind::heat;
  if (heat) {
    if (!(config.t_final > 0) || !std::isfinite(config.t_final))
      throw std::runtime_error(fmt::format("problem.t_final: must be > 0, got {}", config.t_final));
    if (config.nt < 1)
      throw std::runtime_error(fmt::format("problem.nt: must be >= 1, got {}", config.nt));
  }
  im.t_final = config.t_final;
  im.nt = config.nt;

  if (given(config.exact)) {
    Expression u =
        parse_problem_expression(*config.exact, "problem.exact", dim, config.pde, heat, false);
    im.exact = u;
    im.laplacian = u.laplacian(dim).renamed("Laplacian of problem.exact");
  }

  if (given(config.f)) {
    im.f = parse_problem_expression(*config.f, "problem.f", dim, config.pde, heat, false);
  } else if (im.exact) {
    const Expression& u = *im.exact;
    const Expression& lap = *im.laplacian;
    switch (config.pde) {
      case PdeKind::poisson:
        im.f = lap;
        break;  // Lap u = f
      case PdeKind::nonlinear_poisson:
        im.f = lap - exp(u);
        break;  // Lap u = e^u + f
      case PdeKind::heat:
        im.f = u.diff("t") - lap;
        break;  // u_t = Lap u + f
    }
    im.f = im.f.renamed("problem.f (derived from problem.exact)");
    im.f_derived = true;
  } else {
    throw std::runtime_error("problem.f is required when problem.exact is not given");
  }

  if (given(config.g)) {
    im.g = parse_problem_expression(*config.g, "problem.g", dim, config.pde, heat, true);
  } else if (im.exact) {
    // alpha (grad u . n) + beta u, with n the outward unit normal (nx, ny[, nz]).
    const Expression& u = *im.exact;
    static const char* normal_names[] = {"nx", "ny", "nz"};
    static const char* coord_names[] = {"x", "y", "z"};
    const auto nvars = expression_variables();
    Expression dudn = Expression::constant(0.0);
    for (int i = 0; i < dim; ++i) {
      Expression ni = Expression::parse(normal_names[i], "normal", nvars);
      dudn = dudn + u.diff(coord_names[i]) * ni;
    }
    im.g =
        (config.alpha * dudn + config.beta * u).renamed("problem.g (derived from problem.exact)");
    im.g_derived = true;
  } else {
    throw std::runtime_error("problem.g is required when problem.exact is not given");
  }

  if (heat) {
    if (given(config.u0)) {
      im.u0 = parse_problem_expression(*config.u0, "problem.u0", dim, config.pde, false, false);
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
int Problem::dim() const {
  return impl_->dim;
}
double Problem::alpha() const {
  return impl_->alpha;
}
double Problem::beta() const {
  return impl_->beta;
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

Eigen::VectorXd Problem::source(const PointMatrix& x, double t) const {
  check_points(x, impl_->dim, "source");
  return impl_->f.evaluate(x, t);
}

Eigen::VectorXd Problem::boundary_data(const PointMatrix& x, const PointMatrix& n, double t) const {
  check_points(x, impl_->dim, "boundary_data");
  if (n.rows() != x.rows() || n.cols() != x.cols())
    throw std::runtime_error(
        fmt::format("Problem::boundary_data: normals are {} x {}, points are {} x {}", n.rows(),
                    n.cols(), x.rows(), x.cols()));
  return impl_->g.evaluate(x, t, &n);
}

Eigen::VectorXd Problem::initial(const PointMatrix& x) const {
  if (impl_->pde != PdeKind::heat)
    throw std::runtime_error("Problem::initial: only the heat equation has an initial condition");
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
  switch (im.pde) {
    case PdeKind::poisson:
      out += "poisson: Lap u = f";
      break;
    case PdeKind::nonlinear_poisson:
      out += "nonlinear_poisson: Lap u = exp(u) + f";
      break;
    case PdeKind::heat:
      out += fmt::format("heat: u_t = Lap u + f, 0 < t <= {} ({} steps), u(x, 0) = u0", im.t_final,
                         im.nt);
      break;
  }
  out += fmt::format(" in {}D; alpha du/dn + beta u = g on the boundary, alpha = {}, beta = {}\n",
                     im.dim, im.alpha, im.beta);
  if (im.exact) out += "  exact: u = " + im.exact->text() + "\n";
  auto line = [&](const char* name, const Expression& e, bool derived) {
    out += fmt::format("  {} = {}{}\n", name, derived ? e.str() : e.text(),
                       derived ? "  (derived from exact)" : "");
  };
  line("f", im.f, im.f_derived);
  line("g", im.g, im.g_derived);
  if (im.pde == PdeKind::heat) line("u0", im.u0, im.u0_derived);
  return out;
}

}  // namespace dtpinn::core
