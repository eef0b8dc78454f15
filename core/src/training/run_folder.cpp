// A run folder written as a whole or not at all (run_folder.hpp). POSIX folder helpers of
// nodegen/atomic_file.hpp, not std::filesystem (see there).
#include <dtpinn/core/training/run_folder.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace dtpinn::core {

namespace {

using nodegen::join_path;

/// A name `dtpinn train` / `compare` writes into a run folder.
bool is_run_file(const std::string& f) {
  static const char* const names[] = {
      "results.json", "history.csv",     "config.toml",  "model.pt",       "model_best.pt",
      "optimizer.pt", "checkpoint.json", "solution.vtk", "partition.json", "comparison.json",
      "solution.gp",  "solution.dat",    "solution.png", "error.gp",       "error.dat",
      "error.png",    "loss.gp",         "loss.png",     "compare.gp",     "compare.dat",
      "compare.png"};
  return std::find(std::begin(names), std::end(names), f) != std::end(names);
}

}  // namespace

RunFolder::RunFolder(const std::string& dir, const std::string& stage_name) : dir_(dir) {
  nodegen::make_directories(dir_);
  stage_ =
      join_path(dir_, stage_name.empty() ? fmt::format(".partial-{}", ::getpid()) : stage_name);
  nodegen::remove_tree(stage_);
  nodegen::make_directories(stage_);
}

RunFolder::~RunFolder() {
  if (!done_) nodegen::remove_tree(stage_);
}

std::string RunFolder::path(const std::string& name) const {
  return join_path(stage_, name);
}

void RunFolder::commit() {
  auto files = nodegen::list_directory(stage_);
  // results.json last: its presence means the run folder is complete.
  std::stable_partition(files.begin(), files.end(),
                        [](const std::string& f) { return f != "results.json"; });
  // A staged folder (a system's per-field folder, DIR/u/) replaces the old run's folder of
  // that name; a staged file never replaces a folder.
  const auto staged_folder = [&](const std::string& f) {
    return nodegen::is_directory(join_path(stage_, f));
  };
  for (const auto& f : files)
    if (!staged_folder(f) && nodegen::is_directory(join_path(dir_, f)))
      throw std::runtime_error(
          fmt::format("{}: cannot write {} there: a folder of that name is in the way", dir_, f));
  std::vector<std::string> aside;
  if (nodegen::path_exists(join_path(dir_, "results.json"))) aside.push_back("results.json");
  for (const auto& f : nodegen::list_directory(dir_)) {
    const bool staged = std::find(files.begin(), files.end(), f) != files.end();
    const bool folder = nodegen::is_directory(join_path(dir_, f));
    if (f != "results.json" && (folder ? staged && staged_folder(f) : staged || is_run_file(f)))
      aside.push_back(f);
  }
  const std::string old = join_path(dir_, fmt::format(".old-{}", ::getpid()));
  nodegen::remove_tree(old);
  if (!aside.empty()) nodegen::make_directories(old);
  std::size_t n_aside = 0, n_in = 0;
  try {
    for (; n_aside < aside.size(); ++n_aside)
      move(join_path(dir_, aside[n_aside]), join_path(old, aside[n_aside]));
    for (; n_in < files.size(); ++n_in)
      move(join_path(stage_, files[n_in]), join_path(dir_, files[n_in]));
  } catch (...) {
    for (std::size_t i = 0; i < n_in; ++i) nodegen::remove_tree(join_path(dir_, files[i]));
    // the old run back, results.json last
    for (std::size_t i = n_aside; i-- > 0;)
      std::rename(join_path(old, aside[i]).c_str(), join_path(dir_, aside[i]).c_str());
    nodegen::remove_tree(old);
    throw;
  }
  nodegen::remove_tree(old);
  nodegen::remove_tree(stage_);
  done_ = true;
}

void RunFolder::check_output_folder(const std::string& dir) {
  // Makes nothing: the folder appears when the run is written, so a run killed before that (a
  // second signal during the set-up) leaves no empty folder behind.
  nodegen::check_can_make_directories(dir);
  if (!nodegen::is_directory(dir)) return;
  for (const auto& f : nodegen::list_directory(dir))
    if (is_run_file(f) && nodegen::is_directory(join_path(dir, f)))
      throw std::runtime_error(
          fmt::format("{}: cannot write {} there: a folder of that name is in the way", dir, f));
}

void RunFolder::move(const std::string& from, const std::string& to) const {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw std::runtime_error(fmt::format("{}: cannot move {} into place ({})", dir_,
                                         from.substr(from.rfind('/') + 1), std::strerror(errno)));
}

}  // namespace dtpinn::core
