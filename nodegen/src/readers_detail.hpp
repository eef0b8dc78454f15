#pragma once
// Shared helpers of the geometry readers (private to nodegen/src).
#include <cmath>
#include <cstdint>
#include <cstdlib>
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

inline std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

/// Splits on whitespace, and also on ',' / ';' when `commas` is set (empty fields kept then).
inline std::vector<std::string> split_fields(const std::string& line, bool commas) {
  std::vector<std::string> out;
  if (commas) {
    std::string cur;
    for (char c : line) {
      if (c == ',' || c == ';') {
        out.push_back(trim(cur));
        cur.clear();
      } else {
        cur += c;
      }
    }
    out.push_back(trim(cur));
    return out;
  }
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

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

}  // namespace dtpinn::nodegen::detail
