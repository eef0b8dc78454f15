#pragma once
// Helpers shared by the test programs (every test target has tests/common on its include path):
// the message of an expected exception, writing a small text file, removing a scratch folder.
#include <ftw.h>
#include <sys/stat.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

namespace dtpinn::test {

/// The message of the E that f() throws, "" if it throws none. Exceptions that are not an E
/// propagate (the test fails with them), so error_of<std::runtime_error> also checks the type.
template <class E = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

/// Writes `text` to `path` byte for byte (binary mode), replacing the file.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

namespace detail {
inline int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return std::remove(path);
}
}  // namespace detail

/// Removes `path` and everything below it, if it exists (links are removed, not followed).
/// Not std::filesystem::remove_all: in the programs linked with LibTorch that symbol resolves
/// to a copy exported by libtorch.so, which crashes.
inline void remove_tree(const std::filesystem::path& path) {
  ::nftw(path.c_str(), detail::remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace dtpinn::test
