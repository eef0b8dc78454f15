// The machine's available memory and CPU count (Linux /proc/meminfo, sysconf).
#include <dtpinn/lab/machine.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace dtpinn::lab {

double available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream s(line.substr(13));
    double kb = 0;
    if (s >> kb && kb > 0) return kb * 1024.0;
  }
  const long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

int logical_cpus() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int max_threads() {
  return std::min(1024, 4 * logical_cpus());
}

}  // namespace dtpinn::lab
