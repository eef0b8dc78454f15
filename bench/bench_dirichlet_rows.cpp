// Dirichlet rows of B: the plain value row (one entry, what rbffd::assemble builds for alpha = 0)
// against the RBF-FD row (the boundary stencil, beta at the node and exact zeros elsewhere),
// side by side in one run: B's entries, one DT-PINN training step (loss + backward), and the
// test error after the same training. Unit disk, u = 1 + sin(pi x) cos(pi y), u = g on the whole
// boundary, p = 4, 4 x 50 tanh, fp64. Writes bench/results/<machine>/dirichlet_rows.md.
//   bench_dirichlet_rows [--epochs E] [--steps S]
#include <dtpinn/core/training/dataset.hpp>
#include <dtpinn/core/training/losses.hpp>
#include <dtpinn/core/training/objective.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/lab/study.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace dtpinn;

namespace {

/// The RBF-FD Dirichlet rows: B's boundary stencils (from a Robin assembly) with beta = 1 at
/// each row's own node and zeros elsewhere.
rbffd::CsrMatrix stencil_value_rows(const core::Dataset& d, const core::RunConfig& c) {
  rbffd::OperatorRequest req;
  req.laplacian = false;
  req.robin = rbffd::RobinCoefficients::constant(1.0, 1.0);
  rbffd::CsrMatrix b = rbffd::assemble(d.nodes, core::rbffd_params(c), req).boundary;
  for (std::int32_t r = 0; r < b.rows; ++r)
    for (auto k = b.row_ptr[r]; k < b.row_ptr[r + 1]; ++k)
      b.values[k] = b.col_idx[k] == d.nodes.n_interior + r ? 1.0 : 0.0;
  return b;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Variant {
  const char* name;
  rbffd::CsrMatrix B;
  std::vector<double> step_ms;
  double error = -1;
};

/// One closure (loss + backward) of the DT-PINN objective, in ms.
double step_ms(const core::RunConfig& c, const core::Dataset& d) {
  core::Network net = core::make_network(c, d);
  auto loss = core::make_loss(core::Method::dtpinn, d, net);
  core::Objective obj(
      net, loss->names(), [&](const core::Network& n) { return loss->terms(n); }, false);
  obj.closure();  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  obj.closure();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 30, steps = 15;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--epochs")) epochs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
  }
  at::set_num_threads(1);
  std::string table =
      "| N | Nb | B entries: value rows | B entries: RBF-FD rows | step: value rows | step: RBF-FD "
      "rows | ratio | test error after " +
      std::to_string(epochs) +
      " epochs: value / RBF-FD |\n| --- | --- | --- | --- | --- | --- | "
      "--- | --- |\n";
  for (std::int64_t n : {1663, 19638}) {
    core::RunConfig c = core::default_config();
    c.domain.n = n;
    c.domain.test_n = n == 1663 ? 21748 : 30000;
    c.problem.alpha = 0.0;  // u = g on the whole boundary
    c.problem.beta = 1.0;
    c.train.epochs = epochs;
    c.train.time_budget = 0;
    c.train.line_search = core::LineSearch::none;  // fixed step: the same arithmetic path
    c.train.lr = 0.04;
    c.train.log_every = 1000000;
    core::Dataset d = core::build_dataset(c);
    std::vector<Variant> v = {{"value rows", d.B, {}},
                              {"RBF-FD rows", stencil_value_rows(d, c), {}}};
    for (int s = 0; s < steps; ++s)  // alternated, so drift hits both alike
      for (auto& x : v) {
        d.B = x.B;
        x.step_ms.push_back(step_ms(c, d));
      }
    if (n == 1663)
      for (auto& x : v) {
        d.B = x.B;
        core::Network net = core::make_network(c, d);
        x.error = core::train(c, d, net).test_rel_l2;
      }
    const double a = median(v[0].step_ms), b = median(v[1].step_ms);
    const std::string errors =
        v[0].error >= 0 ? fmt::format("{:.6e} / {:.6e}", v[0].error, v[1].error) : "-";
    table += fmt::format("| {} | {} | {} | {} | {:.2f} ms | {:.2f} ms | {:.3f} | {} |\n",
                         d.nodes.n_collocation(), d.nodes.n_boundary, v[0].B.nnz(), v[1].B.nnz(), a,
                         b, a / b, errors);
    std::printf("N = %lld: value rows %.2f ms, RBF-FD rows %.2f ms (median of %d), errors %s\n",
                static_cast<long long>(d.nodes.n_collocation()), a, b, steps, errors.c_str());
  }
  const auto m = lab::machine_info();
  const std::string text = fmt::format(
      "# Dirichlet rows of B: the value row against the RBF-FD row\n\n"
      "Machine: {} ({}, {} logical CPUs), {}, commit {}, {}.\n"
      "Command: `build/bench/bench_dirichlet_rows --epochs {} --steps {}` (1 thread).\n\n"
      "Unit disk, u = 1 + sin(pi x) cos(pi y), Dirichlet (alpha = 0, beta = 1) on the whole "
      "boundary, p = 4, 4 x 50 tanh, fp64. A step is one DT-PINN closure (loss + backward), "
      "median of {} alternated runs; the error is the test rel. l2 after {} fixed-step L-BFGS "
      "epochs (lr 0.04) from the same initial weights.\n\n{}\n"
      "Both rows hold beta at the node; the RBF-FD row adds exact zeros, so B u is the same "
      "number and the training the same arithmetic. The value row is chosen: it stores one "
      "entry instead of a stencil.\n",
      m.slug, m.cpu_model, m.cpu_cores, lab::utc_now(), lab::git_commit(DTPINN_SOURCE_DIR), m.load,
      epochs, steps, steps, epochs, table);
  const std::string dir = std::string(DTPINN_SOURCE_DIR) + "/bench/results/" + m.slug;
  nodegen::make_directories(dir);
  nodegen::write_file_atomically(dir + "/dirichlet_rows.md", text);
  std::printf("wrote %s/dirichlet_rows.md\n", dir.c_str());
  return 0;
}
