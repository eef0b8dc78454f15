#pragma once
// `dtpinn train --nproc K` in the launching process (only in builds with distributed training).
#include <dtpinn/core/distributed/communicator.hpp>

#include <iosfwd>
#include <string>

namespace dtpinn::app {

/// Re-executes this very command line (/proc/self/exe, /proc/self/cmdline) K times through
/// lab::launch_local, and returns 0 when every rank succeeded, else a non-zero code after one
/// clear line per failed rank on `log`. On failure the staging folder of rank 0 in `out_dir`
/// is removed too (a rank killed by the launcher cannot clean up after itself), so `out_dir`
/// never holds a partial run. The ranks write their error lines into a temporary folder
/// (DTPINN_ERROR_DIR, read by `dtpinn`'s main) and a failure is ONE line: the first failed
/// rank's own error, or how it died; it goes to `*failure` when given, else to `log`. An
/// `out_dir` the launch created is removed again when empty. SIGINT / SIGTERM to the launcher
/// (lab::install_interrupt_handlers with exit_on_second = false) is forwarded to every rank (a
/// second one kills them); it then returns 128 + signal and rank 0 has written the
/// interrupted run.
int launch_distributed_train(const core::DistributedOptions& options, std::ostream& log,
                             const std::string& out_dir, std::string* failure = nullptr);

}  // namespace dtpinn::app
