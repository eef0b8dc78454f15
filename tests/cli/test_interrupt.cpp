// Interruptions are a feature: SIGINT / SIGTERM during `train` (one process, compare, the
// --nproc launcher) keeps what was trained, `train --resume` continues it; a second signal
// stops at once; an existing run folder is never left a mix of two runs.
#include "cli_util.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <csignal>

using namespace cli_test;

namespace {

nlohmann::json results(const fs::path& dir) {
  nlohmann::json j;
  std::ifstream(dir / "results.json") >> j;
  return j;
}

/// Entries of `dir` whose names start with `prefix` (staging folders left behind).
int count_prefixed(const fs::path& dir, const std::string& prefix) {
  int n = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().rfind(prefix, 0) == 0;
  return n;
}

std::vector<std::string> long_run(const std::string& cfg, const fs::path& out) {
  // Effectively endless: only the signal ends it.
  return {"train", cfg,         "--epochs", "10000000", "--time-budget",
          "0",     "--threads", "1",        "-o",       out.string()};
}

}  // namespace

TEST(CliInterrupt, SigintWritesACompleteRunAndResumeContinuesIt) {
  const auto base = tmp("interrupt");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  auto r = run_and_signal(long_run(cfg, dir), "epoch 8:", {SIGINT}, base / "err.txt");
  ASSERT_EQ(r.status, 130) << r.err << r.out;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("dtpinn train: interrupted (SIGINT) at epoch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir.string()), std::string::npos) << r.err;
  for (const char* f : {"results.json", "model.pt", "model_best.pt", "optimizer.pt",
                        "checkpoint.json", "config.toml", "history.csv"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_EQ(count_prefixed(dir, ".partial"), 0);
  const auto j = results(dir);
  EXPECT_EQ(j["stop_reason"], "interrupted");
  const auto epochs = j["epochs"].get<std::int64_t>();
  EXPECT_GE(epochs, 8);
  EXPECT_EQ(j["history"].back()["epoch"].get<std::int64_t>(), epochs);  // the last epoch kept

  // The interrupted run is a checkpoint like any other: eval reads it.
  const auto pts = write(base / "pts.csv", "x,y\n0,0\n");
  EXPECT_EQ(
      run("eval " + dir.string() + " --points " + pts + " -o " + (base / "u.csv").string()).status,
      0);

  // --resume continues it: the same history up to the interruption, then more epochs.
  const auto more = std::to_string(epochs + 6);
  auto c = run("train --resume " + dir.string() + " --epochs " + more + " --threads 1");
  ASSERT_EQ(c.status, 0) << c.out;
  EXPECT_NE(c.out.find("resumed at epoch " + std::to_string(epochs)), std::string::npos) << c.out;
  const auto k = results(dir);
  EXPECT_EQ(k["stop_reason"], "epochs");
  EXPECT_EQ(k["epochs"].get<std::int64_t>(), epochs + 6);
  ASSERT_GT(k["history"].size(), j["history"].size());
  for (std::size_t i = 0; i < j["history"].size(); ++i)
    EXPECT_EQ(k["history"][i], j["history"][i]) << i;
  EXPECT_GE(k["train_seconds"].get<double>(), j["train_seconds"].get<double>());
}

TEST(CliInterrupt, SigtermExits143AndCompareKeepsTheFinishedRun) {
  const auto base = tmp("interrupt_term");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  auto r = run_and_signal(long_run(cfg, dir), "epoch 4:", {SIGTERM}, base / "err.txt");
  ASSERT_EQ(r.status, 143) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("SIGTERM"), std::string::npos) << r.err;
  EXPECT_EQ(results(dir)["stop_reason"], "interrupted");

  // compare, interrupted in its first (DT-PINN) run: that run is kept, nothing else is made.
  const auto cmp = base / "cmp";
  auto c = run_and_signal({"compare", cfg, "--epochs", "10000000", "--time-budget", "0",
                           "--threads", "1", "-o", cmp.string()},
                          "epoch 4:", {SIGINT}, base / "err2.txt");
  ASSERT_EQ(c.status, 130) << c.err;
  EXPECT_EQ(count_lines(c.err), 1) << c.err;
  EXPECT_NE(c.err.find("DT-PINN run"), std::string::npos) << c.err;
  EXPECT_EQ(results(cmp / "dtpinn")["stop_reason"], "interrupted");
  EXPECT_FALSE(fs::exists(cmp / "vanilla" / "results.json"));
  EXPECT_FALSE(fs::exists(cmp / "comparison.json"));
}

TEST(CliInterrupt, ASecondSignalStopsAtOnceWithoutACompleteLookingFolder) {
  const auto base = tmp("interrupt_twice");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  auto r = run_and_signal(long_run(cfg, dir), "epoch 4:", {SIGINT, SIGINT}, base / "err.txt");
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_NE(r.err.find("second interrupt"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "results.json"));
  EXPECT_FALSE(fs::exists(dir / "model.pt"));
}

TEST(CliInterrupt, ResumeRefusesAChangedConfigAndNothingToDo) {
  const auto base = tmp("resume_refused");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  ASSERT_EQ(run("train " + cfg + " --epochs 4 -o " + dir.string()).status, 0);
  const std::string before = read(dir / "results.json");
  struct Case {
    std::string args, needle;
  };
  const Case cases[] = {
      {"--epochs 8 --set train.lr=0.5", "train.lr"},
      {"--epochs 8 --order 4", "rbffd.order"},
      {"--epochs 4", "already has 4 epochs"},
      {"--epochs 8 --set train.optimizer=device_lbfgs", "train.optimizer"},
      {"--epochs 8 --nproc 2", "--nproc"},
  };
  for (const auto& c : cases) {
    auto r = run("train --resume " + dir.string() + " " + c.args, /*stderr_only=*/true);
    EXPECT_EQ(r.status, 1) << c.args;
    EXPECT_EQ(count_lines(r.out), 1) << c.args << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("dtpinn train: error: ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_EQ(read(dir / "results.json"), before) << c.args;
  }
  auto m = run("train --resume " + (base / "nowhere").string(), /*stderr_only=*/true);
  EXPECT_EQ(m.status, 1);
  EXPECT_EQ(count_lines(m.out), 1) << m.out;
  // A device optimiser's run keeps no optimiser state: resuming it is refused by name.
  const auto dev = base / "dev";
  ASSERT_EQ(run("train " + cfg + " --epochs 2 --set train.optimizer=device_adam -o " + dev.string())
                .status,
            0);
  EXPECT_FALSE(fs::exists(dev / "optimizer.pt"));
  auto d = run("train --resume " + dev.string() + " --epochs 4", /*stderr_only=*/true);
  EXPECT_EQ(d.status, 1);
  EXPECT_NE(d.out.find("optimizer.pt"), std::string::npos) << d.out;
}

TEST(CliInterrupt, AnExistingRunFolderIsNeverAMixOfTwoRuns) {
  const auto base = tmp("swap");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  ASSERT_EQ(run("train " + cfg + " --epochs 4 --seed 1 -o " + dir.string()).status, 0);
  const std::string results_before = read(dir / "results.json");
  const std::string model_before = read(dir / "model.pt");
  // A run that fails (its data out of range) leaves the old run whole.
  const auto big =
      write(base / "big.toml", std::string(kTiny) + "\n[problem]\nexact = \"1e300*x*x\"\n");
  auto f = run("train " + big + " -o " + dir.string(), /*stderr_only=*/true);
  EXPECT_EQ(f.status, 1);
  EXPECT_EQ(count_lines(f.out), 1) << f.out;
  EXPECT_NE(f.out.find("out of range"), std::string::npos) << f.out;
  EXPECT_EQ(f.out.find("strong_wolfe"), std::string::npos) << f.out;
  EXPECT_EQ(read(dir / "results.json"), results_before);
  EXPECT_EQ(read(dir / "model.pt"), model_before);
  // A new run replaces all of it, and a file only the old run had goes too.
  write(dir / "partition.json", "{}\n");
  ASSERT_EQ(run("train " + cfg + " --epochs 4 --seed 2 -o " + dir.string()).status, 0);
  EXPECT_NE(read(dir / "results.json"), results_before);
  EXPECT_NE(read(dir / "model.pt"), model_before);
  EXPECT_FALSE(fs::exists(dir / "partition.json"));
  EXPECT_EQ(count_prefixed(dir, ".old"), 0);
  EXPECT_EQ(count_prefixed(dir, ".partial"), 0);

  // A folder where model.pt goes: refused at once, nothing written beside it.
  const auto blocked = base / "blocked";
  fs::create_directories(blocked / "model.pt");
  auto b = run("train " + cfg + " --epochs 2 -o " + blocked.string(), /*stderr_only=*/true);
  EXPECT_EQ(b.status, 1);
  EXPECT_EQ(count_lines(b.out), 1) << b.out;
  EXPECT_NE(b.out.find("model.pt"), std::string::npos) << b.out;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(blocked)) left.push_back(e.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"model.pt"});
}

// ---- the --nproc launcher ---------------------------------------------------------------------

namespace {
bool distributed_build() {
  return run("train --help").out.find("--nproc") != std::string::npos;
}
}  // namespace

TEST(CliInterrupt, TheLauncherForwardsSigintAndRankZeroWritesTheRun) {
  if (!distributed_build()) GTEST_SKIP() << "built without distributed training";
  const auto base = tmp("interrupt_nproc");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  auto args = long_run(cfg, dir);
  args.insert(args.end(), {"--nproc", "2"});
  auto r = run_and_signal(args, "epoch 4:", {SIGINT}, base / "err.txt");
  ASSERT_EQ(r.status, 130) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("interrupted (SIGINT)"), std::string::npos) << r.err;
  const auto j = results(dir);
  EXPECT_EQ(j["stop_reason"], "interrupted");
  EXPECT_EQ(j["distributed"]["world_size"], 2);
  EXPECT_EQ(count_prefixed(dir, ".partial"), 0);
}

TEST(CliInterrupt, AKilledRankIsOneLineAndLeavesNoFolder) {
  if (!distributed_build()) GTEST_SKIP() << "built without distributed training";
  const auto base = tmp("killed_rank");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  // SIGKILL to the launcher's process group would hit the test: kill rank 1 by its pid.
  const auto pidfile = base / "pids.txt";
  auto args = long_run(cfg, dir);
  args.insert(args.end(), {"--nproc", "2"});
  Output r;
  const Child c = spawn(args, base / "err.txt");
  ASSERT_GT(c.pid, 0);
  bool killed = false;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(c.out_fd, buf, sizeof buf)) > 0) {
    r.out.append(buf, static_cast<std::size_t>(n));
    if (!killed && r.out.find("epoch 4:") != std::string::npos) {
      // rank 1 is the launcher's newest child once training runs
      (void)std::system(
          ("pgrep -n -P " + std::to_string(c.pid) + " > " + pidfile.string()).c_str());
      const int rank1 = std::atoi(read(pidfile).c_str());
      if (rank1 > 0) ::kill(rank1, SIGKILL);
      killed = true;
    }
  }
  finish(c, base / "err.txt", r);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("rank 1 was killed by SIGKILL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("137"), std::string::npos) << r.err;  // the exit status is 1
  EXPECT_FALSE(fs::exists(dir)) << "an empty output folder was left";
}

TEST(CliInterrupt, ARankWithoutAMasterEndsWithinTheTimeoutInOneLine) {
  if (!distributed_build()) GTEST_SKIP() << "built without distributed training";
  const auto base = tmp("no_master");
  const auto cfg = write(base / "tiny.toml", kTiny);
  // A port that something else listens on (this test's socket, never answering), and one that
  // nothing listens on.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int busy = ntohs(addr.sin_port);
  for (const int port : {busy, 1}) {
    const auto dir = base / ("run" + std::to_string(port));
    const std::string env =
        "RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " ";
    // timeout: a hang fails the test instead of holding up the suite
    const std::string cmd = "timeout 120 env " + env + exe() + " train " + cfg +
                            " --dist-timeout 3 -o " + dir.string() + " 2>&1 >/dev/null";
    Output r;
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    EXPECT_EQ(WEXITSTATUS(st), 1) << port << "\n" << r.out;
    EXPECT_EQ(count_lines(r.out), 1) << port << "\n" << r.out;
    EXPECT_NE(r.out.find("could not join"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("frame #"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir));
  }
  ::close(fd);
}

// ---- inside an epoch ------------------------------------------------------------------------

namespace {

/// Epochs that only a stop ends: 10^6 fixed-step L-BFGS iterations each (steps too short to
/// stall).
std::vector<std::string> long_epochs(const std::string& cfg, const fs::path& out) {
  return {"train",     cfg,
          "--set",     "train.max_iter=1000000",
          "--set",     "train.line_search=none",
          "--set",     "train.lr=0.01",
          "--threads", "1",
          "-o",        out.string()};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// A 2 s budget holds inside an epoch of 10^6 iterations: the run ends within a few seconds,
// with stop_reason time_budget, its training clock just past 2 s, written complete.
TEST(CliInterrupt, TheTimeBudgetHoldsInsideAnEpoch) {
  const auto base = tmp("budget_in_epoch");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  auto args = long_epochs(cfg, dir);
  std::string cmd = "train";
  for (std::size_t i = 1; i < args.size(); ++i) cmd += " " + args[i];
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run(cmd + " --epochs 1000000 --time-budget 2");
  const double wall = seconds_since(t0);
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = results(dir);
  EXPECT_EQ(j["stop_reason"], "time_budget");
  EXPECT_EQ(j["epochs"], 1);  // the one epoch, cut at the budget
  EXPECT_GE(j["train_seconds"].get<double>(), 2.0);
  EXPECT_LT(j["train_seconds"].get<double>(), 2.5);
  EXPECT_LT(wall, 20.0) << "set-up, 2 s of training and the writing";
  EXPECT_LT(j["history"].back()["loss"].get<double>(), j["history"][0]["loss"].get<double>());
}

// SIGTERM inside a long epoch ends it within a second (between two loss evaluations), and the
// run is written with the weights it reached.
TEST(CliInterrupt, SigtermInsideALongEpochEndsItWithinASecond) {
  const auto base = tmp("sigterm_in_epoch");
  const auto cfg = write(base / "tiny.toml", kTiny);
  const auto dir = base / "run";
  auto args = long_epochs(cfg, dir);
  args.insert(args.end(), {"--epochs", "3", "--time-budget", "0"});
  const auto err = base / "err.txt";
  const Child c = spawn(args, err);
  ASSERT_GT(c.pid, 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  std::chrono::steady_clock::time_point sent;
  double stop_after = -1;
  bool killed = false;
  while ((n = ::read(c.out_fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
    if (!killed && out.find("epoch 0:") != std::string::npos) {
      ::usleep(300000);  // well inside epoch 1
      sent = std::chrono::steady_clock::now();
      ::kill(c.pid, SIGTERM);
      killed = true;
    }
    if (killed && stop_after < 0 &&
        out.find("interrupted: stopping after epoch 1") != std::string::npos)
      stop_after = seconds_since(sent);
  }
  Output r;
  finish(c, err, r);
  ASSERT_TRUE(killed) << out;
  EXPECT_EQ(r.status, 143) << r.err << out;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  ASSERT_GE(stop_after, 0.0) << out;
  EXPECT_LT(stop_after, 1.0) << out;
  const auto j = results(dir);
  EXPECT_EQ(j["stop_reason"], "interrupted");
  EXPECT_EQ(j["epochs"], 1);
  EXPECT_LT(j["history"].back()["loss"].get<double>(), j["history"][0]["loss"].get<double>());
}

// Two SIGINTs 50 ms apart during the set-up: the second stops at once, and no output folder is
// left behind (it is made only when the run is written).
TEST(CliInterrupt, TwoQuickSigintsDuringTheSetUpLeaveNoFolder) {
  const auto base = tmp("two_sigints");
  std::string text = kTiny;
  text.replace(text.find("n = 250\ntest_n = 600"), 20, "n = 3000\ntest_n = 60000");
  const auto cfg = write(base / "slow_setup.toml", text);
  const auto dir = base / "run";
  const auto err = base / "err.txt";
  const Child c = spawn({"train", cfg, "--threads", "1", "-o", dir.string()}, err);
  ASSERT_GT(c.pid, 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  bool sent = false;
  while ((n = ::read(c.out_fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
    if (!sent && out.find("nodes:") != std::string::npos) {  // the set-up's first line
      ::kill(c.pid, SIGINT);
      ::usleep(50000);
      ::kill(c.pid, SIGINT);
      sent = true;
    }
  }
  Output r;
  finish(c, err, r);
  ASSERT_TRUE(sent) << out;
  EXPECT_EQ(r.status, 130) << r.err << out;
  EXPECT_EQ(out.find("epoch 0:"), std::string::npos) << "the set-up was over: " << out;
  EXPECT_FALSE(fs::exists(dir)) << "an output folder was left";
}
