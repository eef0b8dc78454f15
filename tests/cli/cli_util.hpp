#pragma once
// Helpers of the CLI tests: run the built `dtpinn` as a user does, or start it and signal it
// once a progress line shows that it is training.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace cli_test {

namespace fs = std::filesystem;

/// A build-time path, or the environment's value when set (DTPINN_EXE, DTPINN_TEST_TMPDIR).
inline std::string path_from_env(const char* name, const char* built) {
  const char* v = std::getenv(name);
  return v && *v ? v : built;
}

inline std::string exe() {
  return path_from_env("DTPINN_EXE", DTPINN_EXE);
}

struct Output {
  int status = -1;  ///< exit status, or 128 + signal when killed
  std::string out;  ///< stdout (+ stderr unless stderr_only)
  std::string err;  ///< stderr (signalled runs)
};

/// `dtpinn ARGS` through the shell, started in `folder` ("": the current one); stdout +
/// stderr, or stderr only.
inline Output run_in(const std::string& folder, const std::string& args, bool stderr_only = false) {
  const std::string cmd = (folder.empty() ? "" : "cd '" + folder + "' && ") + exe() + " " + args +
                          (stderr_only ? " 2>&1 >/dev/null" : " 2>&1");
  Output r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// `dtpinn ARGS` through the shell; stdout + stderr, or stderr only.
inline Output run(const std::string& args, bool stderr_only = false) {
  return run_in("", args, stderr_only);
}

/// A fresh folder under the build tree (removed first).
inline fs::path tmp(const std::string& name) {
  auto p = fs::path(path_from_env("DTPINN_TEST_TMPDIR", DTPINN_BINARY_DIR)) / "test_cli_tmp" / name;
  // not fs::remove_all: libtorch.so exports a copy that crashes
  (void)std::system(("rm -rf '" + p.string() + "'").c_str());
  fs::create_directories(p.parent_path());
  return p;
}

inline std::string write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p.string();
}

inline std::string read(const fs::path& p) {
  std::stringstream s;
  s << std::ifstream(p).rdbuf();
  return s.str();
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

/// True while `sig` is pending (sent, not yet delivered) for process `pid` (/proc status); false
/// once it is gone or a zombie.
inline bool signal_pending(pid_t pid, int sig) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("State:", 0) == 0 && line.find('Z') != std::string::npos) return false;
    if (line.rfind("ShdPnd:", 0) == 0 || line.rfind("SigPnd:", 0) == 0)
      if ((std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1ull) return true;
  }
  return false;
}

/// `dtpinn args...` started with its stdout on a pipe (read from `out_fd`) and its stderr in
/// `err_file`.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
};

inline Child spawn(const std::vector<std::string>& args, const fs::path& err_file) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    const int fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    std::vector<std::string> all{exe()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

/// Waits for a spawned child: its status (128 + signal when killed) and stderr into `r`.
inline void finish(const Child& c, const fs::path& err_file, Output& r) {
  ::close(c.out_fd);
  int st = 0;
  ::waitpid(c.pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.err = read(err_file);
}

/// Starts `dtpinn args...`, reads its stdout until a line contains `needle`, then sends
/// `signals` (each as soon as the one before was delivered) and waits. No timing: the signal goes
/// once the run is training.
inline Output run_and_signal(const std::vector<std::string>& args, const std::string& needle,
                             const std::vector<int>& signals, const fs::path& err_file) {
  Output r;
  const Child c = spawn(args, err_file);
  if (c.pid < 0) return r;
  bool sent = false;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(c.out_fd, buf, sizeof buf)) > 0) {
    r.out.append(buf, static_cast<std::size_t>(n));
    if (!sent && r.out.find(needle) != std::string::npos) {
      // Each signal once the one before was delivered (two pending ones would merge).
      for (std::size_t i = 0; i < signals.size(); ++i) {
        if (i > 0)
          while (signal_pending(c.pid, signals[i - 1])) ::usleep(100);
        ::kill(c.pid, signals[i]);
      }
      sent = true;
    }
  }
  finish(c, err_file, r);
  if (!sent) r.err += "\n(test: the needle never appeared; no signal sent)";
  return r;
}
inline const char* kTiny = R"(
[domain]
shape = "disk"
n = 250
test_n = 600

[rbffd]
order = 3

[model]
depth = 2
width = 16

[train]
epochs = 12
eval_every = 4
log_every = 4
)";

}  // namespace cli_test
