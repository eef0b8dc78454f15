// Assembly of the RBF-FD operators: kNN stencils, one factorisation per (node, theta), rows
// written straight into preallocated CSR arrays (a row's stencil size depends only on whether
// it is centred at a boundary node, so row_ptr is known up front and the parallel loop needs no
// synchronisation).
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
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

// Runs a RowJob over all rows; returns the smallest reciprocal condition estimate.
double run_rows(const NodeSet& nodes, const KnnIndex& tree, const RowJob& job, int threads) {
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
  Failure failure;
  double min_rcond = 1.0;
  const int d = nodes.dim;
  const int n_threads = threads > 0 ? threads : omp_get_max_threads();

#pragma omp parallel num_threads(n_threads) reduction(min : min_rcond)
  {
    // Per-thread workspaces (one solver and weight matrix per stencil size): nothing is
    // allocated inside the row loop.
    Failure local_failure;
    std::unique_ptr<StencilWeights> solver, boundary_solver;
    std::vector<std::int32_t> idx(n_max), sorted(n_max);
    std::vector<int> perm(n_max);
    std::vector<std::uint64_t> keys(n_max);
    std::vector<double> dist2(n_max), coords(static_cast<std::size_t>(n_max) * d);
    const auto n_ops = static_cast<Eigen::Index>(job.ops.size());
    Eigen::MatrixXd weights(job.rule.size, n_ops), boundary_weights(boundary_rule.size, n_ops);
    try {
      solver = std::make_unique<StencilWeights>(d, job.rule);
      if (two_sizes) boundary_solver = std::make_unique<StencilWeights>(d, boundary_rule);
    } catch (const std::exception& e) {
      local_failure = {-1, e.what()};
    }
    // Dynamic chunks of 64 rows (~1 ms): a thread that loses its core on a shared machine
    // does not hold up the others. Monotonic: each thread's rows increase, so after a failure
    // the rest of its rows are skipped and the smallest failing row is reported.
#pragma omp for schedule(monotonic : dynamic, 64)
    for (Index r = 0; r < job.n_rows; ++r) {
      if (!solver || local_failure.row < r) continue;
      try {
        const double* x = job.eval(r);
        const Index centre = job.centre(r);
        const bool boundary_row =
            two_sizes && stencil_size_at(job.rule, nodes, centre) != job.rule.size;
        StencilWeights& row_solver = boundary_row ? *boundary_solver : *solver;
        Eigen::MatrixXd& row_weights = boundary_row ? boundary_weights : weights;
        const int n = boundary_row ? boundary_rule.size : job.rule.size;
        tree.nearest(x, n, idx.data(), dist2.data());
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
        const auto status = row_solver.compute(coords.data(), x, job.ops, row_weights);
        if (!status.ok) {
          const std::string where = centre >= 0
                                        ? node_text(nodes, centre)
                                        : fmt::format("point {} (at {})", r, point_text(x, d));
          local_failure = {r, fmt::format("rbffd: {}: {} for {} ({}, rcond {:.3g})", where,
                                          status.reason, job.what, row_solver.rule().describe(),
                                          std::isfinite(status.rcond) ? status.rcond : 0.0)};
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
  return min_rcond;
}

// CSR arrays for `rows` rows: rows [0, split) of `head` entries, the rest of `tail`.
CsrMatrix empty_rows(Index rows, Index cols, int head, Index split, int tail) {
  split = std::min(split, rows);
  const Index nnz = split * head + (rows - split) * tail;
  if (nnz >= std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument(fmt::format("rbffd: {} nonzeros do not fit 32-bit indices", nnz));
  CsrMatrix m;
  m.rows = static_cast<std::int32_t>(rows);
  m.cols = static_cast<std::int32_t>(cols);
  m.row_ptr.resize(rows + 1);
  for (Index r = 0; r <= rows; ++r)
    m.row_ptr[r] =
        static_cast<std::int32_t>(std::min(r, split) * head + std::max<Index>(r - split, 0) * tail);
  m.col_idx.resize(nnz);
  m.values.resize(nnz);
  return m;
}

OperatorInfo info_of(const std::string& name, const CsrMatrix& m, const StencilRule& rule,
                     double rcond) {
  OperatorInfo info;
  info.name = name;
  info.rows = m.rows;
  info.cols = m.cols;
  info.nnz = m.nnz();
  info.rule = rule;
  info.min_rcond = rcond;
  return info;
}

double coefficient(const Eigen::VectorXd& v, Index k) {
  return v.size() == 1 ? v[0] : v[k];
}

}  // namespace

int stencil_size_at(const StencilRule& rule, const NodeSet& nodes, Index node) {
  const bool boundary = node >= nodes.n_interior && node < nodes.n_collocation();
  return boundary ? rule.boundary_size : rule.size;
}

OperatorSet assemble(const NodeSet& nodes, const RbffdParams& params,
                     const OperatorRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  params.validate();
  check_nodes(nodes, request.boundary);
  const int d = nodes.dim;
  const Index N = nodes.size(), Ni = nodes.n_interior, Nb = nodes.n_boundary;
  const Index Nc = nodes.n_collocation();
  if (request.boundary) {
    for (const auto* v : {&request.robin.alpha, &request.robin.beta})
      if (v->size() != 1 && v->size() != Nb)
        throw std::invalid_argument(fmt::format(
            "rbffd: Robin coefficients have {} entries; expected 1 or Nb = {}", v->size(), Nb));
    if (!request.robin.alpha.allFinite() || !request.robin.beta.allFinite())
      throw std::invalid_argument("rbffd: Robin coefficients are not finite");
  }
  OperatorSet out;
  if (N == 0) throw std::invalid_argument("rbffd: empty node set");
  KnnIndex tree(nodes.points);
  auto node_point = [&](Index r) { return nodes.points.row(r).data(); };
  auto same_node = [](Index r) { return r; };
  auto write_row = [](CsrMatrix& m, Index row, const std::int32_t* sorted, const int* perm,
                      const Eigen::MatrixXd& w, int col, double scale) {
    const int n = static_cast<int>(w.rows());
    const std::int32_t begin = m.row_ptr[row];
    for (int s = 0; s < n; ++s) {
      m.col_idx[begin + s] = sorted[s];
      m.values[begin + s] = scale * w(perm[s], col);
    }
  };

  if (request.laplacian || request.biharmonic) {
    // The Laplacian (theta 2) and the biharmonic (theta 4) have different rules: two jobs.
    for (int which = 0; which < 2; ++which) {
      if ((which == 0 && !request.laplacian) || (which == 1 && !request.biharmonic)) continue;
      const Derivative op = which == 0 ? Derivative::laplacian : Derivative::biharmonic;
      RowJob job;
      job.rule = stencil_rule(params, derivative_order(op), d);
      job.ops = {op};
      job.n_rows = Nc;
      job.eval = node_point;
      job.centre = same_node;
      job.what = which == 0 ? "the Laplacian" : "the biharmonic";
      CsrMatrix& m = which == 0 ? out.laplacian : out.biharmonic;
      m = empty_rows(Nc, N, job.rule.size, Ni, job.rule.boundary_size);
      job.sink = [&](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w, int) {
        write_row(m, r, s, p, w, 0, 1.0);
      };
      const double rc = run_rows(nodes, tree, job, params.threads);
      out.info.push_back(info_of(which == 0 ? "L" : "L2", m, job.rule, rc));
    }
  }

  if (request.gradient || (request.boundary && Nb > 0)) {
    RowJob job;
    job.rule = stencil_rule(params, 1, d);
    job.ops = {Derivative::dx, Derivative::dy};
    if (d == 3) job.ops.push_back(Derivative::dz);
    // Gradient rows run over all collocation nodes; B only needs the boundary ones.
    const Index first = request.gradient ? 0 : Ni;
    job.n_rows = Nc - first;
    job.eval = [&, first](Index r) { return nodes.points.row(first + r).data(); };
    job.centre = [first](Index r) { return first + r; };
    job.what = request.gradient ? "the gradient" : "the boundary operator";
    if (request.gradient)
      for (int c = 0; c < d; ++c)
        out.gradient.push_back(empty_rows(Nc, N, job.rule.size, Ni, job.rule.boundary_size));
    if (request.boundary) out.boundary = empty_rows(Nb, N, job.rule.boundary_size, Nb, 0);
    const auto& robin = request.robin;
    job.sink = [&, first](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w,
                          int centre_pos) {
      const Index node = first + r;
      if (request.gradient)
        for (int c = 0; c < d; ++c) write_row(out.gradient[c], node, s, p, w, c, 1.0);
      if (request.boundary && node >= Ni) {
        const Index k = node - Ni;
        const double alpha = coefficient(robin.alpha, k), beta = coefficient(robin.beta, k);
        const int n = static_cast<int>(w.rows());
        const std::int32_t begin = out.boundary.row_ptr[k];
        for (int q = 0; q < n; ++q) {
          const int j = p[q];
          double v = 0.0;
          for (int c = 0; c < d; ++c) v += nodes.normals(node, c) * w(j, c);
          v *= alpha;
          if (j == centre_pos) v += beta;  // the value at a node is exactly that node's value
          out.boundary.col_idx[begin + q] = s[q];
          out.boundary.values[begin + q] = v;
        }
      }
    };
    const double rc = run_rows(nodes, tree, job, params.threads);
    if (request.gradient)
      for (int c = 0; c < d; ++c)
        out.info.push_back(
            info_of(c == 0 ? "Dx" : (c == 1 ? "Dy" : "Dz"), out.gradient[c], job.rule, rc));
    if (request.boundary) out.info.push_back(info_of("B", out.boundary, job.rule, rc));
  } else if (request.boundary) {
    out.boundary = empty_rows(0, N, 0, 0, 0);
  }
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
  if ((op == Derivative::dz && d == 2))
    throw std::invalid_argument("rbffd: d/dz requested on a 2D node set");
  KnnIndex tree(nodes.points);
  RowJob job;
  job.rule = stencil_rule(params, derivative_order(op), d);
  job.ops = {op};
  job.n_rows = points.rows();
  job.eval = [&](Index r) { return points.row(r).data(); };
  job.centre = [](Index) { return Index{-1}; };
  job.what = fmt::format("the {} at new points", to_string(op));
  CsrMatrix m = empty_rows(points.rows(), nodes.size(), job.rule.size, points.rows(), 0);
  job.sink = [&](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w, int) {
    const std::int32_t begin = m.row_ptr[r];
    for (int q = 0; q < job.rule.size; ++q) {
      m.col_idx[begin + q] = s[q];
      m.values[begin + q] = w(p[q], 0);
    }
  };
  run_rows(nodes, tree, job, params.threads);
  return m;
}

}  // namespace dtpinn::rbffd
