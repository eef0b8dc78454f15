// PLY (Stanford polygon format): ASCII and binary (little / big endian). Only the elements we
// need are interpreted (vertex: x y z [nx ny nz]; face: a vertex_indices / vertex_index list);
// every other element and property is skipped with its declared type, so files written by
// MeshLab, Blender, Open3D or CloudCompare with colours, quality etc. read fine. Boundary parts:
// an integer face or vertex property part / label / group, names from `comment part <i> <name>`
// (readers.hpp); a vertex property `kind` (0 interior, 1 boundary, 2 ghost, as our node PLY
// writes) makes the file a labelled node cloud.
#include <dtpinn/nodegen/readers.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
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

bool part_property(const std::string& name) {
  return name == "part" || name == "label" || name == "group";
}

/// Raw part values read from the file and the names of `comment part` lines, turned into part
/// indices once the whole file is read.
struct PlyParts {
  std::map<long long, std::string> named;  // comment part <i> <name>
  std::int64_t comment_line = 0;
  std::vector<long long> vertex, face;  // raw values (vertex or face property)
  std::vector<std::int64_t> vertex_line, face_line;

  void add_comment(const std::vector<std::string>& f, const std::string& path, std::int64_t at) {
    long long i;
    if (f.size() != 4 || !detail::parse_integer(f[2], i) || i < 0)
      fail(path, at, "expected 'comment part <index> <name>'");
    if (!is_valid_part_name(f[3]))
      fail(path, at, "part name '" + f[3] + "' is not a word of [A-Za-z0-9_.-]");
    if (!named.emplace(i, f[3]).second) fail(path, at, "part " + f[2] + " named twice");
    for (const auto& [j, n] : named)
      if (j != i && n == f[3]) fail(path, at, "part name '" + n + "' given to two indices");
    comment_line = at;
  }

  static long long integer(double v, const std::string& path, std::int64_t at) {
    if (v != std::floor(v) || std::abs(v) > 1e9)
      fail(path, at, "part value " + std::to_string(v) + " is not an integer");
    return static_cast<long long>(v);
  }

  /// The table of names and the map raw value -> index (-1 stays -1 where allowed).
  std::vector<std::string> table(const std::string& path, std::map<long long, std::int32_t>& to) {
    std::vector<std::string> names;
    if (!named.empty()) {
      for (const auto& [i, n] : named) {
        if (i != static_cast<long long>(names.size()))
          fail(path, comment_line, "part comments must name parts 0, 1, ... without gaps");
        to[i] = static_cast<std::int32_t>(names.size());
        names.push_back(n);
      }
      return names;
    }
    std::map<long long, bool> seen;
    for (long long v : vertex)
      if (v >= 0) seen[v] = true;
    for (long long v : face)
      if (v >= 0) seen[v] = true;
    for (const auto& [v, b] : seen) {
      to[v] = static_cast<std::int32_t>(names.size());
      names.push_back(std::to_string(v));
    }
    return names;
  }

  static std::int32_t lookup(long long v, const std::map<long long, std::int32_t>& to,
                             std::size_t n_named, const std::string& path, std::int64_t at) {
    if (v == -1) return -1;
    const auto it = to.find(v);
    if (v < 0 || it == to.end())
      fail(path, at,
           "part index " + std::to_string(v) + " out of range (" + std::to_string(n_named) +
               " parts named by the header's 'comment part' lines)");
    return it->second;
  }
};

/// Face parts of a mesh from the face property, else from the vertex property (the lowest
/// part of the three vertices).
void mesh_parts(PlyParts& pp, const std::vector<std::array<std::int64_t, 3>>& tris,
                const std::vector<std::int64_t>& tri_lines,
                const std::vector<std::size_t>& tri_face, TriangleMesh& m,
                const std::string& path) {
  std::map<long long, std::int32_t> to;
  m.part_names = pp.table(path, to);
  const std::size_t k = pp.named.size();
  std::vector<std::int32_t> vpart;
  for (std::size_t i = 0; i < pp.vertex.size(); ++i)
    vpart.push_back(PlyParts::lookup(pp.vertex[i], to, k, path, pp.vertex_line[i]));
  for (std::size_t t = 0; t < tris.size(); ++t) {
    std::int32_t p = -1;
    if (!pp.face.empty()) {
      p = PlyParts::lookup(pp.face[tri_face[t]], to, k, path, tri_lines[t]);
    } else {
      for (int c = 0; c < 3; ++c) {
        const std::int32_t q = vpart[static_cast<std::size_t>(tris[t][c])];
        if (q >= 0 && (p < 0 || q < p)) p = q;
      }
    }
    if (p < 0) fail(path, tri_lines[t], "face without a part (part value -1)");
    m.face_part.push_back(p);
  }
}

/// Vertex parts of a point cloud; -1 only on interior and ghost rows of a labelled cloud.
void cloud_parts(PlyParts& pp, PointCloud& c, const std::string& path) {
  std::map<long long, std::int32_t> to;
  c.part_names = pp.table(path, to);
  for (std::size_t i = 0; i < pp.vertex.size(); ++i) {
    const std::int32_t p =
        PlyParts::lookup(pp.vertex[i], to, pp.named.size(), path, pp.vertex_line[i]);
    const bool boundary = c.kinds.empty() || c.kinds[i] == NodeKind::boundary;
    if (p < 0 && boundary) fail(path, pp.vertex_line[i], "boundary point without a part (-1)");
    c.part.push_back(boundary ? p : -1);
  }
  if (c.part_names.empty()) c.part_names = {"boundary"};
}

/// Text lines of the file, from the start (the header) or from where the header ended.
struct LineReader {
  const std::string& data;
  std::size_t pos = 0;
  std::int64_t lineno = 0;
  bool next(std::string& line) {
    if (pos >= data.size()) return false;
    std::size_t e = data.find('\n', pos);
    if (e == std::string::npos) e = data.size();
    line = data.substr(pos, e - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = e + 1;
    ++lineno;
    return true;
  }
};

/// One `property` header line of the last element.
Property property_line(const std::vector<std::string>& f, const std::string& path,
                       std::int64_t lineno) {
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
  return p;
}

/// The header up to end_header: the format, the elements, the `comment part` names.
std::string read_header(LineReader& lr, std::vector<Element>& elements, PlyParts& pp,
                        const std::string& path) {
  std::string line, format;
  if (!lr.next(line) || detail::trim(line) != "ply") fail(path, 1, "not a PLY file (no 'ply')");
  bool ended = false;
  while (lr.next(line)) {
    const std::int64_t lineno = lr.lineno;
    const auto f = detail::split_fields(line, false);
    if (f.size() >= 2 && f[0] == "comment" && f[1] == "part") pp.add_comment(f, path, lineno);
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
      elements.back().props.push_back(property_line(f, path, lineno));
    } else if (f[0] == "end_header") {
      ended = true;
      break;
    } else {
      fail(path, lineno, "unexpected header line '" + detail::trim(line) + "'");
    }
  }
  if (!ended) fail(path, lr.lineno, "PLY header without end_header");
  if (format.empty()) fail(path, lr.lineno, "PLY header without a format line");
  return format;
}

/// Where the properties we read sit in their elements (-1: absent).
struct Layout {
  std::int64_t nv = 0, nf_decl = 0;
  int ix = -1, iy = -1, iz = -1, inx = -1, iny = -1, inz = -1, iface = -1;
  int ivpart = -1, ifpart = -1, ikind = -1;
};

Layout find_layout(const std::vector<Element>& elements, const std::string& path) {
  Layout L;
  for (const auto& e : elements) {
    if (e.name == "vertex") {
      L.nv = e.count;
      for (int k = 0; k < static_cast<int>(e.props.size()); ++k) {
        const auto& n = e.props[k].name;
        if (e.props[k].is_list) continue;
        if (n == "x") L.ix = k;
        if (n == "y") L.iy = k;
        if (n == "z") L.iz = k;
        if (n == "nx") L.inx = k;
        if (n == "ny") L.iny = k;
        if (n == "nz") L.inz = k;
        if (n == "kind") L.ikind = k;
        if (part_property(n) && L.ivpart < 0) L.ivpart = k;
      }
      if (L.ix < 0 || L.iy < 0) fail(path, e.header_line, "vertex element without x and y");
    } else if (e.name == "face") {
      L.nf_decl = e.count;
      for (int k = 0; k < static_cast<int>(e.props.size()); ++k) {
        const auto& p = e.props[k];
        if (p.is_list && (p.name == "vertex_indices" || p.name == "vertex_index"))
          L.iface = k;
        else if (!p.is_list && part_property(p.name) && L.ifpart < 0)
          L.ifpart = k;
      }
      if (L.iface < 0 && e.count > 0)
        fail(path, e.header_line, "face element without a vertex_indices list");
    }
  }
  return L;
}

/// One ASCII element row: its scalar values (0 in place of a list) and the entries of the list
/// property `keep` (-1: none); returns the row's line.
std::int64_t ascii_row(LineReader& lr, const Element& e, int keep, const std::string& where,
                       const std::string& path, std::vector<double>& vals,
                       std::vector<std::int64_t>& poly) {
  std::string l;
  do {
    if (!lr.next(l)) fail(path, lr.lineno, "file ends before " + where);
  } while (detail::trim(l).empty());
  const std::int64_t here = lr.lineno;
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
        if (k == keep) poly.push_back(static_cast<std::int64_t>(v));
      }
      vals.push_back(0.0);
    } else {
      vals.push_back(take(p.name.c_str()));
    }
  }
  if (t != f.size())
    fail(path, here,
         "expected " + std::to_string(t) + " values, found " + std::to_string(f.size()));
  return here;
}

/// The same for a binary row.
void binary_row(BinaryReader& bin, const Element& e, int keep, const std::string& where,
                std::vector<double>& vals, std::vector<std::int64_t>& poly) {
  for (int k = 0; k < static_cast<int>(e.props.size()); ++k) {
    const auto& p = e.props[k];
    if (p.is_list) {
      const double c = bin.read(p.count_type, where);
      for (int j = 0; j < static_cast<int>(c); ++j) {
        const double v = bin.read(p.type, where);
        if (k == keep) poly.push_back(static_cast<std::int64_t>(v));
      }
      vals.push_back(0.0);
    } else {
      vals.push_back(bin.read(p.type, where));
    }
  }
}

}  // namespace

GeometryData read_ply(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 0, "cannot open file");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) fail(path, 0, "empty file");

  LineReader lr{data};
  std::vector<Element> elements;
  PlyParts pp;
  const std::string format = read_header(lr, elements, pp, path);
  const Layout layout = find_layout(elements, path);
  const std::int64_t nv = layout.nv, nf_decl = layout.nf_decl;
  const int ix = layout.ix, iy = layout.iy, iz = layout.iz, inx = layout.inx, iny = layout.iny,
            inz = layout.inz, iface = layout.iface, ivpart = layout.ivpart, ifpart = layout.ifpart,
            ikind = layout.ikind;
  if (nv == 0) fail(path, 0, "no vertices (empty PLY)");
  const bool normals = inx >= 0 && iny >= 0;
  PointMatrix V(nv, 3), N(normals ? nv : 0, 3);
  std::vector<std::int64_t> vlines(nv, 0);
  std::vector<std::array<std::int64_t, 3>> tris;
  std::vector<std::int64_t> tri_lines;
  std::vector<std::size_t> tri_face;  // the PLY face each triangle comes from
  std::vector<NodeKind> kinds;
  const bool ascii = format == "ascii";
  BinaryReader bin{data, lr.pos, format == "binary_big_endian", path};
  std::vector<double> vals;
  std::vector<std::int64_t> poly;
  for (const auto& e : elements) {
    for (std::int64_t r = 0; r < e.count; ++r) {
      std::int64_t here = 0;
      vals.clear();
      poly.clear();
      const std::string where =
          "element '" + e.name + "' " + std::to_string(r + 1) + " of " + std::to_string(e.count);
      const int keep = e.name == "face" ? iface : -1;
      if (ascii)
        here = ascii_row(lr, e, keep, where, path, vals, poly);
      else
        binary_row(bin, e, keep, where, vals, poly);
      if (e.name == "vertex") {
        const double x = vals[ix], y = vals[iy], z = iz >= 0 ? vals[iz] : 0.0;
        if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z))
          fail(path, here, "vertex " + std::to_string(r) + " has a coordinate that is not finite");
        V.row(r) << x, y, z;
        if (normals) N.row(r) << vals[inx], vals[iny], inz >= 0 ? vals[inz] : 0.0;
        vlines[r] = here;
        if (ivpart >= 0) {
          pp.vertex.push_back(PlyParts::integer(vals[ivpart], path, here));
          pp.vertex_line.push_back(here);
        }
        if (ikind >= 0) {
          const double k = vals[ikind];
          if (k != 0.0 && k != 1.0 && k != 2.0)
            fail(path, here, "kind " + std::to_string(k) + " is not 0, 1 or 2");
          kinds.push_back(static_cast<NodeKind>(static_cast<int>(k)));
        }
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
          tri_face.push_back(pp.face.size());
        }
        if (ifpart >= 0) {
          pp.face.push_back(PlyParts::integer(vals[ifpart], path, here));
          pp.face_line.push_back(here);
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
    if (ifpart >= 0 || ivpart >= 0) mesh_parts(pp, tris, tri_lines, tri_face, g.mesh, path);
    return g;
  }
  // A point cloud: 2D when there is no z, or every z is 0 and there is no nz or every nz is 0
  // (our node PLY writes z = nz = 0 for a 2D node set).
  g.type = GeometryData::Type::cloud;
  const bool flat = iz < 0 || (V.col(2).array() == 0.0).all();
  const bool flat_normals = inz < 0 || (normals && (N.col(2).array() == 0.0).all());
  const int dim = flat && flat_normals ? 2 : 3;
  g.cloud.dim = dim;
  g.cloud.points = V.leftCols(dim);
  if (normals) g.cloud.normals = N.leftCols(dim);
  g.cloud.lines = vlines;
  g.cloud.kinds = std::move(kinds);
  if (ivpart >= 0) cloud_parts(pp, g.cloud, path);
  return g;
}

}  // namespace dtpinn::nodegen
