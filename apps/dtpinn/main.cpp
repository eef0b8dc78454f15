// dtpinn: discretely-trained physics-informed neural networks. See README.md.
//
// Every error is ONE line "dtpinn CMD: error: ..." on stderr with exit status 1, CLI11's own
// parse errors included (rewritten, with "did you mean" for unknown options and commands); an
// interrupted run (SIGINT / SIGTERM) is one line saying where it is, exit 128 + signal.
#include "commands.hpp"

#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/core/version.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dtpinn::app {

void require_file(const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error(what + " " + path + ": no such file");
  if (S_ISDIR(st.st_mode))
    throw std::runtime_error(what + " " + path + ": is a folder, not a file");
}

}  // namespace dtpinn::app

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// The closest of `names` to `word` (a key whose last part is `word` first: --lr -> --train.lr),
/// or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& names) {
  const std::string bare = word.substr(std::min(word.find_first_not_of('-'), word.size()));
  for (const auto& n : names)
    if (!bare.empty() && n.size() > bare.size() &&
        n.compare(n.size() - bare.size(), bare.size(), bare) == 0 &&
        n[n.size() - bare.size() - 1] == '.')
      return n;
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& n : names)
    if (const auto d = edit_distance(word, n); d < best_d) {
      best_d = d;
      best = n;
    }
  return best;
}

/// The long and short names of every option of `app`, spelt as on the command line.
std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app->get_options()) {
    for (const auto& l : o->get_lnames()) out.push_back("--" + l);
    for (const auto& s : o->get_snames()) out.push_back("-" + s);
  }
  return out;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(s->get_name());
  return out;
}

/// CLI11's message made one line, unknown words named with a suggestion.
std::string rewrite(const CLI::ParseError& e, const CLI::App* cmd) {
  std::string what = e.what();
  for (char& c : what)
    if (c == '\n') c = ' ';
  while (!what.empty() && what.back() == ' ') what.pop_back();
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    // "The following argument(s) was/were not expected: --lr 0.5"
    const auto colon = what.find(": ");
    std::istringstream words(colon == std::string::npos ? what : what.substr(colon + 2));
    std::string word, first;
    while (words >> word && word.rfind("-", 0) != 0)
      if (first.empty()) first = word;
    if (word.rfind("-", 0) != 0) word = first;  // no option among them: the first word
    if (word.rfind("-", 0) == 0) {
      const std::string key = word.substr(0, word.find('='));
      const std::string near = closest(key, option_names(cmd));
      return "unknown option " + key + (near.empty() ? "" : " (did you mean " + near + "?)") +
             "; see --help";
    }
    return "unexpected argument '" + word + "'; see --help";
  }
  return what;
}

std::string command_of(const CLI::App& app) {
  std::string where = "dtpinn";
  for (const auto* sub : app.get_subcommands()) where += " " + sub->get_name();
  return where;
}

/// The error line: on stderr, or (a rank started by `train --nproc`) into the launcher's
/// folder, which reports the first failure as one line.
void report(std::string line) {
  // One line, whatever the exception said (LibTorch appends its stack trace).
  if (const auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  const char* dir = std::getenv("DTPINN_ERROR_DIR");
  const char* rank = std::getenv("RANK");
  if (dir && *dir && rank && *rank) {
    std::ofstream f(std::string(dir) + "/rank" + rank + ".txt", std::ios::app);
    if (f << line << '\n') return;
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dtpinn: DT-PINNs (RBF-FD derivatives) and autograd PINNs on irregular domains"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("dtpinn ") + dtpinn::core::dtpinn_version() +
                                        " (commit " + dtpinn::core::dtpinn_git_commit() + ")");
  dtpinn::app::add_nodes_command(app);
  dtpinn::app::add_operators_command(app);
  dtpinn::app::add_solve_command(app);
  dtpinn::app::add_check_command(app);
  dtpinn::app::add_train_commands(app);
  dtpinn::app::add_study_command(app);
  dtpinn::app::add_config_command(app);
  // A misspelt command: CLI11 would only say that a subcommand is required.
  if (argc > 1 && argv[1][0] != '-') {
    const auto names = command_names(app);
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      const std::string near = closest(argv[1], names);
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      report("dtpinn: error: unknown command '" + std::string(argv[1]) + "'" +
             (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; commands: " + list);
      return 1;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto subs = app.get_subcommands();
    const CLI::App* cmd = subs.empty() ? &app : subs.back();
    report(command_of(app) + ": error: " + rewrite(e, cmd));
    return 1;
  } catch (const dtpinn::core::Interrupted& e) {
    report(command_of(app) + ": " + e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    report(command_of(app) + ": error: " + e.what());
    return 1;
  }
  return 0;
}
