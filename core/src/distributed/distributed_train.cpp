// The distributed `dtpinn train`: partitioned loss, the all-reduced objective, and the run, on
// the single-process training loop and run writer.
#include <dtpinn/core/distributed/train.hpp>
#include <dtpinn/core/problem/solve.hpp>
#include <dtpinn/core/problem/system.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>

#include <torch/torch.h>

#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <stdexcept>

namespace dtpinn::core {

using json = nlohmann::json;

// --- local problem ------------------------------------------------------------------------------

LocalProblem make_local_problem(const Dataset& data, LocalOperators ops, SliceRange slices) {
  if (!data.problem) throw std::invalid_argument("make_local_problem: dataset has no problem");
  LocalProblem p;
  p.equation = &data.problem->equation();
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
  p.alpha.resize(nb);
  p.beta.resize(nb);
  for (Eigen::Index k = 0; k < nb; ++k) {
    const auto global_row = ops.owned[ops.boundary_rows[k]] - nodes.n_interior;
    p.normals.row(k) = data.boundary.normals.row(global_row);
    p.bc_condition.push_back(data.boundary.condition[static_cast<std::size_t>(global_row)]);
    p.alpha[k] = data.boundary.alpha[global_row];
    p.beta[k] = data.boundary.beta[global_row];
  }
  p.bc_terms = boundary_term_names(*data.problem);
  p.bc_global_rows = data.boundary.counts;
  p.ops = std::move(ops);
  return p;
}

// --- partitioned loss ---------------------------------------------------------------------------

std::unique_ptr<Loss> make_partitioned_loss(const LocalProblem& p, const Network& net,
                                            Method method, TimeDerivative time_derivative) {
  // This rank's block of rows with the loss normalised by the GLOBAL counts (losses.hpp).
  BlockData b;
  b.equation = p.equation;
  b.points = p.points;
  b.rows = static_cast<std::int64_t>(p.ops.owned.size());
  b.f = p.f;
  b.g = p.g;
  b.u0 = p.u0;
  b.times = p.times;
  b.normals = p.normals;
  b.boundary_rows.assign(p.ops.boundary_rows.begin(), p.ops.boundary_rows.end());
  const double inv_s = 1.0 / static_cast<double>(p.global_slices);
  b.pde_scale = inv_s / static_cast<double>(p.ops.global_l_rows);
  b.ic_scale = p.first_slice == 0 ? 1.0 / static_cast<double>(p.ops.global_l_rows) : 0.0;
  b.bc_terms = p.bc_terms;
  b.bc_scales.clear();
  for (const auto rows : p.bc_global_rows)
    b.bc_scales.push_back(rows > 0 ? inv_s / static_cast<double>(rows) : 0.0);
  b.bc_condition = p.bc_condition;
  b.alpha = p.alpha;
  b.beta = p.beta;
  if (method == Method::dtpinn) {
    b.L = &p.ops.L;
    b.B = &p.ops.B;
  }
  return make_block_loss(method, b, net, time_derivative);
}

// --- objective ----------------------------------------------------------------------------------

DistributedObjective::DistributedObjective(Network& net, std::vector<std::string> names,
                                           TermsFn terms, Communicator& comm,
                                           bool input_derivatives)
    : Objective(net, std::move(names), std::move(terms), input_derivatives), comm_(comm) {}

DistributedObjective::~DistributedObjective() = default;

void DistributedObjective::reduce(at::Tensor& buffer) {
  comm_.allreduce_sum(buffer);
}

bool DistributedObjective::reduces() const {
  return comm_.size() > 1;
}

double DistributedObjective::from_root(double v) {
  return comm_.allreduce_sum(comm_.rank() == 0 ? v : 0.0);
}

bool DistributedObjective::is_root() const {
  return comm_.rank() == 0;
}

bool DistributedObjective::capturable() const {
  return comm_.size() == 1 || comm_.uses_nccl();
}

void DistributedObjective::broadcast_parameters() {
  torch::NoGradGuard ng;
  auto v = flat().clone_values();
  if (comm_.rank() != 0) v.zero_();
  comm_.allreduce_sum(v);
  flat().copy_from(v);
}

// --- launching ----------------------------------------------------------------------------------

bool in_distributed_worker() {
  auto has = [](const char* n) {
    const char* v = std::getenv(n);
    return v && *v;
  };
  return (has("RANK") && has("WORLD_SIZE")) ||
         (has("OMPI_COMM_WORLD_RANK") && has("OMPI_COMM_WORLD_SIZE")) ||
         (has("SLURM_PROCID") && has("SLURM_NTASKS") && has("DTPINN_DISTRIBUTED"));
}

std::string distributed_stage_name(const std::string& run_id) {
  return fmt::format(".partial-dist-{}", run_id);
}

// --- the distributed run ------------------------------------------------------------------------

namespace {

/// One GPU per process: make_network() places the network on cuda:0, so each rank is shown only
/// its own GPU (entry LOCAL_RANK of CUDA_VISIBLE_DEVICES, or GPU LOCAL_RANK). Must run before
/// anything initialises CUDA in this process.
void select_own_gpu(const DistributedEnv& env) {
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
  if (!ids.empty() && static_cast<std::size_t>(env.local_rank) >= ids.size())
    throw std::runtime_error(fmt::format(
        "--device cuda: local rank {} has no GPU of its own (CUDA_VISIBLE_DEVICES lists {}); "
        "start at most one process per GPU",
        env.local_rank, ids.size()));
  const std::string mine =
      ids.empty() ? std::to_string(env.local_rank) : ids[static_cast<std::size_t>(env.local_rank)];
  ::setenv("CUDA_VISIBLE_DEVICES", mine.c_str(), 1);
}

/// The rank's place in space x time, its partition and its operator rows.
struct RankPart {
  int time_parts = 1, space_parts = 1, space_part = 0, time_part = 0;
  SliceRange slices;
  Partition partition;
  LocalOperators ops;
  std::vector<std::int64_t> halo;  ///< halo size of every space part (partition.json)
};

RankPart make_rank_part(const RunConfig& config, const Dataset& data, int time_parts,
                        Communicator& comm) {
  RankPart rp;
  if (time_parts < 1 || comm.size() % time_parts != 0)
    throw std::runtime_error(
        fmt::format("--time-parts {}: must be >= 1 and divide the number of processes ({})",
                    time_parts, comm.size()));
  if (time_parts > 1 && !data.problem->is_time_dependent())
    throw std::runtime_error("--time-parts: only a time-dependent equation has slices to split");
  if (data.problem->fixes_mean())
    throw std::runtime_error(
        "--nproc: every boundary condition is Neumann, and the mean that fixes u is taken over "
        "all nodes, which the distributed loss does not gather: train it in one process");
  if (config.train.method == Method::dtpinn && uses_gradient(data.problem->equation()))
    throw std::runtime_error(fmt::format(
        "--nproc: the equation \"{}\" uses u_x, u_y or u_z, whose operator rows the distributed "
        "DT-PINN does not build yet: run it in one process or with train.method = \"vanilla\"",
        data.problem->equation().text()));
  if (config.train.optimizer == Optimizer::gauss_newton ||
      config.train.output_layer == OutputLayer::least_squares)
    throw std::runtime_error(fmt::format(
        "--nproc: {} runs in one process (its Jacobian rows would live on different ranks): drop "
        "--nproc",
        config.train.optimizer == Optimizer::gauss_newton ? "train.optimizer = gauss_newton"
                                                          : "train.output_layer = least_squares"));
  if (time_parts > static_cast<int>(data.times.size()))
    throw std::runtime_error(fmt::format("--time-parts {}: more parts than the {} time slices",
                                         time_parts, data.times.size()));
  rp.time_parts = time_parts;
  rp.space_parts = comm.size() / time_parts;
  rp.space_part = comm.rank() / time_parts;
  rp.time_part = comm.rank() % time_parts;
  rp.slices = split_slices(static_cast<std::int64_t>(data.times.size()), time_parts, rp.time_part);
  const rbffd::RbffdParams params = rbffd_params(config);
  const int d = data.dim();
  // The vanilla PINN's work per node is the same everywhere (no stencils) and it needs no
  // operator rows, only its own nodes.
  if (config.train.method == Method::vanilla) {
    rp.partition = partition_rcb(data.nodes, rp.space_parts);
    rp.ops = local_rows(data.nodes, rp.partition, rp.space_part);
  } else {
    rp.partition = partition_rcb(data.nodes, rp.space_parts, rbffd::stencil_rule(params, 2, d).size,
                                 rbffd::stencil_rule(params, 1, d).size);
    rp.ops = assemble_local(data.nodes, rp.partition, rp.space_part, params,
                            {data.boundary.alpha, data.boundary.beta, data.boundary.normals});
  }
  // Halo sizes of every space part, for partition.json (one small allreduce).
  auto halo = torch::zeros({rp.space_parts}, torch::TensorOptions().dtype(torch::kDouble));
  if (rp.time_part == 0) halo[rp.space_part] = static_cast<double>(rp.ops.n_halo);
  if (comm.uses_nccl()) halo = halo.cuda();
  comm.allreduce_sum(halo);
  halo = halo.cpu();
  for (int q = 0; q < rp.space_parts; ++q)
    rp.halo.push_back(static_cast<std::int64_t>(halo[q].item<double>()));
  return rp;
}

json partition_json(const RankPart& rp) {
  const Partition& p = rp.partition;
  return {{"method", p.method},
          {"parts", p.parts},
          {"time_parts", rp.time_parts},
          {"rows", p.rows},
          {"boundary_rows", p.boundary_rows},
          {"halo", rp.halo},
          {"imbalance", p.imbalance()}};
}

void log_partition(std::ostream* log, const RankPart& rp, const Dataset& data) {
  if (!log) return;
  if (rp.time_parts > 1)
    *log << fmt::format(
        "distributed: {} space part(s) x {} time part(s); rank 0 has slices [{}, {}) of {}\n",
        rp.space_parts, rp.time_parts, rp.slices.begin, rp.slices.begin + rp.slices.count,
        data.times.size());
  *log << fmt::format(
      "distributed: rank 0 owns {} of {} rows, halo {} (imbalance {:.3f}), local assembly "
      "{:.2f} s\n",
      rp.ops.owned.size(), rp.ops.global_l_rows, rp.ops.n_halo, rp.partition.imbalance(),
      rp.ops.seconds);
}

}  // namespace

int run_distributed_train(const RunConfig& config, const DistributedOptions& options,
                          const std::string& out_dir, std::ostream* log, const PlotRenderer& plot,
                          TrainResult* result, const StopCheck& stop) {
  validate_config(config);
  if (is_system_config(config.problem))
    throw std::runtime_error(
        "distributed training (--nproc) of a system (several fields, expression conditions, "
        "second partials) is not available yet: train it in one process");
  const auto env = DistributedEnv::from_environment();
  const auto& tc = config.train;
  const bool root = env.rank == 0;
  std::ostream* rlog = root ? log : nullptr;
  if (tc.device == DeviceKind::cuda && env.present && env.world_size > 1) select_own_gpu(env);
  const c10::Device device =
      tc.device == DeviceKind::cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  // A bad -o fails at once, before anything long; the folder itself is made when the run is
  // written (a rank that fails or is killed leaves no empty one).
  if (root) {
    const bool existed = nodegen::path_exists(out_dir);
    nodegen::make_directories(out_dir);
    if (!existed) ::rmdir(out_dir.c_str());
  }

  Communicator comm = env.present
                          ? Communicator(env, options.backend, device, options.timeout_seconds)
                          : Communicator();
  if (rlog)
    *rlog << fmt::format("distributed: {} rank(s), backend {}\n", comm.size(), comm.backend());
  const auto t_setup = std::chrono::steady_clock::now();
  DatasetOptions dopt;
  dopt.operators = false;  // each rank assembles its own rows
  Dataset data = build_dataset(config, dopt, rlog);
  RankPart rp = make_rank_part(config, data, options.time_parts, comm);
  log_partition(rlog, rp, data);
  LocalProblem local = make_local_problem(data, std::move(rp.ops), rp.slices);
  Network net = make_network(config, data);
  auto loss = make_partitioned_loss(local, net, tc.method, tc.time_derivative);
  const bool input_derivatives =
      tc.method == Method::vanilla ||
      (local.equation->time_dependent() && tc.time_derivative == TimeDerivative::autograd);
  DistributedObjective objective(
      net, loss->names(), [&loss](const Network& n) { return loss->terms(n); }, comm,
      input_derivatives);
  objective.broadcast_parameters();

  TrainResult r = describe_run(config, data, net);
  r.setup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count();
  TrainOptions to;
  to.log = rlog;
  to.label = fmt::format("{} x{}", run_label(config), comm.size());
  to.test_error = [&] { return test_errors(net, data); };
  to.stop = stop;
  train_loop(objective, config, to, r);
  comm.barrier();  // every rank finished training: only now is the run complete

  if (root) {
    const char* run_id = std::getenv("DTPINN_RUN_ID");
    RunWriteOptions wo;
    wo.log = rlog;
    wo.plot = plot;
    // Named after the launcher (DTPINN_RUN_ID) when there is one, so it can clean up.
    wo.stage_name = distributed_stage_name(run_id && *run_id ? run_id : std::to_string(::getpid()));
    const json part = partition_json(rp);
    wo.extra_files.emplace_back("partition.json", part.dump(2) + "\n");
    const json dist = {
        {"world_size", comm.size()}, {"backend", comm.backend()}, {"partition", part}};
    wo.extra_results.emplace_back("distributed", dist.dump());
    write_run(out_dir, config, data, net, r, wo);
    if (rlog) *rlog << format_run_summary(r, to.label, out_dir) << '\n';
  }
  if (result) *result = std::move(r);
  return 0;
}

}  // namespace dtpinn::core
