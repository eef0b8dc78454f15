#pragma once
// k-nearest-neighbour search: a nanoflann k-d tree over rows of a row-major N x d point matrix
// (d = 2 or 3), referenced in place, not copied. The one tree of the project: node generation,
// quality reports, imported clouds (nodegen) and the RBF-FD stencils (rbffd) all search with
// it, so every caller gets the same neighbours in the same order.
//
// Order of the results: nearest first; points at exactly equal distance in index order (the
// tree is compiled with NANOFLANN_FIRST_MATCH), so results do not depend on the traversal.
#include <dtpinn/nodegen/node_set.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace dtpinn::nodegen {

class KnnIndex {
 public:
  /// A tree over all rows of `points` (N x dim, dim 2 or 3), which must outlive the index and
  /// not change. Throws std::invalid_argument for another dimension or N >= 2^31.
  explicit KnnIndex(const PointMatrix& points);
  /// A tree over rows [begin, begin + count) of `points`; indices returned are relative to
  /// `begin` (0 is row `begin`).
  KnnIndex(const PointMatrix& points, Index begin, Index count);
  ~KnnIndex();
  KnnIndex(const KnnIndex&) = delete;
  KnnIndex& operator=(const KnnIndex&) = delete;

  int dim() const;
  Index size() const;

  /// The k nearest points to `query` (dim coordinates), nearest first: indices and squared
  /// distances into arrays of at least k entries. Returns how many were found (min(k, size)).
  /// Thread-safe (const; no allocation).
  int nearest(const double* query, int k, std::int32_t* indices, double* dist2) const;
  /// The same into vectors, resized to the number found.
  int nearest(const double* query, int k, std::vector<std::int32_t>& indices,
              std::vector<double>& dist2) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dtpinn::nodegen
