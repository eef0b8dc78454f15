// A problem's system on a node set: operators by derivative, each field's boundary rows, and the
// coupled classical solve (Newton for nonlinear systems).
#include <dtpinn/core/problem/system.hpp>
#include <dtpinn/rbffd/csr_block.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/sparse_solve.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <stdexcept>

namespace dtpinn::core {

namespace {

/// The rbffd derivative that makes a derivative of the table (t has none).
rbffd::Derivative rbffd_derivative(Derivative d) {
  switch (d) {
    case Derivative::value:
      return rbffd::Derivative::value;
    case Derivative::lap:
      return rbffd::Derivative::laplacian;
    case Derivative::x:
      return rbffd::Derivative::dx;
    case Derivative::y:
      return rbffd::Derivative::dy;
    case Derivative::z:
      return rbffd::Derivative::dz;
    case Derivative::xx:
      return rbffd::Derivative::dxx;
    case Derivative::xy:
      return rbffd::Derivative::dxy;
    case Derivative::yy:
      return rbffd::Derivative::dyy;
    case Derivative::xz:
      return rbffd::Derivative::dxz;
    case Derivative::yz:
      return rbffd::Derivative::dyz;
    case Derivative::zz:
      return rbffd::Derivative::dzz;
    case Derivative::t:
      break;
  }
  throw std::logic_error("rbffd_derivative: u_t has no RBF-FD operator");
}

/// The identity on the first `rows` of `cols` columns.
rbffd::CsrMatrix identity_rows(std::int64_t rows, std::int64_t cols) {
  rbffd::CsrBuilder b(static_cast<std::int32_t>(rows), static_cast<std::int32_t>(cols));
  for (std::int64_t i = 0; i < rows; ++i)
    b.add_entry(static_cast<std::int32_t>(i), static_cast<std::int32_t>(i), 1.0);
  return b.build();
}

/// An (nb x a.cols) matrix whose row rows[k] is scale[k] times row first + rows[k] of `a`.
rbffd::CsrMatrix scattered_rows(const rbffd::CsrMatrix& a, nodegen::Index first,
                                const std::vector<nodegen::Index>& rows,
                                const Eigen::ArrayXd& scale, nodegen::Index nb) {
  rbffd::CsrBuilder b(static_cast<std::int32_t>(nb), a.cols);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto r = static_cast<std::int32_t>(first + rows[k]);
    for (auto j = a.row_ptr[r]; j < a.row_ptr[r + 1]; ++j)
      b.add_entry(static_cast<std::int32_t>(rows[k]), a.col_idx[j],
                  scale[static_cast<Eigen::Index>(k)] * a.values[j]);
  }
  return b.build();
}

std::vector<Eigen::ArrayXd> coefficient_values(const Tape& tape, const nodegen::PointMatrix& x,
                                               const nodegen::PointMatrix* normals) {
  std::vector<Eigen::ArrayXd> out;
  for (const auto& c : tape.coefficients) out.push_back(c.evaluate(x, 0.0, normals).array());
  return out;
}

/// The coefficients of a residual tape and of its derivative tapes (slot-indexed).
struct TapeCoefficients {
  std::vector<Eigen::ArrayXd> residual;
  std::vector<std::vector<Eigen::ArrayXd>> derivative;
};

TapeCoefficients tape_coefficients(const Equation& eq, const nodegen::PointMatrix& x,
                                   const nodegen::PointMatrix* normals) {
  TapeCoefficients c;
  c.residual = coefficient_values(eq.residual(), x, normals);
  c.derivative.resize(static_cast<std::size_t>(eq.fields().size()) * kDerivativeCount);
  for (int s : eq.slots())
    c.derivative[static_cast<std::size_t>(s)] =
        coefficient_values(eq.derivative_in_slot(s), x, normals);
  return c;
}

/// The unknowns' layout: each field's block of columns and the constants of fields fixed up to
/// one.
struct Layout {
  std::vector<const DerivativeOperators*> ops;  ///< per field
  std::vector<std::int64_t> offset, size;       ///< per field
  std::vector<std::int64_t> constant;           ///< per field: its constant's column, or -1
  std::int64_t unknowns = 0;
  /// Rows in the order of the columns: per field w, equation w at the collocation nodes, then
  /// field w's boundary rows (-1 without conditions); the mean rows last. Each diagonal block
  /// is then a field's own operator with its boundary rows, as in the scalar solve, so that
  /// an incomplete factorisation without pivoting (ILUT) finds non-zero pivots.
  std::vector<std::int64_t> equation_row, boundary_row;  ///< per field: the first row
  std::int64_t mean_row = 0;                             ///< the first mean row
  std::int64_t rows = 0;
};

/// The state of the coupled solve: the problem on the node set, with every fixed piece
/// evaluated once.
class CoupledSystem {
 public:
  CoupledSystem(const Problem& problem, const nodegen::NodeSet& nodes,
                const rbffd::RbffdParams& params)
      : problem_(problem), nodes_(nodes) {
    const auto needed = derivatives_used(problem);
    ghosted_ = DerivativeOperators(nodes, params, needed);
    bool any_free = false;
    for (int w = 0; w < problem.n_fields(); ++w)
      any_free = any_free || !problem.field_has_conditions(w);
    if (any_free) plain_ = DerivativeOperators(rbffd::without_ghosts(nodes), params, needed);
    boundary_ = field_boundaries(problem, nodes, params);
    nc_ = nodes.n_collocation();
    const nodegen::PointMatrix xc = nodes.points.topRows(nc_);
    for (std::size_t i = 0; i < problem.equations().size(); ++i) {
      const Equation& eq = problem.equations()[i];
      sources_.push_back(problem.equation_source(static_cast<int>(i), xc).array());
      coefficients_.push_back(tape_coefficients(eq, xc, nullptr));
    }
    for (std::size_t c = 0; c < problem.conditions().size(); ++c) {
      const auto& bc = problem.conditions()[c];
      if (bc.type != BcType::expression) continue;
      Expressed e;
      e.condition = c;
      e.rows = condition_rows(nodes, boundary_[static_cast<std::size_t>(bc.field)].assignment, c);
      e.coefficients = tape_coefficients(*bc.residual, e.rows.points, &e.rows.normals);
      expressed_.push_back(std::move(e));
    }
    make_layout();
  }

  SystemSolution solve(const rbffd::SolveOptions& options) {
    const bool linear = std::all_of(problem_.equations().begin(), problem_.equations().end(),
                                    [](const Equation& e) { return e.linear(); });
    bool linear_conditions = true;
    for (const auto& e : expressed_)
      linear_conditions =
          linear_conditions && problem_.conditions()[e.condition].residual->linear();
    const bool one_step = linear && linear_conditions;
    const rbffd::SparseSolveOptions sopt = sparse_options(options, one_step);
    // Newton: the LU of one Jacobian preconditions BiCGSTAB on the next ones; a Jacobian that
    // has drifted too far for kNearbyIterations is factorised afresh. Lid-driven cavity,
    // Re = 100, N = 3000, p = 3: 7 Newton iterations, 2 factorisations instead of 7, CPU time
    // 15.9 s instead of 27.6 s, the same solution.
    constexpr int kNearbyIterations = 40;
    const bool reuse_lu = !one_step && sopt.backend == rbffd::SparseBackend::sparse_lu;
    rbffd::SparseSolver solver(sopt);
    bool factorised = false;
    Eigen::VectorXd u = Eigen::VectorXd::Zero(layout_.unknowns);
    SystemSolution out;
    const int max_iterations = one_step ? 1 : options.max_newton;
    for (int it = 0; it < max_iterations; ++it) {
      rbffd::CsrMatrix a;
      Eigen::VectorXd r;
      linearise(u, a, r);
      if (!r.allFinite())
        throw std::runtime_error(
            fmt::format("solve: the residual is not finite at Newton iteration {}", it));
      const Eigen::VectorXd b = -r.cwiseProduct(
          rbffd::equilibrate_rows(a, [](std::int32_t) { return std::string("of the system"); }));
      std::optional<rbffd::SparseSolveResult> nearby;
      if (reuse_lu && factorised) nearby = solver.solve_nearby(a, b, kNearbyIterations);
      if (!nearby) {
        solver.factorize(a);
        factorised = true;
        ++out.factorisations;
      }
      const auto step = nearby ? *nearby : solver.solve(b);
      u += step.x;
      out.residual = step.relative_residual;
      out.method = step.method;
      out.newton_iterations = one_step ? 0 : it + 1;
      const double du = step.x.cwiseAbs().maxCoeff();
      if (one_step || du <= options.tolerance * (1.0 + u.cwiseAbs().maxCoeff())) break;
      if (it + 1 == max_iterations)
        throw std::runtime_error(
            fmt::format("solve: Newton did not converge in {} iterations (last update {:.3e})",
                        max_iterations, du));
    }
    if (!u.allFinite()) throw std::runtime_error("solve: the solution is not finite");
    out.u.resize(nc_, problem_.n_fields());
    for (int w = 0; w < problem_.n_fields(); ++w)
      out.u.col(w) = u.segment(layout_.offset[static_cast<std::size_t>(w)], nc_);
    return out;
  }

 private:
  struct Expressed {
    std::size_t condition = 0;
    ConditionRows rows;
    TapeCoefficients coefficients;
  };

  /// The sparse backend: options.linear_solver, where `automatic` is BiCGSTAB + ILUT for a
  /// linear 2D system of at least options.iterative_min_size unknowns and SparseLU otherwise.
  /// Measured on the plate with holes (3D elasticity, 3 fields, N = 2989, p = 3): with traction
  /// on most faces ILUT broke down or BiCGSTAB stalled (residual 1 after 2000 iterations; 180 s
  /// with the SparseLU fallback, SparseLU alone 22 s); clamped everywhere BiCGSTAB took 8.5 s
  /// and SparseLU 24 s. A 3D system goes to SparseLU: a stalled iteration costs far more than
  /// the factorisation.
  rbffd::SparseSolveOptions sparse_options(const rbffd::SolveOptions& options, bool linear) const {
    rbffd::SparseSolveOptions s;
    s.max_relative_residual = options.max_relative_residual;
    s.iterative_min_size = options.iterative_min_size;
    s.iterative_tolerance = options.iterative_tolerance;
    s.max_iterations = options.max_iterations;
    s.ilut_drop_tolerance = options.ilut_drop_tolerance;
    s.ilut_fill_factor = options.ilut_fill_factor;
    switch (options.linear_solver) {
      case rbffd::LinearSolver::direct:
        s.backend = rbffd::SparseBackend::sparse_lu;
        break;
      case rbffd::LinearSolver::iterative:
        s.backend = rbffd::SparseBackend::bicgstab_ilut;
        break;
      case rbffd::LinearSolver::automatic:
        s.backend = linear && nodes_.dim == 2 ? rbffd::SparseBackend::automatic
                                              : rbffd::SparseBackend::sparse_lu;
        break;
    }
    return s;
  }

  void make_layout() {
    const int F = problem_.n_fields();
    for (int w = 0; w < F; ++w) {
      const bool has = problem_.field_has_conditions(w);
      layout_.ops.push_back(has ? &ghosted_ : &plain_);
      layout_.offset.push_back(layout_.unknowns);
      layout_.size.push_back(has ? nodes_.size() : nc_);
      layout_.unknowns += layout_.size.back();
    }
    for (int w = 0; w < F; ++w)
      layout_.constant.push_back(field_fixed_up_to_constant(problem_, w) ? layout_.unknowns++ : -1);
    for (int w = 0; w < F; ++w) {
      layout_.equation_row.push_back(layout_.rows);
      layout_.rows += nc_;
      const bool has = boundary_[static_cast<std::size_t>(w)].has_conditions;
      layout_.boundary_row.push_back(has ? layout_.rows : -1);
      if (has) layout_.rows += nodes_.n_boundary;
    }
    layout_.mean_row = layout_.rows;
    for (auto c : layout_.constant) layout_.rows += c >= 0 ? 1 : 0;
    if (layout_.rows != layout_.unknowns)
      throw std::logic_error(
          fmt::format("solve: {} rows for {} unknowns", layout_.rows, layout_.unknowns));
  }

  /// Derivative d of field w at the collocation rows.
  Eigen::ArrayXd at_rows(const Eigen::VectorXd& u, int w, Derivative d) const {
    const auto uw = u.segment(layout_.offset[static_cast<std::size_t>(w)],
                              layout_.size[static_cast<std::size_t>(w)]);
    if (d == Derivative::value) return uw.head(nc_).array();
    return rbffd::multiply(layout_.ops[static_cast<std::size_t>(w)]->op(d), uw).array();
  }

  /// The residual r(u) and its Jacobian a(u), rows as in system.hpp.
  void linearise(const Eigen::VectorXd& u, rbffd::CsrMatrix& a, Eigen::VectorXd& r) const {
    const int F = problem_.n_fields();
    const auto ni = nodes_.n_interior, nb = nodes_.n_boundary;
    std::vector<Eigen::ArrayXd> vars(static_cast<std::size_t>(F) * kDerivativeCount);
    std::set<int> slots;
    for (const auto& eq : problem_.equations()) slots.insert(eq.slots().begin(), eq.slots().end());
    for (const auto& e : expressed_) {
      const auto& s = problem_.conditions()[e.condition].residual->slots();
      slots.insert(s.begin(), s.end());
    }
    for (int s : slots)
      vars[static_cast<std::size_t>(s)] =
          at_rows(u, s / kDerivativeCount, static_cast<Derivative>(s % kDerivativeCount));
    rbffd::CsrBuilder m(static_cast<std::int32_t>(layout_.rows),
                        static_cast<std::int32_t>(layout_.unknowns));
    r.resize(layout_.rows);
    const auto i32 = [](std::int64_t v) { return static_cast<std::int32_t>(v); };
    // The equations.
    for (std::size_t i = 0; i < problem_.equations().size(); ++i) {
      const Equation& eq = problem_.equations()[i];
      const std::int64_t row0 = layout_.equation_row[i];
      Eigen::ArrayXd R = evaluate_tape(eq.residual(), vars, sources_[i], coefficients_[i].residual);
      for (int s : eq.slots()) {
        const int w = s / kDerivativeCount;
        const auto d = static_cast<Derivative>(s % kDerivativeCount);
        const Eigen::ArrayXd c = evaluate_tape(eq.derivative_in_slot(s), vars, sources_[i],
                                               coefficients_[i].derivative[std::size_t(s)]);
        if (!c.allFinite())
          throw std::runtime_error(
              fmt::format("solve: d({})/d({}) is not finite at some node", eq.text(),
                          variable_name(problem_.fields()[static_cast<std::size_t>(w)], d)));
        const auto col0 = layout_.offset[static_cast<std::size_t>(w)];
        if (d == Derivative::value) {
          m.add_diagonal(i32(row0), i32(col0), c.matrix());
        } else {
          const auto& op = layout_.ops[static_cast<std::size_t>(w)]->op(d);
          m.add(i32(row0), i32(col0), scattered_rows(op, 0, all_rows(), c, nc_));
        }
      }
      // The constant of the field at the same position, when it is fixed up to one.
      if (i < layout_.constant.size() && layout_.constant[i] >= 0) {
        const auto lambda = layout_.constant[i];
        for (std::int64_t k = 0; k < nc_; ++k) m.add_entry(i32(row0 + k), i32(lambda), 1.0);
        R += u[lambda];
      }
      r.segment(row0, nc_) = R.matrix();
    }
    // The boundary rows, field by field.
    for (int w = 0; w < F; ++w) {
      const auto& b = boundary_[static_cast<std::size_t>(w)];
      if (!b.has_conditions) continue;
      const auto row = layout_.boundary_row[static_cast<std::size_t>(w)];
      const auto col0 = layout_.offset[static_cast<std::size_t>(w)];
      m.add(i32(row), i32(col0), b.B);
      r.segment(row, nb) =
          rbffd::multiply(b.B, u.segment(col0, layout_.size[static_cast<std::size_t>(w)])) - b.g;
    }
    for (const auto& e : expressed_) {
      const auto& bc = problem_.conditions()[e.condition];
      const Equation& res = *bc.residual;
      const auto row0 = layout_.boundary_row[static_cast<std::size_t>(bc.field)];
      std::vector<Eigen::ArrayXd> bvars(vars.size());
      for (int s : res.slots())
        bvars[static_cast<std::size_t>(s)] = boundary_values(vars[std::size_t(s)], e.rows.rows);
      const Eigen::ArrayXd R =
          evaluate_tape(res.residual(), bvars, Eigen::ArrayXd(), e.coefficients.residual);
      for (std::size_t k = 0; k < e.rows.rows.size(); ++k)
        r[row0 + e.rows.rows[k]] = R[static_cast<Eigen::Index>(k)];
      for (int s : res.slots()) {
        const int w = s / kDerivativeCount;
        const auto d = static_cast<Derivative>(s % kDerivativeCount);
        const Eigen::ArrayXd c = evaluate_tape(res.derivative_in_slot(s), bvars, Eigen::ArrayXd(),
                                               e.coefficients.derivative[std::size_t(s)]);
        const auto col0 = layout_.offset[static_cast<std::size_t>(w)];
        if (d == Derivative::value) {
          for (std::size_t k = 0; k < e.rows.rows.size(); ++k)
            m.add_entry(i32(row0 + e.rows.rows[k]), i32(col0 + ni + e.rows.rows[k]),
                        c[static_cast<Eigen::Index>(k)]);
        } else {
          const auto& op = layout_.ops[static_cast<std::size_t>(w)]->op(d);
          m.add(i32(row0), i32(col0), scattered_rows(op, ni, e.rows.rows, c, nb));
        }
      }
    }
    // The mean rows of the fields fixed up to a constant.
    std::int64_t row = layout_.mean_row;
    const nodegen::PointMatrix xc = nodes_.points.topRows(nc_);
    for (int w = 0; w < F; ++w) {
      if (layout_.constant[static_cast<std::size_t>(w)] < 0) continue;
      const auto col0 = layout_.offset[static_cast<std::size_t>(w)];
      double sum = 0.0;
      for (std::int64_t k = 0; k < nc_; ++k) {
        m.add_entry(i32(row), i32(col0 + k), 1.0);
        sum += u[col0 + k];
      }
      const double target = problem_.has_exact_field(w) ? problem_.exact_field(w, xc).sum() : 0.0;
      r[row] = sum - target;
      ++row;
    }
    a = m.build();
  }

  const std::vector<nodegen::Index>& all_rows() const {
    if (static_cast<std::int64_t>(all_rows_.size()) != nc_) {
      all_rows_.resize(static_cast<std::size_t>(nc_));
      for (std::int64_t k = 0; k < nc_; ++k) all_rows_[static_cast<std::size_t>(k)] = k;
    }
    return all_rows_;
  }

  /// The values of a collocation-row array at boundary rows (within Nb).
  Eigen::ArrayXd boundary_values(const Eigen::ArrayXd& v,
                                 const std::vector<nodegen::Index>& rows) const {
    Eigen::ArrayXd out(static_cast<Eigen::Index>(rows.size()));
    for (std::size_t k = 0; k < rows.size(); ++k)
      out[static_cast<Eigen::Index>(k)] = v[nodes_.n_interior + rows[k]];
    return out;
  }

  const Problem& problem_;
  const nodegen::NodeSet& nodes_;
  DerivativeOperators ghosted_, plain_;
  std::vector<FieldBoundary> boundary_;
  std::int64_t nc_ = 0;
  std::vector<Eigen::ArrayXd> sources_;
  std::vector<TapeCoefficients> coefficients_;
  std::vector<Expressed> expressed_;
  Layout layout_;
  mutable std::vector<nodegen::Index> all_rows_;
};

}  // namespace

DerivativeOperators::DerivativeOperators(const nodegen::NodeSet& nodes,
                                         const rbffd::RbffdParams& params,
                                         const std::vector<Derivative>& needed)
    : rows_(nodes.n_collocation()), cols_(nodes.size()) {
  rbffd::OperatorRequest req;
  req.laplacian = false;
  req.boundary = false;
  for (Derivative d : needed) {
    if (d == Derivative::value || d == Derivative::t) continue;
    if (d == Derivative::lap)
      req.laplacian = true;
    else
      req.derivatives.push_back(rbffd_derivative(d));
  }
  const auto set = rbffd::assemble(nodes, params, req);
  for (Derivative d : needed) {
    if (d == Derivative::t) continue;
    if (d == Derivative::value) {
      ops_[static_cast<std::size_t>(d)] = identity_rows(rows_, cols_);
      continue;
    }
    const rbffd::CsrMatrix* m = set.find(rbffd_derivative(d));
    if (!m) throw std::logic_error("DerivativeOperators: an operator was not built");
    ops_[static_cast<std::size_t>(d)] = *m;
  }
}

const rbffd::CsrMatrix& DerivativeOperators::op(Derivative d) const {
  const auto& m = ops_[static_cast<std::size_t>(d)];
  if (!m)
    throw std::logic_error(fmt::format("DerivativeOperators: the operator of {} was not built",
                                       variable_name("u", d)));
  return *m;
}

std::vector<Derivative> derivatives_used(const Problem& problem) {
  std::vector<bool> used(kDerivativeCount, false);
  const auto mark = [&](const Equation& eq) {
    for (int s : eq.slots()) used[static_cast<std::size_t>(s % kDerivativeCount)] = true;
  };
  for (const auto& eq : problem.equations()) mark(eq);
  for (const auto& bc : problem.conditions())
    if (bc.residual) mark(*bc.residual);
  std::vector<Derivative> out;
  for (Derivative d : kDerivatives)
    if (used[static_cast<std::size_t>(d)] && d != Derivative::t && d != Derivative::value)
      out.push_back(d);
  return out;
}

std::vector<FieldBoundary> field_boundaries(const Problem& problem, const nodegen::NodeSet& nodes,
                                            const rbffd::RbffdParams& params) {
  std::vector<FieldBoundary> out;
  for (int w = 0; w < problem.n_fields(); ++w) {
    FieldBoundary b;
    b.assignment = problem.assign_boundary(nodes, w);
    b.has_conditions = problem.field_has_conditions(w);
    if (b.has_conditions) {
      // Rows under an expression condition are built as identity rows, then emptied: B holds
      // the presets only.
      rbffd::RobinCoefficients robin{b.assignment.alpha, b.assignment.beta, b.assignment.normals};
      std::vector<bool> expressed(b.assignment.condition.size(), false);
      for (std::size_t k = 0; k < expressed.size(); ++k) {
        const auto& bc = problem.conditions()[static_cast<std::size_t>(b.assignment.condition[k])];
        expressed[k] = bc.type == BcType::expression;
        if (expressed[k]) robin.beta[static_cast<Eigen::Index>(k)] = 1.0;
      }
      b.B = rbffd::boundary_operator(nodes, robin, params);
      for (std::int32_t r = 0; r < b.B.rows; ++r)
        if (expressed[static_cast<std::size_t>(r)])
          for (auto j = b.B.row_ptr[r]; j < b.B.row_ptr[r + 1]; ++j) b.B.values[j] = 0.0;
      b.g = problem.boundary_data(nodes, b.assignment);
    }
    out.push_back(std::move(b));
  }
  return out;
}

ConditionRows condition_rows(const nodegen::NodeSet& nodes, const BoundaryAssignment& assignment,
                             std::size_t condition) {
  ConditionRows out;
  for (std::size_t k = 0; k < assignment.condition.size(); ++k)
    if (assignment.condition[k] == static_cast<std::int32_t>(condition))
      out.rows.push_back(static_cast<nodegen::Index>(k));
  const auto n = static_cast<Eigen::Index>(out.rows.size());
  out.points.resize(n, nodes.dim);
  out.normals.resize(n, nodes.dim);
  for (Eigen::Index k = 0; k < n; ++k) {
    out.points.row(k) = nodes.points.row(nodes.n_interior + out.rows[static_cast<std::size_t>(k)]);
    out.normals.row(k) = assignment.normals.row(out.rows[static_cast<std::size_t>(k)]);
  }
  return out;
}

bool is_system_config(const ProblemConfig& config) {
  if (config.fields.size() > 1 || config.equations.size() > 1) return true;
  for (const auto& bc : config.bc)
    if (bc.type == BcType::expression) return true;
  std::string text;
  if (!config.equations.empty())
    text = config.equations[0];
  else if (config.equation && config.equation->find_first_not_of(" \t") != std::string::npos)
    text = *config.equation;
  else
    return false;
  try {
    const Equation eq =
        Equation::parse(text, config.params, 3, "problem.equation",
                        config.fields.empty() ? std::vector<std::string>{"u"} : config.fields);
    for (Derivative d : kDerivatives)
      if (is_second_partial(d) && eq.uses_derivative(d)) return true;
  } catch (const std::runtime_error&) {
  }
  return false;
}

std::string system_not_trainable(const std::string& what) {
  return fmt::format(
      "{}: this problem is a system (several fields, a condition written as an expression, or a "
      "second partial derivative such as u_xx): `dtpinn solve`, `train` and `compare` run it; "
      "the study does not yet",
      what);
}

bool field_fixed_up_to_constant(const Problem& problem, int field) {
  if (problem.field_has_conditions(field)) return false;
  for (const auto& eq : problem.equations())
    if (eq.uses(Derivative::value, field)) return false;
  return true;
}

SystemSolution solve_system(const Problem& problem, const nodegen::NodeSet& nodes,
                            const rbffd::RbffdParams& params, const rbffd::SolveOptions& options) {
  for (const auto& eq : problem.equations())
    if (eq.time_dependent())
      throw std::runtime_error(
          fmt::format("solve: \"{}\" is time-dependent: the system solve is steady", eq.text()));
  const auto t0 = std::chrono::steady_clock::now();
  CoupledSystem system(problem, nodes, params);
  SystemSolution out = system.solve(options);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace dtpinn::core
