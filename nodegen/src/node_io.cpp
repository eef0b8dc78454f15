// Node files: CSV (exchange, exact round trip), PLY and legacy VTK (viewing).
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/vtk_points.hpp>

#include "readers_detail.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace dtpinn::nodegen {
namespace {

using detail::lower;

// Shortest decimal that reads back to the same double.
std::string num(double v) {
  return fmt::format("{}", v == 0.0 ? 0.0 : v);
}

/// True when the rows of a CSV give `ns`'s part table back by themselves: the parts in order of
/// first appearance on the boundary rows, every part with a node.
bool rows_give_the_table(const NodeSet& ns) {
  std::vector<std::int32_t> order;
  for (Index k = 0; k < ns.n_boundary; ++k) {
    const std::int32_t p = ns.part_of_boundary(k);
    if (std::find(order.begin(), order.end(), p) == order.end()) order.push_back(p);
  }
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] != std::int32_t(i)) return false;
  return order.size() == ns.part_names.size();
}

// The corner sidecar's lines: "K PART NX NY [NZ] PART NX NY [NZ] ...", K the boundary row's
// ordinal among the file's boundary rows (= boundary node K, in the order write_csv uses).
void write_corner_lines(std::ostream& o, const NodeSet& ns) {
  for (const auto& c : ns.corners) {
    o << c.boundary;
    for (const auto& side : c.sides) {
      o << ' ' << ns.part_names[std::size_t(side.part)];
      for (int k = 0; k < ns.dim; ++k) o << ' ' << num(side.normal[std::size_t(k)]);
    }
    o << '\n';
  }
}

// The rows, with a header and nothing else (pandas.read_csv and numpy.genfromtxt read it with
// their defaults); the part table goes into the sidecar PATH.parts when the rows do not give it
// back by themselves, the corners into PATH.corners when there are any (stale sidecars are
// removed).
void write_csv(const std::string& path, const NodeSet& ns) {
  const std::string name = path.substr(path.find_last_of('/') + 1);
  const std::string sidecar = detail::parts_sidecar_path(path);
  std::unique_ptr<AtomicFile> table;
  if (!rows_give_the_table(ns)) {
    table = std::make_unique<AtomicFile>(sidecar);
    table->stream() << "# the part table of " << name << " (dtpinn), in order\n";
    for (const auto& n : ns.part_names) table->stream() << n << '\n';
  }
  const std::string corner_sidecar = detail::corners_sidecar_path(path);
  std::unique_ptr<AtomicFile> corners;
  if (!ns.corners.empty()) {
    corners = std::make_unique<AtomicFile>(corner_sidecar);
    corners->stream() << "# the corner and edge nodes of " << name
                      << " (dtpinn): boundary row K (0-based among the boundary rows), then each "
                         "side's part and outward normal\n";
    write_corner_lines(corners->stream(), ns);
  }
  const auto parts = node_parts(ns);
  AtomicFile f(path);
  auto& o = f.stream();
  o << (ns.dim == 2 ? "x,y,kind,nx,ny,part\n" : "x,y,z,kind,nx,ny,nz,part\n");
  std::string line;
  for (Index i = 0; i < ns.size(); ++i) {
    line.clear();
    for (int k = 0; k < ns.dim; ++k) line += num(ns.points(i, k)) + ",";
    line += to_string(ns.kind(i));
    for (int k = 0; k < ns.dim; ++k) line += "," + num(ns.normals(i, k));
    const auto p = static_cast<std::int32_t>(parts[std::size_t(i)]);
    line += ",";
    if (p >= 0) line += ns.part_names[std::size_t(p)];
    line += '\n';
    o << line;
  }
  f.commit();
  if (table)
    table->commit();
  else
    std::remove(sidecar.c_str());
  if (corners)
    corners->commit();
  else
    std::remove(corner_sidecar.c_str());
}

void write_ply(const std::string& path, const NodeSet& ns) {
  const auto parts = node_parts(ns);
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
                     static_cast<int>(parts[std::size_t(i)]));
  }
  f.commit();
}

void write_vtk(const std::string& path, const NodeSet& ns) {
  AtomicFile f(path);
  std::vector<double> kinds(static_cast<std::size_t>(ns.size()));
  for (Index i = 0; i < ns.size(); ++i) kinds[static_cast<std::size_t>(i)] = int(ns.kind(i));
  write_vtk_points(f.stream(),
                   "dtpinn node set (kind 0 interior, 1 boundary, 2 ghost; part -1 interior, "
                   "names in FieldData)",
                   ns.points, {{"kind", kinds, true}, {"part", node_parts(ns), true}},
                   ns.part_names, &ns.normals);
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
// nothing). `table` holds the names of a fixed table (a `# parts:` comment or the sidecar,
// named by `table_source`), or is empty (the parts in order of first appearance).
template <class Fail>
void assign_parts(const std::vector<CsvRow> rows[3], std::vector<std::string> table,
                  const std::string& table_source, NodeSet& ns, const Fail& fail) {
  std::map<std::string, std::int32_t> index;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (!index.emplace(table[i], std::int32_t(i)).second)
      fail(0, fmt::format("part '{}' appears twice in {}", table[i], table_source));
  }
  for (const auto& r : rows[1]) {
    auto it = index.find(r.part);
    if (it == index.end()) {
      if (!table_source.empty())
        fail(r.line, fmt::format("part '{}' is not in {}", r.part, table_source));
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
  bool has_part = false;
  std::string table_source;  // where a fixed part table came from ("" for none)
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
        table_source = "the '# parts:' comment";
        table_line = lineno;
      }
      corner_comment(line, lineno, corner_lines);
      continue;
    }
    const auto cols = split_fields(line, true);
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
    // Files written since the table left the CSV keep it in the sidecar PATH.parts.
    if (table_source.empty() && detail::parts_sidecar(path, table))
      table_source = detail::parts_sidecar_path(path);
    auto fail_table = [&](long line, const std::string& why) {
      fail(line > 0 ? line : table_line, why);
    };
    assign_parts(rows, table, table_source, ns, fail_table);
  }
  if (!corner_lines.empty()) {
    assign_corners(corner_lines, ns, fail);  // `# corner` comments (files of older versions)
  } else {
    const std::string side = detail::corners_sidecar_path(path);
    std::ifstream cin(side);
    long n = 0;
    for (std::string l; std::getline(cin, l);) {
      ++n;
      const std::string t = trim(l);
      if (!t.empty() && t[0] != '#') corner_comment("# corner " + t, n, corner_lines);
    }
    assign_corners(corner_lines, ns, [&side](long line, const std::string& why) {
      throw std::runtime_error(fmt::format("{}:{}: {}", side, line, why));
    });
  }
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
