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

TriangleMesh read_ascii(const std::string& path, const std::string& data) {
  std::vector<std::array<double, 3>> corners;
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
      }
      in_loop = false;
    } else if (key == "facet") {
      for (std::size_t j = 2; j < f.size(); ++j)
        detail::number_or_fail(f[j], path, lineno, "normal component");
    } else if (key == "solid" || key == "endfacet" || key == "endsolid") {
      continue;
    } else {
      fail(path, lineno, "unexpected '" + f[0] + "' in ASCII STL");
    }
  }
  if (in_loop) fail(path, lineno, "file ends inside a facet");
  if (corners.empty()) fail(path, lineno, "no facets (empty STL)");
  return from_corners(corners);
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
