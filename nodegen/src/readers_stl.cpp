// STL, ASCII and binary. A binary file is recognised by its size matching the triangle count in
// its header (84 + 50 n bytes), since some binary exporters also start the header with "solid".
#include <dtpinn/nodegen/readers.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <fstream>

#include "readers_detail.hpp"

namespace dtpinn::nodegen {
namespace {

using detail::fail;

TriangleMesh from_corners(const std::vector<std::array<double, 3>>& corners) {
  TriangleMesh m;
  const auto n = static_cast<Eigen::Index>(corners.size());
  m.vertices.resize(n, 3);
  m.faces.resize(n / 3, 3);
  for (Eigen::Index i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) m.vertices(i, k) = corners[i][k];
  for (Eigen::Index f = 0; f < n / 3; ++f) m.faces.row(f) << 3 * f, 3 * f + 1, 3 * f + 2;
  return m;
}

float le_float(const char* p) {
  unsigned char b[4];
  std::memcpy(b, p, 4);
  const std::uint32_t u = std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 |
                          std::uint32_t(b[2]) << 16 | std::uint32_t(b[3]) << 24;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Part names of the solids of an ASCII STL (see readers.hpp): the file's names made valid;
// unnamed solids `solidK`, or `boundary` when the file has one solid only.
std::vector<std::string> solid_names(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < raw.size(); ++k) {
    std::string n = sanitize_part_name(raw[k]);
    if (n.empty()) n = raw.size() == 1 ? "boundary" : "solid" + std::to_string(k + 1);
    out.push_back(n);
  }
  return out;
}

TriangleMesh read_ascii(const std::string& path, const std::string& data) {
  std::vector<std::array<double, 3>> corners;
  std::vector<int> facet_solid;        // per triangle: the solid it is in (-1: outside any)
  std::vector<std::string> raw_names;  // per `solid` line, the text after the keyword
  std::vector<std::array<double, 3>> loop;
  std::size_t pos = 0;
  std::int64_t lineno = 0;
  bool in_loop = false;
  while (pos < data.size()) {
    std::size_t e = data.find('\n', pos);
    if (e == std::string::npos) e = data.size();
    const std::string line = data.substr(pos, e - pos);
    pos = e + 1;
    ++lineno;
    const auto f = detail::split_fields(line, false);
    if (f.empty()) continue;
    const std::string key = detail::lower(f[0]);
    if (key == "vertex") {
      if (!in_loop) fail(path, lineno, "'vertex' outside an 'outer loop'");
      if (f.size() != 4)
        fail(path, lineno,
             "expected 'vertex x y z', found " + std::to_string(f.size()) + " fields");
      loop.push_back({detail::number_or_fail(f[1], path, lineno, "x"),
                      detail::number_or_fail(f[2], path, lineno, "y"),
                      detail::number_or_fail(f[3], path, lineno, "z")});
    } else if (key == "outer") {
      in_loop = true;
      loop.clear();
    } else if (key == "endloop") {
      if (!in_loop) fail(path, lineno, "'endloop' without 'outer loop'");
      if (loop.size() < 3) fail(path, lineno, "facet with fewer than 3 vertices");
      for (std::size_t j = 1; j + 1 < loop.size(); ++j) {
        corners.push_back(loop[0]);
        corners.push_back(loop[j]);
        corners.push_back(loop[j + 1]);
        facet_solid.push_back(static_cast<int>(raw_names.size()) - 1);
      }
      in_loop = false;
    } else if (key == "facet") {
      for (std::size_t j = 2; j < f.size(); ++j)
        detail::number_or_fail(f[j], path, lineno, "normal component");
    } else if (key == "solid") {
      const std::string t = detail::trim(line);
      raw_names.push_back(t.size() > 5 ? detail::trim(t.substr(5)) : std::string());
    } else if (key == "endfacet" || key == "endsolid") {
      continue;
    } else {
      fail(path, lineno, "unexpected '" + f[0] + "' in ASCII STL");
    }
  }
  if (in_loop) fail(path, lineno, "file ends inside a facet");
  if (corners.empty()) fail(path, lineno, "no facets (empty STL)");
  TriangleMesh m = from_corners(corners);
  if (raw_names.empty()) raw_names.push_back("");  // facets without a `solid` line
  const auto names = solid_names(raw_names);
  detail::PartTable table;  // parts in order of their first facet; same names merge
  m.face_part.reserve(facet_solid.size());
  for (int s : facet_solid) m.face_part.push_back(table.get(names[std::size_t(std::max(s, 0))]));
  m.part_names = table.names;
  return m;
}

}  // namespace

TriangleMesh read_stl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 0, "cannot open file");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) fail(path, 0, "empty file");
  std::uint64_t announced = 0;
  if (data.size() >= 84) {
    const auto* b = reinterpret_cast<const unsigned char*>(data.data() + 80);
    announced = std::uint64_t(b[0]) | std::uint64_t(b[1]) << 8 | std::uint64_t(b[2]) << 16 |
                std::uint64_t(b[3]) << 24;
  }
  const bool size_matches = data.size() >= 84 && data.size() == 84 + 50 * announced;
  const auto first = data.find_first_not_of(" \t\r\n");
  const bool starts_solid =
      first != std::string::npos && detail::lower(data.substr(first, 5)) == "solid";
  // Text never holds NUL bytes; binary STL (header padding, float zeros) nearly always does.
  const bool has_nul = data.find('\0') != std::string::npos;
  if (!size_matches && starts_solid && !has_nul) return read_ascii(path, data);

  if (data.size() < 84)
    fail(path, 0,
         "truncated binary STL: " + std::to_string(data.size()) +
             " bytes, the header alone needs 84");
  if (data.size() < 84 + 50 * announced)
    fail(path, 0,
         "truncated binary STL: header announces " + std::to_string(announced) +
             " triangles, the file holds " + std::to_string((data.size() - 84) / 50));
  if (announced == 0) fail(path, 0, "binary STL with no triangles");
  std::vector<std::array<double, 3>> corners;
  corners.reserve(3 * announced);
  for (std::uint64_t t = 0; t < announced; ++t) {
    const char* rec = data.data() + 84 + 50 * t;
    for (int c = 0; c < 3; ++c) {
      std::array<double, 3> p;
      for (int k = 0; k < 3; ++k) {
        p[k] = le_float(rec + 12 + 12 * c + 4 * k);
        if (!std::isfinite(p[k]))
          fail(path, 0, "triangle " + std::to_string(t) + " has a coordinate that is not finite");
      }
      corners.push_back(p);
    }
  }
  return from_corners(corners);
}

}  // namespace dtpinn::nodegen
