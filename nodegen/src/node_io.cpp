// Node files: CSV (exchange, exact round trip), PLY and legacy VTK (viewing).
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/node_io.hpp>

#include "readers_detail.hpp"

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

// The part of node i: its part name for a boundary node and a ghost (its boundary node's),
// -1 for an interior node.
std::int32_t node_part(const NodeSet& ns, Index i) {
  switch (ns.kind(i)) {
    case NodeKind::interior:
      return -1;
    case NodeKind::boundary:
      return ns.part_of_boundary(i - ns.n_interior);
    case NodeKind::ghost:
      return ns.part_of_boundary(i - ns.ghost_begin());
  }
  return -1;
}

void write_csv(const std::string& path, const NodeSet& ns) {
  AtomicFile f(path);
  auto& o = f.stream();
  o << (ns.dim == 2 ? "x,y,kind,nx,ny,part\n" : "x,y,z,kind,nx,ny,nz,part\n");
  o << "# parts:";
  for (const auto& n : ns.part_names) o << ' ' << n;
  o << '\n';
  // Corners: "# corner K PART NX NY [NZ] PART NX NY [NZ] ...", K the boundary row's ordinal
  // among the file's boundary rows (= boundary node K, in the order written below).
  for (const auto& c : ns.corners) {
    o << "# corner " << c.boundary;
    for (const auto& side : c.sides) {
      o << ' ' << ns.part_names[std::size_t(side.part)];
      for (int k = 0; k < ns.dim; ++k) o << ' ' << num(side.normal[std::size_t(k)]);
    }
    o << '\n';
  }
  std::string line;
  for (Index i = 0; i < ns.size(); ++i) {
    line.clear();
    for (int k = 0; k < ns.dim; ++k) line += num(ns.points(i, k)) + ",";
    line += to_string(ns.kind(i));
    for (int k = 0; k < ns.dim; ++k) line += "," + num(ns.normals(i, k));
    const std::int32_t p = node_part(ns, i);
    line += ",";
    if (p >= 0) line += ns.part_names[std::size_t(p)];
    line += '\n';
    o << line;
  }
  f.commit();
}

void write_ply(const std::string& path, const NodeSet& ns) {
  AtomicFile f(path);
  auto& o = f.stream();
  o << "ply\nformat ascii 1.0\ncomment dtpinn node set: kind 0 interior, 1 boundary, 2 ghost\n"
    << "comment part: the boundary part index (-1 interior; a ghost has its boundary node's)\n";
  for (std::size_t p = 0; p < ns.part_names.size(); ++p)
    o << "comment part " << p << ' ' << ns.part_names[p] << '\n';
  o << "element vertex " << ns.size() << "\n"
    << "property double x\nproperty double y\nproperty double z\n"
    << "property double nx\nproperty double ny\nproperty double nz\n"
    << "property uchar kind\nproperty int part\nend_header\n";
  for (Index i = 0; i < ns.size(); ++i) {
    const double z = ns.dim == 3 ? ns.points(i, 2) : 0.0;
    const double nz = ns.dim == 3 ? ns.normals(i, 2) : 0.0;
    o << fmt::format("{} {} {} {} {} {} {} {}\n", num(ns.points(i, 0)), num(ns.points(i, 1)),
                     num(z), num(ns.normals(i, 0)), num(ns.normals(i, 1)), num(nz), int(ns.kind(i)),
                     node_part(ns, i));
  }
  f.commit();
}

void write_vtk(const std::string& path, const NodeSet& ns) {
  AtomicFile f(path);
  auto& o = f.stream();
  const Index n = ns.size();
  o << "# vtk DataFile Version 3.0\ndtpinn node set (kind 0 interior, 1 boundary, 2 ghost; "
       "part -1 interior, names in FieldData)\n"
    << "ASCII\nDATASET POLYDATA\n";
  // The part names as dataset field data: one 1-tuple int array per part, named by the part,
  // holding its index (legacy VTK has no portable string arrays).
  o << "FIELD FieldData " << ns.part_names.size() << "\n";
  for (std::size_t p = 0; p < ns.part_names.size(); ++p)
    o << ns.part_names[p] << " 1 1 int\n" << p << "\n";
  o << "POINTS " << n << " double\n";
  for (Index i = 0; i < n; ++i)
    o << fmt::format("{} {} {}\n", num(ns.points(i, 0)), num(ns.points(i, 1)),
                     num(ns.dim == 3 ? ns.points(i, 2) : 0.0));
  o << "VERTICES " << n << " " << 2 * n << "\n";
  for (Index i = 0; i < n; ++i) o << "1 " << i << "\n";
  o << "POINT_DATA " << n << "\nSCALARS kind int 1\nLOOKUP_TABLE default\n";
  for (Index i = 0; i < n; ++i) o << int(ns.kind(i)) << "\n";
  o << "SCALARS part int 1\nLOOKUP_TABLE default\n";
  for (Index i = 0; i < n; ++i) o << node_part(ns, i) << "\n";
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

namespace {

struct CsvRow {
  double p[3], n[3];
  long line;
  std::string part;  // as written; "" for none
};

// The header: 2 or 3 (the dimension) and whether it has the part column; 0 if not a header.
int parse_header(const std::vector<std::string>& cols, bool& has_part) {
  std::vector<std::string> h;
  for (const auto& c : cols) h.push_back(lower(c));
  has_part = !h.empty() && h.back() == "part";
  if (has_part) h.pop_back();
  if (h == std::vector<std::string>{"x", "y", "kind", "nx", "ny"}) return 2;
  if (h == std::vector<std::string>{"x", "y", "z", "kind", "nx", "ny", "nz"}) return 3;
  return 0;
}

// One data line into `row`; returns the kind index (0 interior, 1 boundary, 2 ghost).
template <class Fail>
int parse_row(const std::vector<std::string>& cols, int dim, bool has_part, long lineno, CsvRow& r,
              const Fail& fail) {
  const std::size_t want = std::size_t(2 * dim + 1 + (has_part ? 1 : 0));
  if (cols.size() != want)
    fail(lineno, fmt::format("expected {} columns, got {}", want, cols.size()));
  r.line = lineno;
  auto number = [&](const std::string& s, const char* what) {
    if (s.empty()) fail(lineno, fmt::format("empty {} column", what));
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) fail(lineno, fmt::format("{} '{}' is not a number", what, s));
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
  if (has_part) {
    r.part = cols.back() == "-" ? std::string() : cols.back();
    if (!r.part.empty() && !is_valid_part_name(r.part))
      fail(lineno, fmt::format("part '{}' is not a part name (1-64 characters of [A-Za-z0-9_.-], "
                               "starting with a letter or digit)",
                               r.part));
    if (kk == 1 && r.part.empty()) fail(lineno, "boundary node without a part");
    if (kk == 0 && !r.part.empty())
      fail(lineno, fmt::format("interior node with part '{}' (leave it empty)", r.part));
  }
  return kk;
}

// The part table and boundary parts from the rows (ghost k must name boundary k's part, or
// nothing). `table` holds the names of a `# parts:` comment, if any (fixed order).
template <class Fail>
void assign_parts(const std::vector<CsvRow> rows[3], std::vector<std::string> table, bool fixed,
                  NodeSet& ns, const Fail& fail) {
  std::map<std::string, std::int32_t> index;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (!index.emplace(table[i], std::int32_t(i)).second)
      fail(0, fmt::format("part '{}' appears twice in the '# parts:' comment", table[i]));
  }
  for (const auto& r : rows[1]) {
    auto it = index.find(r.part);
    if (it == index.end()) {
      if (fixed) fail(r.line, fmt::format("part '{}' is not in the '# parts:' comment", r.part));
      table.push_back(r.part);
      it = index.emplace(r.part, std::int32_t(table.size() - 1)).first;
    }
    ns.boundary_part.push_back(it->second);
  }
  for (std::size_t k = 0; k < rows[2].size(); ++k) {
    const auto& g = rows[2][k];
    if (!g.part.empty() && g.part != rows[1][k].part)
      fail(g.line, fmt::format("ghost node has part '{}', its boundary node (line {}) '{}'", g.part,
                               rows[1][k].line, rows[1][k].part));
  }
  ns.part_names = table;
}

// A "# corner ..." comment as written by write_csv (the dimension is known only later).
struct CornerLine {
  long line = 0;
  std::vector<std::string> words;  ///< after "# corner"
};

bool corner_comment(const std::string& line, long lineno, std::vector<CornerLine>& out) {
  const std::string head = "# corner ";
  if (line.compare(0, head.size(), head) != 0) return false;
  CornerLine c;
  c.line = lineno;
  std::size_t at = head.size();
  while (at < line.size()) {
    const std::size_t end = line.find(' ', at);
    const std::string w = line.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!w.empty()) c.words.push_back(w);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  out.push_back(std::move(c));
  return true;
}

// The corner table from its comment lines, once the dimension and the part table are known.
template <class Fail>
void assign_corners(const std::vector<CornerLine>& lines, NodeSet& ns, const Fail& fail) {
  for (const auto& c : lines) {
    const std::size_t per_side = std::size_t(1 + ns.dim);
    if (c.words.size() < 1 + 2 * per_side || (c.words.size() - 1) % per_side != 0)
      fail(c.line, fmt::format("a corner line needs a boundary row and 2 or more sides of a part "
                               "and {} normal components",
                               ns.dim));
    BoundaryCorner corner;
    char* end = nullptr;
    corner.boundary = std::strtoll(c.words[0].c_str(), &end, 10);
    if (end != c.words[0].c_str() + c.words[0].size() || corner.boundary < 0 ||
        corner.boundary >= ns.n_boundary)
      fail(c.line, fmt::format("corner row '{}' is not a boundary row 0..{}", c.words[0],
                               ns.n_boundary - 1));
    for (std::size_t w = 1; w < c.words.size(); w += per_side) {
      CornerSide side;
      side.part = ns.find_part(c.words[w]);
      if (side.part < 0) fail(c.line, fmt::format("corner part '{}' is not a part", c.words[w]));
      for (int k = 0; k < ns.dim; ++k) {
        const std::string& v = c.words[w + 1 + std::size_t(k)];
        side.normal[std::size_t(k)] = std::strtod(v.c_str(), &end);
        if (end != v.c_str() + v.size() || !std::isfinite(side.normal[std::size_t(k)]))
          fail(c.line, fmt::format("corner normal component '{}' is not a number", v));
      }
      corner.sides.push_back(side);
    }
    ns.corners.push_back(std::move(corner));
  }
  std::sort(
      ns.corners.begin(), ns.corners.end(),
      [](const BoundaryCorner& a, const BoundaryCorner& b) { return a.boundary < b.boundary; });
}

}  // namespace

NodeSet read_nodes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open (missing file?)");
  auto fail = [&path](long line, const std::string& why) -> void {
    if (line <= 0) throw std::runtime_error(fmt::format("{}: {}", path, why));
    throw std::runtime_error(fmt::format("{}:{}: {}", path, line, why));
  };
  std::string raw;
  long lineno = 0;
  int dim = 0;
  bool has_part = false, fixed_table = false;
  std::vector<std::string> table;
  long table_line = 0;
  std::vector<CsvRow> rows[3];  // by kind
  std::vector<CornerLine> corner_lines;
  while (std::getline(in, raw)) {
    ++lineno;
    if (lineno == 1) detail::strip_bom(raw);  // spreadsheet exports start with a BOM
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::vector<std::string> names;
      if (detail::parts_comment(line, path, lineno, names)) {
        table = names;
        fixed_table = true;
        table_line = lineno;
      }
      corner_comment(line, lineno, corner_lines);
      continue;
    }
    const auto cols = split(line);
    if (dim == 0) {
      dim = parse_header(cols, has_part);
      if (dim == 0)
        fail(lineno, "bad header '" + line +
                         "', expected 'x,y,kind,nx,ny[,part]' or 'x,y,z,kind,nx,ny,nz[,part]'");
      continue;
    }
    CsvRow r{};
    const int kk = parse_row(cols, dim, has_part, lineno, r, fail);
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
  if (has_part) {
    auto fail_table = [&](long line, const std::string& why) {
      fail(line > 0 ? line : table_line, why);
    };
    assign_parts(rows, table, fixed_table, ns, fail_table);
  }
  assign_corners(corner_lines, ns, fail);
  try {
    ns.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  // Normals that do not fit the boundary, interior nodes outside it (checks.hpp): the file's
  // line of the node, rows are in NodeSet order here.
  if (const NodeProblem p = check_node_set(ns)) {
    Index k = p.node;
    for (const auto& group : rows) {
      if (k < Index(group.size())) fail(group[std::size_t(k)].line, p.reason);
      k -= Index(group.size());
    }
  }
  return ns;
}

}  // namespace dtpinn::nodegen
