#pragma once
// Writes a file so that a failure leaves nothing behind: the content goes to a temporary
// sibling "<path>.tmp.<pid>" and is renamed onto <path> only by commit(). Destroyed without
// commit(), the temporary is removed. Used by every writer in dtpinn ("no partial output").
#include <fstream>
#include <string>
#include <vector>

namespace dtpinn::nodegen {

class AtomicFile {
 public:
  /// Opens the temporary for writing; throws std::runtime_error naming `path` on failure.
  explicit AtomicFile(std::string path, bool binary = false);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ofstream& stream() { return out_; }
  /// Flushes, checks the stream and renames onto the final path; throws on any I/O error.
  void commit();

 private:
  std::string path_;
  std::string tmp_path_;
  std::ofstream out_;
  bool committed_ = false;
};

/// `text` into `path` through an AtomicFile.
void write_file_atomically(const std::string& path, const std::string& text);

// Folder helpers for run folders, POSIX underneath. Not std::filesystem: the PyPI libtorch.so
// exports its own copies of std::filesystem functions, and its remove_all crashes when it wins
// the symbol lookup (seen with LibTorch 2.11 + GCC 12), so code linked with LibTorch uses these.

/// True when `path` exists (of any type) / is a folder.
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
/// mkdir -p; throws std::runtime_error "DIR: cannot create the output folder (...)".
void make_directories(const std::string& dir);
/// What make_directories(dir) and writing into it would meet, checked without making anything
/// (a run that dies before writing leaves no empty folder): throws std::runtime_error
/// "DIR: cannot create the output folder (PART is a file)" or "(... : Permission denied /
/// Read-only file system)" when a file stands on its path or its nearest existing folder cannot
/// be written.
void check_can_make_directories(const std::string& dir);
/// The same for a file that an AtomicFile will write: its folder can be made and written, and
/// `path` is not a folder ("PATH: cannot write there: a folder of that name is in the way").
void check_can_write_file(const std::string& path);
/// The names in `dir` (without . and ..), sorted; empty when it cannot be read.
std::vector<std::string> list_directory(const std::string& dir);
/// rm -rf `path` (nothing when it does not exist; links are removed, never followed).
void remove_tree(const std::string& path);
/// `a/b`.
std::string join_path(const std::string& a, const std::string& b);
/// `path` as an absolute path: as it is when absolute, else taken against the folder `base`
/// (itself against the current folder when relative; "" = the current folder), with "." and
/// ".." resolved lexically. Throws std::runtime_error when the current folder is unknown.
std::string absolute_path(const std::string& path, const std::string& base = "");

}  // namespace dtpinn::nodegen
