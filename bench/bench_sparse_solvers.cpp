// The sparse solve backends side by side (rbffd/sparse_solve.hpp): Eigen SparseLU, BiCGSTAB +
// ILUT, SuiteSparse UMFPACK and SPQR on
//   (a) today's scalar systems [L; B] (Dirichlet): nodegen disk N ~ 1663 at p = 4, disk
//       N ~ 19638 at p = 5, ball N ~ 8000 at p = 4;
//   (b) the coupled 3-field Stokes-type system of tests/rbffd/stokes_system.hpp on the disk:
//       square bordered (every backend), square singular without pressure ghosts (SPQR) and
//       wide with pressure ghosts (SPQR minimum norm).
// Each cell: median wall time of factorisation + solve over the repetitions (backends
// alternated within each repetition), the relative residual and, for (b), the velocity error.
// Writes bench/results/<machine>/sparse_solvers.md.
//
//   build/bench/bench_sparse_solvers [--reps 3] [--quick]
#include <dtpinn/lab/study.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/sparse_solve.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../tests/rbffd/stokes_system.hpp"
#include "../tests/rbffd/test_support.hpp"

using namespace dtpinn;
using rbffd::SparseBackend;

namespace {

struct Case {
  std::string name;
  rbffd::CsrMatrix a;
  Eigen::VectorXd b;
  std::vector<SparseBackend> backends;
  rbffd::LeastSquares least_squares = rbffd::LeastSquares::basic;
  const rbffd_test::StokesSystem* stokes = nullptr;  // velocity error for (b)
};

struct Cell {
  std::vector<double> seconds;
  std::string method, error = "-";
  double residual = 0.0;
};

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Case scalar_case(const std::string& shape, long n, int p) {
  const auto nodes = nodegen::make_nodes(shape, n, 0, true);
  rbffd::RbffdParams params;
  params.order = p;
  rbffd::OperatorRequest req;
  req.robin = rbffd::RobinCoefficients::constant(0.0, 1.0);
  const auto ops = rbffd::assemble(nodes, params, req);
  Case c;
  c.name = fmt::format("{} N = {} p = {} [L; B]", shape, nodes.size(), p);
  c.a = rbffd::vstack(ops.laplacian, ops.boundary);
  Eigen::VectorXd x(nodes.size());
  for (long i = 0; i < nodes.size(); ++i)
    x[i] = 1.0 + std::sin(M_PI * nodes.points(i, 0)) * std::cos(M_PI * nodes.points(i, 1));
  c.b = rbffd::multiply(c.a, x);
  c.backends = {SparseBackend::sparse_lu, SparseBackend::bicgstab_ilut, SparseBackend::umfpack,
                SparseBackend::spqr};
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    if (!std::strcmp(argv[i], "--quick")) quick = true;
  }
  std::vector<Case> cases;
  cases.push_back(scalar_case("disk", 1663, 4));
  if (!quick) {
    cases.push_back(scalar_case("disk", 19638, 5));
    cases.push_back(scalar_case("ball", 8000, 4));
  }
  std::vector<rbffd_test::StokesSystem> stokes;
  const std::vector<double> hs =
      quick ? std::vector<double>{0.07} : std::vector<double>{0.05, 0.035};
  stokes.reserve(3 * hs.size());
  for (const double h : hs) {
    const auto nodes = rbffd_test::disk(h);
    using rbffd_test::PressureLayout;
    for (const auto layout :
         {PressureLayout::bordered, PressureLayout::no_ghosts, PressureLayout::ghosts}) {
      stokes.push_back(rbffd_test::stokes_system(nodes, 4, layout));
      const auto& s = stokes.back();
      Case c;
      c.a = s.a;
      c.b = s.b;
      c.stokes = &s;
      const char* what =
          layout == PressureLayout::bordered
              ? "square, bordered"
              : (layout == PressureLayout::no_ghosts ? "square, singular (no p ghosts)"
                                                     : "wide, p ghosts, min-norm");
      c.name = fmt::format("Stokes disk h = {} p = 4 {} x {}, {}", h, s.a.rows, s.a.cols, what);
      if (layout == PressureLayout::bordered)
        c.backends = {SparseBackend::sparse_lu, SparseBackend::bicgstab_ilut,
                      SparseBackend::umfpack, SparseBackend::spqr};
      else
        c.backends = {SparseBackend::spqr};
      if (layout == PressureLayout::ghosts) c.least_squares = rbffd::LeastSquares::min_norm;
      cases.push_back(std::move(c));
    }
  }

  const std::vector<SparseBackend> all = {SparseBackend::sparse_lu, SparseBackend::bicgstab_ilut,
                                          SparseBackend::umfpack, SparseBackend::spqr};
  std::vector<std::vector<Cell>> cells(cases.size(), std::vector<Cell>(all.size()));
  for (int r = 0; r < reps; ++r)
    for (std::size_t c = 0; c < cases.size(); ++c)
      for (std::size_t k = 0; k < all.size(); ++k) {
        const Case& cs = cases[c];
        if (std::find(cs.backends.begin(), cs.backends.end(), all[k]) == cs.backends.end())
          continue;
        rbffd::SparseSolveOptions o;
        o.backend = all[k];
        o.least_squares = cs.least_squares;
        o.max_relative_residual = 1e300;  // measured and reported here, not judged
        Cell& cell = cells[c][k];
        // A cell whose first run took over a minute is not repeated (its median is one run).
        if (!cell.seconds.empty() && cell.seconds.front() > 60.0) continue;
        try {
          const auto t0 = std::chrono::steady_clock::now();
          const auto res = rbffd::solve_sparse(cs.a, cs.b, o);
          cell.seconds.push_back(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          cell.method = res.method;
          cell.residual = res.relative_residual;
          if (cs.stokes)
            cell.error =
                fmt::format("{:.2e}", rbffd_test::stokes_errors(*cs.stokes, res.x).velocity);
        } catch (const std::exception& e) {
          cell.method = std::string("failed: ") + e.what();
        }
        std::printf("%-58s %-9s %8.3f s  %s  residual %.1e  velocity error %s\n", cs.name.c_str(),
                    rbffd::to_string(all[k]), cell.seconds.empty() ? NAN : cell.seconds.back(),
                    cell.method.c_str(), cell.residual, cell.error.c_str());
        std::fflush(stdout);
      }

  std::string table =
      "| system | nnz | SparseLU | BiCGSTAB + ILUT | UMFPACK | SPQR |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  std::string notes;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    table += fmt::format("| {} | {} |", cases[c].name, cases[c].a.nnz());
    for (std::size_t k = 0; k < all.size(); ++k) {
      const Cell& cell = cells[c][k];
      if (cell.method.empty()) {
        table += " - |";
        continue;
      }
      if (cell.seconds.empty()) {
        table += " failed |";
        notes +=
            fmt::format("- {}, {}: {}\n", cases[c].name, rbffd::to_string(all[k]), cell.method);
        continue;
      }
      table += fmt::format(" {:.3f} s (res {:.0e}{}) |", median(cell.seconds), cell.residual,
                           cell.error == "-" ? "" : ", err " + cell.error);
      if (cell.method.find("after") != std::string::npos ||
          cell.method.find("rank") != std::string::npos)
        notes +=
            fmt::format("- {}, {}: {}\n", cases[c].name, rbffd::to_string(all[k]), cell.method);
    }
    table += "\n";
  }
  const auto m = lab::machine_info();
  const std::string text = fmt::format(
      "# Sparse solvers: SparseLU, BiCGSTAB + ILUT, UMFPACK, SPQR\n\n"
      "Machine: {} ({}, {} logical CPUs), {}, commit {}, {}.\n"
      "Command: `build/bench/bench_sparse_solvers --reps {}{}` (1 thread; reference BLAS from "
      "Debian's libblas3).\n\n"
      "Each cell: median wall time of one `solve_sparse` (conversion, factorisation, solve, "
      "residual check) over {} repetitions (one where the first took over a minute), backends "
      "alternated within each repetition; `res` "
      "the relative residual |A x - b| / |b| of the returned x; `err` the relative l2 error of "
      "the velocity (u and v) against the manufactured solution. Scalar systems: [L; B] with "
      "Dirichlet rows on nodegen's node sets. Stokes: tests/rbffd/stokes_system.hpp (-lap u + "
      "grad p = f, div u = g, Dirichlet velocity, no pressure condition) on the jittered-lattice "
      "disk.\n\n{}\n{}",
      m.slug, m.cpu_model, m.cpu_cores, lab::utc_now(), lab::git_commit(DTPINN_SOURCE_DIR), m.load,
      reps, quick ? " --quick" : "", reps, table,
      notes.empty() ? std::string() : "Methods and failures:\n\n" + notes);
  const std::string dir = std::string(DTPINN_SOURCE_DIR) + "/bench/results/" + m.slug;
  nodegen::make_directories(dir);
  nodegen::write_file_atomically(dir + "/sparse_solvers.md", text);
  std::printf("wrote %s/sparse_solvers.md\n", dir.c_str());
  return 0;
}
