// The checks every command shares before it does any work: a flag through its config key, and
// the run's memory against the machine's.
#include "commands.hpp"

#include <dtpinn/core/problem/memory.hpp>

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace dtpinn::app {

void set_flag(core::RunConfig& c, const char* flag, const char* key, const std::string& value) {
  if (value.empty()) return;
  try {
    core::set_option(c, key, value);
  } catch (const std::exception& e) {
    // set_option names "--set KEY=VALUE"; the user typed the flag.
    std::string what = e.what();
    const std::string set = fmt::format("--set {}={}: ", key, value);
    if (what.rfind(set, 0) == 0) what = what.substr(set.size());
    throw std::runtime_error(fmt::format("{} {} ({}): {}", flag, value, key, what));
  }
}

void check_fits_in_memory(const core::RunConfig& config) {
  core::check_memory(config, lab::available_memory_bytes());
}

}  // namespace dtpinn::app
