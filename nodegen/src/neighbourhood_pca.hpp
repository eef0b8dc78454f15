#pragma once
// Principal axes of a point's neighbourhood (internal to nodegen): the eigen-decomposition of
// the covariance of the points idx about their mean. The smallest axis is the normal estimate
// (cloud_normals.cpp); the eigenvalues tell a flat neighbourhood from a corner (checks.cpp).
#include <dtpinn/nodegen/node_set.hpp>

#include <Eigen/Eigenvalues>

#include <cstdint>
#include <vector>

namespace dtpinn::nodegen {

inline Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> neighbourhood_pca(
    const PointMatrix& points, const std::vector<std::int32_t>& idx) {
  const auto dim = points.cols();
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(dim);
  for (auto j : idx) mean += points.row(j).transpose();
  mean /= double(idx.size());
  Eigen::MatrixXd C = Eigen::MatrixXd::Zero(dim, dim);
  for (auto j : idx) {
    const Eigen::VectorXd q = points.row(j).transpose() - mean;
    C += q * q.transpose();
  }
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(C);
}

}  // namespace dtpinn::nodegen
