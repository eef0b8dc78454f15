// dtpinn operators: RBF-FD matrices L (Laplacian) and B (Robin operator) of a node file, written
// as MatrixMarket (DIR/L.mtx, DIR/B.mtx, optional gradient / biharmonic) plus DIR/info.json.
#include "commands.hpp"

#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/rbffd/matrix_market.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace dtpinn::app {
namespace {

struct OperatorsArgs {
  std::string nodes;
  int order = 4;
  double alpha = 1.0;
  double beta = 1.0;
  bool gradient = false;
  bool biharmonic = false;
  int threads = 0;
  double boundary_stencil_factor = 0.0;  // 0: rbffd's default for the dimension
  std::string out;
};

void run_operators(const OperatorsArgs& a) {
  if (!std::isfinite(a.alpha) || !std::isfinite(a.beta))
    throw std::invalid_argument("--alpha/--beta: must be finite");
  nodegen::check_can_make_directories(a.out);  // before the assembly
  const nodegen::NodeSet nodes = nodegen::read_nodes(a.nodes);
  rbffd::RbffdParams params;
  params.order = a.order;
  params.threads = a.threads;
  params.boundary_stencil_factor = a.boundary_stencil_factor;
  try {
    params.validate();
  } catch (const std::exception& e) {
    throw std::invalid_argument(fmt::format("--boundary-stencil-factor: {}", e.what()));
  }
  rbffd::OperatorRequest req;
  req.gradient = a.gradient;
  req.biharmonic = a.biharmonic;
  req.robin = rbffd::RobinCoefficients::constant(a.alpha, a.beta);
  // Everything is computed before anything is written: bad input leaves no output behind
  // (alpha = beta = 0, or coefficients whose products with the weights overflow, are refused by
  // the assembly).
  const rbffd::OperatorSet ops = [&] {
    try {
      return rbffd::assemble(nodes, params, req);
    } catch (const std::invalid_argument& e) {
      // The coefficients' messages name alpha and beta: say which flags.
      const std::string what = e.what();
      if (what.find("alpha") == std::string::npos) throw;
      throw std::invalid_argument(fmt::format("--alpha {} --beta {}: {}", a.alpha, a.beta, what));
    }
  }();

  std::filesystem::create_directories(a.out);
  const std::string header = fmt::format(
      "dtpinn operators: nodes {}, order p = {}, alpha = {}, beta = {}\n"
      "rows/columns in the node file's order (interior, boundary, ghost)",
      a.nodes, a.order, a.alpha, a.beta);
  auto path = [&](const std::string& name) {
    return (std::filesystem::path(a.out) / name).string();
  };
  nlohmann::json info;
  info["nodes"] = a.nodes;
  info["dim"] = nodes.dim;
  info["n_interior"] = nodes.n_interior;
  info["n_boundary"] = nodes.n_boundary;
  info["n_ghost"] = nodes.n_ghost;
  info["order"] = a.order;
  info["alpha"] = a.alpha;
  info["beta"] = a.beta;
  info["assembly_seconds"] = ops.seconds;
  for (const auto& op : ops.info) {
    const rbffd::CsrMatrix* m = ops.matrix(op.name);
    if (!m) continue;
    rbffd::write_matrix_market(path(op.name + ".mtx"), *m, header);
    info["operators"][op.name] = {{"file", op.name + ".mtx"},
                                  {"rows", op.rows},
                                  {"cols", op.cols},
                                  {"nnz", op.nnz},
                                  {"stencil_size", op.rule.size},
                                  {"boundary_stencil_size", op.rule.boundary_size},
                                  {"polynomial_degree", op.rule.degree},
                                  {"phs_exponent", op.rule.phs_exponent},
                                  {"theta", op.rule.theta},
                                  {"min_rcond", op.min_rcond}};
    std::printf("%-3s %8d x %-8d nnz %10lld  stencil %s  -> %s\n", op.name.c_str(), op.rows,
                op.cols, static_cast<long long>(op.nnz), op.rule.describe().c_str(),
                path(op.name + ".mtx").c_str());
  }
  nodegen::AtomicFile file(path("info.json"));
  file.stream() << info.dump(2) << '\n';
  file.commit();
  std::printf("assembled in %.3f s (N = %lld nodes, Ni = %lld, Nb = %lld, ghosts = %lld)\n",
              ops.seconds, static_cast<long long>(nodes.size()),
              static_cast<long long>(nodes.n_interior), static_cast<long long>(nodes.n_boundary),
              static_cast<long long>(nodes.n_ghost));
}

}  // namespace

void add_operators_command(CLI::App& app) {
  auto args = std::make_shared<OperatorsArgs>();
  auto* cmd = app.add_subcommand(
      "operators", "RBF-FD differentiation matrices (L, B) of a node file, as MatrixMarket");
  cmd->add_option("--nodes", args->nodes, "node CSV (x,y[,z],kind,nx,ny[,nz])")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--order,-p", args->order, "convergence order p")->check(CLI::Range(2, 6));
  cmd->add_option("--alpha", args->alpha, "Robin coefficient of du/dn in B (0: Dirichlet)");
  cmd->add_option("--beta", args->beta, "Robin coefficient of u in B (0: Neumann)");
  cmd->add_flag("--gradient", args->gradient, "also write Dx.mtx, Dy.mtx[, Dz.mtx]");
  cmd->add_flag("--biharmonic", args->biharmonic, "also write L2.mtx (biharmonic)");
  cmd->add_option("--threads", args->threads, "OpenMP threads (0: default)")
      ->check(threads_validator());
  cmd->add_option("--boundary-stencil-factor", args->boundary_stencil_factor,
                  "f: stencils at boundary nodes have ceil(f binom(l+d,d)) + 1 nodes (default 2 "
                  "in 2D = the paper's rule, 2.5 in 3D)");
  cmd->add_option("-o,--output", args->out, "output directory")->required();
  cmd->callback([args] { run_operators(*args); });
}

}  // namespace dtpinn::app
