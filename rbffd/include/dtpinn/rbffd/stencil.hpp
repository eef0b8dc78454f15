#pragma once
// k-nearest-neighbour stencils: a nanoflann k-d tree over an N x d row-major point matrix
// (a NodeSet's points, ghosts included), referenced in place, not copied.
#include <dtpinn/nodegen/node_set.hpp>

#include <cstdint>
#include <memory>

namespace dtpinn::rbffd {

class KnnIndex {
 public:
  /// Builds the tree. `points` (N x dim, dim 2 or 3) must outlive the index and not change.
  explicit KnnIndex(const nodegen::PointMatrix& points);
  ~KnnIndex();
  KnnIndex(const KnnIndex&) = delete;
  KnnIndex& operator=(const KnnIndex&) = delete;

  int dim() const;
  nodegen::Index size() const;

  /// The k nearest points to `query` (dim coordinates), nearest first: indices into the point
  /// matrix and squared distances. Returns how many were found (min(k, N)). Thread-safe.
  int nearest(const double* query, int k, std::int32_t* indices, double* dist2) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dtpinn::rbffd
