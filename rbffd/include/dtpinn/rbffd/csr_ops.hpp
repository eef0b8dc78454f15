#pragma once
// Small CSR utilities: products, transpose, stacking, structural checks. fp64 throughout.
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <Eigen/Core>

#include <functional>
#include <string>

namespace dtpinn::rbffd {

/// y = A x (x has A.cols entries). OpenMP over rows.
Eigen::VectorXd multiply(const CsrMatrix& a, const Eigen::VectorXd& x);
/// A^T as CSR (columns sorted).
CsrMatrix transpose(const CsrMatrix& a);
/// [A; B], same column count.
CsrMatrix vstack(const CsrMatrix& a, const CsrMatrix& b);
/// The first `rows` rows of A.
CsrMatrix top_rows(const CsrMatrix& a, std::int32_t rows);
/// Throws std::invalid_argument if row_ptr/col_idx are inconsistent, columns unsorted or out
/// of range, or a value is not finite.
void check_csr(const CsrMatrix& a);
/// Divides each row of A by its largest magnitude (row equilibration) and returns the factors
/// 1 / max|row|. A zero or non-finite row throws std::runtime_error "solve: row R WHERE is zero:
/// the system is singular", WHERE = where(R) (e.g. "of [L; B] (B row 3)").
Eigen::VectorXd equilibrate_rows(CsrMatrix& a,
                                 const std::function<std::string(std::int32_t)>& where);
/// Dense copy (tests and tiny matrices only).
Eigen::MatrixXd to_dense(const CsrMatrix& a);

}  // namespace dtpinn::rbffd
