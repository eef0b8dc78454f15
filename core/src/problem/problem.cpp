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

namespace {

/// The key of equation i in messages.
std::string equation_key(const ProblemConfig& config, std::size_t i) {
  if (!config.equations.empty()) return fmt::format("problem.equations[{}]", i + 1);
  if (given(config.equation)) return "problem.equation";
  return fmt::format("problem.pde = \"{}\"", to_string(config.pde));
}

/// Pairs an exact field with its name for messages: "u = ..., v = ...".
std::string exact_text(const std::vector<std::string>& fields,
                       const std::vector<std::optional<Expression>>& exact) {
  if (fields.size() == 1) return exact[0]->text();
  std::string out;
  for (std::size_t w = 0; w < fields.size(); ++w)
    if (exact[w]) out += (out.empty() ? "" : ", ") + fields[w] + " = " + exact[w]->text();
  return out;
}

}  // namespace

void Problem::make_equations(Impl& im, const ProblemConfig& config) {
  im.fields = config.fields.empty() ? std::vector<std::string>{"u"} : config.fields;
  for (const auto& w : im.fields)
    if (!valid_field_name(w))
      throw std::runtime_error(fmt::format(
          "problem.fields: \"{}\" is not a field name (a letter, then letters or digits; not x, "
          "y, z, t, nx, ny, nz, f, pi, e, lap, div, grad)",
          w));
  std::vector<std::string> texts = config.equations;
  if (texts.empty())
    texts.push_back(given(config.equation) ? *config.equation : Equation::preset(config.pde));
  if (texts.size() != im.fields.size())
    throw std::runtime_error(fmt::format("problem.equations: {} equation(s) for {} field(s)",
                                         texts.size(), im.fields.size()));
  im.custom_equation = given(config.equation) || !config.equations.empty();
  for (std::size_t i = 0; i < texts.size(); ++i)
    im.equations.push_back(
        Equation::parse(texts[i], config.params, im.dim, equation_key(config, i), im.fields));
  for (std::size_t w = 0; w < im.fields.size(); ++w) {
    bool used = false;
    for (const auto& eq : im.equations) used = used || eq.uses_field(static_cast<int>(w));
    if (!used)
      throw std::runtime_error(
          fmt::format("problem.fields: {} is not used by any equation", im.fields[w]));
  }
  bool any_time = false, all_time = true;
  for (const auto& eq : im.equations) {
    any_time = any_time || eq.time_dependent();
    all_time = all_time && eq.time_dependent();
  }
  if (any_time && im.fields.size() > 1)
    throw std::runtime_error(
        "problem.equations: time-dependent systems are not supported yet (every equation "
        "steady, or one field)");
  (void)all_time;
  im.equation = std::make_shared<const Equation>(im.equations.front());
}

void Problem::make_exact(Impl& im, const ProblemConfig& config, bool heat) {
  im.exact_fields.assign(im.fields.size(), std::nullopt);
  if (!config.exact_fields.empty()) {
    for (const auto& [name, text] : config.exact_fields) {
      const auto it = std::find(im.fields.begin(), im.fields.end(), name);
      if (it == im.fields.end())
        throw std::runtime_error(fmt::format("problem.exact.{}: not a field", name));
      im.exact_fields[static_cast<std::size_t>(it - im.fields.begin())] =
          parse_with_parameters(text, "problem.exact." + name,
                                spatial_variables(im.dim, heat, false), config.params, im.dim);
    }
  } else if (given(config.exact) && im.fields.size() == 1) {
    im.exact_fields[0] =
        parse_problem_expression(*config.exact, "problem.exact", im.dim, heat, heat, false);
  }
  if (im.exact_fields[0]) {
    im.exact = im.exact_fields[0];
    im.laplacian = im.exact->laplacian(im.dim).renamed("Laplacian of problem.exact");
  }
  const bool all_exact = std::all_of(im.exact_fields.begin(), im.exact_fields.end(),
                                     [](const auto& e) { return e.has_value(); });
  if (!all_exact) return;
  std::vector<Expression> exact;
  for (const auto& e : im.exact_fields) exact.push_back(*e);
  for (std::size_t i = 0; i < im.equations.size(); ++i) {
    const Equation& eq = im.equations[i];
    if (eq.has_source()) continue;
    // No f to absorb the difference: the exact solution must solve the equation itself, or the
    // run would train towards one function and measure its error against another.
    std::string r;
    if (eq.solved_by(exact, &r)) continue;
    if (r.size() > 80) r = r.substr(0, 77) + "...";
    throw std::runtime_error(fmt::format(
        "problem.exact: \"{}\" does not solve the equation \"{}\" = 0 (it leaves {}), and the "
        "equation has no f to take up the difference: add f (\"{} - f\"), give an exact "
        "solution of it, or set problem.exact = \"\" when there is none",
        exact_text(im.fields, im.exact_fields), eq.text(), r, eq.text()));
  }
}

void Problem::make_sources(Impl& im, const ProblemConfig& config, bool heat) {
  const bool all_exact = std::all_of(im.exact_fields.begin(), im.exact_fields.end(),
                                     [](const auto& e) { return e.has_value(); });
  std::vector<Expression> exact;
  if (all_exact)
    for (const auto& e : im.exact_fields) exact.push_back(*e);
  im.sources.assign(im.equations.size(), std::nullopt);
  for (std::size_t i = 0; i < im.equations.size(); ++i) {
    const Equation& eq = im.equations[i];
    if (given(config.f) && i == 0 && im.equations.size() == 1) {
      if (!eq.has_source())
        throw std::runtime_error(fmt::format("problem.f: the equation \"{}\" has no f", eq.text()));
      im.sources[i] = parse_problem_expression(*config.f, "problem.f", im.dim, heat, heat, false);
    } else if (eq.has_source() && all_exact) {
      const std::string key =
          im.equations.size() == 1
              ? "problem.f (derived from problem.exact)"
              : fmt::format("f of {} (derived from problem.exact)", equation_key(config, i));
      im.sources[i] = eq.source_for(exact, key);
      if (i == 0) im.f_derived = true;
    } else if (eq.has_source()) {
      throw std::runtime_error(
          im.equations.size() == 1
              ? std::string("problem.f is required when problem.exact is not given")
              : fmt::format("{}: uses f, which is derived from [problem.exact]: give an exact "
                            "solution for every field, or write the equation without f",
                            equation_key(config, i)));
    }
  }
  if (im.sources[0]) im.f = *im.sources[0];
}

Problem::Problem(const ProblemConfig& config, int dim) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  if (dim != 2 && dim != 3)
    throw std::runtime_error(fmt::format("problem: dimension must be 2 or 3, got {}", dim));
  im.pde = config.pde;
  im.dim = dim;
  make_equations(im, config);
  const bool heat = im.equation->time_dependent();
  if (heat) {
    if (!(config.t_final > 0) || !std::isfinite(config.t_final))
      throw std::runtime_error(fmt::format("problem.t_final: must be > 0, got {}", config.t_final));
    if (config.nt < 1)
      throw std::runtime_error(fmt::format("problem.nt: must be >= 1, got {}", config.nt));
  }
  im.t_final = config.t_final;
  im.nt = config.nt;
  make_exact(im, config, heat);
  make_sources(im, config, heat);
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
const std::vector<std::string>& Problem::fields() const {
  return impl_->fields;
}
const std::vector<Equation>& Problem::equations() const {
  return impl_->equations;
}
int Problem::n_fields() const {
  return static_cast<int>(impl_->fields.size());
}
bool Problem::is_system() const {
  if (impl_->fields.size() > 1) return true;
  for (const auto& bc : impl_->conditions)
    if (bc.type == BcType::expression) return true;
  for (Derivative d : kDerivatives)
    if (is_second_partial(d) && impl_->equation->uses_derivative(d)) return true;
  return false;
}
bool Problem::field_has_conditions(int field) const {
  for (const auto& bc : impl_->conditions)
    if (bc.field == field) return true;
  return false;
}
bool Problem::has_exact_field(int field) const {
  return field >= 0 && field < n_fields() && impl_->exact_fields[static_cast<std::size_t>(field)];
}
Eigen::VectorXd Problem::exact_field(int field, const PointMatrix& x, double t) const {
  if (!has_exact_field(field))
    throw std::runtime_error(
        fmt::format("Problem::exact_field: field {} has no exact solution", field));
  check_points(x, impl_->dim, "exact_field");
  return impl_->exact_fields[static_cast<std::size_t>(field)]->evaluate(x, t);
}
Eigen::VectorXd Problem::equation_source(int i, const PointMatrix& x, double t) const {
  check_points(x, impl_->dim, "equation_source");
  const auto& f = impl_->sources.at(static_cast<std::size_t>(i));
  return f ? f->evaluate(x, t) : Eigen::VectorXd::Zero(x.rows()).eval();
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
  if (im.fields.size() > 1) {
    std::string list;
    for (const auto& w : im.fields) list += (list.empty() ? "" : ", ") + w;
    out += fmt::format("a system in {} ({} fields) in {}D\n", list, im.fields.size(), im.dim);
    for (const auto& eq : im.equations) out += fmt::format("  {} = 0\n", eq.text());
    for (std::size_t w = 0; w < im.fields.size(); ++w)
      if (im.exact_fields[w])
        out += fmt::format("  exact: {} = {}\n", im.fields[w], im.exact_fields[w]->text());
    for (std::size_t i = 0; i < im.equations.size(); ++i)
      if (im.sources[i])
        out += fmt::format("  f of equation {} = {}  (derived from exact)\n", i + 1,
                           im.sources[i]->str());
  } else {
    out += fmt::format("{} = 0", im.equation->text());
    if (im.equation->time_dependent())
      out += fmt::format(", 0 < t <= {} ({} steps), u(x, 0) = u0", im.t_final, im.nt);
    out += fmt::format(" in {}D\n", im.dim);
    if (im.exact) out += "  exact: u = " + im.exact->text() + "\n";
  }
  auto line = [&](const char* name, const Expression& e, bool derived) {
    out += fmt::format("  {} = {}{}\n", name, derived ? e.str() : e.text(),
                       derived ? "  (derived from exact)" : "");
  };
  if (im.fields.size() == 1 && im.equation->has_source()) line("f", im.f, im.f_derived);
  for (std::size_t c = 0; c < im.conditions.size(); ++c) {
    const auto& bc = im.conditions[c];
    if (bc.type == BcType::expression) {
      out += fmt::format("  {}: {} (field {})\n", bc.term, bc.describe(),
                         im.fields[static_cast<std::size_t>(bc.field)]);
      continue;
    }
    out +=
        fmt::format("  {}: {}{}, g = {}{}\n", bc.term, bc.describe(),
                    im.fields.size() > 1 ? " for " + im.fields[static_cast<std::size_t>(bc.field)]
                                         : std::string(),
                    bc.value, bc.value_derived ? "  (derived from exact)" : "");
  }
  if (im.equation->time_dependent()) line("u0", im.u0, im.u0_derived);
  return out;
}

}  // namespace dtpinn::core
