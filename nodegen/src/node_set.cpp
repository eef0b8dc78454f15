#include <dtpinn/nodegen/node_set.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

template <class Fail>
void validate_parts(const NodeSet& nodes, const Fail& fail) {
  if (nodes.part_names.empty()) fail("the part table is empty (need at least one name)");
  std::set<std::string> seen;
  for (const auto& name : nodes.part_names) {
    if (!is_valid_part_name(name))
      fail(fmt::format("part name \"{}\" is not a word of [A-Za-z0-9_.-]", name));
    if (!seen.insert(name).second) fail(fmt::format("part name \"{}\" appears twice", name));
  }
  if (nodes.boundary_part.empty()) return;
  if (static_cast<Index>(nodes.boundary_part.size()) != nodes.n_boundary)
    fail(fmt::format("{} boundary parts for {} boundary nodes", nodes.boundary_part.size(),
                     nodes.n_boundary));
  const auto n_parts = static_cast<std::int32_t>(nodes.part_names.size());
  for (Index k = 0; k < nodes.n_boundary; ++k) {
    const auto p = nodes.boundary_part[static_cast<std::size_t>(k)];
    if (p < 0 || p >= n_parts)
      fail(fmt::format("boundary node {} has part {}, outside the {} parts", nodes.n_interior + k,
                       p, n_parts));
  }
}

template <class Fail>
void validate_corners(const NodeSet& nodes, const Fail& fail) {
  const auto n_parts = static_cast<std::int32_t>(nodes.part_names.size());
  Index previous = -1;
  for (const auto& c : nodes.corners) {
    if (c.boundary <= previous || c.boundary >= nodes.n_boundary)
      fail(fmt::format("corner entry for boundary node {} is out of order or range (Nb = {})",
                       c.boundary, nodes.n_boundary));
    previous = c.boundary;
    if (c.sides.size() < 2)
      fail(fmt::format("corner at boundary node {} has {} side(s), expected 2 or more", c.boundary,
                       c.sides.size()));
    for (const auto& side : c.sides) {
      double len2 = 0.0;
      for (int k = 0; k < nodes.dim; ++k)
        len2 += side.normal[std::size_t(k)] * side.normal[std::size_t(k)];
      if (side.part < 0 || side.part >= n_parts || !(std::abs(std::sqrt(len2) - 1.0) <= 1e-6))
        fail(
            fmt::format("corner at boundary node {}: a side with part {} and a normal of length "
                        "{:.6g} (expected a part below {} and a unit normal)",
                        c.boundary, side.part, std::sqrt(len2), n_parts));
    }
  }
}

}  // namespace

const char* to_string(NodeKind kind) {
  switch (kind) {
    case NodeKind::interior:
      return "interior";
    case NodeKind::boundary:
      return "boundary";
    case NodeKind::ghost:
      return "ghost";
  }
  return "unknown";
}

void NodeSet::validate() const {
  auto fail = [](const std::string& why) { throw std::invalid_argument("node set: " + why); };
  if (dim != 2 && dim != 3) fail(fmt::format("dimension must be 2 or 3, got {}", dim));
  if (n_interior < 0 || n_boundary < 0 || n_ghost < 0) fail("negative node count");
  if (n_ghost != 0 && n_ghost != n_boundary)
    fail(fmt::format("ghost count {} must be 0 or the boundary count {}", n_ghost, n_boundary));
  if (points.rows() != size() || points.cols() != dim)
    fail(
        fmt::format("points are {}x{}, expected {}x{}", points.rows(), points.cols(), size(), dim));
  if (normals.rows() != size() || normals.cols() != dim)
    fail(fmt::format("normals are {}x{}, expected {}x{}", normals.rows(), normals.cols(), size(),
                     dim));
  for (Index i = 0; i < size(); ++i) {
    if (!points.row(i).allFinite()) fail(fmt::format("node {} has a non-finite coordinate", i));
    if (!normals.row(i).allFinite()) fail(fmt::format("node {} has a non-finite normal", i));
    if (i >= n_interior) {
      const double len = normals.row(i).norm();
      if (std::abs(len - 1.0) > 1e-6)
        fail(fmt::format("{} node {} has a normal of length {:.6g}, expected 1", to_string(kind(i)),
                         i, len));
    }
  }
  for (Index k = 0; k < n_ghost; ++k) {
    const Index b = n_interior + k, g = n_interior + n_boundary + k;
    if ((points.row(g) - points.row(b)).norm() == 0.0)
      fail(fmt::format("ghost node {} coincides with its boundary node {}", g, b));
  }
  validate_parts(*this, fail);
  validate_corners(*this, fail);
}

const BoundaryCorner* NodeSet::corner_of(Index k) const {
  const auto it = std::lower_bound(corners.begin(), corners.end(), k,
                                   [](const BoundaryCorner& c, Index v) { return c.boundary < v; });
  return it != corners.end() && it->boundary == k ? &*it : nullptr;
}

int NodeSet::find_part(const std::string& name) const {
  for (std::size_t p = 0; p < part_names.size(); ++p)
    if (part_names[p] == name) return static_cast<int>(p);
  return -1;
}

std::vector<Index> NodeSet::part_counts() const {
  std::vector<Index> counts(part_names.size(), 0);
  for (Index k = 0; k < n_boundary; ++k) {
    const auto p = static_cast<std::size_t>(part_of_boundary(k));
    if (p < counts.size()) ++counts[p];
  }
  return counts;
}

bool is_valid_part_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace dtpinn::nodegen
