// Wavefront OBJ: v, vn, f (v, v/vt, v//vn, v/vt/vn; negative = relative), l (polylines).
// Groups (`g`) and objects (`o`) name the boundary parts of the faces after them (readers.hpp);
// materials, texture coordinates and smoothing groups are ignored.
#include <dtpinn/nodegen/readers.hpp>

#include <array>
#include <cmath>
#include <fstream>
#include <map>

#include "readers_detail.hpp"

namespace dtpinn::nodegen {
namespace {

using detail::fail;

/// The vertex index of an OBJ face/line entry "v", "v/vt", "v//vn" or "v/vt/vn", 0-based.
std::int64_t vertex_index(const std::string& tok, std::int64_t nv_so_far, const std::string& path,
                          std::int64_t line) {
  const std::string head = tok.substr(0, tok.find('/'));
  long long i;
  if (!detail::parse_integer(head, i) || i == 0)
    fail(path, line, "bad vertex reference '" + tok + "'");
  return i > 0 ? i - 1 : nv_so_far + i;
}

// Chains 2-point segments into closed loops; every vertex must have exactly two segments.
std::vector<std::vector<std::int64_t>> chain_loops(
    const std::vector<std::array<std::int64_t, 2>>& segments, const std::string& path,
    const PointMatrix& vertices) {
  std::map<std::int64_t, std::vector<std::int64_t>> adj;
  for (const auto& s : segments) {
    if (s[0] == s[1]) continue;
    adj[s[0]].push_back(s[1]);
    adj[s[1]].push_back(s[0]);
  }
  for (const auto& [v, nb] : adj)
    if (nb.size() != 2) {
      std::string at =
          "(" + std::to_string(vertices(v, 0)) + ", " + std::to_string(vertices(v, 1)) + ")";
      fail(path, 0,
           "polyline is not a set of closed loops: vertex " + std::to_string(v + 1) + " " + at +
               " has " + std::to_string(nb.size()) + " segment(s), need 2");
    }
  std::vector<std::vector<std::int64_t>> loops;
  std::map<std::int64_t, bool> used;
  for (const auto& [start, nb] : adj) {
    if (used[start]) continue;
    std::vector<std::int64_t> loop{start};
    used[start] = true;
    std::int64_t prev = start, cur = nb[0];
    while (cur != start) {
      loop.push_back(cur);
      used[cur] = true;
      const auto& n2 = adj[cur];
      const std::int64_t next = n2[0] == prev ? n2[1] : n2[0];
      prev = cur;
      cur = next;
    }
    loops.push_back(loop);
  }
  return loops;
}

}  // namespace

GeometryData read_obj(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, 0, "cannot open file");
  std::vector<std::array<double, 3>> v, vn;
  std::vector<std::array<std::int64_t, 3>> tris;
  std::vector<std::int64_t> tri_line;
  std::vector<std::int32_t> tri_part;
  detail::PartTable parts;  // created when a group's first face is read
  std::string group = "boundary";
  std::vector<std::vector<std::int64_t>> lines_l;
  std::vector<std::int64_t> l_line;
  std::vector<std::int64_t> vline;
  std::string line;
  std::int64_t lineno = 0;
  bool any = false;
  while (std::getline(in, line)) {
    ++lineno;
    const auto f = detail::split_fields(line, false);
    if (f.empty() || f[0][0] == '#') continue;
    any = true;
    if (f[0] == "v" || f[0] == "vn") {
      if (f.size() < 4)
        fail(path, lineno,
             "expected '" + f[0] + " x y z', found " + std::to_string(f.size()) + " fields");
      std::array<double, 3> p;
      for (int k = 0; k < 3; ++k)
        p[k] = detail::number_or_fail(f[1 + k], path, lineno, std::string(1, "xyz"[k]));
      for (std::size_t k = 4; k < f.size(); ++k)
        detail::number_or_fail(f[k], path, lineno, "value");
      if (f[0] == "v") {
        v.push_back(p);
        vline.push_back(lineno);
      } else {
        vn.push_back(p);
      }
    } else if (f[0] == "g" || f[0] == "o") {
      const std::string t = detail::trim(line);
      group = sanitize_part_name(detail::trim(t.substr(1)));
      if (group.empty()) group = "boundary";
    } else if (f[0] == "f" || f[0] == "l") {
      std::vector<std::int64_t> idx;
      for (std::size_t k = 1; k < f.size(); ++k)
        idx.push_back(vertex_index(f[k], static_cast<std::int64_t>(v.size()), path, lineno));
      if (f[0] == "f") {
        if (idx.size() < 3) fail(path, lineno, "face with fewer than 3 vertices");
        for (std::size_t j = 1; j + 1 < idx.size(); ++j) {
          tris.push_back({idx[0], idx[j], idx[j + 1]});
          tri_line.push_back(lineno);
          tri_part.push_back(parts.get(group));
        }
      } else {
        if (idx.size() < 2) fail(path, lineno, "line element with fewer than 2 vertices");
        lines_l.push_back(idx);
        l_line.push_back(lineno);
      }
    }
    // vt, s, usemtl, mtllib, ...: not geometry we need.
  }
  if (!any) fail(path, lineno, "empty file");
  if (v.empty()) fail(path, lineno, "no vertices ('v' lines)");
  const auto nv = static_cast<std::int64_t>(v.size());
  auto check = [&](std::int64_t i, std::int64_t at) {
    if (i < 0 || i >= nv)
      fail(path, at,
           "vertex index " + std::to_string(i + 1) + " out of range (" + std::to_string(nv) +
               " vertices)");
  };
  PointMatrix V(nv, 3);
  for (std::int64_t i = 0; i < nv; ++i) V.row(i) << v[i][0], v[i][1], v[i][2];

  GeometryData g;
  if (!tris.empty()) {
    g.type = GeometryData::Type::mesh;
    g.mesh.vertices = V;
    g.mesh.faces.resize(static_cast<Eigen::Index>(tris.size()), 3);
    for (std::size_t t = 0; t < tris.size(); ++t)
      for (int k = 0; k < 3; ++k) {
        check(tris[t][k], tri_line[t]);
        g.mesh.faces(static_cast<Eigen::Index>(t), k) = tris[t][k];
      }
    g.mesh.face_part = std::move(tri_part);
    g.mesh.part_names = parts.names;
    return g;
  }
  if (!lines_l.empty()) {
    std::vector<std::array<std::int64_t, 2>> segs;
    for (std::size_t j = 0; j < lines_l.size(); ++j) {
      auto& idx = lines_l[j];
      for (auto i : idx) check(i, l_line[j]);
      // A single open `l` line listing the outline is closed implicitly.
      if (lines_l.size() == 1 && idx.size() >= 3 && idx.front() != idx.back())
        idx.push_back(idx.front());
      for (std::size_t k = 0; k + 1 < idx.size(); ++k) segs.push_back({idx[k], idx[k + 1]});
    }
    for (std::int64_t i = 0; i < nv; ++i)
      if (V(i, 2) != 0.0)
        fail(path, vline[i], "polyline vertex with z != 0 (2D outlines must lie in z = 0)");
    g.type = GeometryData::Type::polyline;
    for (const auto& loop : chain_loops(segs, path, V)) {
      PointMatrix P(static_cast<Eigen::Index>(loop.size()), 2);
      for (std::size_t k = 0; k < loop.size(); ++k)
        P.row(static_cast<Eigen::Index>(k)) = V.row(loop[k]).head<2>();
      g.loops.push_back(P);
    }
    return g;
  }
  g.type = GeometryData::Type::cloud;
  const bool flat = (V.col(2).array() == 0.0).all();
  const int dim = flat ? 2 : 3;
  g.cloud.dim = dim;
  g.cloud.points = V.leftCols(dim);
  if (vn.size() == v.size()) {
    PointMatrix N(nv, 3);
    for (std::int64_t i = 0; i < nv; ++i) N.row(i) << vn[i][0], vn[i][1], vn[i][2];
    g.cloud.normals = N.leftCols(dim);
  }
  g.cloud.lines = vline;
  return g;
}

}  // namespace dtpinn::nodegen
