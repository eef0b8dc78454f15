// PLY (Stanford polygon format): ASCII and binary (little / big endian). Only the elements we
// need are interpreted (vertex: x y z [nx ny nz]; face: a vertex_indices / vertex_index list);
// every other element and property is skipped with its declared type, so files written by
// MeshLab, Blender, Open3D or CloudCompare with colours, quality etc. read fine.
#include <dtpinn/nodegen/readers.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "readers_detail.hpp"

namespace dtpinn::nodegen {
namespace {

using detail::fail;

enum class Scalar { i8, u8, i16, u16, i32, u32, f32, f64 };

bool scalar_type(const std::string& name, Scalar& t) {
  const std::string n = detail::lower(name);
  if (n == "char" || n == "int8")
    t = Scalar::i8;
  else if (n == "uchar" || n == "uint8")
    t = Scalar::u8;
  else if (n == "short" || n == "int16")
    t = Scalar::i16;
  else if (n == "ushort" || n == "uint16")
    t = Scalar::u16;
  else if (n == "int" || n == "int32")
    t = Scalar::i32;
  else if (n == "uint" || n == "uint32")
    t = Scalar::u32;
  else if (n == "float" || n == "float32")
    t = Scalar::f32;
  else if (n == "double" || n == "float64")
    t = Scalar::f64;
  else
    return false;
  return true;
}

std::size_t scalar_size(Scalar t) {
  switch (t) {
    case Scalar::i8:
    case Scalar::u8:
      return 1;
    case Scalar::i16:
    case Scalar::u16:
      return 2;
    case Scalar::i32:
    case Scalar::u32:
    case Scalar::f32:
      return 4;
    case Scalar::f64:
      return 8;
  }
  return 0;
}

struct Property {
  std::string name;
  bool is_list = false;
  Scalar count_type = Scalar::u8;
  Scalar type = Scalar::f32;
};

struct Element {
  std::string name;
  std::int64_t count = 0;
  std::vector<Property> props;
  std::int64_t header_line = 0;
};

/// Binary cursor over the data section; fails "truncated" when the file ends early.
struct BinaryReader {
  const std::string& data;
  std::size_t pos;
  bool big_endian;
  const std::string& path;

  double read(Scalar t, const std::string& where) {
    const std::size_t n = scalar_size(t);
    if (pos + n > data.size()) fail(path, 0, "truncated binary PLY: the file ends inside " + where);
    unsigned char b[8];
    std::memcpy(b, data.data() + pos, n);
    pos += n;
    const bool host_little = [] {
      const std::uint16_t one = 1;
      unsigned char c;
      std::memcpy(&c, &one, 1);
      return c == 1;
    }();
    if (big_endian == host_little)
      for (std::size_t i = 0; i < n / 2; ++i) std::swap(b[i], b[n - 1 - i]);
    switch (t) {
      case Scalar::i8: {
        std::int8_t v;
        std::memcpy(&v, b, 1);
        return v;
      }
      case Scalar::u8: {
        std::uint8_t v;
        std::memcpy(&v, b, 1);
        return v;
      }
      case Scalar::i16: {
        std::int16_t v;
        std::memcpy(&v, b, 2);
        return v;
      }
      case Scalar::u16: {
        std::uint16_t v;
        std::memcpy(&v, b, 2);
        return v;
      }
      case Scalar::i32: {
        std::int32_t v;
        std::memcpy(&v, b, 4);
        return v;
      }
      case Scalar::u32: {
        std::uint32_t v;
        std::memcpy(&v, b, 4);
        return v;
      }
      case Scalar::f32: {
        float v;
        std::memcpy(&v, b, 4);
        return v;
      }
      case Scalar::f64: {
        double v;
        std::memcpy(&v, b, 8);
        return v;
      }
    }
    return 0.0;
  }
};

}  // namespace

GeometryData read_ply(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 0, "cannot open file");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) fail(path, 0, "empty file");

  // ---- header (text lines up to end_header)
  std::size_t pos = 0;
  std::int64_t lineno = 0;
  auto next_line = [&](std::string& line) {
    if (pos >= data.size()) return false;
    std::size_t e = data.find('\n', pos);
    if (e == std::string::npos) e = data.size();
    line = data.substr(pos, e - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = e + 1;
    ++lineno;
    return true;
  };
  std::string line;
  if (!next_line(line) || detail::trim(line) != "ply") fail(path, 1, "not a PLY file (no 'ply')");
  std::string format;
  std::vector<Element> elements;
  bool ended = false;
  while (next_line(line)) {
    const auto f = detail::split_fields(line, false);
    if (f.empty() || f[0] == "comment" || f[0] == "obj_info") continue;
    if (f[0] == "format") {
      if (f.size() < 2) fail(path, lineno, "format line without a format");
      format = f[1];
      if (format != "ascii" && format != "binary_little_endian" && format != "binary_big_endian")
        fail(path, lineno, "unknown PLY format '" + format + "'");
    } else if (f[0] == "element") {
      long long count;
      if (f.size() != 3 || !detail::parse_integer(f[2], count) || count < 0)
        fail(path, lineno, "bad element line");
      elements.push_back({f[1], count, {}, lineno});
    } else if (f[0] == "property") {
      if (elements.empty()) fail(path, lineno, "property before any element");
      Property p;
      if (f.size() == 5 && f[1] == "list") {
        p.is_list = true;
        if (!scalar_type(f[2], p.count_type) || !scalar_type(f[3], p.type))
          fail(path, lineno, "unknown list property type");
        p.name = f[4];
      } else if (f.size() == 3) {
        if (!scalar_type(f[1], p.type)) fail(path, lineno, "unknown property type '" + f[1] + "'");
        p.name = f[2];
      } else {
        fail(path, lineno, "bad property line");
      }
      elements.back().props.push_back(p);
    } else if (f[0] == "end_header") {
      ended = true;
      break;
    } else {
      fail(path, lineno, "unexpected header line '" + detail::trim(line) + "'");
    }
  }
  if (!ended) fail(path, lineno, "PLY header without end_header");
  if (format.empty()) fail(path, lineno, "PLY header without a format line");

  // ---- data
  std::int64_t nv = 0, nf_decl = 0;
  int ix = -1, iy = -1, iz = -1, inx = -1, iny = -1, inz = -1, iface = -1;
  for (const auto& e : elements) {
    if (e.name == "vertex") {
      nv = e.count;
      for (int k = 0; k < static_cast<int>(e.props.size()); ++k) {
        const auto& n = e.props[k].name;
        if (e.props[k].is_list) continue;
        if (n == "x") ix = k;
        if (n == "y") iy = k;
        if (n == "z") iz = k;
        if (n == "nx") inx = k;
        if (n == "ny") iny = k;
        if (n == "nz") inz = k;
      }
      if (ix < 0 || iy < 0) fail(path, e.header_line, "vertex element without x and y");
    } else if (e.name == "face") {
      nf_decl = e.count;
      for (int k = 0; k < static_cast<int>(e.props.size()); ++k)
        if (e.props[k].is_list &&
            (e.props[k].name == "vertex_indices" || e.props[k].name == "vertex_index"))
          iface = k;
      if (iface < 0 && e.count > 0)
        fail(path, e.header_line, "face element without a vertex_indices list");
    }
  }
  if (nv == 0) fail(path, 0, "no vertices (empty PLY)");
  const bool normals = inx >= 0 && iny >= 0;
  PointMatrix V(nv, 3), N(normals ? nv : 0, 3);
  std::vector<std::int64_t> vlines(nv, 0);
  std::vector<std::array<std::int64_t, 3>> tris;
  std::vector<std::int64_t> tri_lines;
  const bool ascii = format == "ascii";
  BinaryReader bin{data, pos, format == "binary_big_endian", path};
  std::vector<double> vals;
  std::vector<std::int64_t> poly;
  for (const auto& e : elements) {
    for (std::int64_t r = 0; r < e.count; ++r) {
      std::int64_t here = 0;
      vals.clear();
      poly.clear();
      const std::string where =
          "element '" + e.name + "' " + std::to_string(r + 1) + " of " + std::to_string(e.count);
      if (ascii) {
        std::string l;
        do {
          if (!next_line(l)) fail(path, lineno, "file ends before " + where);
        } while (detail::trim(l).empty());
        here = lineno;
        const auto f = detail::split_fields(l, false);
        std::size_t t = 0;
        for (int k = 0; k < static_cast<int>(e.props.size()); ++k) {
          const auto& p = e.props[k];
          auto take = [&](const char* what) {
            if (t >= f.size())
              fail(path, here, std::string("too few values in ") + where + " (" + what + ")");
            return detail::number_or_fail(f[t++], path, here, std::string("value of ") + p.name);
          };
          if (p.is_list) {
            const double c = take("list count");
            if (c < 0 || c != std::floor(c)) fail(path, here, "bad list count");
            for (int j = 0; j < static_cast<int>(c); ++j) {
              const double v = take("list entry");
              if (k == iface && e.name == "face") poly.push_back(static_cast<std::int64_t>(v));
            }
            vals.push_back(0.0);
          } else {
            vals.push_back(take(p.name.c_str()));
          }
        }
        if (t != f.size())
          fail(path, here,
               "expected " + std::to_string(t) + " values, found " + std::to_string(f.size()));
      } else {
        for (int k = 0; k < static_cast<int>(e.props.size()); ++k) {
          const auto& p = e.props[k];
          if (p.is_list) {
            const double c = bin.read(p.count_type, where);
            for (int j = 0; j < static_cast<int>(c); ++j) {
              const double v = bin.read(p.type, where);
              if (k == iface && e.name == "face") poly.push_back(static_cast<std::int64_t>(v));
            }
            vals.push_back(0.0);
          } else {
            vals.push_back(bin.read(p.type, where));
          }
        }
      }
      if (e.name == "vertex") {
        const double x = vals[ix], y = vals[iy], z = iz >= 0 ? vals[iz] : 0.0;
        if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z))
          fail(path, here, "vertex " + std::to_string(r) + " has a coordinate that is not finite");
        V.row(r) << x, y, z;
        if (normals) N.row(r) << vals[inx], vals[iny], inz >= 0 ? vals[inz] : 0.0;
        vlines[r] = here;
      } else if (e.name == "face") {
        if (poly.size() < 3)
          fail(path, here, "face " + std::to_string(r) + " has fewer than 3 vertices");
        for (auto v : poly)
          if (v < 0 || v >= nv)
            fail(path, here,
                 "face " + std::to_string(r) + " vertex index " + std::to_string(v) +
                     " out of range (" + std::to_string(nv) + " vertices)");
        for (std::size_t j = 1; j + 1 < poly.size(); ++j) {
          tris.push_back({poly[0], poly[j], poly[j + 1]});
          tri_lines.push_back(here);
        }
      }
    }
  }

  GeometryData g;
  if (nf_decl > 0) {
    g.type = GeometryData::Type::mesh;
    g.mesh.vertices = V;
    g.mesh.faces.resize(static_cast<Eigen::Index>(tris.size()), 3);
    for (std::size_t i = 0; i < tris.size(); ++i)
      for (int k = 0; k < 3; ++k) g.mesh.faces(static_cast<Eigen::Index>(i), k) = tris[i][k];
    return g;
  }
  // A point cloud: 2D when there is no z, or every z is 0 and no nz.
  g.type = GeometryData::Type::cloud;
  const bool flat = iz < 0 || (V.col(2).array() == 0.0).all();
  const int dim = flat && inz < 0 ? 2 : 3;
  g.cloud.dim = dim;
  g.cloud.points = V.leftCols(dim);
  if (normals) g.cloud.normals = N.leftCols(dim);
  g.cloud.lines = vlines;
  return g;
}

}  // namespace dtpinn::nodegen
