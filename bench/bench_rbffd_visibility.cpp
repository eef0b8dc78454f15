// The cost of visible stencils: rbffd::assemble (L and B, p = 4 in 2D, p = 3 in 3D) with and
// without the visibility test, side by side in one run (alternated, median of --repeats), on
// shapes without narrow places (disk, star, box: their stencils do not change) and on a square
// with a 2-degree V-notch (the stencils next to the notch do). Writes
// bench/results/<machine>/visibility.md.
//   bench_rbffd_visibility [--repeats R] [--threads T]
#include <dtpinn/lab/study.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/shapes.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace dtpinn;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// [-1, 1]^2 minus a V-notch of `degrees` from the left side to the origin.
nodegen::DomainPtr notched_square(double degrees) {
  const double t = std::tan(0.5 * degrees * 3.14159265358979323846 / 180.0);
  Eigen::MatrixX2d v(7, 2);
  v << -1, -1, 1, -1, 1, 1, -1, 1, -1, t, 0, 0, -1, -t;
  return nodegen::make_polygon(v);
}

/// Rows of L whose columns differ between the two assemblies.
std::int64_t changed_rows(const rbffd::CsrMatrix& a, const rbffd::CsrMatrix& b) {
  std::int64_t n = 0;
  for (std::int32_t r = 0; r < a.rows; ++r)
    n += !std::equal(a.col_idx.begin() + a.row_ptr[r], a.col_idx.begin() + a.row_ptr[r + 1],
                     b.col_idx.begin() + b.row_ptr[r]);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 5, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::max(1, std::atoi(argv[i + 1]));
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
  }
  struct Case {
    std::string name;
    nodegen::NodeSet nodes;
  };
  std::vector<Case> cases;
  for (const char* shape : {"disk", "star", "box"})
    cases.push_back({shape, nodegen::make_nodes(shape, 20000)});
  {
    nodegen::FillOptions o;
    o.n = 20000;
    cases.push_back(
        {"square with a 2-degree notch", nodegen::generate_nodes(*notched_square(2), o)});
  }
  std::string table =
      "| domain | N (Ni + Nb) | p | assembly without visibility | with visibility | ratio | rows "
      "of L changed |\n| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& c : cases) {
    rbffd::RbffdParams on, off;
    on.order = off.order = c.nodes.dim == 2 ? 4 : 3;
    on.threads = off.threads = threads;
    off.visibility = false;
    rbffd::OperatorRequest req;
    req.robin = rbffd::RobinCoefficients::constant(1.0, 1.0);
    std::vector<double> t_on, t_off;
    rbffd::OperatorSet a, b;
    for (int r = 0; r < repeats; ++r) {  // alternated, so drift hits both alike
      b = rbffd::assemble(c.nodes, off, req);
      t_off.push_back(b.seconds);
      a = rbffd::assemble(c.nodes, on, req);
      t_on.push_back(a.seconds);
    }
    const double x = median(t_off), y = median(t_on);
    const auto changed = changed_rows(a.laplacian, b.laplacian);
    table += fmt::format("| {} | {} | {} | {:.3f} s | {:.3f} s | {:.3f} | {} |\n", c.name,
                         c.nodes.n_collocation(), on.order, x, y, y / x, changed);
    std::printf("%s: %.3f s without, %.3f s with visibility (ratio %.3f), %lld rows of L changed\n",
                c.name.c_str(), x, y, y / x, static_cast<long long>(changed));
  }
  const auto m = lab::machine_info();
  const std::string text = fmt::format(
      "# Visible stencils: what the visibility test costs\n\n"
      "Machine: {} ({}, {} logical CPUs), {}, commit {}, {}.\n"
      "Command: `build/bench/bench_rbffd_visibility --repeats {} --threads {}`.\n\n"
      "rbffd::assemble of L and B (Robin, alpha = beta = 1) on generated nodes, median of {} "
      "alternated runs each. A stencil is examined only when two facing boundary walls (normals "
      "more than 120 degrees apart) show among its nodes; elsewhere the cost is that test "
      "alone.\n\n"
      "{}",
      m.slug, m.cpu_model, m.cpu_cores, lab::utc_now(), lab::git_commit(DTPINN_SOURCE_DIR), m.load,
      repeats, threads, repeats, table);
  const std::string dir = std::string(DTPINN_SOURCE_DIR) + "/bench/results/" + m.slug;
  nodegen::make_directories(dir);
  nodegen::write_file_atomically(dir + "/visibility.md", text);
  std::printf("wrote %s/visibility.md\n", dir.c_str());
  return 0;
}
