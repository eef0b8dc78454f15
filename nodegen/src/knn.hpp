#pragma once
// Private: nanoflann k-d tree over the rows of a row-major N x d matrix (or a block of it).
#include <dtpinn/nodegen/node_set.hpp>

#include <nanoflann.hpp>

#include <cstdint>
#include <vector>

namespace dtpinn::nodegen::detail {

struct RowCloud {
  const double* data = nullptr;  // row-major, `dim` doubles per point
  std::size_t count = 0;
  int dim = 2;
  std::size_t kdtree_get_point_count() const { return count; }
  double kdtree_get_pt(std::size_t i, std::size_t k) const {
    return data[i * std::size_t(dim) + k];
  }
  template <class B>
  bool kdtree_get_bbox(B&) const {
    return false;
  }
};

using KdTree = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, RowCloud>,
                                                   RowCloud, -1, std::uint32_t>;

/// A k-d tree over rows [begin, begin + count) of `pts` (which must outlive it).
class Knn {
 public:
  Knn(const PointMatrix& pts, Index begin, Index count)
      : cloud_{pts.data() + begin * pts.cols(), std::size_t(count), int(pts.cols())},
        tree_(int(pts.cols()), cloud_, nanoflann::KDTreeSingleIndexAdaptorParams(16)) {
    tree_.buildIndex();
  }
  /// k nearest (indices relative to `begin`, squared distances), sorted ascending.
  std::size_t knn(const double* q, std::size_t k, std::vector<std::uint32_t>& idx,
                  std::vector<double>& d2) const {
    idx.resize(k);
    d2.resize(k);
    const std::size_t n = tree_.knnSearch(q, k, idx.data(), d2.data());
    idx.resize(n);
    d2.resize(n);
    return n;
  }
  std::size_t size() const { return cloud_.count; }

 private:
  RowCloud cloud_;
  KdTree tree_;
};

}  // namespace dtpinn::nodegen::detail
