#pragma once
// Distributed DT-PINN training: rows of L and B split over the ranks (partition.hpp), the
// network replicated, one allreduce of [flat gradient, loss terms] per loss evaluation.
//
// Each rank evaluates the network at its local nodes (owned collocation nodes + halo, heat: at
// every time slice), and computes its SHARE of each loss term of eq. (12)/(16):
//   pde_q = sum over its rows r of residual_r^2 / (global row count)
// so that sum_q pde_q is the single-process mean. The weighted total is backpropagated locally,
// then the flat gradient and the terms are summed over ranks (Communicator::allreduce_sum):
// every rank holds the global loss and gradient, bitwise identical, so L-BFGS and Adam take the
// same steps everywhere. Heat: the space rows are split into P_s parts and the Nt + 1 time
// slices into P_t contiguous blocks (DistributedOptions::time_parts), world size P_s x P_t;
// rank r holds space part r / P_t and slice block r % P_t (only the block with t = 0 has an
// initial-condition share).
#include <dtpinn/core/distributed/communicator.hpp>
#include <dtpinn/core/distributed/partition.hpp>
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/problem.hpp>
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/objective.hpp>
#include <dtpinn/core/training/run.hpp>

#include <ATen/Tensor.h>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

/// One rank's data: its operator rows and the problem data at its rows / local nodes.
struct LocalProblem {
  LocalOperators ops;
  const Equation* equation = nullptr;  ///< the problem's (not owned; outlives the loss set-up)
  nodegen::PointMatrix points;   ///< ops.columns.size() x d: the local nodes (owned, then halo)
  Eigen::MatrixXd f;             ///< owned rows x S
  Eigen::MatrixXd g;             ///< owned boundary rows x S
  Eigen::VectorXd u0;            ///< owned rows (heat), else empty
  std::vector<double> times;     ///< heat: this rank's slice times; Poisson {0}
  nodegen::PointMatrix normals;  ///< owned boundary rows x d (the vanilla PINN's du/dn)
  /// Per owned boundary row: its boundary condition and that condition's Robin coefficients.
  std::vector<std::int32_t> bc_condition;
  Eigen::VectorXd alpha, beta;
  /// Per condition: the loss term and the GLOBAL count of its rows (the loss normalisation).
  std::vector<std::string> bc_terms;
  std::vector<std::int64_t> bc_global_rows;
  std::int64_t first_slice = 0;    ///< global index of times[0]
  std::int64_t global_slices = 1;  ///< S of the whole problem (the loss normalisation)
};

/// Cuts the rows of `data` (f, g, u0, node coordinates; data.L / data.B are not used) to the
/// part described by `ops`, and (heat) the time slices to `slices` (f and g columns, times).
LocalProblem make_local_problem(const Dataset& data, LocalOperators ops, SliceRange slices = {});

/// This rank's share of each loss term ("pde", then the boundary terms; heat "ic" first),
/// normalised by the GLOBAL row counts: the same loss code as one process (losses.hpp), on the
/// rank's block. Method::dtpinn: L u, B u on owned + halo nodes; Method::vanilla: autograd
/// derivatives at the owned nodes only (local.ops needs no operator rows, see local_rows()).
std::unique_ptr<Loss> make_partitioned_loss(
    const LocalProblem& local, const Network& net, Method method = Method::dtpinn,
    TimeDerivative time_derivative = TimeDerivative::tangent);

/// The global objective over a communicator: the training loop's Objective (objective.hpp) with
/// its gradient, total and terms summed over the ranks (one allreduce of [gradient | total] per
/// closure). Every rank then holds the same loss and gradient, bitwise.
class DistributedObjective : public Objective {
 public:
  /// `comm` may be a single-process Communicator (then nothing is reduced).
  DistributedObjective(Network& net, std::vector<std::string> names, TermsFn terms,
                       Communicator& comm, bool input_derivatives = true);
  ~DistributedObjective() override;
  /// Makes every rank's weights equal to rank 0's (one allreduce).
  void broadcast_parameters();

  double from_root(double v) override;
  bool is_root() const override;
  bool capturable() const override;

 protected:
  void reduce(at::Tensor& buffer) override;
  bool reduces() const override;

 private:
  Communicator& comm_;
};

/// `dtpinn train --nproc K` worker (or a rank started by torchrun/mpirun/SLURM): joins the
/// group from the environment, builds the nodes and its part of L and B, trains, and on rank 0
/// writes DIR (model.pt, checkpoint.json, config.toml, history.csv, partition.json,
/// results.json last; staged in DIR/.partial-dist-<id>/ and moved only when every rank
/// succeeded), through the same training loop (trainer.hpp) and run writer (run.hpp) as one
/// process: the same results.json keys and history.csv columns, plus partition.json and a
/// "distributed" block. Returns 0; throws std::runtime_error (one line) on failure, leaving no
/// results.json. Heat may split its time slices too (options.time_parts must divide the world
/// size).
/// `result` (may be null) receives the run's result on every rank: stop_reason "interrupted"
/// when `stop` asked (rank 0's answer decides for all; see TrainOptions::stop), when rank 0 has
/// written the run so far.
int run_distributed_train(const RunConfig& config, const DistributedOptions& options,
                          const std::string& out_dir, std::ostream* log,
                          const PlotRenderer& plot = {}, TrainResult* result = nullptr,
                          const StopCheck& stop = {});

/// The staging folder (inside the run folder) of the distributed run started by the launcher
/// with id `run_id` (DTPINN_RUN_ID): a launcher whose ranks failed removes it.
std::string distributed_stage_name(const std::string& run_id);

/// True in a process started by a launcher (RANK and WORLD_SIZE or an MPI/SLURM equivalent
/// are set): `dtpinn train` must then run run_distributed_train instead of launching.
bool in_distributed_worker();

}  // namespace dtpinn::core
