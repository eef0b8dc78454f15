// MatrixMarket coordinate I/O for CSR operators.
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/rbffd/matrix_market.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace dtpinn::rbffd {

void write_matrix_market(const std::string& path, const CsrMatrix& m, const std::string& comment) {
  nodegen::AtomicFile file(path);
  auto& out = file.stream();
  out << "%%MatrixMarket matrix coordinate real general\n";
  if (!comment.empty()) {
    std::istringstream lines(comment);
    for (std::string line; std::getline(lines, line);) out << "% " << line << '\n';
  }
  out << m.rows << ' ' << m.cols << ' ' << m.nnz() << '\n';
  // fmt's shortest round-trip would also do; 17 significant digits is the documented format.
  fmt::memory_buffer buf;
  for (std::int32_t r = 0; r < m.rows; ++r)
    for (std::int32_t k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) {
      buf.clear();
      fmt::format_to(std::back_inserter(buf), "{} {} {:.17g}\n", r + 1, m.col_idx[k] + 1,
                     m.values[k]);
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    }
  file.commit();
}

namespace {

[[noreturn]] void fail(const std::string& path, long line, const std::string& why) {
  throw std::runtime_error(fmt::format("{}:{}: {}", path, line, why));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Parses one integer token starting at *p; advances p. False if none or trailing junk.
bool parse_int(const char*& p, long long& v) {
  while (*p == ' ' || *p == '\t') ++p;
  if (*p == '\0') return false;
  char* end = nullptr;
  errno = 0;
  v = std::strtoll(p, &end, 10);
  if (end == p || errno != 0 || (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\r'))
    return false;
  p = end;
  return true;
}

bool parse_double(const char*& p, double& v) {
  while (*p == ' ' || *p == '\t') ++p;
  if (*p == '\0') return false;
  char* end = nullptr;
  v = std::strtod(p, &end);
  if (end == p || (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\r')) return false;
  p = end;
  return true;
}

bool only_space(const char* p) {
  while (*p == ' ' || *p == '\t' || *p == '\r') ++p;
  return *p == '\0';
}

}  // namespace

CsrMatrix read_matrix_market(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open for reading", path));
  std::string line;
  long line_no = 0;
  if (!std::getline(in, line)) fail(path, 1, "empty file (expected a %%MatrixMarket header)");
  ++line_no;
  {
    std::istringstream h(lower(line));
    std::string banner, object, format, field, symmetry;
    h >> banner >> object >> format >> field >> symmetry;
    if (banner != "%%matrixmarket" || object != "matrix")
      fail(path, line_no, "not a MatrixMarket matrix header");
    if (format != "coordinate") fail(path, line_no, "only the coordinate format is supported");
    if (field != "real" && field != "integer" && field != "double")
      fail(path, line_no, fmt::format("field '{}' unsupported (real or integer)", field));
    if (symmetry != "general")
      fail(path, line_no, fmt::format("symmetry '{}' unsupported (general only)", symmetry));
  }
  long long rows = -1, cols = -1, nnz = -1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '%' || only_space(line.c_str())) continue;
    const char* p = line.c_str();
    if (!parse_int(p, rows) || !parse_int(p, cols) || !parse_int(p, nnz) || !only_space(p))
      fail(path, line_no, "expected the size line 'rows cols nnz'");
    if (rows < 0 || cols < 0 || nnz < 0 || rows >= (1LL << 31) - 1 || cols >= (1LL << 31) - 1 ||
        nnz >= (1LL << 31) - 1 || (rows * cols < nnz))
      fail(path, line_no, "sizes out of range for 32-bit CSR");
    break;
  }
  if (rows < 0) fail(path, line_no, "missing size line");

  struct Entry {
    std::int32_t r, c;
    double v;
    long line;
  };
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(nnz));
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '%' || only_space(line.c_str())) continue;
    if (static_cast<long long>(entries.size()) == nnz)
      fail(path, line_no, fmt::format("more entries than the {} declared", nnz));
    const char* p = line.c_str();
    long long i = 0, j = 0;
    double v = 0.0;
    if (!parse_int(p, i) || !parse_int(p, j) || !parse_double(p, v) || !only_space(p))
      fail(path, line_no, "expected 'row col value'");
    if (i < 1 || i > rows || j < 1 || j > cols)
      fail(path, line_no,
           fmt::format("index ({}, {}) outside the {} x {} matrix", i, j, rows, cols));
    if (!std::isfinite(v)) fail(path, line_no, "value is not finite");
    entries.push_back(
        {static_cast<std::int32_t>(i - 1), static_cast<std::int32_t>(j - 1), v, line_no});
  }
  if (static_cast<long long>(entries.size()) != nnz)
    fail(path, line_no, fmt::format("{} entries found, {} declared", entries.size(), nnz));

  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.r != b.r ? a.r < b.r : a.c < b.c;
  });
  CsrMatrix m;
  m.rows = static_cast<std::int32_t>(rows);
  m.cols = static_cast<std::int32_t>(cols);
  m.row_ptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  m.col_idx.reserve(entries.size());
  m.values.reserve(entries.size());
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    if (k > 0 && entries[k - 1].r == e.r && entries[k - 1].c == e.c)
      fail(path, e.line,
           fmt::format("duplicate entry ({}, {}), first on line {}", e.r + 1, e.c + 1,
                       entries[k - 1].line));
    ++m.row_ptr[e.r + 1];
    m.col_idx.push_back(e.c);
    m.values.push_back(e.v);
  }
  for (std::int32_t r = 0; r < m.rows; ++r) m.row_ptr[r + 1] += m.row_ptr[r];
  return m;
}

}  // namespace dtpinn::rbffd
