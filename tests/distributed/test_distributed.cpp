// Distributed training on loopback Gloo: partitioned assembly equals the global rows, and with
// 1, 2 and 3 processes the loss, the gradient and 20 L-BFGS iterations equal the
// single-process ones (core::make_loss on the whole operator). Failures end within bounded time.
//
// The worker processes are this test executable itself, re-executed by lab::launch_local with
// DTPINN_DIST_TEST_WORKER=<scenario> and --gtest_filter=DistributedWorker.RunScenario, which runs
// the scenario and exits, rank 0 writing its numbers to DTPINN_DIST_TEST_OUT. Every launch has a
// hard wall limit, so a broken run can never hang CI.
#include <dtpinn/core/distributed/communicator.hpp>
#include <dtpinn/core/distributed/partition.hpp>
#include <dtpinn/core/distributed/train.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/flat_parameters.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/launcher.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "common/test_util.hpp"

using namespace dtpinn;
namespace fs = std::filesystem;

namespace {

core::RunConfig small_config(const std::string& scenario) {
  auto c = core::default_config();
  c.domain.n = 500;
  c.domain.test_n = 300;
  c.domain.seed = 3;
  c.model.depth = 2;
  c.model.width = 16;
  c.train.seed = 7;
  if (scenario == "nonlinear") {
    c.problem.pde = core::PdeKind::nonlinear_poisson;
  } else if (scenario == "heat" || scenario == "heat_time" || scenario == "heat_mixed" ||
             scenario == "vanilla_heat") {
    c.problem.pde = core::PdeKind::heat;
    c.problem.exact = "exp(-t)*sin(pi*x)*cos(pi*y)";
    c.problem.nt = 4;
    c.domain.n = 300;
  }
  if (scenario == "parts" || scenario == "vanilla_parts") {
    // Three conditions, later entries winning: a term per condition, each rank holding some
    // rows of some of them (a rank may hold none of one).
    core::BoundaryConditionConfig all, top, left;
    all.on = {"boundary"};
    all.type = core::BcType::neumann;
    top.where = "y > 0.3";
    top.type = core::BcType::dirichlet;
    left.where = "x < -0.5";
    left.type = core::BcType::robin;
    left.alpha = 2.0;
    left.beta = 0.5;
    c.problem.bc = {all, top, left};
  }
  return c;
}

/// A short training run of each kind (3 epochs of 5 L-BFGS iterations, every epoch evaluated).
core::RunConfig run_config(const std::string& kind) {
  auto c = small_config(kind == "vanilla" ? "poisson" : (kind == "heat_split" ? "heat" : kind));
  if (kind == "vanilla") c.train.method = core::Method::vanilla;
  c.train.epochs = 3;
  c.train.max_iter = 5;
  c.train.eval_every = 1;
  c.train.time_budget = 0;
  return c;
}

/// Loss, terms, gradient at the initial weights, then the losses of every evaluation of one
/// L-BFGS step of 20 iterations (strong Wolfe) and the final weights.
struct Trace {
  double loss = 0;
  std::vector<double> terms, grad, trajectory, final_weights;
};

Trace run_trace(core::Network& net, const core::Loss& loss, bool input_derivatives,
                core::Communicator& comm) {
  core::DistributedObjective obj(
      net, loss.names(), [&](const core::Network& n) { return loss.terms(n); }, comm,
      input_derivatives);
  obj.broadcast_parameters();
  Trace t;
  t.terms = obj.term_gradients().terms;
  t.loss = obj.closure().item<double>();
  auto g = obj.flat().grads().contiguous();
  t.grad.assign(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
  torch::optim::LBFGSOptions o(1.0);
  o.max_iter(20);
  o.max_eval(26);
  o.history_size(100);
  o.tolerance_grad(1e-14);
  o.tolerance_change(1e-18);
  o.line_search_fn("strong_wolfe");
  torch::optim::LBFGS lbfgs(obj.flat().parameters(), o);
  lbfgs.step([&]() {
    auto v = obj.closure();
    t.trajectory.push_back(v.item<double>());
    return v;
  });
  auto w = obj.flat().values().contiguous();
  t.final_weights.assign(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
  return t;
}

void write_vec(std::ostream& o, const std::vector<double>& v) {
  o << v.size();
  for (double x : v) o << ' ' << x;
  o << '\n';
}
std::vector<double> read_vec(std::istream& in) {
  std::size_t n = 0;
  in >> n;
  std::vector<double> v(n);
  for (auto& x : v) in >> x;
  return v;
}

// --- worker side --------------------------------------------------------------------------------

int worker_main(const std::string& scenario, const std::string& out) {
  at::set_num_threads(1);
  const auto env = core::DistributedEnv::from_environment();
  if (scenario == "die") {
    if (env.rank == 1) std::_Exit(3);  // rank 1 dies before the rendezvous
    core::Communicator comm(env, core::Backend::gloo, c10::kCPU, 60.0);
    comm.barrier();
    return 0;
  }
  if (scenario == "die_late") {
    core::Communicator comm(env, core::Backend::gloo, c10::kCPU, 60.0);
    comm.barrier();
    if (env.rank == 1) std::_Exit(5);  // rank 1 dies during training; rank 0 waits in allreduce
    comm.barrier();
    return 0;
  }
  if (scenario.rfind("run_", 0) == 0) {  // run_poisson, _nonlinear, _heat, _heat_split, _vanilla
    core::DistributedOptions opts;
    const std::string kind = scenario.substr(4);
    if (kind == "heat_split") opts.time_parts = env.world_size;  // every rank a block of slices
    return core::run_distributed_train(run_config(kind), opts, out, nullptr);
  }
  if (scenario == "train" || scenario == "train_annealing") {
    auto c = small_config("poisson");
    c.train.epochs = 3;
    c.train.max_iter = 5;
    c.train.eval_every = 1;
    if (scenario == "train_annealing") {
      c.train.epochs = 4;
      c.train.loss_weights = core::LossWeighting::annealing;
      c.train.annealing_every = 2;
    }
    core::DistributedOptions opts;
    return core::run_distributed_train(c, opts, out, nullptr);
  }
  const auto c = small_config(scenario);
  core::Communicator comm(env, core::Backend::gloo, c10::kCPU, 60.0);
  core::DatasetOptions dopt;
  dopt.operators = false;
  auto data = core::build_dataset(c, dopt);
  rbffd::RbffdParams params;
  params.order = c.rbffd.order;
  params.threads = 1;
  // heat_time: every rank a block of time slices, all space rows; heat_mixed: 2 time parts,
  // the rest split the space rows; otherwise space rows only.
  const int time_parts = scenario == "heat_time" ? comm.size() : (scenario == "heat_mixed" ? 2 : 1);
  const int space_parts = comm.size() / time_parts;
  const bool vanilla = scenario.rfind("vanilla", 0) == 0;
  auto part = core::partition_rcb(data.nodes, space_parts);
  auto ops = vanilla ? core::local_rows(data.nodes, part, comm.rank() / time_parts)
                     : core::assemble_local(
                           data.nodes, part, comm.rank() / time_parts, params,
                           {data.boundary.alpha, data.boundary.beta, data.boundary.normals});
  const auto slices = core::split_slices(static_cast<std::int64_t>(data.times.size()), time_parts,
                                         comm.rank() % time_parts);
  auto local = core::make_local_problem(data, std::move(ops), slices);
  auto net = core::make_network(c, data);
  auto loss = core::make_partitioned_loss(local, net,
                                          vanilla ? core::Method::vanilla : core::Method::dtpinn);
  auto trace = run_trace(net, *loss, vanilla, comm);
  if (comm.rank() == 0) {
    std::ofstream o(out);
    o.precision(17);
    o << trace.loss << '\n';
    write_vec(o, trace.terms);
    write_vec(o, trace.grad);
    write_vec(o, trace.trajectory);
    write_vec(o, trace.final_weights);
  }
  comm.barrier();
  return 0;
}

}  // namespace

// The worker processes run this test alone (--gtest_filter) with DTPINN_DIST_TEST_WORKER set; it
// exits the process with the scenario's code. In a normal test run it is skipped.
TEST(DistributedWorker, RunScenario) {
  const char* s = std::getenv("DTPINN_DIST_TEST_WORKER");
  if (!s || !*s) GTEST_SKIP() << "helper: runs only inside the worker processes";
  int code = 1;
  try {
    code = worker_main(s, std::getenv("DTPINN_DIST_TEST_OUT"));
  } catch (const std::exception& e) {
    std::cerr << "worker: " << e.what() << "\n";
    code = 2;
  }
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(code);
}

namespace {

// --- parent side --------------------------------------------------------------------------------

fs::path tmp_dir(const std::string& name) {
  auto p = fs::path(DTPINN_BINARY_DIR) / "test_distributed_tmp" / name;
  dtpinn::test::remove_tree(p);
  fs::create_directories(p.parent_path());
  return p;
}

int launch(const std::string& scenario, int nproc, const fs::path& out, std::string* log_text,
           double wall = 120.0) {
  core::DistributedOptions o;
  o.nproc = nproc;
  o.timeout_seconds = 30.0;
  o.wall_limit_seconds = wall;
  std::ostringstream log;
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec).string();
  const int code = lab::launch_local({self, "--gtest_filter=DistributedWorker.RunScenario"}, o, log,
                                     {"DTPINN_DIST_TEST_WORKER=" + scenario,
                                      "DTPINN_DIST_TEST_OUT=" + out.string(), "OMP_NUM_THREADS=1"});
  if (log_text) *log_text = log.str();
  return code;
}

Trace single_process_reference(const std::string& scenario) {
  const auto c = small_config(scenario);
  auto data = core::build_dataset(c);  // the whole L and B
  auto net = core::make_network(c, data);
  const bool vanilla = scenario.rfind("vanilla", 0) == 0;
  auto loss = core::make_loss(vanilla ? core::Method::vanilla : core::Method::dtpinn, data, net);
  core::Communicator none;
  return run_trace(net, *loss, vanilla, none);
}

double rel(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

void check_scenario(const std::string& scenario, const std::vector<int>& procs = {1, 2, 3}) {
  at::set_num_threads(1);
  const Trace ref = single_process_reference(scenario);
  ASSERT_GE(ref.trajectory.size(), 20u);
  ASSERT_LT(ref.trajectory.back(), 0.5 * ref.trajectory.front());  // L-BFGS made progress
  for (int P : procs) {
    const auto out = tmp_dir(scenario + "_" + std::to_string(P) + ".txt");
    std::string log;
    ASSERT_EQ(launch(scenario, P, out, &log), 0) << log;
    std::ifstream in(out);
    ASSERT_TRUE(in.good()) << "no output from rank 0 with " << P << " processes";
    Trace t;
    in >> t.loss;
    t.terms = read_vec(in);
    t.grad = read_vec(in);
    t.trajectory = read_vec(in);
    t.final_weights = read_vec(in);
    EXPECT_NEAR(t.loss, ref.loss, 1e-12 * ref.loss) << P << " processes";
    ASSERT_EQ(t.terms.size(), ref.terms.size());
    EXPECT_LT(rel(t.terms, ref.terms), 1e-12) << P << " processes";
    ASSERT_EQ(t.grad.size(), ref.grad.size());
    const double eg = rel(t.grad, ref.grad);
    EXPECT_LT(eg, 1e-12) << P << " processes";
    // Same number of evaluations and the same losses along the whole step.
    ASSERT_EQ(t.trajectory.size(), ref.trajectory.size()) << P << " processes";
    double et = 0;
    for (std::size_t k = 0; k < t.trajectory.size(); ++k)
      et = std::max(et, std::abs(t.trajectory[k] - ref.trajectory[k]) / ref.trajectory[k]);
    EXPECT_LT(et, 1e-8) << P << " processes";
    const double ew = rel(t.final_weights, ref.final_weights);
    EXPECT_LT(ew, 1e-8) << P << " processes";
    std::cout << fmt::format(
        "[{} P={}] loss rel {:.2e}, grad rel {:.2e}, trajectory max rel "
        "{:.2e} over {} evals, weights rel {:.2e}\n",
        scenario, P, std::abs(t.loss - ref.loss) / ref.loss, eg, et, t.trajectory.size(), ew);
  }
}

}  // namespace

TEST(Partition, RcbBalancedCompactAndComplete) {
  auto c = small_config("poisson");
  core::DatasetOptions dopt;
  dopt.operators = false;
  auto data = core::build_dataset(c, dopt);
  for (int P : {1, 2, 3, 7}) {
    auto p = core::partition_rcb(data.nodes, P, 43, 13);
    std::int64_t total = 0;
    for (auto r : p.rows) total += r;
    EXPECT_EQ(total, data.nodes.n_collocation());
    for (auto o : p.owner) ASSERT_TRUE(o >= 0 && o < P);
    // Balanced in work up to one node's work (boundary 43 + 13).
    const double mean = (43.0 * data.nodes.n_collocation() + 13.0 * data.nodes.n_boundary) / P;
    EXPECT_LE(p.imbalance(), 1.0 + 2 * 56.0 / mean) << P;
  }
  EXPECT_THROW(core::partition_rcb(data.nodes, 0), std::invalid_argument);
}

TEST(Partition, LocalRowsEqualGlobalRows) {
  for (int dim : {2, 3}) {
    auto c = small_config("poisson");
    if (dim == 3) {
      c.domain.shape = "ball";
      c.problem.exact = "1 + sin(pi*x)*cos(pi*y)*z";
      c.domain.n = 1500;
    }
    auto data = core::build_dataset(c);
    rbffd::RbffdParams params;
    params.order = c.rbffd.order;
    const auto robin = rbffd::RobinCoefficients::constant(1.0, 1.0);
    const int P = 3;
    auto part = core::partition_rcb(data.nodes, P);
    std::int64_t rows = 0, brows = 0;
    for (int q = 0; q < P; ++q) {
      auto ops = core::assemble_local(data.nodes, part, q, params, robin);
      rows += ops.L.rows;
      brows += ops.B.rows;
      EXPECT_LT(static_cast<std::int64_t>(ops.columns.size()), data.nodes.size());
      // Map local columns back and compare with the global rows: bitwise equal.
      auto check = [&](const rbffd::CsrMatrix& local, const rbffd::CsrMatrix& global,
                       const std::vector<std::int32_t>& grows) {
        auto ref = core::select_rows(global, grows);
        ASSERT_EQ(local.rows, ref.rows);
        for (std::int32_t r = 0; r < local.rows; ++r) {
          std::vector<std::pair<std::int32_t, double>> a, b;
          for (auto k = local.row_ptr[r]; k < local.row_ptr[r + 1]; ++k)
            a.emplace_back(ops.columns[local.col_idx[k]], local.values[k]);
          for (auto k = ref.row_ptr[r]; k < ref.row_ptr[r + 1]; ++k)
            b.emplace_back(ref.col_idx[k], ref.values[k]);
          std::sort(a.begin(), a.end());
          ASSERT_EQ(a, b) << "dim " << dim << " part " << q << " row " << r;
        }
      };
      check(ops.L, data.L, ops.owned);
      std::vector<std::int32_t> b;
      for (auto r : ops.boundary_rows)
        b.push_back(ops.owned[r] - static_cast<std::int32_t>(data.nodes.n_interior));
      check(ops.B, data.B, b);
    }
    EXPECT_EQ(rows, data.nodes.n_collocation());
    EXPECT_EQ(brows, data.nodes.n_boundary);
  }
}

TEST(Distributed, PoissonMatchesSingleProcess) {
  check_scenario("poisson");
}
TEST(Distributed, NonlinearPoissonMatchesSingleProcess) {
  check_scenario("nonlinear");
}
TEST(Distributed, HeatMatchesSingleProcess) {
  check_scenario("heat");
}
TEST(Distributed, HeatSplitTimeSlicesMatchesSingleProcess) {
  // 5 slices in 1, 2, 3 blocks (only the first block has the initial condition), all space rows
  // on every rank; then 2 space parts x 2 time blocks on 4 processes.
  check_scenario("heat_time");
  check_scenario("heat_mixed", {4});
}
TEST(Distributed, VanillaMatchesSingleProcess) {
  // The autograd PINN split by rows: each rank evaluates Lap u, du/dn (and u_t) at its own
  // nodes only; Poisson, and heat.
  check_scenario("vanilla");
  check_scenario("vanilla_heat", {2});
}

TEST(Distributed, BoundaryPartsMatchSingleProcess) {
  // One boundary term per [[bc]] condition, normalised by the condition's global row count.
  check_scenario("parts");
  check_scenario("vanilla_parts", {2});
}

TEST(Distributed, AnnealedWeightsAgreeAcrossWorldSizes) {
  // Learning-rate annealing from the all-reduced per-term gradients: the same weights and the
  // same loss with 1 and 2 processes (the weights move away from 1).
  auto read = [](const fs::path& dir) {
    std::ifstream in(dir / "results.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
  };
  std::string log;
  const auto d1 = tmp_dir("anneal1"), d2 = tmp_dir("anneal2");
  ASSERT_EQ(launch("train_annealing", 1, d1, &log), 0) << log;
  ASSERT_EQ(launch("train_annealing", 2, d2, &log), 0) << log;
  const auto r1 = read(d1), r2 = read(d2);
  const double w1 = r1["loss_weights"]["bc"].get<double>();
  const double w2 = r2["loss_weights"]["bc"].get<double>();
  EXPECT_NE(w1, 1.0);
  EXPECT_NEAR(w2, w1, 1e-8 * std::abs(w1));
  const double l1 = r1["final_loss"].get<double>(), l2 = r2["final_loss"].get<double>();
  EXPECT_NEAR(l2, l1, 1e-6 * std::abs(l1));
  EXPECT_EQ(r2["method"], "dtpinn");
}

TEST(Partition, SplitSlicesIsContiguousAndBalanced) {
  for (int parts = 1; parts <= 7; ++parts) {
    std::int64_t next = 0;
    for (int q = 0; q < parts; ++q) {
      const auto r = core::split_slices(7, parts, q);
      EXPECT_EQ(r.begin, next);
      EXPECT_TRUE(r.count == 7 / parts || r.count == 7 / parts + 1);
      next = r.begin + r.count;
    }
    EXPECT_EQ(next, 7);
  }
  EXPECT_THROW(core::split_slices(3, 4, 0), std::invalid_argument);
  EXPECT_THROW(core::split_slices(3, 2, 2), std::invalid_argument);
}

TEST(Distributed, DeadRankEndsTheRunQuickly) {
  for (const char* s : {"die", "die_late"}) {
    const auto t0 = std::chrono::steady_clock::now();
    std::string log;
    const int code = launch(s, 2, tmp_dir(std::string(s) + ".txt"), &log, 90.0);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_NE(code, 0) << s;
    EXPECT_NE(log.find("rank 1 of 2 failed with exit code"), std::string::npos) << log;
    EXPECT_LT(secs, 45.0) << s;  // the launcher stops rank 0, no timeout needed
  }
}

TEST(Distributed, RendezvousTimeoutIsAClearError) {
  core::DistributedEnv env;
  env.present = true;
  env.rank = 0;
  env.world_size = 2;  // rank 1 never comes
  env.master_port = lab::free_port();
  const auto t0 = std::chrono::steady_clock::now();
  try {
    core::Communicator comm(env, core::Backend::gloo, c10::kCPU, 2.0);
    FAIL() << "expected a timeout";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("could not join the gloo group"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20.0);
}

TEST(Distributed, TrainRunWritesOneCompleteFolder) {
  const auto dir = tmp_dir("run");
  std::string log;
  ASSERT_EQ(launch("train", 2, dir, &log), 0) << log;
  for (const char* f : {"results.json", "model.pt", "checkpoint.json", "partition.json",
                        "history.csv", "config.toml"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().rfind(".partial", 0), std::string::npos);
  std::ifstream in(dir / "partition.json");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("\"parts\": 2"), std::string::npos) << ss.str();
}

namespace {

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

std::string first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> k;
  for (const auto& [key, value] : j.items()) k.insert(key);
  return k;
}

/// The weighted loss of the network saved in `dir`, evaluated afresh on one process.
double fresh_loss(const core::RunConfig& c, const fs::path& dir) {
  core::RunConfig saved;
  core::Network net = core::load_checkpoint(dir.string(), &saved);
  EXPECT_TRUE(saved == c) << dir;
  auto data = core::build_dataset(c);
  auto loss = core::make_loss(c.train.method, data, net, c.train.time_derivative);
  const auto j = read_json(dir / "results.json");
  const auto terms = loss->terms(net);
  double total = 0;
  for (std::size_t i = 0; i < terms.size(); ++i)
    total += j["loss_weights"][loss->names()[i]].get<double>() * terms[i].item<double>();
  return total;
}

void check_run_schema(const std::string& kind) {
  at::set_num_threads(1);
  const auto c = run_config(kind);
  const auto one = tmp_dir("schema_" + kind + "_single");
  core::run_train(c, one.string(), nullptr);
  const auto ref = read_json(one / "results.json");
  const double ref_fresh = fresh_loss(c, one);
  EXPECT_NEAR(ref["final_loss"].get<double>(), ref_fresh, 1e-12 * ref_fresh) << kind;
  for (int P : {1, 2, 3}) {
    const auto dir = tmp_dir("schema_" + kind + "_" + std::to_string(P));
    std::string log;
    ASSERT_EQ(launch("run_" + kind, P, dir, &log), 0) << log;
    auto r = read_json(dir / "results.json");
    ASSERT_TRUE(r.contains("distributed")) << kind << " P=" << P;
    EXPECT_EQ(r["distributed"]["world_size"].get<int>(), P);
    r.erase("distributed");  // the one block a distributed run adds
    EXPECT_EQ(keys_of(r), keys_of(ref)) << kind << " P=" << P;
    ASSERT_EQ(r["history"].size(), ref["history"].size()) << kind << " P=" << P;
    for (std::size_t k = 0; k < r["history"].size(); ++k)
      EXPECT_EQ(keys_of(r["history"][k]), keys_of(ref["history"][k])) << kind << " P=" << P;
    EXPECT_EQ(keys_of(r["loss_terms"]), keys_of(ref["loss_terms"])) << kind;
    EXPECT_EQ(first_line(dir / "history.csv"), first_line(one / "history.csv")) << kind;
    EXPECT_TRUE(fs::exists(dir / "partition.json"));
    // The reported loss is the loss of the saved weights...
    const double fresh = fresh_loss(c, dir);
    EXPECT_NEAR(r["final_loss"].get<double>(), fresh, 1e-12 * fresh) << kind << " P=" << P;
    // ... and the run follows the one-process run (same steps up to the rounding of the sums).
    EXPECT_NEAR(r["final_loss"].get<double>(), ref["final_loss"].get<double>(),
                1e-6 * ref["final_loss"].get<double>())
        << kind << " P=" << P;
  }
}

}  // namespace

TEST(DistributedRun, PoissonWritesTheOneProcessSchema) {
  check_run_schema("poisson");
}
TEST(DistributedRun, NonlinearWritesTheOneProcessSchema) {
  check_run_schema("nonlinear");
}
TEST(DistributedRun, HeatWritesTheOneProcessSchema) {
  check_run_schema("heat");
  check_run_schema("heat_split");  // time slices split over the ranks too
}
TEST(DistributedRun, VanillaWritesTheOneProcessSchema) {
  check_run_schema("vanilla");
}
