// Assembly of the RBF-FD operators: kNN stencils, one factorisation per (node, theta), rows
// written straight into preallocated CSR arrays (a row's stencil size depends only on whether
// it is centred at a boundary node, so row_ptr is known up front and the parallel loop needs no
// synchronisation).
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include "stencil_geometry.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>

namespace dtpinn::rbffd {

using nodegen::Index;
using nodegen::KnnIndex;
using nodegen::NodeSet;
using nodegen::PointMatrix;

RobinCoefficients RobinCoefficients::constant(double alpha, double beta) {
  RobinCoefficients r;
  r.alpha = Eigen::VectorXd::Constant(1, alpha);
  r.beta = Eigen::VectorXd::Constant(1, beta);
  return r;
}

namespace {

std::string point_text(const double* p, int dim) {
  return dim == 2 ? fmt::format("({:.9g}, {:.9g})", p[0], p[1])
                  : fmt::format("({:.9g}, {:.9g}, {:.9g})", p[0], p[1], p[2]);
}

std::string node_text(const NodeSet& nodes, Index i) {
  return fmt::format("node {} ({}, at {})", i, nodegen::to_string(nodes.kind(i)),
                     point_text(nodes.points.row(i).data(), nodes.dim));
}

// Shapes, counts and finiteness; rbffd's own checks (it needs points and boundary normals).
void check_nodes(const NodeSet& nodes, bool need_normals) {
  if (nodes.dim != 2 && nodes.dim != 3)
    throw std::invalid_argument(
        fmt::format("rbffd: node set dimension {} is not 2 or 3", nodes.dim));
  if (nodes.n_interior < 0 || nodes.n_boundary < 0 ||
      (nodes.n_ghost != 0 && nodes.n_ghost != nodes.n_boundary))
    throw std::invalid_argument("rbffd: inconsistent node counts (ghosts must be 0 or Nb)");
  if (nodes.points.rows() != nodes.size() || nodes.points.cols() != nodes.dim)
    throw std::invalid_argument(fmt::format("rbffd: points are {} x {}, expected {} x {}",
                                            nodes.points.rows(), nodes.points.cols(), nodes.size(),
                                            nodes.dim));
  if (nodes.size() >= std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument("rbffd: more than 2^31 nodes");
  for (Index i = 0; i < nodes.size(); ++i)
    if (!nodes.points.row(i).allFinite())
      throw std::invalid_argument(fmt::format("rbffd: node {} has a non-finite coordinate", i));
  if (need_normals) {
    if (nodes.normals.rows() != nodes.size() || nodes.normals.cols() != nodes.dim)
      throw std::invalid_argument("rbffd: normals missing or of the wrong shape");
    for (Index i = nodes.boundary_begin(); i < nodes.ghost_begin(); ++i) {
      const double len = nodes.normals.row(i).norm();
      if (!(std::abs(len - 1.0) < 1e-6))
        throw std::invalid_argument(
            fmt::format("rbffd: {} has a normal of length {} (expected a unit normal)",
                        node_text(nodes, i), len));
    }
  }
}

// Rows of one family of operators sharing a stencil rule.
struct RowJob {
  StencilRule rule;
  std::vector<Derivative> ops;
  StencilWeights::Columns columns = StencilWeights::Columns::joint;
  Index n_rows = 0;
  std::function<const double*(Index)> eval;  ///< evaluation point of row r
  std::function<Index(Index)> centre;        ///< node at the evaluation point, or -1
  std::string what;                          ///< for errors: "the Laplacian"
  /// Called with the row, the sorted stencil indices, the permutation into the weight rows
  /// (sorted position s holds stencil entry perm[s]), the weights (n x ops) and the position
  /// of the centre node in the unsorted stencil (-1 if none).
  std::function<void(Index, const std::int32_t*, const int*, const Eigen::MatrixXd&, int)> sink;
};

struct Failure {
  Index row = std::numeric_limits<Index>::max();
  std::string message;
};

// Eigen parallelises its GEMMs with OpenMP unless it runs inside an ACTIVE parallel region; a
// one-thread region is not active, and the nested teams then cost far more than the small
// stencil products (measured 10x slower). The stencils are the parallel loop: Eigen runs serial
// while the rows are built (and every thread count gives the same bits).
class EigenSerial {
 public:
  EigenSerial() : saved_(Eigen::nbThreads()) { Eigen::setNbThreads(1); }
  ~EigenSerial() { Eigen::setNbThreads(saved_); }
  EigenSerial(const EigenSerial&) = delete;
  EigenSerial& operator=(const EigenSerial&) = delete;

 private:
  int saved_;
};

// Per-thread stencil solvers: one per stencil size, and, made on first use, the reduced-degree
// ones that repair a stencil the full degree cannot (a sharp tip).
class RowSolvers {
 public:
  RowSolvers(int dim, const StencilRule& rule, const StencilRule& boundary_rule, bool two_sizes)
      : dim_(dim), rule_(rule), boundary_rule_(boundary_rule) {
    full_ = std::make_unique<StencilWeights>(dim, rule);
    if (two_sizes) full_boundary_ = std::make_unique<StencilWeights>(dim, boundary_rule);
  }
  /// The solver of a row (boundary rows have their own size when two_sizes) at `degree`.
  StencilWeights& at(bool boundary_row, int degree) {
    const StencilRule& base = boundary_row ? boundary_rule_ : rule_;
    if (degree == base.degree) return boundary_row ? *full_boundary_ : *full_;
    auto& slot = reduced_[{boundary_row, degree}];
    if (!slot) {
      StencilRule r = base;
      r.degree = degree;
      r.n_polynomials = polynomial_count(degree, dim_);
      slot = std::make_unique<StencilWeights>(dim_, r);
    }
    return *slot;
  }

 private:
  int dim_;
  StencilRule rule_, boundary_rule_;
  std::unique_ptr<StencilWeights> full_, full_boundary_;
  std::map<std::pair<bool, int>, std::unique_ptr<StencilWeights>> reduced_;
};

// The lowest polynomial degree a repaired stencil may use: it must still reproduce the
// operator's own derivatives (theta) and keep the PHS r^m conditionally positive definite.
int lowest_repair_degree(const StencilRule& rule) {
  return std::max({rule.theta, (rule.phs_exponent - 1) / 2, 1});
}

// A failed stencil is repaired at a lower degree only where the failure comes from the shape
// of the neighbourhood (a sharp tip: the nodes lie along a few lines), not from a node far from
// all others or nearly on top of another, which stay refused: its nearest neighbour lies
// between 1e-4 and 1/2 of the stencil's radius away (a 2-degree wedge puts the two flanks'
// nodes next to the tip 3e-3 radii apart; the nearest node of one 50 units outside a unit disk
// lies 0.98 radii away).
bool repairable(const double* dist2, int n, bool centred) {
  const double nearest = dist2[centred ? 1 : 0], radius = dist2[n - 1];
  return nearest >= 1e-8 * radius && nearest <= 0.25 * radius;
}

struct RowLoopResult {
  double min_rcond = 1.0;
  std::int64_t repaired = 0;  ///< rows whose stencil was repaired at a lower degree
};

// THE row loop of rbffd: runs a RowJob over its rows (any rows: job.centre picks the node of
// each). Each stencil is the n nearest nodes visible from the row's point (stencil_geometry.hpp);
// one that is singular at the rule's degree is retried at lower degrees (a sharp tip) before it
// is refused.
RowLoopResult run_rows(const NodeSet& nodes, const KnnIndex& tree, const RowJob& job,
                       const RbffdParams& params) {
  const int threads = params.threads;
  RowLoopResult out;
  if (job.n_rows == 0) return out;
  bool any_boundary = false;
  for (Index r = 0; r < job.n_rows && !any_boundary; ++r)
    any_boundary = stencil_size_at(job.rule, nodes, job.centre(r)) != job.rule.size;
  const int n_max = any_boundary ? std::max(job.rule.size, job.rule.boundary_size) : job.rule.size;
  if (nodes.size() < n_max)
    throw std::invalid_argument(fmt::format(
        "rbffd: {} at order p needs stencils of {} nodes ({}) but the node set has only {}",
        job.what, n_max, job.rule.describe(), nodes.size()));
  StencilRule boundary_rule = job.rule;
  boundary_rule.size = job.rule.boundary_size;
  const bool two_sizes = any_boundary && boundary_rule.size != job.rule.size;
  const detail::Visibility visibility(nodes, tree);
  Failure failure;
  double min_rcond = 1.0;
  std::int64_t repaired = 0;
  const int d = nodes.dim;
  const int n_threads = threads > 0 ? threads : omp_get_max_threads();
  const EigenSerial eigen_serial;

#pragma omp parallel num_threads(n_threads) reduction(min : min_rcond) reduction(+ : repaired)
  {
    // Per-thread workspaces (solvers and weight matrices per stencil size): nothing is
    // allocated inside the row loop but for a repaired stencil's first solver.
    Failure local_failure;
    std::unique_ptr<RowSolvers> solvers;
    detail::VisibilityWorkspace visibility_ws;
    std::vector<std::int32_t> idx(n_max), sorted(n_max);
    std::vector<int> perm(n_max);
    std::vector<std::uint64_t> keys(n_max);
    std::vector<double> dist2(n_max), coords(static_cast<std::size_t>(n_max) * d);
    const auto n_ops = static_cast<Eigen::Index>(job.ops.size());
    Eigen::MatrixXd weights(job.rule.size, n_ops), boundary_weights(boundary_rule.size, n_ops);
    try {
      solvers = std::make_unique<RowSolvers>(d, job.rule, boundary_rule, two_sizes);
    } catch (const std::exception& e) {
      local_failure = {-1, e.what()};
    }
    // Dynamic chunks of 64 rows (~1 ms): a thread that loses its core on a shared machine
    // does not hold up the others. Monotonic: each thread's rows increase, so after a failure
    // the rest of its rows are skipped and the smallest failing row is reported.
#pragma omp for schedule(monotonic : dynamic, 64)
    for (Index r = 0; r < job.n_rows; ++r) {
      if (!solvers || local_failure.row < r) continue;
      try {
        const double* x = job.eval(r);
        const Index centre = job.centre(r);
        const bool boundary_row =
            two_sizes && stencil_size_at(job.rule, nodes, centre) != job.rule.size;
        const StencilRule& rule = boundary_row ? boundary_rule : job.rule;
        Eigen::MatrixXd& row_weights = boundary_row ? boundary_weights : weights;
        const int n = rule.size;
        auto where = [&] {
          return centre >= 0 ? node_text(nodes, centre)
                             : fmt::format("point {} (at {})", r, point_text(x, d));
        };
        tree.nearest(x, n, idx.data(), dist2.data());
        const auto seen = params.visibility ? visibility.filter(x, centre, n, idx.data(),
                                                                dist2.data(), visibility_ws)
                                            : detail::VisibilityResult{};
        if (seen.refused) {
          local_failure = {
              r, fmt::format("rbffd: {}: only {} of its {} nearest nodes are visible through the "
                             "domain, and {} needs {} ({}): the domain is too narrow for the "
                             "stencil {}; refine the nodes (smaller h) or widen the gap",
                             where(), seen.visible, seen.candidates, job.what, n, rule.describe(),
                             seen.narrow)};
          continue;
        }
        int centre_pos = -1;
        if (centre >= 0) {
          // A node's nearest neighbour is itself; a second node at distance ~0 is a duplicate.
          if (dist2[1] <= 1e-24 * dist2[n - 1]) {
            const Index a = std::min<Index>(idx[0], idx[1]), b = std::max<Index>(idx[0], idx[1]);
            local_failure = {r, fmt::format("rbffd: duplicate nodes: {} and node {} coincide",
                                            node_text(nodes, a), b)};
            continue;
          }
          centre_pos = 0;
          if (idx[0] != centre) {
            local_failure = {r, fmt::format("rbffd: {}: nearest-neighbour search did not return "
                                            "the node itself",
                                            node_text(nodes, centre))};
            continue;
          }
        }
        for (int j = 0; j < n; ++j)
          for (int c = 0; c < d; ++c) coords[j * d + c] = nodes.points(idx[j], c);
        // Coincident nodes anywhere in the stencil sit next to each other (equal distances,
        // ties ordered by index): name them rather than report a singular stencil.
        bool duplicate = false;
        for (int j = 1; j < n && !duplicate; ++j)
          if (dist2[j] == dist2[j - 1] &&
              std::equal(&coords[j * d], &coords[j * d] + d, &coords[(j - 1) * d])) {
            const Index a = std::min<Index>(idx[j - 1], idx[j]),
                        b = std::max<Index>(idx[j - 1], idx[j]);
            local_failure = {r, fmt::format("rbffd: duplicate nodes: {} and node {} coincide",
                                            node_text(nodes, a), b)};
            duplicate = true;
          }
        if (duplicate) continue;
        // A node's stencil below kMinStencilRcond has weights of 1e8 and more (a node far from
        // all others, nearly coincident nodes): refused, named. Evaluation rows (centre < 0,
        // points the caller chose) are judged by the caller.
        auto fails = [&](const StencilWeights::Status& s) {
          return !s.ok || (centre >= 0 && s.rcond < kMinStencilRcond);
        };
        StencilWeights& full = solvers->at(boundary_row, rule.degree);
        auto status = full.compute(coords.data(), x, job.ops, row_weights, job.columns);
        const auto first_status = status;
        if (fails(status) && repairable(dist2.data(), n, centre >= 0)) {
          for (int l = rule.degree - 1; l >= lowest_repair_degree(rule) && fails(status); --l)
            status = solvers->at(boundary_row, l)
                         .compute(coords.data(), x, job.ops, row_weights, job.columns);
          if (!fails(status)) ++repaired;
        }
        if (fails(status)) {
          const std::string cause = visibility.explain_failure(x, idx.data(), n);
          const std::string hint = cause.empty() ? "" : fmt::format(": {}", cause);
          if (!first_status.ok)
            local_failure = {
                r, fmt::format("rbffd: {}: {} for {} ({}, rcond {:.3g}){}", where(),
                               first_status.reason, job.what, rule.describe(),
                               std::isfinite(first_status.rcond) ? first_status.rcond : 0.0, hint)};
          else
            local_failure = {
                r, fmt::format("rbffd: {}: ill-conditioned stencil for {} (rcond {:.3g}, below "
                               "{:g}): {}; check the node set",
                               where(), job.what, first_status.rcond, kMinStencilRcond,
                               cause.empty() ? "its nearest nodes are far away, nearly coincident "
                                               "or nearly collinear"
                                             : cause)};
          continue;
        }
        min_rcond = std::min(min_rcond, status.rcond);
        // Columns in increasing order: sort (index, position) pairs packed into one integer
        // key (indices are distinct, so the order is total), cheaper than an indirect sort.
        for (int j = 0; j < n; ++j)
          keys[j] = (static_cast<std::uint64_t>(idx[j]) << 32) | static_cast<std::uint32_t>(j);
        std::sort(keys.begin(), keys.begin() + n);
        for (int q = 0; q < n; ++q) {
          sorted[q] = static_cast<std::int32_t>(keys[q] >> 32);
          perm[q] = static_cast<int>(keys[q] & 0xffffffffu);
        }
        job.sink(r, sorted.data(), perm.data(), row_weights, centre_pos);
      } catch (const std::exception& e) {
        local_failure = {r, e.what()};
      }
    }
#pragma omp critical(dtpinn_rbffd_failure)
    if (local_failure.row < failure.row) failure = local_failure;
  }
  if (!failure.message.empty()) throw std::runtime_error(failure.message);
  out.min_rcond = min_rcond;
  out.repaired = repaired;
  return out;
}

// CSR arrays for the rows at job.centre(0 .. n_rows): each row has the stencil size at its
// centre (rule.size away from boundary nodes, rule.boundary_size at them).
CsrMatrix empty_rows(const NodeSet& nodes, const RowJob& job) {
  CsrMatrix m;
  m.rows = static_cast<std::int32_t>(job.n_rows);
  m.cols = static_cast<std::int32_t>(nodes.size());
  m.row_ptr.resize(job.n_rows + 1);
  m.row_ptr[0] = 0;
  Index nnz = 0;
  for (Index r = 0; r < job.n_rows; ++r) {
    nnz += stencil_size_at(job.rule, nodes, job.centre(r));
    if (nnz >= std::numeric_limits<std::int32_t>::max())
      throw std::invalid_argument("rbffd: the nonzeros do not fit 32-bit indices");
    m.row_ptr[r + 1] = static_cast<std::int32_t>(nnz);
  }
  m.col_idx.resize(nnz);
  m.values.resize(nnz);
  return m;
}

OperatorInfo info_of(const std::string& name, const CsrMatrix& m, const StencilRule& rule,
                     const RowLoopResult& rows) {
  OperatorInfo info;
  info.name = name;
  info.rows = m.rows;
  info.cols = m.cols;
  info.nnz = m.nnz();
  info.rule = rule;
  info.min_rcond = rows.min_rcond;
  info.repaired_rows = rows.repaired;
  return info;
}

double coefficient(const Eigen::VectorXd& v, Index k) {
  return v.size() == 1 ? v[0] : v[k];
}

void check_robin(const RobinCoefficients& robin, Index nb, int dim) {
  for (const auto* v : {&robin.alpha, &robin.beta})
    if (v->size() != 1 && v->size() != nb)
      throw std::invalid_argument(fmt::format(
          "rbffd: Robin coefficients have {} entries; expected 1 or Nb = {}", v->size(), nb));
  if (!robin.alpha.allFinite() || !robin.beta.allFinite())
    throw std::invalid_argument("rbffd: Robin coefficients are not finite");
  const Index rows = std::max(robin.alpha.size(), robin.beta.size()) == 1 ? 1 : nb;
  for (Index k = 0; k < rows; ++k)
    if (coefficient(robin.alpha, k) == 0.0 && coefficient(robin.beta, k) == 0.0)
      throw std::invalid_argument(fmt::format(
          "alpha = 0 and beta = 0{}: B u = alpha du/dn + beta u would be all zero there (no "
          "boundary condition); give alpha or beta a non-zero value",
          rows == 1 ? std::string() : fmt::format(" at boundary node {}", k)));
  if (robin.normals.rows() == 0) return;
  if (robin.normals.rows() != nb || robin.normals.cols() != dim)
    throw std::invalid_argument(
        fmt::format("rbffd: the rows' normals are {} x {}; expected {} x {}", robin.normals.rows(),
                    robin.normals.cols(), nb, dim));
  for (Index k = 0; k < nb; ++k)
    if (!(std::abs(robin.normals.row(k).norm() - 1.0) < 1e-6))
      throw std::invalid_argument(
          fmt::format("rbffd: the normal of boundary row {} is not a unit vector", k));
}

/// Refuses a matrix with an entry that is not finite: the Robin coefficients times the stencil
/// weights overflowed (alpha = 1e308), which no later step could repair.
void check_finite(const CsrMatrix& m, const std::string& name, const RobinCoefficients& robin) {
  for (std::size_t e = 0; e < m.values.size(); ++e) {
    if (std::isfinite(m.values[e])) continue;
    const auto row =
        std::upper_bound(m.row_ptr.begin(), m.row_ptr.end(), static_cast<std::int32_t>(e)) -
        m.row_ptr.begin() - 1;
    throw std::invalid_argument(fmt::format(
        "{}: entry ({}, {}) is {}: the Robin coefficients (alpha up to {:g}, beta up to {:g}) "
        "times the stencil weights overflow; scale alpha, beta (and g) down",
        name, row, m.col_idx[e], m.values[e], robin.alpha.cwiseAbs().maxCoeff(),
        robin.beta.cwiseAbs().maxCoeff()));
  }
}

// Row r of m from the sorted stencil (s, p) and column `col` of the weights.
void write_row(CsrMatrix& m, Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w,
               int col) {
  const int n = static_cast<int>(w.rows());
  const std::int32_t begin = m.row_ptr[r];
  for (int q = 0; q < n; ++q) {
    m.col_idx[begin + q] = s[q];
    m.values[begin + q] = w(p[q], col);
  }
}

// Rows of derivative operators of one order theta (0, 2 or 4: the value, the Laplacian and
// the second partials, the biharmonic) at the nodes centre(0 .. n_rows): one factorisation per
// node, one column of the stencil weights per operator, each solved on its own
// (StencilWeights::Columns::separate) so that its bits do not depend on the others.
std::vector<CsrMatrix> derivative_rows(const NodeSet& nodes, const KnnIndex& tree,
                                       const RbffdParams& params,
                                       const std::vector<Derivative>& ops, Index n_rows,
                                       std::function<Index(Index)> centre, RowLoopResult& loop) {
  RowJob job;
  job.rule = stencil_rule(params, derivative_order(ops.front()), nodes.dim);
  job.ops = ops;
  job.columns = StencilWeights::Columns::separate;
  job.n_rows = n_rows;
  job.eval = [&nodes, centre](Index r) { return nodes.points.row(centre(r)).data(); };
  job.centre = std::move(centre);
  job.what = "the";
  for (std::size_t k = 0; k < ops.size(); ++k)
    job.what += (k == 0 ? " " : ", ") + std::string(to_string(ops[k]));
  std::vector<CsrMatrix> m(ops.size(), empty_rows(nodes, job));
  job.sink = [&](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w, int) {
    for (std::size_t k = 0; k < m.size(); ++k) write_row(m[k], r, s, p, w, static_cast<int>(k));
  };
  loop = run_rows(nodes, tree, job, params);
  return m;
}

// The rows sharing the first-order stencils (theta 1) at the nodes centre(0 .. n_rows): the
// gradient rows (row r of gradient[c] for each component c whose pointer is not null) and the
// Robin rows B = alpha n.grad + beta at the boundary centres (row b_row(r) of `boundary` if not
// null; rows with b_row(r) < 0 write none). One factorisation per node serves both, the whole
// gradient solved jointly whatever is written (so the bits never depend on the request).
RowLoopResult first_order_rows(const NodeSet& nodes, const KnnIndex& tree,
                               const RbffdParams& params, Index n_rows,
                               std::function<Index(Index)> centre,
                               const std::function<Index(Index)>& b_row,
                               const RobinCoefficients& robin,
                               const std::array<CsrMatrix*, 3>& gradient, CsrMatrix* boundary) {
  const int d = nodes.dim;
  const Index ni = nodes.n_interior;
  RowJob job;
  job.rule = stencil_rule(params, 1, d);
  job.ops = {Derivative::dx, Derivative::dy};
  if (d == 3) job.ops.push_back(Derivative::dz);
  job.n_rows = n_rows;
  job.eval = [&nodes, centre](Index r) { return nodes.points.row(centre(r)).data(); };
  job.centre = std::move(centre);
  const bool any_gradient = gradient[0] || gradient[1] || gradient[2];
  job.what = any_gradient ? "the gradient" : "the boundary operator";
  for (int c = 0; c < d; ++c)
    if (gradient[c]) *gradient[c] = empty_rows(nodes, job);
  job.sink = [&](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w,
                 int centre_pos) {
    for (int c = 0; c < d; ++c)
      if (gradient[c]) write_row(*gradient[c], r, s, p, w, c);
    const Index row = boundary ? b_row(r) : -1;
    if (row < 0) return;
    const Index node = job.centre(r), k = node - ni;
    const double alpha = coefficient(robin.alpha, k), beta = coefficient(robin.beta, k);
    // The normal of the condition: the node's own, or the one the caller gives for its row.
    const double* normal =
        robin.normals.rows() > 0 ? robin.normals.row(k).data() : nodes.normals.row(node).data();
    const int n = static_cast<int>(w.rows());
    const std::int32_t begin = boundary->row_ptr[row];
    for (int q = 0; q < n; ++q) {
      const int j = p[q];
      double v = 0.0;
      for (int c = 0; c < d; ++c) v += normal[c] * w(j, c);
      v *= alpha;
      // The value at a node is exactly that node's value: beta goes on the centre's own entry
      // (stencil entry 0, which run_rows checks is the centre node).
      if (j == centre_pos) v += beta;
      boundary->col_idx[begin + q] = s[q];
      boundary->values[begin + q] = v;
    }
  };
  return run_rows(nodes, tree, job, params);
}

// Rows with alpha = 0 (Dirichlet: B u = beta u) become the plain value row, one entry beta at
// the row's own node, instead of a full stencil of exact zeros around it: the same B u to the
// bit, with a fraction of the entries (measured in bench/results/*/dirichlet_rows.md).
// node_of_row(r): the boundary node of row r.
void compact_value_rows(CsrMatrix& b, const RobinCoefficients& robin, Index ni,
                        const std::function<Index(Index)>& node_of_row) {
  if (robin.alpha.size() == 1 && robin.alpha[0] != 0.0) return;
  std::int32_t out = 0, begin = 0;
  for (Index r = 0; r < b.rows; ++r) {
    const std::int32_t end = b.row_ptr[r + 1];
    const Index node = node_of_row(r);
    const bool value_row = coefficient(robin.alpha, node - ni) == 0.0;
    for (std::int32_t k = begin; k < end; ++k) {
      if (value_row && b.col_idx[k] != node) continue;
      b.col_idx[out] = b.col_idx[k];
      b.values[out] = b.values[k];
      ++out;
    }
    begin = end;
    b.row_ptr[r + 1] = out;
  }
  b.col_idx.resize(static_cast<std::size_t>(out));
  b.values.resize(static_cast<std::size_t>(out));
}

// B's rows (Nb-sized stencils) at the boundary nodes centre(0 .. n_rows), row r at node
// centre(r): empty CSR arrays of the right shape.
CsrMatrix empty_boundary_rows(const NodeSet& nodes, const RbffdParams& params, Index n_rows,
                              std::function<Index(Index)> centre) {
  RowJob job;
  job.rule = stencil_rule(params, 1, nodes.dim);
  job.n_rows = n_rows;
  job.centre = std::move(centre);
  return empty_rows(nodes, job);
}

}  // namespace

int stencil_size_at(const StencilRule& rule, const NodeSet& nodes, Index node) {
  const bool boundary = node >= nodes.n_interior && node < nodes.n_collocation();
  return boundary ? rule.boundary_size : rule.size;
}

const CsrMatrix* OperatorSet::find(Derivative op) const {
  if (const auto it = operators.find(op); it != operators.end()) return &it->second;
  // The named members: built when their info entry exists.
  const std::string name = operator_name(op);
  if (std::none_of(info.begin(), info.end(), [&](const OperatorInfo& i) { return i.name == name; }))
    return nullptr;
  switch (op) {
    case Derivative::laplacian:
      return &laplacian;
    case Derivative::biharmonic:
      return &biharmonic;
    case Derivative::dx:
    case Derivative::dy:
    case Derivative::dz: {
      const auto c =
          static_cast<std::size_t>(static_cast<int>(op) - static_cast<int>(Derivative::dx));
      return c < gradient.size() ? &gradient[c] : nullptr;
    }
    default:
      return nullptr;
  }
}

const CsrMatrix* OperatorSet::matrix(const std::string& name) const {
  if (name == "B") return &boundary;
  const auto op = derivative_from_name(name);
  return op ? find(*op) : nullptr;
}

const CsrMatrix* OperatorRows::find(Derivative op) const {
  if (const auto it = operators.find(op); it != operators.end()) return &it->second;
  const bool built_l =
      std::any_of(info.begin(), info.end(), [](const OperatorInfo& i) { return i.name == "L"; });
  return op == Derivative::laplacian && built_l ? &laplacian : nullptr;
}

namespace {

using DerivativeFlags = std::array<bool, kDerivativeCount>;

bool& flag(DerivativeFlags& f, Derivative op) {
  return f[static_cast<std::size_t>(op)];
}

// Adds `ops` to `wanted`, refusing a z derivative in 2D.
void add_derivatives(DerivativeFlags& wanted, const std::vector<Derivative>& ops, int dim) {
  for (const Derivative op : ops) {
    if (!derivative_in_dimension(op, dim))
      throw std::invalid_argument(
          fmt::format("rbffd: {} requested on a {}D node set", to_string(op), dim));
    flag(wanted, op) = true;
  }
}

// The wanted derivatives of order theta, in enumerator order.
std::vector<Derivative> of_order(const DerivativeFlags& wanted, int theta) {
  std::vector<Derivative> ops;
  for (const Derivative op : kAllDerivatives)
    if (wanted[static_cast<std::size_t>(op)] && derivative_order(op) == theta) ops.push_back(op);
  return ops;
}

constexpr Derivative kGradient[3] = {Derivative::dx, Derivative::dy, Derivative::dz};

// The derivative operators of orders 2, 4 and 0 (one job per stencil rule) at the rows
// centre(0 .. n_rows), each moved into slot(op), its info appended.
void build_derivative_rows(const NodeSet& nodes, const KnnIndex& tree, const RbffdParams& params,
                           const DerivativeFlags& wanted, Index n_rows,
                           const std::function<Index(Index)>& centre,
                           const std::function<CsrMatrix&(Derivative)>& slot,
                           std::vector<OperatorInfo>& info) {
  for (const int theta : {2, 4, 0}) {
    const auto ops = of_order(wanted, theta);
    if (ops.empty()) continue;
    RowLoopResult rc;
    auto rows = derivative_rows(nodes, tree, params, ops, n_rows, centre, rc);
    const auto rule = stencil_rule(params, theta, nodes.dim);
    for (std::size_t k = 0; k < ops.size(); ++k) {
      CsrMatrix& m = slot(ops[k]);
      m = std::move(rows[k]);
      info.push_back(info_of(operator_name(ops[k]), m, rule, rc));
    }
  }
}

}  // namespace

OperatorSet assemble(const NodeSet& nodes, const RbffdParams& params,
                     const OperatorRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  params.validate();
  check_nodes(nodes, request.boundary);
  const int d = nodes.dim;
  const Index Ni = nodes.n_interior, Nb = nodes.n_boundary;
  const Index Nc = nodes.n_collocation();
  if (request.boundary) check_robin(request.robin, Nb, d);
  OperatorSet out;
  if (nodes.size() == 0) throw std::invalid_argument("rbffd: empty node set");
  // named: stored in the members the booleans name; wanted: everything to build.
  DerivativeFlags named{};
  flag(named, Derivative::laplacian) = request.laplacian;
  flag(named, Derivative::biharmonic) = request.biharmonic;
  for (int c = 0; c < d; ++c) flag(named, kGradient[c]) = request.gradient;
  DerivativeFlags wanted = named;
  add_derivatives(wanted, request.derivatives, d);
  if (request.gradient) out.gradient.resize(d);
  auto slot = [&](Derivative op) -> CsrMatrix& {
    if (!named[static_cast<std::size_t>(op)]) return out.operators[op];
    if (op == Derivative::laplacian) return out.laplacian;
    if (op == Derivative::biharmonic) return out.biharmonic;
    return out.gradient[static_cast<std::size_t>(static_cast<int>(op) -
                                                 static_cast<int>(Derivative::dx))];
  };
  KnnIndex tree(nodes.points);
  auto same_node = [](Index r) { return r; };

  build_derivative_rows(nodes, tree, params, wanted, Nc, same_node, slot, out.info);

  std::array<CsrMatrix*, 3> gradient{};
  for (int c = 0; c < d; ++c)
    if (flag(wanted, kGradient[c])) gradient[c] = &slot(kGradient[c]);
  const bool any_gradient = gradient[0] || gradient[1] || gradient[2];
  if (any_gradient || (request.boundary && Nb > 0)) {
    // Gradient rows run over all collocation nodes; B only needs the boundary ones.
    const Index first = any_gradient ? 0 : Ni;
    if (request.boundary)
      out.boundary = empty_boundary_rows(nodes, params, Nb, [Ni](Index k) { return Ni + k; });
    auto b_row = [first, Ni](Index r) { return first + r - Ni; };  // < 0 off the boundary
    const RowLoopResult rc = first_order_rows(
        nodes, tree, params, Nc - first, [first](Index r) { return first + r; }, b_row,
        request.robin, gradient, request.boundary ? &out.boundary : nullptr);
    if (request.boundary) {
      compact_value_rows(out.boundary, request.robin, Ni, [Ni](Index k) { return Ni + k; });
      check_finite(out.boundary, "B", request.robin);
    }
    const auto rule = stencil_rule(params, 1, d);
    for (int c = 0; c < d; ++c)
      if (gradient[c])
        out.info.push_back(info_of(operator_name(kGradient[c]), *gradient[c], rule, rc));
    if (request.boundary) out.info.push_back(info_of("B", out.boundary, rule, rc));
  } else if (request.boundary) {
    out.boundary = empty_boundary_rows(nodes, params, 0, same_node);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

OperatorRows assemble_rows(const NodeSet& nodes, const RbffdParams& params,
                           const RowRequest& request, const KnnIndex* tree) {
  const auto t0 = std::chrono::steady_clock::now();
  params.validate();
  check_nodes(nodes, !request.boundary_nodes.empty());
  const Index Ni = nodes.n_interior, Nc = nodes.n_collocation();
  const int d = nodes.dim;
  check_robin(request.robin, nodes.n_boundary, d);
  for (const auto i : request.laplacian_nodes)
    if (i < 0 || i >= Nc)
      throw std::invalid_argument(fmt::format(
          "rbffd: row of L requested at node {}, not a collocation node [0, {})", i, Nc));
  for (const auto i : request.boundary_nodes)
    if (i < Ni || i >= Nc)
      throw std::invalid_argument(fmt::format(
          "rbffd: row of B requested at node {}, not a boundary node [{}, {})", i, Ni, Nc));
  DerivativeFlags wanted{};
  flag(wanted, Derivative::laplacian) = request.laplacian;
  add_derivatives(wanted, request.derivatives, d);
  std::unique_ptr<KnnIndex> own_tree;
  if (!tree) {
    own_tree = std::make_unique<KnnIndex>(nodes.points);
    tree = own_tree.get();
  } else if (tree->size() != nodes.size() || tree->dim() != nodes.dim) {
    throw std::invalid_argument("rbffd: the k-d tree is not over these nodes");
  }
  OperatorRows out;
  auto slot = [&](Derivative op) -> CsrMatrix& {
    return op == Derivative::laplacian && request.laplacian ? out.laplacian : out.operators[op];
  };
  const auto& l_nodes = request.laplacian_nodes;
  const auto& b_nodes = request.boundary_nodes;
  const auto l_size = static_cast<Index>(l_nodes.size());
  auto l_centre = [&l_nodes](Index r) { return Index{l_nodes[r]}; };
  build_derivative_rows(nodes, *tree, params, wanted, l_size, l_centre, slot, out.info);
  const auto rule = stencil_rule(params, 1, d);
  std::array<CsrMatrix*, 3> gradient{};
  for (int c = 0; c < d; ++c)
    if (flag(wanted, kGradient[c])) gradient[c] = &slot(kGradient[c]);
  if (gradient[0] || gradient[1] || gradient[2]) {
    const RowLoopResult rc = first_order_rows(
        nodes, *tree, params, l_size, l_centre, [](Index) { return Index{-1}; }, request.robin,
        gradient, nullptr);
    for (int c = 0; c < d; ++c)
      if (gradient[c])
        out.info.push_back(info_of(operator_name(kGradient[c]), *gradient[c], rule, rc));
  }
  const auto b_size = static_cast<Index>(b_nodes.size());
  auto b_centre = [&b_nodes](Index r) { return Index{b_nodes[r]}; };
  out.boundary = empty_boundary_rows(nodes, params, b_size, b_centre);
  const RowLoopResult rc = first_order_rows(
      nodes, *tree, params, b_size, b_centre, [](Index r) { return r; }, request.robin, {},
      &out.boundary);
  compact_value_rows(out.boundary, request.robin, Ni, b_centre);
  out.info.push_back(info_of("B", out.boundary, rule, rc));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

CsrMatrix laplacian(const NodeSet& nodes, const RbffdParams& params) {
  OperatorRequest req;
  req.boundary = false;
  return assemble(nodes, params, req).laplacian;
}

CsrMatrix boundary_operator(const NodeSet& nodes, const RobinCoefficients& robin,
                            const RbffdParams& params) {
  OperatorRequest req;
  req.laplacian = false;
  req.robin = robin;
  return assemble(nodes, params, req).boundary;
}

CsrMatrix boundary_operator(const NodeSet& nodes, double alpha, double beta,
                            const RbffdParams& params) {
  return boundary_operator(nodes, RobinCoefficients::constant(alpha, beta), params);
}

CsrMatrix evaluation_matrix(const NodeSet& nodes, const PointMatrix& points, Derivative op,
                            const RbffdParams& params) {
  params.validate();
  check_nodes(nodes, false);
  if (points.cols() != nodes.dim)
    throw std::invalid_argument(fmt::format("rbffd: evaluation points have {} columns, nodes {}",
                                            points.cols(), nodes.dim));
  for (Index i = 0; i < points.rows(); ++i)
    if (!points.row(i).allFinite())
      throw std::invalid_argument(fmt::format("rbffd: evaluation point {} is not finite", i));
  if (nodes.size() == 0) throw std::invalid_argument("rbffd: empty node set");
  const int d = nodes.dim;
  if (!derivative_in_dimension(op, d))
    throw std::invalid_argument(
        fmt::format("rbffd: {} requested on a {}D node set", to_string(op), d));
  KnnIndex tree(nodes.points);
  RowJob job;
  job.rule = stencil_rule(params, derivative_order(op), d);
  job.ops = {op};
  job.n_rows = points.rows();
  job.eval = [&](Index r) { return points.row(r).data(); };
  job.centre = [](Index) { return Index{-1}; };
  job.what = fmt::format("the {} at new points", to_string(op));
  CsrMatrix m = empty_rows(nodes, job);
  job.sink = [&](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w, int) {
    write_row(m, r, s, p, w, 0);
  };
  run_rows(nodes, tree, job, params);
  return m;
}

}  // namespace dtpinn::rbffd
