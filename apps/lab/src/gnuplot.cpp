// gnuplot as a child process, for the run folders' and the study's plot scripts.
#include <dtpinn/lab/gnuplot.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <ostream>

namespace dtpinn::lab {

namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

void render_plot(const std::string& folder, const std::string& script, std::ostream* log) {
  static const bool available = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  static std::once_flag warned;
  if (!available) {
    std::call_once(warned, [log] {
      if (log) *log << "warning: gnuplot not found: the .gp plot scripts are kept, PNGs not made\n";
    });
    return;
  }
  const std::string cmd =
      fmt::format("cd {} && gnuplot {} >/dev/null 2>&1", shell_quote(folder), shell_quote(script));
  if (std::system(cmd.c_str()) != 0 && log)
    *log << "warning: gnuplot failed on " << script << " (the script is kept)\n";
}

}  // namespace dtpinn::lab
