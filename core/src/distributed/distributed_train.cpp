// Partitioned DT-PINN loss, the all-reduced objective, and the distributed `dtpinn train`.
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/distributed_train.hpp>
#include <dtpinn/core/flat_parameters.hpp>
#include <dtpinn/core/losses.hpp>
#include <dtpinn/core/trainer.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <torch/torch.h>

#include <fmt/format.h>
#include <ftw.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <stdexcept>

namespace dtpinn::core {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// std::filesystem::remove_all is NOT used: the PyPI libtorch.so exports its own copy of
// std::filesystem::remove_all, which the dynamic linker binds first and which crashes (jumps to
// a null address) on this toolchain. POSIX nftw does the same, without the interposition.
int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}
void remove_tree(const fs::path& p) {
  if (!p.empty()) ::nftw(p.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace

// --- local problem ------------------------------------------------------------------------------

LocalProblem make_local_problem(const Dataset& data, LocalOperators ops, SliceRange slices) {
  if (!data.problem) throw std::invalid_argument("make_local_problem: dataset has no problem");
  LocalProblem p;
  p.pde = data.problem->pde();
  const auto S = static_cast<std::int64_t>(data.times.size());
  if (slices.count < 0) slices.count = S - slices.begin;
  if (slices.begin < 0 || slices.count < 1 || slices.begin + slices.count > S)
    throw std::invalid_argument(
        fmt::format("make_local_problem: slices [{}, {}) outside the {} time slices", slices.begin,
                    slices.begin + slices.count, S));
  p.times.assign(data.times.begin() + slices.begin,
                 data.times.begin() + slices.begin + slices.count);
  p.first_slice = slices.begin;
  p.global_slices = S;
  const auto& nodes = data.nodes;
  const int d = nodes.dim;
  const Eigen::Index nl = static_cast<Eigen::Index>(ops.owned.size());
  const Eigen::Index nb = static_cast<Eigen::Index>(ops.boundary_rows.size());
  p.points.resize(static_cast<Eigen::Index>(ops.columns.size()), d);
  for (std::size_t k = 0; k < ops.columns.size(); ++k)
    p.points.row(static_cast<Eigen::Index>(k)) = nodes.points.row(ops.columns[k]);
  const auto c0 = static_cast<Eigen::Index>(slices.begin);
  const auto nc = static_cast<Eigen::Index>(slices.count);
  p.f.resize(nl, nc);
  for (Eigen::Index r = 0; r < nl; ++r) p.f.row(r) = data.f.row(ops.owned[r]).segment(c0, nc);
  p.g.resize(nb, nc);
  for (Eigen::Index k = 0; k < nb; ++k)
    p.g.row(k) = data.g.row(ops.owned[ops.boundary_rows[k]] - nodes.n_interior).segment(c0, nc);
  if (data.u0.size() > 0) {
    p.u0.resize(nl);
    for (Eigen::Index r = 0; r < nl; ++r) p.u0[r] = data.u0[ops.owned[r]];
  }
  p.normals.resize(nb, d);
  for (Eigen::Index k = 0; k < nb; ++k)
    p.normals.row(k) = nodes.normals.row(ops.owned[ops.boundary_rows[k]]);
  p.alpha = data.problem->alpha();
  p.beta = data.problem->beta();
  p.ops = std::move(ops);
  return p;
}

// --- partitioned loss ---------------------------------------------------------------------------

namespace {

torch::Tensor to_tensor(const Eigen::MatrixXd& m, const torch::TensorOptions& o) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
  return torch::from_blob(r.data(), {r.rows(), r.cols()}, torch::kFloat64).to(o, false, true);
}

}  // namespace

// This rank's block of rows with the loss normalised by the GLOBAL counts (losses.hpp).
struct PartitionedLoss::Impl {
  Impl(const LocalProblem& p, const Network& net, bool vanilla_method) : vanilla(vanilla_method) {
    const auto o = torch::TensorOptions().dtype(net.dtype()).device(net.device());
    auto& b = block;
    b.pde = p.pde;
    b.rows = static_cast<std::int64_t>(p.ops.owned.size());
    // The vanilla PINN evaluates the network at its owned nodes only (the first local columns).
    b.nodes = vanilla ? b.rows : static_cast<std::int64_t>(p.ops.columns.size());
    const double inv_l = 1.0 / static_cast<double>(p.ops.global_l_rows);
    const double inv_b =
        p.ops.global_b_rows > 0 ? 1.0 / static_cast<double>(p.ops.global_b_rows) : 0.0;
    const double inv_s = 1.0 / static_cast<double>(p.global_slices);
    b.pde_scale = inv_l * inv_s;
    b.bc_scale = inv_b * inv_s;
    b.ic_scale = p.first_slice == 0 ? inv_l : 0.0;
    auto x = to_tensor(Eigen::MatrixXd(p.points.topRows(b.nodes)), o);
    if (b.pde == PdeKind::heat) {
      b.slices = static_cast<std::int64_t>(p.times.size());
      std::vector<torch::Tensor> blocks;
      for (double t : p.times)
        blocks.push_back(torch::cat({x, torch::full({x.size(0), 1}, t, o)}, 1));
      b.x = torch::cat(blocks, 0);
      b.u0 = to_tensor(Eigen::MatrixXd(p.u0), o).view({-1});
    } else {
      b.x = x;
    }
    names = loss_term_names(b.pde);
    auto f = to_tensor(p.f, o), g = to_tensor(p.g, o);  // [rows, S], [nb, S]
    if (vanilla) {
      b.dim = static_cast<int>(p.points.cols());
      b.alpha = p.alpha;
      b.beta = p.beta;
      b.f = f.t().contiguous().view({-1});  // slice-major, matching x
      b.g = g.t().contiguous().view({-1});
      b.normals = to_tensor(Eigen::MatrixXd(p.normals), o).repeat({b.slices, 1});
      std::vector<std::int64_t> rows(p.ops.boundary_rows.begin(), p.ops.boundary_rows.end());
      b.boundary_rows =
          torch::tensor(rows, torch::TensorOptions().dtype(torch::kLong).device(o.device()));
    } else {
      L.emplace(p.ops.L, o);
      B.emplace(p.ops.B, o);
      b.L = &*L;
      b.B = &*B;
      // Heat keeps [rows, S] even for a block of one slice.
      b.f = b.pde == PdeKind::heat ? f : f.squeeze(1);
      b.g = b.pde == PdeKind::heat ? g : g.squeeze(1);
    }
  }

  bool vanilla = false;
  std::optional<autodiff::SparseOperator> L, B;
  LossBlock block;
  std::vector<std::string> names;
};

PartitionedLoss::PartitionedLoss(const LocalProblem& local, const Network& net,
                                 const std::string& method)
    : impl_(std::make_unique<Impl>(local, net, method == "vanilla")) {
  if (method != "dtpinn" && method != "vanilla")
    throw std::invalid_argument(
        fmt::format("train.method: unknown method '{}' (dtpinn, vanilla)", method));
}
PartitionedLoss::~PartitionedLoss() = default;
PartitionedLoss::PartitionedLoss(PartitionedLoss&&) noexcept = default;

const std::vector<std::string>& PartitionedLoss::names() const {
  return impl_->names;
}

std::vector<at::Tensor> PartitionedLoss::terms(const Network& net) const {
  return impl_->vanilla ? vanilla_terms(net, impl_->block) : dtpinn_terms(net, impl_->block);
}

// --- objective ----------------------------------------------------------------------------------

struct DistributedObjective::Impl {
  Impl(Network& n, TermsFn t, std::vector<double> w, Communicator& c)
      : net(n), terms(std::move(t)), weights(std::move(w)), comm(c), flat(n.parameters()) {
    const auto o = flat.values().options();
    buffer = torch::zeros({flat.numel() + static_cast<std::int64_t>(weights.size()) + 1}, o);
  }
  Network& net;
  TermsFn terms;
  std::vector<double> weights;
  Communicator& comm;
  FlatParameters flat;
  torch::Tensor buffer;  ///< [P gradient | T terms | total]: one allreduce per evaluation
};

DistributedObjective::DistributedObjective(Network& net, TermsFn terms, std::vector<double> weights,
                                           Communicator& comm)
    : impl_(std::make_unique<Impl>(net, std::move(terms), std::move(weights), comm)) {}
DistributedObjective::~DistributedObjective() = default;
FlatParameters& DistributedObjective::flat() {
  return impl_->flat;
}

double DistributedObjective::evaluate(std::vector<double>* terms_out) {
  auto& s = *impl_;
  s.flat.rebind_grads();
  s.flat.zero_grad();
  auto t = s.terms(s.net);
  if (t.size() != s.weights.size())
    throw std::runtime_error("distributed: loss terms and weights differ in number");
  torch::Tensor total = t[0] * s.weights[0];
  for (std::size_t i = 1; i < t.size(); ++i) total = total + t[i] * s.weights[i];
  total.backward();
  const auto P = s.flat.numel();
  const auto T = static_cast<std::int64_t>(t.size());
  s.buffer.narrow(0, 0, P).copy_(s.flat.grads());
  {
    torch::NoGradGuard ng;
    s.buffer.narrow(0, P, T).copy_(torch::stack(t).detach());
    s.buffer.narrow(0, P + T, 1).copy_(total.detach().view({1}));
  }
  s.comm.allreduce_sum(s.buffer);
  s.flat.grads().copy_(s.buffer.narrow(0, 0, P));
  auto host = s.buffer.narrow(0, P, T + 1).to(torch::kCPU, torch::kDouble);
  const double* h = host.data_ptr<double>();
  if (terms_out) terms_out->assign(h, h + T);
  return h[T];
}

void DistributedObjective::set_weights(const std::vector<double>& weights) {
  if (weights.size() != impl_->weights.size())
    throw std::invalid_argument("distributed: loss weights differ in number from the terms");
  impl_->weights = weights;
}

at::Tensor DistributedObjective::term_gradients() {
  auto& s = *impl_;
  auto t = s.terms(s.net);
  const auto& params = s.flat.parameters();
  const auto P = s.flat.numel();
  auto G = torch::zeros({static_cast<std::int64_t>(t.size()), P}, s.flat.values().options());
  for (std::size_t i = 0; i < t.size(); ++i) {
    auto g = torch::autograd::grad({t[i]}, params, {}, /*retain_graph=*/true, false,
                                   /*allow_unused=*/true);
    torch::NoGradGuard ng;
    for (std::size_t j = 0; j < g.size(); ++j)
      if (g[j].defined())
        G[static_cast<std::int64_t>(i)]
            .narrow(0, s.flat.offset(j), g[j].numel())
            .copy_(g[j].reshape({-1}));
  }
  s.comm.allreduce_sum(G);
  return G;
}

void DistributedObjective::broadcast_parameters() {
  auto& s = *impl_;
  torch::NoGradGuard ng;
  auto v = s.flat.clone_values();
  if (s.comm.rank() != 0) v.zero_();
  s.comm.allreduce_sum(v);
  s.flat.copy_from(v);
}

// --- the distributed run ------------------------------------------------------------------------

bool in_distributed_worker() {
  auto has = [](const char* n) {
    const char* v = std::getenv(n);
    return v && *v;
  };
  return (has("RANK") && has("WORLD_SIZE")) ||
         (has("OMPI_COMM_WORLD_RANK") && has("OMPI_COMM_WORLD_SIZE")) ||
         (has("SLURM_PROCID") && has("SLURM_NTASKS") && has("DTPINN_DISTRIBUTED"));
}

int launch_distributed_train(const DistributedOptions& options, std::ostream& log,
                             const std::string& out_dir) {
  std::vector<std::string> args;
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(cmdline, arg, '\0')) args.push_back(arg);
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (args.empty() || ec)
    throw std::runtime_error("distributed: cannot read this process's command line");
  args[0] = self.string();
  const int code = launch_local(
      args, options, log, {"DTPINN_DISTRIBUTED=1", fmt::format("DTPINN_RUN_ID={}", ::getpid())});
  if (code != 0) remove_tree(fs::path(out_dir) / fmt::format(".partial-dist-{}", ::getpid()));
  if (code != 0) log << fmt::format("dtpinn train: distributed run failed (exit code {})\n", code);
  return code;
}

namespace {

json partition_json(const Partition& p, const std::vector<std::int64_t>& halo, int time_parts) {
  return {{"method", p.method},
          {"parts", p.parts},
          {"time_parts", time_parts},
          {"rows", p.rows},
          {"boundary_rows", p.boundary_rows},
          {"halo", halo},
          {"imbalance", p.imbalance()}};
}

void write_text(const fs::path& path, const std::string& text) {
  nodegen::AtomicFile f(path.string());
  f.stream() << text;
  f.commit();
}

}  // namespace

int run_distributed_train(const RunConfig& config, const DistributedOptions& options,
                          const std::string& out_dir, std::ostream* log) {
  const auto env = DistributedEnv::from_environment();
  const auto& tc = config.train;
  if (tc.method != "dtpinn" && tc.method != "vanilla")
    throw std::runtime_error(
        fmt::format("train.method: unknown method '{}' (dtpinn, vanilla)", tc.method));
  if (tc.loss_weights != "fixed" && tc.loss_weights != "annealing")
    throw std::runtime_error(
        fmt::format("train.loss_weights: unknown scheme '{}' (fixed, annealing)", tc.loss_weights));
  const bool vanilla = tc.method == "vanilla";
  const bool root = env.rank == 0;
  std::ostream* rlog = root ? log : nullptr;
  // One GPU per process: make_network() places the network on cuda:0, so each rank is shown
  // only its own GPU (entry LOCAL_RANK of CUDA_VISIBLE_DEVICES, or GPU LOCAL_RANK). This must
  // happen before anything initialises CUDA in this process.
  if (tc.device == "cuda" && env.present && env.world_size > 1) {
    const char* vis = std::getenv("CUDA_VISIBLE_DEVICES");
    std::vector<std::string> ids;
    std::string cur;
    for (const char* q = vis ? vis : "";; ++q) {
      if (*q == ',' || *q == '\0') {
        if (!cur.empty()) ids.push_back(cur);
        cur.clear();
        if (*q == '\0') break;
      } else {
        cur += *q;
      }
    }
    const std::string mine = ids.empty()
                                 ? std::to_string(env.local_rank)
                                 : ids[static_cast<std::size_t>(env.local_rank) % ids.size()];
    ::setenv("CUDA_VISIBLE_DEVICES", mine.c_str(), 1);
  }
  const c10::Device device =
      tc.device == "cuda" ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  // Stage the run folder before anything long, so a bad -o fails at once.
  fs::path dir(out_dir), stage;
  if (root) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
      throw std::runtime_error(fmt::format("{}: cannot create the output folder", out_dir));
    // Named after the launcher (DTPINN_RUN_ID) when there is one, so it can clean up.
    const char* run_id = std::getenv("DTPINN_RUN_ID");
    stage = dir / fmt::format(".partial-dist-{}",
                              run_id && *run_id ? std::string(run_id) : std::to_string(::getpid()));
    remove_tree(stage);
    fs::create_directories(stage, ec);
  }
  struct StageGuard {
    fs::path p;
    bool done = false;
    ~StageGuard() {
      if (!done) remove_tree(p);
    }
  } guard{stage};

  Communicator comm = env.present
                          ? Communicator(env, options.backend, device, options.timeout_seconds)
                          : Communicator();
  if (rlog)
    *rlog << fmt::format("distributed: {} rank(s), backend {}\n", comm.size(), comm.backend());
  const auto t_setup = std::chrono::steady_clock::now();
  DatasetOptions dopt;
  dopt.operators = false;  // each rank assembles its own rows below
  Dataset data = build_dataset(config, dopt, rlog);
  const rbffd::RbffdParams params = rbffd_params(config);
  const int d = data.dim();
  // Space parts x time parts (heat); rank r: space part r / Pt, slice block r % Pt.
  const int time_parts = options.time_parts;
  if (time_parts < 1 || comm.size() % time_parts != 0)
    throw std::runtime_error(
        fmt::format("--time-parts {}: must be >= 1 and divide the number of processes ({})",
                    time_parts, comm.size()));
  if (time_parts > 1 && data.problem->pde() != PdeKind::heat)
    throw std::runtime_error("--time-parts: only the heat equation has time slices to split");
  if (time_parts > static_cast<int>(data.times.size()))
    throw std::runtime_error(fmt::format("--time-parts {}: more parts than the {} time slices",
                                         time_parts, data.times.size()));
  const int space_parts = comm.size() / time_parts;
  const int space_part = comm.rank() / time_parts, time_part = comm.rank() % time_parts;
  const SliceRange slices =
      split_slices(static_cast<std::int64_t>(data.times.size()), time_parts, time_part);
  // The vanilla PINN's work per node is the same everywhere (no stencils) and it needs no
  // operator rows, only its own nodes.
  const auto part =
      vanilla ? partition_rcb(data.nodes, space_parts)
              : partition_rcb(data.nodes, space_parts, rbffd::stencil_rule(params, 2, d).size,
                              rbffd::stencil_rule(params, 1, d).size);
  auto ops = vanilla ? local_rows(data.nodes, part, space_part)
                     : assemble_local(data.nodes, part, space_part, params,
                                      rbffd::RobinCoefficients::constant(data.problem->alpha(),
                                                                         data.problem->beta()));
  // Halo sizes of every space part, for partition.json (one small allreduce).
  auto halo_t =
      torch::zeros({space_parts}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  if (time_part == 0) halo_t[space_part] = static_cast<double>(ops.n_halo);
  comm.allreduce_sum(halo_t);
  std::vector<std::int64_t> halo(space_parts);
  auto halo_h = halo_t.cpu();
  for (int q = 0; q < space_parts; ++q)
    halo[q] = static_cast<std::int64_t>(halo_h[q].item<double>());
  if (rlog && time_parts > 1)
    *rlog << fmt::format(
        "distributed: {} space part(s) x {} time part(s); rank 0 has slices "
        "[{}, {}) of {}\n",
        space_parts, time_parts, slices.begin, slices.begin + slices.count, data.times.size());
  if (rlog)
    *rlog << fmt::format(
        "distributed: rank 0 owns {} of {} rows, halo {} (imbalance {:.3f}), "
        "local assembly {:.2f} s\n",
        ops.owned.size(), ops.global_l_rows, ops.n_halo, part.imbalance(), ops.seconds);
  LocalProblem local = make_local_problem(data, std::move(ops), slices);
  Network net = make_network(config, data);
  PartitionedLoss loss(local, net, tc.method);
  std::vector<double> weights = initial_loss_weights(tc, loss.names());
  DistributedObjective objective(
      net, [&loss](const Network& n) { return loss.terms(n); }, weights, comm);
  const auto& names = loss.names();
  const auto pde_index =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), "pde") - names.begin());
  objective.broadcast_parameters();
  const double setup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count();

  // Optimiser (the trainer's settings).
  const bool fp64 = tc.precision == "fp64";
  const auto& params_list = objective.flat().parameters();
  std::unique_ptr<torch::optim::Optimizer> opt;
  bool is_lbfgs = tc.optimizer == "lbfgs";
  if (is_lbfgs)
    opt = make_lbfgs(tc, params_list, fp64);
  else if (tc.optimizer == "adam" || tc.optimizer == "adam_lbfgs")
    opt = std::make_unique<torch::optim::Adam>(params_list, torch::optim::AdamOptions(tc.adam_lr));
  else
    throw std::runtime_error(fmt::format("train.optimizer: unknown optimizer '{}'", tc.optimizer));
  // `terms` holds the terms at the first evaluation of a step: the point whose loss the step
  // returns (as the single-process trainer logs it).
  std::vector<double> terms, scratch;
  bool first_of_step = true;
  auto closure = [&]() -> torch::Tensor {
    const double v = objective.evaluate(first_of_step ? &terms : &scratch);
    first_of_step = false;
    return torch::full({}, v, torch::kDouble);
  };

  json history = json::array();
  std::string csv = "epoch,seconds,loss";
  for (const auto& n : loss.names()) csv += "," + n;
  csv += ",test_rel_l2\n";
  double train_seconds = 0.0, best = -1.0, seconds_to_best = 0.0, last_error = -1.0;
  double final_loss = 0.0;
  std::int64_t epoch = 0, epochs_to_best = 0;
  std::string stop_reason = "epochs";
  double adam_lr = tc.adam_lr;
  for (epoch = 1; epoch <= tc.epochs; ++epoch) {
    if (tc.optimizer == "adam_lbfgs" && !is_lbfgs && epoch > tc.adam_epochs) {
      opt = make_lbfgs(tc, params_list, fp64);
      is_lbfgs = true;
    }
    const auto t0 = std::chrono::steady_clock::now();
    // Learning-rate annealing (as the single-process trainer): lambda_i <- (1 - a) lambda_i +
    // a max|g_pde| / mean|g_i| from the GLOBAL per-term gradients, so every rank agrees.
    if (tc.loss_weights == "annealing" && pde_index < names.size() &&
        (epoch - 1) % tc.annealing_every == 0) {
      auto G = objective.term_gradients().to(torch::kCPU, torch::kDouble);
      std::vector<double> mean_abs(names.size());
      for (std::size_t i = 0; i < names.size(); ++i)
        mean_abs[i] = G[static_cast<std::int64_t>(i)].abs().mean().item<double>();
      anneal_loss_weights(weights, pde_index,
                          G[static_cast<std::int64_t>(pde_index)].abs().max().item<double>(),
                          mean_abs, tc.annealing_alpha);
      objective.set_weights(weights);
    }
    first_of_step = true;
    double lv;
    if (is_lbfgs) {
      lv = opt->step(closure).item<double>();
    } else {
      lv = closure().item<double>();
      opt->step();
      if (tc.lr_decay != 1.0 && epoch % tc.lr_decay_every == 0) {
        adam_lr *= tc.lr_decay;
        for (auto& group : opt->param_groups())
          static_cast<torch::optim::AdamOptions&>(group.options()).lr(adam_lr);
      }
    }
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!std::isfinite(lv))
      throw std::runtime_error(
          fmt::format("training diverged at epoch {}: the loss is {}", epoch, lv));
    final_loss = lv;
    const bool eval = epoch % std::max<std::int64_t>(tc.eval_every, 1) == 0 || epoch == tc.epochs;
    // The test error is computed on rank 0 and shared, so every rank takes the same stop decision.
    double err = -1.0;
    if (eval) err = comm.allreduce_sum(root && data.has_reference ? test_error(net, data) : 0.0);
    if (eval && data.has_reference) {
      last_error = err;
      if (best < 0 || err < best) {
        best = err;
        epochs_to_best = epoch;
        seconds_to_best = train_seconds;
      }
    }
    if (eval) {
      history.push_back({{"epoch", epoch},
                         {"seconds", train_seconds},
                         {"loss", lv},
                         {"terms", terms},
                         {"weights", weights},
                         {"test_rel_l2", data.has_reference ? err : -1.0}});
      csv += fmt::format("{},{:.6g},{:.17g}", epoch, train_seconds, lv);
      for (double t : terms) csv += fmt::format(",{:.17g}", t);
      csv += fmt::format(",{:.17g}\n", data.has_reference ? err : -1.0);
    }
    if (rlog && tc.log_every > 0 && (epoch % tc.log_every == 0 || epoch == 1))
      *rlog << fmt::format("[dist x{}] epoch {} loss {:.4e} test error {} {:.3f} s/epoch\n",
                           comm.size(), epoch, lv,
                           last_error >= 0 ? fmt::format("{:.3e}", last_error) : std::string("n/a"),
                           train_seconds / epoch);
    // Every rank reads the same clock decision from rank 0.
    const bool over_time = tc.time_budget > 0 && train_seconds >= tc.time_budget;
    const double stop = comm.allreduce_sum(
        root && (over_time || (tc.target_error > 0 && eval && err >= 0 && err <= tc.target_error))
            ? 1.0
            : 0.0);
    if (stop > 0) {
      stop_reason = over_time ? "time_budget" : "target_error";
      break;
    }
  }
  if (epoch > tc.epochs) epoch = tc.epochs;
  comm.barrier();  // every rank finished training: only now is the run complete

  if (root) {
    net.save((stage / "model.pt").string());
    // lower()/upper() return temporaries: copy each once (never mix two temporaries' pointers).
    const Eigen::VectorXd lower = net.lower(), upper = net.upper();
    const std::vector<double> lo(lower.data(), lower.data() + lower.size());
    const std::vector<double> hi(upper.data(), upper.data() + upper.size());
    json ck = {{"format", "dtpinn-checkpoint-1"},
               {"weights", "model.pt"},
               {"config", "config.toml"},
               {"in_dim", net.in_dim()},
               {"dim", data.dim()},
               {"time_dependent", data.problem->is_time_dependent()},
               {"t_final", data.problem->t_final()},
               {"precision", tc.precision},
               {"architecture", config.model.architecture},
               {"depth", config.model.depth},
               {"width", config.model.width},
               {"activation", config.model.activation},
               {"input_lower", lo},
               {"input_upper", hi}};
    write_text(stage / "checkpoint.json", ck.dump(2) + "\n");
    write_text(stage / "config.toml", to_toml(config));
    write_text(stage / "history.csv", csv);
    write_text(stage / "partition.json", partition_json(part, halo, time_parts).dump(2) + "\n");
    json loss_terms = json::object();
    for (std::size_t i = 0; i < terms.size(); ++i) loss_terms[loss.names()[i]] = terms[i];
    json final_weights = json::object();
    for (std::size_t i = 0; i < weights.size(); ++i) final_weights[names[i]] = weights[i];
    json r = {{"method", tc.method},
              {"precision", tc.precision},
              {"device", tc.device},
              {"pde", to_string(data.problem->pde())},
              {"optimizer", tc.optimizer},
              {"n_nodes", data.nodes.size()},
              {"n_interior", data.nodes.n_interior},
              {"n_boundary", data.nodes.n_boundary},
              {"order", config.rbffd.order},
              {"loss_weights", tc.loss_weights},
              {"final_weights", final_weights},
              {"epochs", epoch},
              {"train_seconds", train_seconds},
              {"seconds_per_epoch", epoch > 0 ? train_seconds / epoch : 0.0},
              {"setup_seconds", setup_seconds},
              {"final_loss", final_loss},
              {"loss_terms", loss_terms},
              {"test_rel_l2", last_error},
              {"best_test_rel_l2", best},
              {"epochs_to_best", epochs_to_best},
              {"seconds_to_best", seconds_to_best},
              {"stop_reason", stop_reason},
              {"distributed",
               {{"world_size", comm.size()},
                {"backend", comm.backend()},
                {"partition", partition_json(part, halo, time_parts)}}},
              {"history", history}};
    write_text(stage / "results.json", r.dump(2) + "\n");
    // Move into DIR, results.json last: its presence means the folder is complete.
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(stage)) files.push_back(e.path());
    std::stable_partition(files.begin(), files.end(),
                          [](const fs::path& p) { return p.filename() != "results.json"; });
    for (const auto& f : files) fs::rename(f, dir / f.filename());
    remove_tree(stage);
    guard.done = true;
    if (rlog)
      *rlog << fmt::format("distributed: {} epochs, loss {:.4e}, test rel l2 {:.3e}; wrote {}\n",
                           epoch, final_loss, last_error, out_dir);
  }
  return 0;
}

}  // namespace dtpinn::core
