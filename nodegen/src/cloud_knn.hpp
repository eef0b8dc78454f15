#pragma once
// Private: a nanoflann k-d tree over the rows of a row-major N x d PointMatrix.
#include <dtpinn/nodegen/node_set.hpp>

#include <nanoflann.hpp>

#include <cstdint>
#include <vector>

namespace dtpinn::nodegen::cloud_detail {

struct Rows {
  const PointMatrix* m = nullptr;
  std::size_t kdtree_get_point_count() const { return std::size_t(m->rows()); }
  double kdtree_get_pt(std::size_t i, std::size_t k) const {
    return (*m)(Eigen::Index(i), Eigen::Index(k));
  }
  template <class B>
  bool kdtree_get_bbox(B&) const {
    return false;
  }
};

class Tree {
 public:
  explicit Tree(const PointMatrix& pts)
      : rows_{&pts}, tree_(int(pts.cols()), rows_, nanoflann::KDTreeSingleIndexAdaptorParams(16)) {
    tree_.buildIndex();
  }
  /// k nearest to q (sorted, including q itself when it is a cloud point).
  std::size_t knn(const double* q, std::size_t k, std::vector<std::uint32_t>& idx,
                  std::vector<double>& d2) const {
    idx.resize(k);
    d2.resize(k);
    const std::size_t n = tree_.knnSearch(q, k, idx.data(), d2.data());
    idx.resize(n);
    d2.resize(n);
    return n;
  }

 private:
  Rows rows_;
  nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, Rows>, Rows, -1,
                                      std::uint32_t>
      tree_;
};

}  // namespace dtpinn::nodegen::cloud_detail
