// `dtpinn train --nproc K` in the launching process: this very command line started K times
// (the local launcher of apps/lab), one line for a failure.
#ifdef DTPINN_HAVE_DISTRIBUTED
#include "launch_train.hpp"

#include <dtpinn/core/distributed/train.hpp>
#include <dtpinn/lab/interrupt.hpp>
#include <dtpinn/lab/launcher.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace dtpinn::app {

namespace fs = std::filesystem;

namespace {

/// The first line of a small text file ("" when there is none).
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// One line for a failed launch, from launch_local's log (its first line names the first rank
/// that failed) and that rank's own error line (DTPINN_ERROR_DIR/rank<R>.txt).
std::string describe_failure(const std::string& launch_log, const std::string& error_dir, int nproc,
                             int code) {
  if (code == 124) return fmt::format("--nproc {}: the run exceeded its wall limit", nproc);
  int rank = -1;
  if (const auto at = launch_log.find("rank "); at != std::string::npos)
    rank = std::atoi(launch_log.c_str() + at + 5);
  if (rank < 0) return fmt::format("--nproc {}: the distributed run failed", nproc);
  std::string own = first_line(fmt::format("{}/rank{}.txt", error_dir, rank));
  if (const auto e = own.find(": error: "); e != std::string::npos) own = own.substr(e + 9);
  if (!own.empty()) return fmt::format("--nproc {}: rank {}: {}", nproc, rank, own);
  if (code > 128)
    return fmt::format("--nproc {}: rank {} was killed by {} ({}); the other ranks were stopped",
                       nproc, rank, core::signal_name(code - 128), strsignal(code - 128));
  return fmt::format("--nproc {}: rank {} failed (exit status {}); the other ranks were stopped",
                     nproc, rank, code);
}

}  // namespace

int launch_distributed_train(const core::DistributedOptions& options, std::ostream& log,
                             const std::string& out_dir, std::string* failure) {
  std::vector<std::string> args;
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(cmdline, arg, '\0')) args.push_back(arg);
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (args.empty() || ec)
    throw std::runtime_error("distributed: cannot read this process's command line");
  args[0] = self.string();
  const std::string id = std::to_string(::getpid());
  const bool existed = nodegen::path_exists(out_dir);
  // The ranks write their error lines here instead of stderr: the launcher reports one.
  std::string error_dir = (fs::temp_directory_path() / "dtpinn-launch-XXXXXX").string();
  if (!::mkdtemp(error_dir.data()))
    throw std::runtime_error("distributed: cannot create a temporary folder for the ranks");
  std::ostringstream launch_log;
  int code = 0;
  try {
    code = lab::launch_local(
        args, options, launch_log,
        {"DTPINN_DISTRIBUTED=1", "DTPINN_RUN_ID=" + id, "DTPINN_ERROR_DIR=" + error_dir});
  } catch (...) {
    nodegen::remove_tree(error_dir);
    throw;
  }
  std::string line;
  if (code != 0) {
    // A rank killed by the launcher cannot clean up after itself.
    nodegen::remove_tree(nodegen::join_path(out_dir, core::distributed_stage_name(id)));
    if (!existed && nodegen::list_directory(out_dir).empty()) ::rmdir(out_dir.c_str());
    const int sig = lab::interrupt_signal();
    if (sig == 0 || code != 128 + sig)
      line = describe_failure(launch_log.str(), error_dir, options.nproc, code) +
             fmt::format("; nothing written to {}", out_dir);
  }
  nodegen::remove_tree(error_dir);
  if (!line.empty()) {
    if (failure)
      *failure = line;
    else
      log << line << '\n';
  }
  return code;
}

}  // namespace dtpinn::app
#endif  // DTPINN_HAVE_DISTRIBUTED
