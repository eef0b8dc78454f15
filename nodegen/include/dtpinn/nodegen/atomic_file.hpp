#pragma once
// Writes a file so that a failure leaves nothing behind: the content goes to a temporary
// sibling "<path>.tmp.<pid>" and is renamed onto <path> only by commit(). Destroyed without
// commit(), the temporary is removed. Used by every writer in dtpinn ("no partial output").
#include <fstream>
#include <string>

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

}  // namespace dtpinn::nodegen
