// Recursive coordinate bisection of the collocation nodes and per-part row assembly.
#include <dtpinn/core/partition.hpp>
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/rbffd/weights.hpp>

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <numeric>
#include <stdexcept>

namespace dtpinn::core {

using nodegen::Index;
using nodegen::NodeSet;

double Partition::imbalance() const {
  if (work.empty()) return 1.0;
  const double total = std::accumulate(work.begin(), work.end(), 0.0);
  const double mx = *std::max_element(work.begin(), work.end());
  return total > 0 ? mx / (total / static_cast<double>(work.size())) : 1.0;
}

namespace {

// Splits ids[begin, end) into `parts` parts numbered first_part.. (recursively).
void bisect(const NodeSet& nodes, const std::vector<double>& weight, std::vector<std::int32_t>& ids,
            std::size_t begin, std::size_t end, int parts, int first_part,
            std::vector<std::int32_t>& owner) {
  if (parts == 1) {
    for (std::size_t k = begin; k < end; ++k) owner[ids[k]] = first_part;
    return;
  }
  const int d = nodes.dim;
  // Longest side of the bounding box of this set.
  Eigen::VectorXd lo = Eigen::VectorXd::Constant(d, std::numeric_limits<double>::infinity());
  Eigen::VectorXd hi = -lo;
  for (std::size_t k = begin; k < end; ++k)
    for (int c = 0; c < d; ++c) {
      lo[c] = std::min(lo[c], nodes.points(ids[k], c));
      hi[c] = std::max(hi[c], nodes.points(ids[k], c));
    }
  int axis = 0;
  (hi - lo).maxCoeff(&axis);
  // Sort along the axis (ties by index: deterministic), cut at the weighted quantile.
  std::sort(ids.begin() + begin, ids.begin() + end, [&](std::int32_t a, std::int32_t b) {
    const double xa = nodes.points(a, axis), xb = nodes.points(b, axis);
    return xa < xb || (xa == xb && a < b);
  });
  const int left_parts = parts / 2;
  double total = 0.0;
  for (std::size_t k = begin; k < end; ++k) total += weight[ids[k]];
  const double target = total * left_parts / parts;
  double acc = 0.0;
  std::size_t cut = begin;
  while (cut < end && acc + 0.5 * weight[ids[cut]] < target) acc += weight[ids[cut++]];
  // Every part gets at least one node.
  cut = std::clamp<std::size_t>(cut, begin + left_parts, end - (parts - left_parts));
  bisect(nodes, weight, ids, begin, cut, left_parts, first_part, owner);
  bisect(nodes, weight, ids, cut, end, parts - left_parts, first_part + left_parts, owner);
}

}  // namespace

Partition partition_rcb(const NodeSet& nodes, int parts, int l_stencil, int b_stencil) {
  const Index nc = nodes.n_collocation();
  if (parts < 1 || parts > nc)
    throw std::invalid_argument(fmt::format(
        "partition: {} parts for {} collocation nodes (need 1 <= parts <= {})", parts, nc, nc));
  if (nodes.points.rows() < nc || nodes.points.cols() != nodes.dim)
    throw std::invalid_argument("partition: node coordinates missing");
  std::vector<double> weight(nc);
  for (Index i = 0; i < nc; ++i)
    weight[i] = l_stencil + (i >= nodes.n_interior ? static_cast<double>(b_stencil) : 0.0);
  std::vector<std::int32_t> ids(nc);
  std::iota(ids.begin(), ids.end(), 0);
  Partition p;
  p.parts = parts;
  p.owner.assign(nc, 0);
  bisect(nodes, weight, ids, 0, ids.size(), parts, 0, p.owner);
  p.rows.assign(parts, 0);
  p.boundary_rows.assign(parts, 0);
  p.work.assign(parts, 0.0);
  for (Index i = 0; i < nc; ++i) {
    const int q = p.owner[i];
    ++p.rows[q];
    if (i >= nodes.n_interior) ++p.boundary_rows[q];
    p.work[q] += weight[i];
  }
  return p;
}

rbffd::CsrMatrix select_rows(const rbffd::CsrMatrix& a, const std::vector<std::int32_t>& rows) {
  rbffd::CsrMatrix m;
  m.rows = static_cast<std::int32_t>(rows.size());
  m.cols = a.cols;
  m.row_ptr.assign(1, 0);
  for (auto r : rows) {
    if (r < 0 || r >= a.rows)
      throw std::invalid_argument(fmt::format("select_rows: row {} out of range", r));
    for (auto k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
      m.col_idx.push_back(a.col_idx[k]);
      m.values.push_back(a.values[k]);
    }
    m.row_ptr.push_back(static_cast<std::int32_t>(m.values.size()));
  }
  return m;
}

namespace {

// Rows of one operator family at the given centre nodes, as rbffd::assemble computes them
// (n or n_b nearest nodes incl. the centre, weights from StencilWeights, columns sorted).
// `sink` receives (row, sorted global columns, perm, weights); the row has w.rows() entries.
template <class Sink>
void stencil_rows(const NodeSet& nodes, const nodegen::KnnIndex& tree,
                  const rbffd::StencilRule& rule, const std::vector<rbffd::Derivative>& ops,
                  const std::vector<std::int32_t>& centres, int threads, Sink&& sink) {
  const int d = nodes.dim;
  int n_max = 0;
  for (auto c : centres) n_max = std::max(n_max, rbffd::stencil_size_at(rule, nodes, c));
  if (nodes.size() < n_max)
    throw std::invalid_argument(
        fmt::format("partition: stencils of {} nodes ({}) but the node set has only {}", n_max,
                    rule.describe(), nodes.size()));
  rbffd::StencilRule boundary_rule = rule;
  boundary_rule.size = rule.boundary_size;
  std::string failure;
  Index failed_row = std::numeric_limits<Index>::max();
  const Index rows = static_cast<Index>(centres.size());
  // Eigen parallelises its GEMMs with OpenMP unless it runs inside an ACTIVE parallel region;
  // a one-thread region is not active, and the nested teams then cost far more than the small
  // stencil products (measured 10x slower). The stencils are the parallel loop: Eigen runs serial.
  const int eigen_threads = Eigen::nbThreads();
  Eigen::setNbThreads(1);
#pragma omp parallel num_threads(threads > 0 ? threads : omp_get_max_threads())
  {
    rbffd::StencilWeights solver(d, rule), boundary_solver(d, boundary_rule);
    std::vector<std::int32_t> idx(n_max), sorted(n_max);
    std::vector<int> perm(n_max);
    std::vector<double> dist2(n_max), coords(static_cast<std::size_t>(n_max) * d);
    Eigen::MatrixXd w(rule.size, ops.size()), wb(boundary_rule.size, ops.size());
    std::string local_failure;
    Index local_row = std::numeric_limits<Index>::max();
#pragma omp for schedule(static)
    for (Index r = 0; r < rows; ++r) {
      if (!local_failure.empty()) continue;
      const Index node = centres[r];
      const double* x = nodes.points.row(node).data();
      const int n = rbffd::stencil_size_at(rule, nodes, node);
      const bool boundary_row = n != rule.size;
      tree.nearest(x, n, idx.data(), dist2.data());
      if (idx[0] != node) {
        local_failure = fmt::format("partition: node {}: duplicate nodes in its stencil", node);
        local_row = r;
        continue;
      }
      for (int j = 0; j < n; ++j)
        for (int c = 0; c < d; ++c) coords[j * d + c] = nodes.points(idx[j], c);
      Eigen::MatrixXd& weights = boundary_row ? wb : w;
      const auto status =
          (boundary_row ? boundary_solver : solver).compute(coords.data(), x, ops, weights);
      if (!status.ok) {
        local_failure =
            fmt::format("partition: node {} ({}): {} ({})", node,
                        nodegen::to_string(nodes.kind(node)), status.reason, rule.describe());
        local_row = r;
        continue;
      }
      std::iota(perm.begin(), perm.begin() + n, 0);
      std::sort(perm.begin(), perm.begin() + n, [&](int a, int b) { return idx[a] < idx[b]; });
      for (int q = 0; q < n; ++q) sorted[q] = idx[perm[q]];
      sink(r, sorted.data(), perm.data(), weights);
    }
#pragma omp critical(dtpinn_partition_failure)
    if (local_row < failed_row) {
      failed_row = local_row;
      failure = local_failure;
    }
  }
  Eigen::setNbThreads(eigen_threads);
  if (!failure.empty()) throw std::runtime_error(failure);
}

}  // namespace

LocalOperators assemble_local(const NodeSet& nodes, const Partition& partition, int part,
                              const rbffd::RbffdParams& params,
                              const rbffd::RobinCoefficients& robin) {
  const auto t0 = std::chrono::steady_clock::now();
  params.validate();
  const Index nc = nodes.n_collocation(), ni = nodes.n_interior, nb = nodes.n_boundary;
  const Index N = nodes.size();
  if (part < 0 || part >= partition.parts)
    throw std::invalid_argument(fmt::format("partition: part {} of {}", part, partition.parts));
  if (static_cast<Index>(partition.owner.size()) != nc)
    throw std::invalid_argument("partition: does not match the node set");
  for (const auto* v : {&robin.alpha, &robin.beta})
    if (v->size() != 1 && v->size() != nb)
      throw std::invalid_argument("partition: Robin coefficients must have 1 or Nb entries");
  if (nb > 0 && (nodes.normals.rows() != N || nodes.normals.cols() != nodes.dim))
    throw std::invalid_argument("partition: boundary normals missing");

  LocalOperators out;
  out.part = part;
  out.parts = partition.parts;
  out.global_l_rows = nc;
  out.global_b_rows = nb;
  std::vector<std::int32_t> boundary_nodes;
  for (Index i = 0; i < nc; ++i)
    if (partition.owner[i] == part) {
      if (i >= ni) {
        out.boundary_rows.push_back(static_cast<std::int32_t>(out.owned.size()));
        boundary_nodes.push_back(static_cast<std::int32_t>(i));
      }
      out.owned.push_back(static_cast<std::int32_t>(i));
    }

  const int d = nodes.dim;
  nodegen::KnnIndex tree(nodes.points);
  const auto rule_l = rbffd::stencil_rule(params, 2, d);
  const auto rule_b = rbffd::stencil_rule(params, 1, d);
  const Index nl = static_cast<Index>(out.owned.size()), nbl = Index(boundary_nodes.size());
  // Global column indices first; renumbered below.
  rbffd::CsrMatrix& L = out.L;
  L.rows = static_cast<std::int32_t>(nl);
  L.row_ptr.resize(nl + 1);
  L.row_ptr[0] = 0;
  for (Index r = 0; r < nl; ++r)
    L.row_ptr[r + 1] = L.row_ptr[r] + rbffd::stencil_size_at(rule_l, nodes, out.owned[r]);
  L.col_idx.resize(L.row_ptr[nl]);
  L.values.resize(L.row_ptr[nl]);
  stencil_rows(nodes, tree, rule_l, {rbffd::Derivative::laplacian}, out.owned, params.threads,
               [&](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w) {
                 const Index b = L.row_ptr[r];
                 for (int q = 0; q < w.rows(); ++q) {
                   L.col_idx[b + q] = s[q];
                   L.values[b + q] = w(p[q], 0);
                 }
               });
  rbffd::CsrMatrix& B = out.B;
  B.rows = static_cast<std::int32_t>(nbl);
  B.row_ptr.resize(nbl + 1);
  for (Index r = 0; r <= nbl; ++r)
    B.row_ptr[r] = static_cast<std::int32_t>(r * rule_b.boundary_size);
  B.col_idx.resize(nbl * rule_b.boundary_size);
  B.values.resize(nbl * rule_b.boundary_size);
  std::vector<rbffd::Derivative> grad_ops = {rbffd::Derivative::dx, rbffd::Derivative::dy};
  if (d == 3) grad_ops.push_back(rbffd::Derivative::dz);
  auto coef = [](const Eigen::VectorXd& v, Index k) { return v.size() == 1 ? v[0] : v[k]; };
  stencil_rows(nodes, tree, rule_b, grad_ops, boundary_nodes, params.threads,
               [&](Index r, const std::int32_t* s, const int* p, const Eigen::MatrixXd& w) {
                 const Index node = boundary_nodes[r], k = node - ni;
                 const double alpha = coef(robin.alpha, k), beta = coef(robin.beta, k);
                 const Index b = B.row_ptr[r];
                 for (int q = 0; q < w.rows(); ++q) {
                   const int j = p[q];
                   double v = 0.0;
                   for (int c = 0; c < d; ++c) v += nodes.normals(node, c) * w(j, c);
                   v *= alpha;
                   if (j == 0) v += beta;  // stencil entry 0 is the centre node itself
                   B.col_idx[b + q] = s[q];
                   B.values[b + q] = v;
                 }
               });

  // Local numbering: owned nodes, then the halo (ascending global index).
  std::vector<std::int32_t> local(N, -1);
  for (Index r = 0; r < nl; ++r) local[out.owned[r]] = static_cast<std::int32_t>(r);
  out.columns = out.owned;
  std::vector<std::int32_t> halo;
  for (const auto* m : {&L, &B})
    for (auto c : m->col_idx)
      if (local[c] == -1) {
        local[c] = -2;
        halo.push_back(c);
      }
  std::sort(halo.begin(), halo.end());
  for (auto c : halo) {
    local[c] = static_cast<std::int32_t>(out.columns.size());
    out.columns.push_back(c);
  }
  out.n_halo = static_cast<Index>(halo.size());
  // Renumbering keeps the columns of a row sorted only within owned / halo blocks: re-sort.
  for (auto* m : {&L, &B}) {
    m->cols = static_cast<std::int32_t>(out.columns.size());
    std::vector<std::pair<std::int32_t, double>> row;
    for (std::int32_t r = 0; r < m->rows; ++r) {
      row.clear();
      for (auto k = m->row_ptr[r]; k < m->row_ptr[r + 1]; ++k)
        row.emplace_back(local[m->col_idx[k]], m->values[k]);
      std::sort(row.begin(), row.end());
      auto k = m->row_ptr[r];
      for (const auto& [c, v] : row) {
        m->col_idx[k] = c;
        m->values[k++] = v;
      }
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

LocalOperators local_rows(const nodegen::NodeSet& nodes, const Partition& partition, int part) {
  const auto nc = nodes.n_interior + nodes.n_boundary;
  if (static_cast<std::int64_t>(partition.owner.size()) != nc)
    throw std::invalid_argument("local_rows: the partition does not match the nodes");
  if (part < 0 || part >= partition.parts)
    throw std::invalid_argument(fmt::format("local_rows: part {} of {}", part, partition.parts));
  LocalOperators out;
  out.part = part;
  out.parts = partition.parts;
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(nc); ++i)
    if (partition.owner[i] == part) {
      if (i >= nodes.n_interior)
        out.boundary_rows.push_back(static_cast<std::int32_t>(out.owned.size()));
      out.owned.push_back(i);
    }
  out.columns = out.owned;
  out.global_l_rows = nc;
  out.global_b_rows = nodes.n_boundary;
  const auto n = static_cast<std::int32_t>(out.columns.size());
  out.L.rows = n;
  out.L.cols = n;
  out.L.row_ptr.assign(static_cast<std::size_t>(n) + 1, 0);
  out.B.rows = static_cast<std::int32_t>(out.boundary_rows.size());
  out.B.cols = n;
  out.B.row_ptr.assign(out.boundary_rows.size() + 1, 0);
  return out;
}

SliceRange split_slices(std::int64_t slices, int parts, int part) {
  if (parts < 1 || parts > slices)
    throw std::invalid_argument(fmt::format(
        "time parts: {} parts for {} time slices (need 1 <= parts <= slices)", parts, slices));
  if (part < 0 || part >= parts)
    throw std::invalid_argument(fmt::format("time parts: part {} of {}", part, parts));
  const std::int64_t base = slices / parts, extra = slices % parts;
  SliceRange r;
  r.begin = part * base + std::min<std::int64_t>(part, extra);
  r.count = base + (part < extra ? 1 : 0);
  return r;
}

}  // namespace dtpinn::core
