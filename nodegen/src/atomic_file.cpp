#include <dtpinn/nodegen/atomic_file.hpp>

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace dtpinn::nodegen {

AtomicFile::AtomicFile(std::string path, bool binary)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp." + std::to_string(::getpid())) {
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  out_.open(tmp_path_, binary ? std::ios::out | std::ios::binary | std::ios::trunc
                              : std::ios::out | std::ios::trunc);
  if (!out_) throw std::runtime_error(path_ + ": cannot open for writing");
  out_.precision(17);
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::remove(tmp_path_.c_str());
  }
}

void AtomicFile::commit() {
  out_.flush();
  if (!out_) throw std::runtime_error(path_ + ": write failed");
  out_.close();
  std::error_code ec;
  std::filesystem::rename(tmp_path_, path_, ec);
  if (ec) throw std::runtime_error(path_ + ": cannot rename into place: " + ec.message());
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  f.stream() << text;
  f.commit();
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string join_path(const std::string& a, const std::string& b) {
  return a.empty() || a.back() == '/' ? a + b : a + "/" + b;
}

std::string absolute_path(const std::string& path, const std::string& base) {
  std::string full = path;
  if (full.empty() || full[0] != '/') {
    std::string folder = base;
    if (folder.empty() || folder[0] != '/') {
      std::vector<char> cwd(4096);
      if (!::getcwd(cwd.data(), cwd.size()))
        throw std::runtime_error(path + ": cannot resolve it (the current folder is unknown)");
      folder = folder.empty() ? std::string(cwd.data()) : join_path(cwd.data(), folder);
    }
    full = join_path(folder, full);
  }
  // Lexically: "." dropped, ".." takes the previous name away (no links are followed).
  std::vector<std::string> names;
  std::size_t pos = 1;
  while (pos <= full.size()) {
    const auto next = std::min(full.find('/', pos), full.size());
    const std::string name = full.substr(pos, next - pos);
    if (name == "..") {
      if (!names.empty()) names.pop_back();
    } else if (!name.empty() && name != ".") {
      names.push_back(name);
    }
    pos = next + 1;
  }
  std::string out;
  for (const auto& n : names) out += "/" + n;
  return out.empty() ? "/" : out;
}

void make_directories(const std::string& dir) {
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    const auto next = dir.find('/', pos);
    const std::string cur = dir.substr(0, next == std::string::npos ? dir.size() : next);
    if (!cur.empty() && !is_directory(cur) && ::mkdir(cur.c_str(), 0777) != 0 && errno != EEXIST)
      throw std::runtime_error(dir + ": cannot create the output folder (" + std::strerror(errno) +
                               ")");
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  if (!is_directory(dir))
    throw std::runtime_error(dir + ": cannot create the output folder (not a folder)");
}

void check_can_make_directories(const std::string& dir) {
  // The nearest existing prefix must be a folder we can write into; every prefix on the way
  // that exists must be a folder.
  std::string existing = dir.rfind('/', 0) == 0 ? "/" : ".";
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    const auto next = dir.find('/', pos);
    const std::string cur = dir.substr(0, next == std::string::npos ? dir.size() : next);
    if (!cur.empty()) {
      if (!path_exists(cur)) break;
      if (!is_directory(cur))
        throw std::runtime_error(dir + ": cannot create the output folder (" + cur + " is a file)");
      existing = cur;
    }
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  if (::access(existing.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error(dir + ": cannot " +
                             (existing == dir ? std::string("write into the output folder")
                                              : "create the output folder") +
                             " (" + existing + ": " + std::strerror(errno) + ")");
}

void check_can_write_file(const std::string& path) {
  if (is_directory(path))
    throw std::runtime_error(path + ": cannot write there: a folder of that name is in the way");
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    check_can_make_directories(".");
  } else {
    check_can_make_directories(slash == 0 ? "/" : path.substr(0, slash));
  }
}

std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}
}  // namespace

void remove_tree(const std::string& path) {
  if (path_exists(path)) ::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace dtpinn::nodegen
