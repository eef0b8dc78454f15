// Node files: CSV (exchange, exact round trip), PLY and legacy VTK (viewing).
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/node_io.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <vector>

namespace dtpinn::nodegen {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t c = line.find(',', start);
    out.push_back(trim(line.substr(start, c == std::string::npos ? std::string::npos : c - start)));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

// Shortest decimal that reads back to the same double.
std::string num(double v) {
  return fmt::format("{}", v == 0.0 ? 0.0 : v);
}

void write_csv(const std::string& path, const NodeSet& ns) {
  AtomicFile f(path);
  auto& o = f.stream();
  o << (ns.dim == 2 ? "x,y,kind,nx,ny\n" : "x,y,z,kind,nx,ny,nz\n");
  std::string line;
  for (Index i = 0; i < ns.size(); ++i) {
    line.clear();
    for (int k = 0; k < ns.dim; ++k) line += num(ns.points(i, k)) + ",";
    line += to_string(ns.kind(i));
    for (int k = 0; k < ns.dim; ++k) line += "," + num(ns.normals(i, k));
    line += '\n';
    o << line;
  }
  f.commit();
}

void write_ply(const std::string& path, const NodeSet& ns) {
  AtomicFile f(path);
  auto& o = f.stream();
  o << "ply\nformat ascii 1.0\ncomment dtpinn node set: kind 0 interior, 1 boundary, 2 ghost\n"
    << "element vertex " << ns.size() << "\n"
    << "property double x\nproperty double y\nproperty double z\n"
    << "property double nx\nproperty double ny\nproperty double nz\n"
    << "property uchar kind\nend_header\n";
  for (Index i = 0; i < ns.size(); ++i) {
    const double z = ns.dim == 3 ? ns.points(i, 2) : 0.0;
    const double nz = ns.dim == 3 ? ns.normals(i, 2) : 0.0;
    o << fmt::format("{} {} {} {} {} {} {}\n", num(ns.points(i, 0)), num(ns.points(i, 1)), num(z),
                     num(ns.normals(i, 0)), num(ns.normals(i, 1)), num(nz), int(ns.kind(i)));
  }
  f.commit();
}

void write_vtk(const std::string& path, const NodeSet& ns) {
  AtomicFile f(path);
  auto& o = f.stream();
  const Index n = ns.size();
  o << "# vtk DataFile Version 3.0\ndtpinn node set (kind 0 interior, 1 boundary, 2 ghost)\n"
    << "ASCII\nDATASET POLYDATA\nPOINTS " << n << " double\n";
  for (Index i = 0; i < n; ++i)
    o << fmt::format("{} {} {}\n", num(ns.points(i, 0)), num(ns.points(i, 1)),
                     num(ns.dim == 3 ? ns.points(i, 2) : 0.0));
  o << "VERTICES " << n << " " << 2 * n << "\n";
  for (Index i = 0; i < n; ++i) o << "1 " << i << "\n";
  o << "POINT_DATA " << n << "\nSCALARS kind int 1\nLOOKUP_TABLE default\n";
  for (Index i = 0; i < n; ++i) o << int(ns.kind(i)) << "\n";
  o << "NORMALS normals double\n";
  for (Index i = 0; i < n; ++i)
    o << fmt::format("{} {} {}\n", num(ns.normals(i, 0)), num(ns.normals(i, 1)),
                     num(ns.dim == 3 ? ns.normals(i, 2) : 0.0));
  f.commit();
}

}  // namespace

NodeFormat parse_node_format(const std::string& name) {
  const std::string s = lower(name);
  if (s == "csv") return NodeFormat::csv;
  if (s == "ply") return NodeFormat::ply;
  if (s == "vtk") return NodeFormat::vtk;
  throw std::invalid_argument("unknown node file format '" + name + "' (csv, ply, vtk)");
}

NodeFormat node_format_from_path(const std::string& path) {
  const std::size_t dot = path.find_last_of('.');
  const std::size_t slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    throw std::invalid_argument(path + ": no file extension (use .csv, .ply or .vtk)");
  const std::string ext = lower(path.substr(dot + 1));
  if (ext == "csv" || ext == "ply" || ext == "vtk") return parse_node_format(ext);
  throw std::invalid_argument(path + ": unknown extension '." + ext + "' (use .csv, .ply or .vtk)");
}

void write_nodes(const std::string& path, const NodeSet& nodes, NodeFormat format) {
  nodes.validate();
  switch (format) {
    case NodeFormat::csv:
      write_csv(path, nodes);
      break;
    case NodeFormat::ply:
      write_ply(path, nodes);
      break;
    case NodeFormat::vtk:
      write_vtk(path, nodes);
      break;
  }
}

void write_nodes(const std::string& path, const NodeSet& nodes) {
  write_nodes(path, nodes, node_format_from_path(path));
}

NodeSet read_nodes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open (missing file?)");
  auto fail = [&path](long line, const std::string& why) -> void {
    throw std::runtime_error(fmt::format("{}:{}: {}", path, line, why));
  };
  std::string raw;
  long lineno = 0;
  int dim = 0;
  struct Row {
    double p[3], n[3];
    long line;
  };
  std::vector<Row> rows[3];  // by kind
  while (std::getline(in, raw)) {
    ++lineno;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    const auto cols = split(line);
    if (dim == 0) {
      std::vector<std::string> h;
      for (const auto& c : cols) h.push_back(lower(c));
      if (h == std::vector<std::string>{"x", "y", "kind", "nx", "ny"}) {
        dim = 2;
      } else if (h == std::vector<std::string>{"x", "y", "z", "kind", "nx", "ny", "nz"}) {
        dim = 3;
      } else {
        fail(lineno,
             "bad header '" + line + "', expected 'x,y,kind,nx,ny' or 'x,y,z,kind,nx,ny,nz'");
      }
      continue;
    }
    const std::size_t want = std::size_t(2 * dim + 1);
    if (cols.size() != want)
      fail(lineno, fmt::format("expected {} columns, got {}", want, cols.size()));
    Row r{};
    r.line = lineno;
    auto number = [&](const std::string& s, const char* what) {
      if (s.empty()) fail(lineno, fmt::format("empty {} column", what));
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (end != s.c_str() + s.size())
        fail(lineno, fmt::format("{} '{}' is not a number", what, s));
      if (!std::isfinite(v)) fail(lineno, fmt::format("{} '{}' is not finite", what, s));
      return v;
    };
    static const char* names[2][3] = {{"x", "y", "z"}, {"nx", "ny", "nz"}};
    for (int k = 0; k < dim; ++k) r.p[k] = number(cols[std::size_t(k)], names[0][k]);
    for (int k = 0; k < dim; ++k) r.n[k] = number(cols[std::size_t(dim + 1 + k)], names[1][k]);
    const std::string kind = lower(cols[std::size_t(dim)]);
    int kk = -1;
    if (kind == "interior")
      kk = 0;
    else if (kind == "boundary")
      kk = 1;
    else if (kind == "ghost")
      kk = 2;
    else
      fail(lineno, "unknown kind '" + cols[std::size_t(dim)] + "' (interior, boundary, ghost)");
    if (kk > 0) {
      double len = 0;
      for (int k = 0; k < dim; ++k) len += r.n[k] * r.n[k];
      len = std::sqrt(len);
      if (std::abs(len - 1.0) > 1e-6)
        fail(lineno, fmt::format("{} node normal has length {:.6g}, expected 1", kind, len));
    } else {
      for (int k = 0; k < dim; ++k) r.n[k] = 0.0;  // interior nodes carry no normal
    }
    rows[kk].push_back(r);
  }
  if (in.bad()) throw std::runtime_error(path + ": read error");
  if (dim == 0)
    throw std::runtime_error(path + ":" + std::to_string(lineno) + ": empty file (no header)");
  const std::size_t total = rows[0].size() + rows[1].size() + rows[2].size();
  if (total == 0) fail(lineno, "no nodes");
  if (rows[1].empty()) fail(lineno, "no boundary nodes");
  if (!rows[2].empty() && rows[2].size() != rows[1].size())
    fail(rows[2].back().line,
         fmt::format("{} ghost nodes but {} boundary nodes (need one ghost per "
                     "boundary node, or none)",
                     rows[2].size(), rows[1].size()));
  // Exact duplicates anywhere in the file.
  std::map<std::array<double, 3>, long> seen;
  for (const auto& group : rows)
    for (const auto& r : group) {
      const std::array<double, 3> key{r.p[0], r.p[1], dim == 3 ? r.p[2] : 0.0};
      const auto [it, fresh] = seen.emplace(key, r.line);
      if (!fresh)
        fail(r.line, fmt::format("duplicate node (same coordinates as line {})", it->second));
    }
  NodeSet ns;
  ns.dim = dim;
  ns.n_interior = Index(rows[0].size());
  ns.n_boundary = Index(rows[1].size());
  ns.n_ghost = Index(rows[2].size());
  ns.points.resize(Index(total), dim);
  ns.normals.resize(Index(total), dim);
  Index i = 0;
  for (const auto& group : rows)
    for (const auto& r : group) {
      for (int k = 0; k < dim; ++k) {
        ns.points(i, k) = r.p[k];
        ns.normals(i, k) = r.n[k];
      }
      ++i;
    }
  try {
    ns.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return ns;
}

}  // namespace dtpinn::nodegen
