// Part 2 of the study: for each problem, N and seed, one run per vanilla method and one DT-PINN
// run per order p, all on the same nodes, seed and budget, through the engine's build_dataset,
// make_network and train.
#include "study_parts.hpp"

#include <dtpinn/core/problem/solve.hpp>

#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/lab/compare.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace dtpinn::lab::detail {

using namespace dtpinn::core;

namespace {

/// L, B (and the gradient rows when the equation uses them) of each order that fits the nodes.
struct Operators {
  rbffd::CsrMatrix L, B;
  std::vector<rbffd::CsrMatrix> D;
};
using OrderOperators = std::map<int, Operators>;

}  // namespace

RunConfig problem_config(StudyProblemKind kind, std::int64_t n, const StudyOptions& o) {
  RunConfig c = default_config();
  c.source = std::string("dtpinn study: ") + to_string(kind);
  c.domain.n = n;
  c.domain.seed = 0;
  c.domain.test_n = o.test_n;
  switch (kind) {
    case StudyProblemKind::poisson:
      break;
    case StudyProblemKind::nonlinear:
      c.problem.pde = PdeKind::nonlinear_poisson;
      break;
    case StudyProblemKind::heat:
      c.problem.pde = PdeKind::heat;
      c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*sin(pi*t)";
      c.problem.t_final = 1.0;
      c.problem.nt = 24;
      // The test error is taken on up to 11 time slices of the test nodes.
      c.domain.test_n = std::max<std::int64_t>(1000, o.test_n / 4);
      break;
    case StudyProblemKind::star:
      c.domain.shape = "star";
      break;
    case StudyProblemKind::torus3d:
      c.domain.file = (fs::path(o.source_dir) / "data/geometry/torus.obj").string();
      c.domain.rescale = true;
      c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*exp(z)";
      c.domain.test_n = std::min<std::int64_t>(o.test_n, 3 * n);
      break;
    case StudyProblemKind::helmholtz:
      c.problem.equation = "lap(u) + k^2*u - f";
      c.problem.params = {{"k", "2"}};
      break;
    case StudyProblemKind::advection:
      c.problem.equation = "bx*u_x + by*u_y - nu*lap(u) - f";
      c.problem.params = {{"bx", "1"}, {"by", "-0.5"}, {"nu", "0.2"}};
      break;
  }
  c.train.device = o.device;
  c.train.optimizer = o.optimizer;
  c.train.output_layer = o.output_layer;
  c.train.epochs = o.epochs;
  c.train.time_budget = o.time_budget;
  c.train.eval_every = o.eval_every;
  return c;
}

namespace {

/// The config of one run: `base` with the seed, method, precision and order of `m`.
RunConfig run_config(const RunConfig& base, StudyMethod m, int order, std::uint64_t seed) {
  RunConfig c = base;
  c.train.seed = seed;
  c.train.method = engine_method(m).method;
  c.train.precision = engine_method(m).precision;
  if (m == StudyMethod::dtpinn) c.rbffd.order = order;
  return c;
}

/// One run; a failure is recorded (ok = false, error) and logged, not thrown.
RunRecord train_one(const RunConfig& base, const Dataset& d, StudyProblemKind problem,
                    StudyMethod m, int order, std::uint64_t seed, std::ostream* log) {
  const RunConfig c = run_config(base, m, order, seed);
  RunRecord rec;
  rec.problem = problem;
  rec.study_method = m;
  rec.method = c.train.method;
  rec.precision = c.train.precision;
  rec.n_target = base.domain.n;
  rec.n_nodes = d.n_collocation();
  rec.order = m == StudyMethod::dtpinn ? order : 0;
  rec.seed = seed;
  const std::string what =
      fmt::format("{} N={} {}{} seed {}", to_string(problem), rec.n_nodes, method_label(m),
                  m == StudyMethod::dtpinn ? fmt::format(" p={}", order) : std::string(), seed);
  try {
    Network net = make_network(c, d);
    rec.r = train(c, d, net, {});
    rec.hist = error_history(rec.r);
    rec.ok = true;
    say(log, fmt::format("[study] {}: error {:.3e}, best {:.3e} at epoch {} ({:.2f} s), {} epochs, "
                         "{:.4f} s/epoch ({})",
                         what, rec.r.test_rel_l2, rec.r.best_test_rel_l2, rec.r.epochs_to_best,
                         rec.r.seconds_to_best, rec.r.epochs, rec.r.seconds_per_epoch,
                         rec.r.stop_reason));
  } catch (const std::exception& e) {
    rec.error = e.what();
    say(log, fmt::format("[study] {}: FAILED: {}", what, rec.error));
  }
  return rec;
}

/// The operators for each order that fits the data's nodes (an order that does not is skipped with
/// a line on `log`).
OrderOperators order_operators(const RunConfig& base, const Dataset& d,
                               const std::vector<int>& orders, const std::string& where,
                               std::ostream* log) {
  OrderOperators ops;
  for (int p : orders) {
    rbffd::RbffdParams params = rbffd_params(base);
    params.order = p;
    rbffd::OperatorRequest req;
    req.robin = {d.boundary.alpha, d.boundary.beta, d.boundary.normals};
    req.gradient = uses_gradient(d.problem->equation());
    try {
      RunConfig cp = base;
      cp.rbffd.order = p;
      check_order_fits(cp, d.nodes);
      auto set = rbffd::assemble(d.nodes, params, req);
      ops[p] = {std::move(set.laplacian), std::move(set.boundary), std::move(set.gradient)};
    } catch (const std::exception& e) {
      say(log, fmt::format("[study] {} p={}: skipped: {}", where, p, e.what()));
    }
  }
  return ops;
}

bool has_dtpinn(const StudyOptions& o) {
  return std::count(o.methods.begin(), o.methods.end(), StudyMethod::dtpinn) > 0;
}

/// Every seed and method of one problem at N nodes, appended to `runs`.
void runs_at(const StudyProblem& prob, std::int64_t n, const StudyOptions& o, std::ostream* log,
             std::vector<RunRecord>& runs) {
  const std::string where = fmt::format("{} N={}", to_string(prob.kind), n);
  RunConfig base = problem_config(prob.kind, n, o);
  const std::vector<int>& orders = prob.orders.empty() ? o.orders : prob.orders;
  if (prob.time_budget >= 0) base.train.time_budget = prob.time_budget;
  base.rbffd.order = has_dtpinn(o) ? *std::min_element(orders.begin(), orders.end()) : 2;
  Dataset d;
  try {
    DatasetOptions dopt;
    dopt.operators = false;  // assembled per order below
    d = build_dataset(base, dopt, nullptr);
  } catch (const std::exception& e) {
    say(log, fmt::format("[study] {}: skipped: {}", where, e.what()));
    return;
  }
  say(log,
      fmt::format("[study] {}: Ni = {}, Nb = {}, test {} points ({})", where, d.nodes.n_interior,
                  d.nodes.n_boundary, d.test_points.rows(), d.reference_kind));
  const OrderOperators ops =
      has_dtpinn(o) ? order_operators(base, d, orders, where, log) : OrderOperators{};
  for (auto seed : prob.seeds)
    for (const StudyMethod m : o.methods) {
      if (m != StudyMethod::dtpinn) {
        d.has_operators = false;
        runs.push_back(train_one(base, d, prob.kind, m, 0, seed, log));
        continue;
      }
      for (const auto& [p, op] : ops) {
        d.L = op.L;
        d.B = op.B;
        d.D = op.D;
        d.has_operators = true;
        runs.push_back(train_one(base, d, prob.kind, m, p, seed, log));
      }
    }
}

}  // namespace

std::vector<RunRecord> pinn_runs(const StudyOptions& o, std::ostream* log) {
  std::vector<RunRecord> runs;
  for (const auto& prob : o.problems)
    for (auto n : prob.sizes) runs_at(prob, n, o, log, runs);
  return runs;
}

}  // namespace dtpinn::lab::detail
