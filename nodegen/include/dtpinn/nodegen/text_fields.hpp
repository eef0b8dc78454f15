#pragma once
// THE splitter of the text tables dtpinn reads (node CSVs, point tables, eval's points):
// one line into its fields.
#include <string>
#include <vector>

namespace dtpinn::nodegen {

/// `s` without leading and trailing spaces, tabs, CR and LF.
std::string trim(const std::string& s);

/// Splits on ',' and ';' when `commas` (every field trimmed, empty fields kept, a trailing
/// separator giving a last empty field), else on runs of whitespace.
std::vector<std::string> split_fields(const std::string& line, bool commas);

/// True when `line` separates its fields with ',' or ';' (else whitespace).
bool has_commas(const std::string& line);

}  // namespace dtpinn::nodegen
