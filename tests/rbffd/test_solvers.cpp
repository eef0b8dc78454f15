// The linear solvers of the classical solve agree: BiCGSTAB + ILUT (the default for N >= 2000)
// and SparseLU give the same solution on a 3D ball and a 2D disk; a BiCGSTAB that cannot
// converge (1 iteration allowed) falls back to SparseLU and says so; bad options are rejected.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/rbffd/operators.hpp>
#include <dtpinn/rbffd/solve.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>

using namespace dtpinn::rbffd;

namespace {

double u_exact(const double* x, int d) {
  return 1.0 + std::sin(M_PI * x[0]) * std::cos(M_PI * x[1]) *
                   (d == 3 ? std::sin(M_PI * x[2] + 0.3) : 1.0);
}

struct System {
  OperatorSet ops;
  Eigen::VectorXd f, g;
};

// f = L u_exact and g = B u_exact (discrete data, so every solver must recover u_exact on the
// collocation nodes to the solver's accuracy, whatever the discretisation error).
System make_system(const dtpinn::nodegen::NodeSet& nodes, int p) {
  RbffdParams params;
  params.order = p;
  System s;
  s.ops = assemble(nodes, params);
  Eigen::VectorXd u(nodes.size());
  for (Eigen::Index i = 0; i < nodes.size(); ++i)
    u[i] = u_exact(nodes.points.row(i).data(), nodes.dim);
  auto apply = [&](const CsrMatrix& m) {
    Eigen::VectorXd y = Eigen::VectorXd::Zero(m.rows);
    for (std::int32_t r = 0; r < m.rows; ++r)
      for (std::int32_t k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k)
        y[r] += m.values[k] * u[m.col_idx[k]];
    return y;
  };
  s.f = apply(s.ops.laplacian);
  s.g = apply(s.ops.boundary);
  return s;
}

void check_agree(const dtpinn::nodegen::NodeSet& nodes, int p) {
  const System sys = make_system(nodes, p);
  SolveOptions direct, iterative;
  direct.linear_solver = LinearSolver::direct;
  iterative.linear_solver = LinearSolver::iterative;
  const auto a = solve_poisson(sys.ops.laplacian, sys.ops.boundary, sys.f, sys.g, direct);
  const auto b = solve_poisson(sys.ops.laplacian, sys.ops.boundary, sys.f, sys.g, iterative);
  std::printf("dim %d N=%ld p=%d: %s %.3f s, %s %.3f s, residuals %.1e %.1e\n", nodes.dim,
              static_cast<long>(nodes.size()), p, a.method.c_str(), a.seconds, b.method.c_str(),
              b.seconds, a.residual, b.residual);
  EXPECT_EQ(a.method, "SparseLU (COLAMD)");
  EXPECT_EQ(b.method.rfind("BiCGSTAB + ILUT", 0), 0u) << b.method;
  EXPECT_GT(b.iterations, 0);
  EXPECT_LT(a.residual, 1e-10);
  EXPECT_LT(b.residual, 1e-10);
  const Eigen::Index nc = nodes.n_collocation();
  Eigen::VectorXd exact(nc);
  for (Eigen::Index i = 0; i < nc; ++i) exact[i] = u_exact(nodes.points.row(i).data(), nodes.dim);
  const double scale = exact.cwiseAbs().maxCoeff();
  EXPECT_LT((a.u.head(nc) - exact).cwiseAbs().maxCoeff(), 1e-8 * scale);
  EXPECT_LT((b.u.head(nc) - exact).cwiseAbs().maxCoeff(), 1e-8 * scale);
  EXPECT_LT((a.u - b.u).cwiseAbs().maxCoeff(), 1e-8 * scale);
}

}  // namespace

TEST(Solvers, IterativeMatchesDirectOnBall) {
  check_agree(dtpinn::nodegen::make_nodes("ball", 2500, 0, true), 3);
}

TEST(Solvers, IterativeMatchesDirectOnDisk) {
  check_agree(dtpinn::nodegen::make_nodes("disk", 3000, 0, true), 4);
}

TEST(Solvers, NonConvergedIterationFallsBackToLu) {
  const auto nodes = dtpinn::nodegen::make_nodes("ball", 1500, 0, true);
  const System sys = make_system(nodes, 2);
  SolveOptions opt;
  opt.linear_solver = LinearSolver::iterative;
  opt.max_iterations = 1;
  const auto s = solve_poisson(sys.ops.laplacian, sys.ops.boundary, sys.f, sys.g, opt);
  EXPECT_NE(s.method.find("SparseLU (COLAMD) after BiCGSTAB did not converge"), std::string::npos)
      << s.method;
  EXPECT_LT(s.residual, 1e-10);
  // automatic: below iterative_min_size the direct solver is used.
  SolveOptions automatic;
  automatic.iterative_min_size = 1000000;
  EXPECT_EQ(solve_poisson(sys.ops.laplacian, sys.ops.boundary, sys.f, sys.g, automatic).method,
            "SparseLU (COLAMD)");
  SolveOptions bad;
  bad.iterative_tolerance = 0.0;
  EXPECT_THROW(solve_poisson(sys.ops.laplacian, sys.ops.boundary, sys.f, sys.g, bad),
               std::invalid_argument);
}
