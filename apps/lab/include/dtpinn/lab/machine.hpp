#pragma once
// What a command needs to know about the machine it runs on, to refuse requests that cannot fit
// before it allocates anything (the engine takes the numbers as arguments; it never probes).
#include <cstdint>

namespace dtpinn::lab {

/// Bytes of memory a new allocation can get now: MemAvailable of /proc/meminfo (Linux, page
/// cache that can be dropped included), else the free physical pages (sysconf); 0 when neither
/// answers (then nothing is refused for memory).
double available_memory_bytes();

/// Logical CPUs (std::thread::hardware_concurrency, at least 1).
int logical_cpus();

/// The most threads a --threads flag accepts: 4 x logical_cpus(), at most 1024 (more threads
/// than that only oversubscribe the cores).
int max_threads();

}  // namespace dtpinn::lab
