// One line of a text table into its fields (text_fields.hpp).
#include <dtpinn/nodegen/text_fields.hpp>

#include <cctype>

namespace dtpinn::nodegen {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_fields(const std::string& line, bool commas) {
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

bool has_commas(const std::string& line) {
  return line.find_first_of(",;") != std::string::npos;
}

}  // namespace dtpinn::nodegen
