// Sparse linear solves behind one interface (sparse_solve.hpp): Eigen SparseLU and
// BiCGSTAB + ILUT, SuiteSparse UMFPACK (through Eigen's UmfPackSupport) and SuiteSparseQR
// (called directly: Eigen's wrapper has neither the minimum-norm solve nor factor reuse).
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/sparse_solve.hpp>

#include <fmt/format.h>
#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <Eigen/UmfPackSupport>
#include <SuiteSparseQR.hpp>

#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <vector>

namespace dtpinn::rbffd {

const char* to_string(SparseBackend backend) {
  switch (backend) {
    case SparseBackend::automatic:
      return "auto";
    case SparseBackend::sparse_lu:
      return "sparselu";
    case SparseBackend::bicgstab_ilut:
      return "bicgstab";
    case SparseBackend::umfpack:
      return "umfpack";
    case SparseBackend::spqr:
      return "spqr";
  }
  return "?";
}

std::optional<SparseBackend> sparse_backend_from_name(const std::string& name) {
  for (const auto b : {SparseBackend::automatic, SparseBackend::sparse_lu,
                       SparseBackend::bicgstab_ilut, SparseBackend::umfpack, SparseBackend::spqr})
    if (name == to_string(b)) return b;
  return std::nullopt;
}

namespace {

using SpMat = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;
using SpLong = Eigen::SparseMatrix<double, Eigen::ColMajor, SuiteSparse_long>;

template <class Index>
Eigen::SparseMatrix<double, Eigen::ColMajor, Index> to_eigen(const CsrMatrix& a) {
  const Eigen::Map<const Eigen::SparseMatrix<double, Eigen::RowMajor, int>> m(
      a.rows, a.cols, static_cast<Eigen::Index>(a.nnz()), a.row_ptr.data(), a.col_idx.data(),
      a.values.data());
  Eigen::SparseMatrix<double, Eigen::ColMajor, Index> c = m.template cast<double>();
  c.makeCompressed();
  return c;
}

// A cholmod view of a compressed column-major matrix (no copy).
cholmod_sparse cholmod_view(SpLong& m) {
  cholmod_sparse s{};
  s.nrow = static_cast<std::size_t>(m.rows());
  s.ncol = static_cast<std::size_t>(m.cols());
  s.nzmax = static_cast<std::size_t>(m.nonZeros());
  s.p = m.outerIndexPtr();
  s.i = m.innerIndexPtr();
  s.x = m.valuePtr();
  s.stype = 0;
  s.itype = CHOLMOD_LONG;
  s.xtype = CHOLMOD_REAL;
  s.dtype = CHOLMOD_DOUBLE;
  s.sorted = 1;
  s.packed = 1;
  return s;
}

cholmod_dense cholmod_view(Eigen::VectorXd& v) {
  cholmod_dense d{};
  d.nrow = static_cast<std::size_t>(v.size());
  d.ncol = 1;
  d.nzmax = d.nrow;
  d.d = d.nrow;
  d.x = v.data();
  d.xtype = CHOLMOD_REAL;
  d.dtype = CHOLMOD_DOUBLE;
  return d;
}

// SuiteSparseQR with its cholmod workspace: the factorisation of A (or of A^T for the minimum
// norm solution of a wide A), freed with it.
class Spqr {
 public:
  Spqr() { cholmod_l_start(&cc_); }
  ~Spqr() {
    release();
    cholmod_l_finish(&cc_);
  }
  Spqr(const Spqr&) = delete;
  Spqr& operator=(const Spqr&) = delete;

  // transposed: factorize A^T (min-norm solves of wide A).
  void factorize(const CsrMatrix& a, bool transposed, double tolerance) {
    release();
    SpLong m =
        transposed ? to_eigen<SuiteSparse_long>(transpose(a)) : to_eigen<SuiteSparse_long>(a);
    cholmod_sparse s = cholmod_view(m);
    qr_ = SuiteSparseQR_factorize<double>(SPQR_ORDERING_DEFAULT,
                                          tolerance < 0 ? SPQR_DEFAULT_TOL : tolerance, &s, &cc_);
    if (!qr_)
      throw std::runtime_error(
          fmt::format("sparse solve: SPQR factorisation failed (cholmod status {})", cc_.status));
    transposed_ = transposed;
    rows_ = a.rows;
    cols_ = a.cols;
  }

  long rank() const { return static_cast<long>(qr_->rank); }

  Eigen::VectorXd solve(const Eigen::VectorXd& b) {
    Eigen::VectorXd rhs = b;
    cholmod_dense B = cholmod_view(rhs);
    cholmod_dense* x = nullptr;
    if (!transposed_) {
      // x = E (R \ (Q^T b)): least squares for tall A, the basic solution for wide or
      // rank-deficient A (the free unknowns zero).
      cholmod_dense* y = SuiteSparseQR_qmult<double>(SPQR_QTX, qr_, &B, &cc_);
      if (y) x = SuiteSparseQR_solve<double>(SPQR_RETX_EQUALS_B, qr_, y, &cc_);
      cholmod_l_free_dense(&y, &cc_);
    } else {
      // A^T E = Q R: A x = b <=> R^T (Q^T x) = E^T b; x = Q z, z = R^T \ (E^T b).
      cholmod_dense* z = SuiteSparseQR_solve<double>(SPQR_RTX_EQUALS_ETB, qr_, &B, &cc_);
      if (z) x = SuiteSparseQR_qmult<double>(SPQR_QX, qr_, z, &cc_);
      cholmod_l_free_dense(&z, &cc_);
    }
    if (!x)
      throw std::runtime_error(
          fmt::format("sparse solve: SPQR solve failed (cholmod status {})", cc_.status));
    Eigen::VectorXd out = Eigen::Map<const Eigen::VectorXd>(static_cast<double*>(x->x), cols_);
    cholmod_l_free_dense(&x, &cc_);
    return out;
  }

 private:
  void release() {
    if (qr_) SuiteSparseQR_free<double>(&qr_, &cc_);
    qr_ = nullptr;
  }
  cholmod_common cc_{};
  SuiteSparseQR_factorization<double>* qr_ = nullptr;
  bool transposed_ = false;
  long rows_ = 0, cols_ = 0;
};

void check_options(const SparseSolveOptions& o) {
  if (!(o.iterative_tolerance > 0.0) || o.max_iterations < 1 || !(o.ilut_drop_tolerance >= 0.0) ||
      o.ilut_fill_factor < 1 || !(o.max_relative_residual > 0.0) || std::isnan(o.rank_tolerance) ||
      o.iterative_min_size < 0)
    throw std::invalid_argument(
        "sparse solve: iterative_tolerance, max_iterations, ilut_fill_factor and "
        "max_relative_residual must be > 0, ilut_drop_tolerance and iterative_min_size >= 0");
}

}  // namespace

struct SparseSolver::Impl {
  SparseBackend backend = SparseBackend::sparse_lu;  // the one in use (automatic resolved)
  CsrMatrix a;                                       // the factorised matrix (residual checks)
  SpMat eigen;  // column-major copy (Eigen and UMFPACK backends)
  bool factorized = false;
  bool analysed = false;  // symbolic analysis of `a`'s pattern is held by lu / umf
  Eigen::SparseLU<SpMat, Eigen::COLAMDOrdering<int>> lu;
  Eigen::UmfPackLU<SpMat> umf;
  std::unique_ptr<Eigen::BiCGSTAB<SpMat, Eigen::IncompleteLUT<double, int>>> iterative;
  std::string iterative_failure;  // set when BiCGSTAB's setup failed: solve() takes the LU
  Spqr qr;
  bool lu_ready = false;  // lu holds a numeric factorisation of `a`
  double factor_seconds = 0.0;

  bool same_pattern(const CsrMatrix& m) const {
    return analysed && m.rows == a.rows && m.cols == a.cols && m.row_ptr == a.row_ptr &&
           m.col_idx == a.col_idx;
  }

  void factor_lu() {
    if (!lu_ready) {
      lu.analyzePattern(eigen);
      lu.factorize(eigen);
      if (lu.info() != Eigen::Success)
        throw std::runtime_error(fmt::format(
            "sparse solve: SparseLU failed ({}): the matrix is singular (a rank-deficient system "
            "needs the spqr backend)",
            lu.lastErrorMessage()));
      lu_ready = true;
    }
  }
};

SparseSolver::SparseSolver(const SparseSolveOptions& options)
    : options_(options), impl_(std::make_unique<Impl>()) {
  check_options(options_);
}
SparseSolver::~SparseSolver() = default;
SparseSolver::SparseSolver(SparseSolver&&) noexcept = default;
SparseSolver& SparseSolver::operator=(SparseSolver&&) noexcept = default;

void SparseSolver::factorize(const CsrMatrix& a) {
  const auto t0 = std::chrono::steady_clock::now();
  check_csr(a);
  SparseBackend backend = options_.backend;
  if (backend == SparseBackend::automatic)
    backend = a.rows != a.cols                        ? SparseBackend::spqr
              : a.rows >= options_.iterative_min_size ? SparseBackend::bicgstab_ilut
                                                      : SparseBackend::sparse_lu;
  if (backend != SparseBackend::spqr && a.rows != a.cols)
    throw std::invalid_argument(fmt::format(
        "sparse solve: {} needs a square matrix, this one is {} x {} (use spqr for least squares)",
        to_string(backend), a.rows, a.cols));
  Impl& s = *impl_;
  const bool reuse = s.same_pattern(a) && s.backend == backend;
  s.backend = backend;
  s.a = a;
  s.factorized = false;
  s.lu_ready = false;
  switch (backend) {
    case SparseBackend::automatic:
      break;  // resolved above
    case SparseBackend::sparse_lu:
      s.eigen = to_eigen<int>(a);
      if (!reuse) s.lu.analyzePattern(s.eigen);
      s.lu.factorize(s.eigen);
      if (s.lu.info() != Eigen::Success)
        throw std::runtime_error(fmt::format(
            "sparse solve: SparseLU failed ({}): the matrix is singular (a rank-deficient system "
            "needs the spqr backend)",
            s.lu.lastErrorMessage()));
      s.lu_ready = true;
      s.analysed = true;
      break;
    case SparseBackend::umfpack:
      s.eigen = to_eigen<int>(a);
      // Partial pivoting proper (pivot tolerance 1, UMFPACK's default 0.1): with the default,
      // [L; B] with Dirichlet value rows (disk, N = 1824, p = 4) factorised with a pivot ratio of
      // 1e-26 and returned x wrong by 1e15 with a success status; with 1 the ratio is 0.06 and
      // the fill and time the same (disk N = 19638, p = 5).
      s.umf.umfpackControl()(UMFPACK_PIVOT_TOLERANCE) = 1.0;
      if (!reuse) s.umf.analyzePattern(s.eigen);
      s.umf.factorize(s.eigen);
      if (s.umf.info() != Eigen::Success)
        throw std::runtime_error(
            "sparse solve: UMFPACK failed: the matrix is singular (a rank-deficient system needs "
            "the spqr backend)");
      s.analysed = true;
      break;
    case SparseBackend::bicgstab_ilut:
      s.eigen = to_eigen<int>(a);
      s.iterative = std::make_unique<Eigen::BiCGSTAB<SpMat, Eigen::IncompleteLUT<double, int>>>();
      s.iterative->preconditioner().setDroptol(options_.ilut_drop_tolerance);
      s.iterative->preconditioner().setFillfactor(options_.ilut_fill_factor);
      s.iterative->setTolerance(options_.iterative_tolerance);
      s.iterative->setMaxIterations(options_.max_iterations);
      s.iterative->compute(s.eigen);
      s.iterative_failure = s.iterative->info() == Eigen::Success ? "" : "the incomplete LU failed";
      s.analysed = false;
      break;
    case SparseBackend::spqr: {
      const bool transposed = options_.least_squares == LeastSquares::min_norm && a.rows < a.cols;
      s.qr.factorize(a, transposed, options_.rank_tolerance);
      s.analysed = false;
      break;
    }
  }
  s.factorized = true;
  s.factor_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

SparseSolveResult SparseSolver::solve(const Eigen::VectorXd& b) {
  const auto t0 = std::chrono::steady_clock::now();
  Impl& s = *impl_;
  if (!s.factorized) throw std::logic_error("sparse solve: solve() before factorize()");
  if (b.size() != s.a.rows)
    throw std::invalid_argument(
        fmt::format("sparse solve: b has {} values, the matrix {} rows", b.size(), s.a.rows));
  if (!b.allFinite()) throw std::invalid_argument("sparse solve: b is not finite");
  SparseSolveResult r;
  r.rank = s.a.cols;
  switch (s.backend) {
    case SparseBackend::automatic:  // resolved by factorize()
      throw std::logic_error("sparse solve: unresolved backend");
    case SparseBackend::sparse_lu:
      r.x = s.lu.solve(b);
      r.method = "SparseLU (COLAMD)";
      break;
    case SparseBackend::umfpack:
      r.x = s.umf.solve(b);
      r.method = "UMFPACK";
      break;
    case SparseBackend::bicgstab_ilut: {
      std::string failure = s.iterative_failure;
      if (failure.empty()) {
        r.x = s.iterative->solve(b);
        if (s.iterative->info() == Eigen::Success && r.x.allFinite()) {
          r.iterations = static_cast<int>(s.iterative->iterations());
          r.method = fmt::format("BiCGSTAB + ILUT ({} iterations)", r.iterations);
        } else {
          failure = fmt::format("BiCGSTAB did not converge in {} iterations (residual {:.2e})",
                                s.iterative->iterations(), s.iterative->error());
        }
      }
      if (!failure.empty()) {
        s.factor_lu();
        r.x = s.lu.solve(b);
        r.method = "SparseLU (COLAMD) after " + failure;
      }
      break;
    }
    case SparseBackend::spqr:
      r.x = s.qr.solve(b);
      r.rank = s.qr.rank();
      r.method = fmt::format("SPQR (rank {} of {})", r.rank, s.a.cols);
      break;
  }
  r.nullity = s.a.cols - r.rank;
  if (!r.x.allFinite())
    throw std::runtime_error(
        fmt::format("sparse solve: {} returned a non-finite solution", r.method));
  // The self-check: residuals of the returned x, from A itself.
  const Eigen::VectorXd res = multiply(s.a, r.x) - b;
  const double bn = b.norm(), rn = res.norm();
  r.relative_residual = bn > 0.0 ? rn / bn : rn;
  if (s.backend == SparseBackend::spqr && rn > 0.0) {
    const double a_fro =
        Eigen::Map<const Eigen::VectorXd>(s.a.values.data(), static_cast<Eigen::Index>(s.a.nnz()))
            .norm();
    r.optimality_residual = multiply(transpose(s.a), res).norm() / (a_fro * rn);
  }
  const double limit = options_.max_relative_residual;
  const bool accepted = r.relative_residual <= limit ||
                        (s.backend == SparseBackend::spqr && r.optimality_residual <= limit);
  if (!accepted)
    throw std::runtime_error(
        fmt::format("sparse solve: {} returned x with relative residual {:.2e} (limit {:.1e}){}",
                    r.method, r.relative_residual, limit,
                    s.backend == SparseBackend::spqr
                        ? fmt::format(", optimality residual {:.2e}", r.optimality_residual)
                        : std::string(": the matrix is singular or too ill-conditioned")));
  r.seconds = s.factor_seconds +
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.factor_seconds = 0.0;
  return r;
}

namespace {

/// Eigen's preconditioner interface over a factorisation computed elsewhere (solve_nearby):
/// compute() does nothing, solve() applies the held LU.
class HeldFactorisation {
 public:
  template <class M>
  HeldFactorisation& analyzePattern(const M&) {
    return *this;
  }
  template <class M>
  HeldFactorisation& factorize(const M&) {
    return *this;
  }
  template <class M>
  HeldFactorisation& compute(const M&) {
    return *this;
  }
  Eigen::ComputationInfo info() const { return Eigen::Success; }
  template <class Rhs>
  Eigen::VectorXd solve(const Eigen::MatrixBase<Rhs>& b) const {
    return apply(b.eval());
  }

  std::function<Eigen::VectorXd(const Eigen::VectorXd&)> apply;
};

}  // namespace

std::optional<SparseSolveResult> SparseSolver::solve_nearby(const CsrMatrix& a,
                                                            const Eigen::VectorXd& b,
                                                            int max_iterations) {
  const auto t0 = std::chrono::steady_clock::now();
  Impl& s = *impl_;
  if (!s.factorized) throw std::logic_error("sparse solve: solve_nearby() before factorize()");
  if (s.backend != SparseBackend::sparse_lu && s.backend != SparseBackend::umfpack)
    throw std::logic_error("sparse solve: solve_nearby() needs an LU backend (sparselu, umfpack)");
  check_csr(a);
  if (a.rows != s.a.rows || a.cols != s.a.cols || b.size() != a.rows)
    throw std::invalid_argument(
        fmt::format("sparse solve: solve_nearby() of a {} x {} matrix with {} values near a "
                    "{} x {} factorisation",
                    a.rows, a.cols, b.size(), s.a.rows, s.a.cols));
  if (!b.allFinite()) throw std::invalid_argument("sparse solve: b is not finite");
  Eigen::BiCGSTAB<SpMat, HeldFactorisation> bicgstab;
  bicgstab.setTolerance(options_.iterative_tolerance);
  bicgstab.setMaxIterations(max_iterations);
  const SpMat m = to_eigen<int>(a);
  bicgstab.compute(m);
  if (s.backend == SparseBackend::sparse_lu)
    bicgstab.preconditioner().apply = [&s](const Eigen::VectorXd& v) -> Eigen::VectorXd {
      return s.lu.solve(v);
    };
  else
    bicgstab.preconditioner().apply = [&s](const Eigen::VectorXd& v) -> Eigen::VectorXd {
      return s.umf.solve(v);
    };
  SparseSolveResult r;
  r.x = bicgstab.solve(b);
  if (bicgstab.info() != Eigen::Success || !r.x.allFinite()) return std::nullopt;
  const double bn = b.norm(), rn = (multiply(a, r.x) - b).norm();
  r.relative_residual = bn > 0.0 ? rn / bn : rn;
  if (!(r.relative_residual <= options_.max_relative_residual)) return std::nullopt;
  r.rank = a.cols;
  r.iterations = static_cast<int>(bicgstab.iterations());
  r.method = fmt::format("BiCGSTAB ({} iterations) preconditioned by the held {}", r.iterations,
                         s.backend == SparseBackend::sparse_lu ? "SparseLU" : "UMFPACK");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

SparseSolveResult solve_sparse(const CsrMatrix& a, const Eigen::VectorXd& b,
                               const SparseSolveOptions& options) {
  SparseSolver solver(options);
  solver.factorize(a);
  return solver.solve(b);
}

}  // namespace dtpinn::rbffd
