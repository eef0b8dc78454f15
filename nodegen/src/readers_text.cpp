// Point tables (.xyz / .csv / .txt): one point per line, optional header, optional normals and
// kind column. Strict: every data line must have the same number of fields, every numeric field
// must parse completely and be finite; the first offending line is named in the error.
#include <dtpinn/nodegen/readers.hpp>

#include <dtpinn/nodegen/node_set.hpp>

#include <array>
#include <fstream>
#include <map>

#include "readers_detail.hpp"

namespace dtpinn::nodegen {
namespace {

using detail::fail;

enum Col { kX, kY, kZ, kNX, kNY, kNZ, kKind, kPart, kLoop, kIgnore };

bool kind_word(const std::string& tok, NodeKind* kind = nullptr) {
  const std::string t = detail::lower(tok);
  NodeKind k;
  if (t == "interior" || t == "i") {
    k = NodeKind::interior;
  } else if (t == "boundary" || t == "b") {
    k = NodeKind::boundary;
  } else if (t == "ghost" || t == "g") {
    k = NodeKind::ghost;
  } else {
    return false;
  }
  if (kind) *kind = k;
  return true;
}

Col header_column(const std::string& name) {
  static const std::map<std::string, Col> names = {
      {"x", kX},         {"y", kY},         {"z", kZ},        {"nx", kNX},      {"ny", kNY},
      {"nz", kNZ},       {"kind", kKind},   {"label", kKind}, {"type", kKind},  {"normal_x", kNX},
      {"normal_y", kNY}, {"normal_z", kNZ}, {"part", kPart},  {"group", kPart}, {"loop", kLoop}};
  std::string n = detail::lower(name);
  // Tolerate quotes and a leading "//" or "#" left by some exporters.
  while (!n.empty() &&
         (n.front() == '"' || n.front() == '\'' || n.front() == '#' || n.front() == '/'))
    n.erase(n.begin());
  while (!n.empty() && (n.back() == '"' || n.back() == '\'')) n.pop_back();
  const auto it = names.find(detail::trim(n));
  return it == names.end() ? kIgnore : it->second;
}

bool is_comment(const std::string& t) {
  return t.empty() || t[0] == '#' || t[0] == '%' || (t.size() > 1 && t[0] == '/' && t[1] == '/');
}

/// The part of one row: a part name (or a non-negative integer, which is one), or -1 for an
/// empty / "-" field, allowed only where the row is not a boundary point.
std::int32_t row_part(const std::string& tok, bool boundary, detail::PartTable& table,
                      const std::string& path, std::int64_t line) {
  if (tok.empty() || tok == "-") {
    if (boundary) fail(path, line, "boundary point without a part (empty part column)");
    return -1;
  }
  if (!is_valid_part_name(tok))
    fail(path, line,
         "part '" + tok +
             "' is not a part name (1-64 characters of [A-Za-z0-9_.-], starting with a "
             "letter or digit, or a non-negative integer)");
  return boundary ? table.get(tok) : -1;
}

/// The columns of the first non-comment line: named by it if it is a header (no number in it),
/// else inferred from the count of numeric fields.
std::vector<Col> first_line_columns(const std::vector<std::string>& f, bool& header,
                                    const std::string& path, std::int64_t lineno) {
  std::vector<Col> cols;
  header = false;
  int numeric = 0, kindcol = -1;
  for (std::size_t i = 0; i < f.size(); ++i) {
    double v;
    if (detail::parse_number(f[i], v)) {
      ++numeric;
    } else if (kind_word(f[i]) && kindcol < 0) {
      kindcol = static_cast<int>(i);
    }
  }
  if (numeric == 0) {  // a header line
    for (const auto& name : f) cols.push_back(header_column(name));
    header = true;
    return cols;
  }
  // No header: infer the meaning from the count of numeric columns.
  const int n = static_cast<int>(f.size()) - (kindcol >= 0 ? 1 : 0);
  static const std::map<int, std::vector<Col>> layouts = {
      {2, {kX, kY}}, {3, {kX, kY, kZ}}, {4, {kX, kY, kNX, kNY}}, {6, {kX, kY, kZ, kNX, kNY, kNZ}}};
  const auto it = layouts.find(n);
  if (it == layouts.end())
    fail(path, lineno,
         "cannot tell what " + std::to_string(f.size()) +
             " columns mean; add a header line naming them (x,y,z,nx,ny,nz,kind)");
  cols = it->second;
  if (kindcol >= 0) cols.insert(cols.begin() + kindcol, kKind);
  return cols;
}

/// What the columns hold; fails "FILE:LINE" for a column named twice, no x or y, or normal
/// columns that do not match the dimension.
struct TableLayout {
  int dim = 2;
  bool normals = false, kind = false, part = false, loop = false;
};

TableLayout check_columns(const std::vector<Col>& cols, const std::string& path, std::int64_t at) {
  bool seen[kIgnore] = {};
  for (Col c : cols) {
    if (c == kIgnore) continue;
    if (seen[c]) fail(path, at, "column named twice");
    seen[c] = true;
  }
  if (!seen[kX] || !seen[kY]) fail(path, at, "no x and y columns in the header");
  TableLayout L;
  L.dim = seen[kZ] ? 3 : 2;
  const int nnorm = int(seen[kNX]) + int(seen[kNY]) + int(seen[kNZ]);
  if (nnorm != 0 && nnorm != L.dim)
    fail(path, at,
         "normal columns do not match the dimension (need " + std::to_string(L.dim) + ")");
  L.normals = nnorm > 0;
  L.kind = seen[kKind];
  L.part = seen[kPart];
  L.loop = seen[kLoop];
  if (L.loop && (L.dim != 2 || L.kind))
    fail(path, at, "a loop column belongs to a 2D outline (x, y, loop), without a kind column");
  return L;
}

}  // namespace

PointCloud read_point_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, 0, "cannot open file");

  std::vector<Col> cols;
  bool commas = false, have_layout = false;
  std::vector<std::array<double, 6>> values;
  std::vector<NodeKind> kinds;
  std::vector<std::int64_t> lines;
  std::vector<std::int32_t> parts, loops;
  detail::PartTable table;
  bool fixed_table = false;  // a `# parts:` comment gave the table
  std::string line;
  std::int64_t lineno = 0;
  int dim = 0;
  bool has_normals = false, has_kind = false, has_part = false;

  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1) detail::strip_bom(line);
    const std::string t = detail::trim(line);
    std::vector<std::string> named;
    if (detail::parts_comment(t, path, lineno, named)) {
      for (const auto& n : named) table.get(n);
      fixed_table = true;
    }
    if (is_comment(t)) continue;
    if (!have_layout) {
      commas = t.find(',') != std::string::npos || t.find(';') != std::string::npos;
      const auto f = detail::split_fields(t, commas);
      bool header = false;
      cols = first_line_columns(f, header, path, lineno);
      const TableLayout lay = check_columns(cols, path, lineno);
      dim = lay.dim;
      has_normals = lay.normals;
      has_kind = lay.kind;
      has_part = lay.part;
      have_layout = true;
      if (header) continue;
    }
    const auto f = detail::split_fields(t, commas);
    if (f.size() != cols.size())
      fail(path, lineno,
           "expected " + std::to_string(cols.size()) + " columns, found " +
               std::to_string(f.size()));
    std::array<double, 6> row{};
    NodeKind kind = NodeKind::boundary;
    std::size_t part_col = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
      const Col c = cols[i];
      if (c == kIgnore) continue;
      if (c == kPart) {
        part_col = i;
        continue;
      }
      if (c == kLoop) {
        long long l;
        if (!detail::parse_integer(f[i], l) || l < 0 || l > 1000000)
          fail(path, lineno, "loop '" + f[i] + "' is not a loop number (0, 1, 2, ...)");
        loops.push_back(static_cast<std::int32_t>(l));
        continue;
      }
      if (c == kKind) {
        long long k;
        if (kind_word(f[i], &kind)) continue;
        if (detail::parse_integer(f[i], k) && k >= 0 && k <= 2) {
          kind = static_cast<NodeKind>(k);
          continue;
        }
        fail(path, lineno, "kind '" + f[i] + "' is not interior, boundary or ghost");
      }
      static const char* names[] = {"x", "y", "z", "nx", "ny", "nz"};
      row[c] = detail::number_or_fail(
          f[i], path, lineno,
          std::string("column ") + std::to_string(i + 1) + " (" + names[c] + ")");
    }
    values.push_back(row);
    if (has_kind) kinds.push_back(kind);
    if (has_part) {
      const std::size_t before = table.names.size();
      parts.push_back(row_part(f[part_col], kind == NodeKind::boundary, table, path, lineno));
      if (fixed_table && table.names.size() != before)
        fail(path, lineno, "part '" + f[part_col] + "' is not in the '# parts:' comment");
    }
    lines.push_back(lineno);
  }
  if (lineno == 0) fail(path, 0, "empty file");
  // A node CSV's part table in its sidecar PATH.parts (node_io.hpp), when no comment gave one.
  if (has_part && !fixed_table) {
    std::vector<std::string> named;
    if (detail::parts_sidecar(path, named)) {
      detail::PartTable fixed;
      for (const auto& n : named) fixed.get(n);
      for (auto& p : parts) {
        if (p < 0) continue;
        const std::string& name = table.names[static_cast<std::size_t>(p)];
        if (!fixed.index.count(name))
          fail(path, 0, "part '" + name + "' is not in " + detail::parts_sidecar_path(path));
        p = fixed.index.at(name);
      }
      table = fixed;
      fixed_table = true;
    }
  }
  if (values.empty()) fail(path, lineno, "no data lines (empty point table)");

  PointCloud cloud;
  cloud.dim = dim;
  const auto n = static_cast<Eigen::Index>(values.size());
  cloud.points.resize(n, dim);
  if (has_normals) cloud.normals.resize(n, dim);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int d = 0; d < dim; ++d) {
      cloud.points(i, d) = values[i][d];
      if (has_normals) cloud.normals(i, d) = values[i][3 + d];
    }
  }
  cloud.kinds = std::move(kinds);
  cloud.lines = std::move(lines);
  cloud.loop = std::move(loops);
  if (has_part) {
    if (!fixed_table) table.sort_if_integers(parts);
    cloud.part = std::move(parts);
    cloud.part_names = table.names.empty() ? std::vector<std::string>{"boundary"} : table.names;
  }
  return cloud;
}

}  // namespace dtpinn::nodegen
