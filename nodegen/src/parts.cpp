// Boundary parts on samples: checks, row selection, names made from file names.
#include <dtpinn/nodegen/domain.hpp>
#include <dtpinn/nodegen/node_set.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

namespace dtpinn::nodegen {

void check_sample_parts(const BoundarySample& s, const std::string& what) {
  auto fail = [&what](const std::string& why) { throw std::invalid_argument(what + ": " + why); };
  if (s.part_names.empty()) fail("the part table is empty");
  std::set<std::string> seen;
  for (const auto& n : s.part_names) {
    if (!is_valid_part_name(n)) fail(fmt::format("part name \"{}\" is not a valid part name", n));
    if (!seen.insert(n).second) fail(fmt::format("part name \"{}\" appears twice", n));
  }
  if (s.part.empty()) return;
  if (static_cast<Eigen::Index>(s.part.size()) != s.points.rows())
    fail(fmt::format("{} parts for {} boundary nodes", s.part.size(), s.points.rows()));
  const auto n = static_cast<std::int32_t>(s.part_names.size());
  for (std::size_t i = 0; i < s.part.size(); ++i)
    if (s.part[i] < 0 || s.part[i] >= n)
      fail(fmt::format("boundary node {} has part {}, outside the {} parts", i, s.part[i], n));
}

BoundarySample sample_rows(const BoundarySample& s, const std::vector<Eigen::Index>& rows) {
  BoundarySample out;
  const auto n = static_cast<Eigen::Index>(rows.size());
  out.points.resize(n, s.points.cols());
  out.normals.resize(n, s.normals.cols());
  out.part.resize(rows.size());
  out.part_names = s.part_names;
  for (Eigen::Index k = 0; k < n; ++k) {
    const Eigen::Index i = rows[static_cast<std::size_t>(k)];
    out.points.row(k) = s.points.row(i);
    out.normals.row(k) = s.normals.row(i);
    out.part[static_cast<std::size_t>(k)] = s.part_of(i);
  }
  if (!s.corners.empty()) {
    // Corners travel with their rows: the new row of each kept corner row.
    std::vector<Eigen::Index> new_row(static_cast<std::size_t>(s.points.rows()), -1);
    for (Eigen::Index k = 0; k < n; ++k)
      new_row[static_cast<std::size_t>(rows[std::size_t(k)])] = k;
    for (const auto& c : s.corners) {
      const Eigen::Index k = new_row[static_cast<std::size_t>(c.boundary)];
      if (k < 0) continue;
      out.corners.push_back(c);
      out.corners.back().boundary = k;
    }
    std::sort(
        out.corners.begin(), out.corners.end(),
        [](const BoundaryCorner& a, const BoundaryCorner& b) { return a.boundary < b.boundary; });
  }
  return out;
}

std::string sanitize_part_name(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    const bool word =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    if (out.empty() && !std::isalnum(static_cast<unsigned char>(c))) continue;
    out += word ? c : '_';
  }
  if (out.size() > 64) out.resize(64);
  return out;
}

std::string part_summary(const NodeSet& nodes) {
  const auto counts = nodes.part_counts();
  std::string s;
  for (std::size_t p = 0; p < nodes.part_names.size(); ++p)
    s += fmt::format("{}{} {}", p ? ", " : "", nodes.part_names[p], counts[p]);
  return s;
}

}  // namespace dtpinn::nodegen
