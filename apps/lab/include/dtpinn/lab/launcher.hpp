#pragma once
// The local launcher of distributed runs: `dtpinn train --nproc K`, the distributed tests and
// benchmarks start their ranks with it (fork/exec; the engine library starts no process).
// A launcher that installed the interrupt handlers (interrupt.hpp, exit_on_second = false)
// forwards a SIGINT / SIGTERM to every rank once, and kills them at a second one.
#include <dtpinn/core/distributed/communicator.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace dtpinn::lab {

/// Starts `nproc` copies of argv (argv[0] = executable path) with RANK, WORLD_SIZE,
/// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT set (port: options.master_port, or
/// a free one) and waits for them. If one fails (non-zero exit or signal), the others are
/// sent SIGTERM, then SIGKILL after options.timeout_seconds; one line per failed rank goes to
/// `log`. Returns 0 when all succeeded, else the first failure's exit code (128 + signal for
/// a signal; 128 + the forwarded signal after an interrupt). `extra_env` ("NAME=value") is
/// added to every child.
int launch_local(const std::vector<std::string>& argv, const core::DistributedOptions& options,
                 std::ostream& log, const std::vector<std::string>& extra_env = {});

/// A TCP port that was free on 127.0.0.1 a moment ago (bind to port 0).
int free_port();

}  // namespace dtpinn::lab
