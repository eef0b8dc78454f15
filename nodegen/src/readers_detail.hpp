#pragma once
// Shared helpers of the geometry readers (private to nodegen/src).
#include <dtpinn/nodegen/node_set.hpp>
#include <dtpinn/nodegen/text_fields.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtpinn::nodegen::detail {

/// The one-line error every reader throws: "FILE:LINE: reason" (line <= 0: "FILE: reason").
[[noreturn]] inline void fail(const std::string& path, std::int64_t line, const std::string& why) {
  if (line > 0) throw std::runtime_error(path + ":" + std::to_string(line) + ": " + why);
  throw std::runtime_error(path + ": " + why);
}

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Lower-case extension with the dot (".stl"), or "" if none.
inline std::string extension(const std::string& path) {
  const auto slash = path.find_last_of("/\\");
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return lower(path.substr(dot));
}

using nodegen::split_fields;
using nodegen::trim;

/// Parses the whole token as a double; false for text, empty tokens and trailing garbage.
inline bool parse_number(const std::string& tok, double& out) {
  if (tok.empty()) return false;
  const char* s = tok.c_str();
  char* end = nullptr;
  out = std::strtod(s, &end);
  return end != s && *end == '\0';
}

/// Parses a numeric field or fails with "FILE:LINE: <what> 'tok' is not a number" / "is not
/// finite".
inline double number_or_fail(const std::string& tok, const std::string& path, std::int64_t line,
                             const std::string& what) {
  double v = 0.0;
  if (!parse_number(tok, v)) fail(path, line, what + " '" + tok + "' is not a number");
  if (!std::isfinite(v)) fail(path, line, what + " '" + tok + "' is not finite (NaN or Inf)");
  return v;
}

inline bool parse_integer(const std::string& tok, long long& out) {
  if (tok.empty()) return false;
  const char* s = tok.c_str();
  char* end = nullptr;
  out = std::strtoll(s, &end, 10);
  return end != s && *end == '\0';
}

/// Drops a UTF-8 byte order mark (EF BB BF) at the start of `line` (spreadsheet exports).
inline void strip_bom(std::string& line) {
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
}

/// A part table built while reading: names in order of first use, looked up by name.
struct PartTable {
  std::vector<std::string> names;
  std::map<std::string, std::int32_t> index;
  std::int32_t get(const std::string& name) {
    const auto it = index.find(name);
    if (it != index.end()) return it->second;
    names.push_back(name);
    return index[name] = static_cast<std::int32_t>(names.size() - 1);
  }
  /// Reorders the names numerically when every name is a non-negative integer (so part "2" is
  /// index 2 when 0..K-1 all occur); `part` is remapped.
  void sort_if_integers(std::vector<std::int32_t>& part) {
    std::vector<std::pair<long long, std::int32_t>> v;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const char* s = names[i].c_str();
      char* end = nullptr;
      const long long x = std::strtoll(s, &end, 10);
      if (end == s || *end != '\0' || names[i].size() > 18) return;
      v.push_back({x, static_cast<std::int32_t>(i)});
    }
    std::sort(v.begin(), v.end());
    std::vector<std::int32_t> to(names.size());
    std::vector<std::string> sorted;
    for (std::size_t k = 0; k < v.size(); ++k) {
      to[static_cast<std::size_t>(v[k].second)] = static_cast<std::int32_t>(k);
      sorted.push_back(names[static_cast<std::size_t>(v[k].second)]);
    }
    for (auto& p : part)
      if (p >= 0) p = to[static_cast<std::size_t>(p)];
    names = sorted;
    index.clear();
    for (std::size_t k = 0; k < names.size(); ++k) index[names[k]] = static_cast<std::int32_t>(k);
  }
};

/// The names of a `# parts: a b c` comment (our node CSV writes one), or false if `line` (already
/// trimmed) is not one. Fails "FILE:LINE" naming an invalid name.
inline bool parts_comment(const std::string& line, const std::string& path, std::int64_t lineno,
                          std::vector<std::string>& names) {
  if (line.rfind("#", 0) != 0) return false;
  const std::string body = trim(line.substr(1));
  if (body.rfind("parts:", 0) != 0) return false;
  names = split_fields(body.substr(6), false);
  for (const auto& n : names)
    if (!is_valid_part_name(n))
      fail(path, lineno,
           "part name '" + n + "' in the parts comment is not a word of [A-Za-z0-9_.-]");
  if (names.empty()) fail(path, lineno, "parts comment without names");
  return true;
}

/// The sidecar of a CSV that holds its part table: "PATH.parts".
inline std::string parts_sidecar_path(const std::string& path) {
  return path + ".parts";
}

/// The sidecar of a node CSV that holds its corner and edge nodes (node_io.hpp): "PATH.corners".
inline std::string corners_sidecar_path(const std::string& path) {
  return path + ".corners";
}

/// The names of the sidecar PATH.parts (one part name per line, in order; blank lines and
/// '#' lines skipped), or false when there is no such file. Fails "PATH.parts:LINE" naming an
/// invalid name, and "PATH.parts" when it names no part.
inline bool parts_sidecar(const std::string& path, std::vector<std::string>& names) {
  const std::string side = parts_sidecar_path(path);
  std::ifstream in(side);
  if (!in) return false;
  names.clear();
  std::string line;
  std::int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const std::string name = trim(line);
    if (name.empty() || name[0] == '#') continue;
    if (!is_valid_part_name(name))
      fail(side, lineno, "part name '" + name + "' is not a word of [A-Za-z0-9_.-]");
    names.push_back(name);
  }
  if (names.empty()) fail(side, 0, "names no part");
  return true;
}

}  // namespace dtpinn::nodegen::detail
