// Recursive coordinate bisection of the collocation nodes and per-part row assembly.
#include <dtpinn/core/distributed/partition.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
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

  LocalOperators out;
  out.part = part;
  out.parts = partition.parts;
  out.global_l_rows = nc;
  out.global_b_rows = nb;
  rbffd::RowRequest request;
  request.robin = robin;
  for (Index i = 0; i < nc; ++i)
    if (partition.owner[i] == part) {
      if (i >= ni) {
        out.boundary_rows.push_back(static_cast<std::int32_t>(out.owned.size()));
        request.boundary_nodes.push_back(static_cast<std::int32_t>(i));
      }
      out.owned.push_back(static_cast<std::int32_t>(i));
    }
  request.laplacian_nodes = out.owned;
  // The rows with global columns, from rbffd's own row loop (bitwise rbffd::assemble's rows).
  auto rows = rbffd::assemble_rows(nodes, params, request);
  out.L = std::move(rows.laplacian);
  out.B = std::move(rows.boundary);
  rbffd::CsrMatrix& L = out.L;
  rbffd::CsrMatrix& B = out.B;
  const Index nl = static_cast<Index>(out.owned.size());

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
