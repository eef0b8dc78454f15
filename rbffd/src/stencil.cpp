// nanoflann k-d tree over the node matrix, without copying it.
#include <dtpinn/rbffd/stencil.hpp>

// Equal distances are ordered by index, so stencils do not depend on the tree traversal.
#define NANOFLANN_FIRST_MATCH
#include <nanoflann.hpp>

#include <memory>
#include <stdexcept>
#include <vector>

namespace dtpinn::rbffd {

namespace {

// nanoflann dataset adaptor: row-major N x d doubles, point i at data + i * d.
struct RowMajorCloud {
  const double* data;
  std::size_t n;
  int d;
  std::size_t kdtree_get_point_count() const { return n; }
  double kdtree_get_pt(std::size_t i, std::size_t c) const { return data[i * d + c]; }
  template <class BBox>
  bool kdtree_get_bbox(BBox&) const {
    return false;
  }
};

// The dimension is a template argument: nanoflann then unrolls the distance computations
// (~10% faster queries than a run-time dimension).
template <int Dim>
using Tree =
    nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, RowMajorCloud>,
                                        RowMajorCloud, Dim, std::uint32_t>;

template <int Dim>
std::unique_ptr<Tree<Dim>> make_tree(int dim, const RowMajorCloud& cloud) {
  if (dim != Dim) return nullptr;
  return std::make_unique<Tree<Dim>>(dim, cloud, nanoflann::KDTreeSingleIndexAdaptorParams(16));
}

}  // namespace

struct KnnIndex::Impl {
  RowMajorCloud cloud;
  std::unique_ptr<Tree<2>> tree2;  // exactly one of the two is built
  std::unique_ptr<Tree<3>> tree3;
  Impl(const nodegen::PointMatrix& p)
      : cloud{p.data(), static_cast<std::size_t>(p.rows()), static_cast<int>(p.cols())},
        tree2(make_tree<2>(cloud.d, cloud)),
        tree3(make_tree<3>(cloud.d, cloud)) {}
};

KnnIndex::KnnIndex(const nodegen::PointMatrix& points) {
  if (points.cols() != 2 && points.cols() != 3)
    throw std::invalid_argument("rbffd: points must have 2 or 3 columns");
  if (points.rows() >= (std::int64_t{1} << 31))
    throw std::invalid_argument("rbffd: more than 2^31 nodes");
  impl_ = std::make_unique<Impl>(points);
}

KnnIndex::~KnnIndex() = default;

int KnnIndex::dim() const {
  return impl_->cloud.d;
}
nodegen::Index KnnIndex::size() const {
  return static_cast<nodegen::Index>(impl_->cloud.n);
}

int KnnIndex::nearest(const double* query, int k, std::int32_t* indices, double* dist2) const {
  nanoflann::KNNResultSet<double, std::int32_t, std::size_t> result(static_cast<std::size_t>(k));
  result.init(indices, dist2);
  if (impl_->tree2)
    impl_->tree2->findNeighbors(result, query, nanoflann::SearchParams());
  else
    impl_->tree3->findNeighbors(result, query, nanoflann::SearchParams());
  return static_cast<int>(result.size());
}

}  // namespace dtpinn::rbffd
