#pragma once
// Helpers of the CLI tests that run the dtpinn executable: run it, a fresh scratch path, write a
// small text file. (tests/cli/test_train.cpp keeps its own copies.)
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dtpinn::test::cli {

struct Run {
  int status = -1;
  std::string out;  // stdout + stderr, or stderr only
};

/// A build-time path, or the environment's value when set (a prebuilt test run from another
/// place sets DTPINN_EXE and DTPINN_TEST_TMPDIR).
inline std::string path_from_env(const char* name, const char* built) {
  const char* v = std::getenv(name);
  return v && *v ? v : built;
}

/// Runs `dtpinn ARGS`; stdout + stderr, or stderr only.
inline Run run(const std::string& args, bool stderr_only = false) {
  const std::string cmd = path_from_env("DTPINN_EXE", DTPINN_EXE) + " " + args +
                          (stderr_only ? " 2>&1 >/dev/null" : " 2>&1");
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// `name` under a scratch folder `folder`, removed first (not fs::remove_all: libtorch.so
/// exports a copy of it that crashes).
inline std::filesystem::path tmp(const std::string& folder, const std::string& name) {
  auto p =
      std::filesystem::path(path_from_env("DTPINN_TEST_TMPDIR", DTPINN_BINARY_DIR)) / folder / name;
  (void)std::system(("rm -rf '" + p.string() + "'").c_str());
  std::filesystem::create_directories(p.parent_path());
  return p;
}

inline std::string write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p.string();
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Lines of `text` (the last without a newline counts).
inline int line_count(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

}  // namespace dtpinn::test::cli
