#pragma once
// A run folder written as a whole or not at all: files are written into DIR/<stage>/ and moved
// into DIR by commit(), results.json last (its presence means the folder is complete); an old
// run in DIR is moved aside whole first and removed at the end. Destroyed without commit(), the
// stage folder is removed and DIR stays as it was. Used by the run writer (run.hpp) and by
// `compare` (apps/lab). Not thread-safe: one writer per folder.
#include <string>

namespace dtpinn::core {

class RunFolder {
 public:
  /// Creates DIR and its empty stage folder (default ".partial-<pid>"); throws
  /// std::runtime_error naming DIR when it cannot be created.
  RunFolder(const std::string& dir, const std::string& stage_name);
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  /// Where to write the file `name` (inside the stage folder).
  std::string path(const std::string& name) const;
  const std::string& stage() const { return stage_; }

  /// Moves the staged files into DIR, results.json last. An old run there is first moved aside
  /// into DIR/.old-<pid>/ (results.json first, then its other files: those of the new run's
  /// names and every name a run writes), so DIR is never a mix of two runs that looks
  /// complete; the old files are removed at the end. A staged folder (a system's DIR/u/)
  /// replaces the old run's folder of that name the same way. A folder in the way of a file is
  /// refused before anything moves; a failed move puts the old run back.
  void commit();

  /// Refuses an output folder that cannot be created or written, or where a folder sits in
  /// the place of a file a run writes (DIR/model.pt/), before anything long runs.
  static void check_output_folder(const std::string& dir);

 private:
  void move(const std::string& from, const std::string& to) const;

  std::string dir_, stage_;
  bool done_ = false;
};

}  // namespace dtpinn::core
