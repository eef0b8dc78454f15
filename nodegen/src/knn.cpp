// nanoflann k-d tree over rows of the node matrix, without copying them.
#include <dtpinn/nodegen/knn.hpp>

// Equal distances are ordered by index, so results do not depend on the tree traversal. Only
// this file includes nanoflann: every tree of the project breaks ties the same way.
#define NANOFLANN_FIRST_MATCH
#include <nanoflann.hpp>

#include <memory>
#include <stdexcept>
#include <vector>

namespace dtpinn::nodegen {

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

// The constructor builds the index.
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
  Impl(const double* data, Index count, int dim)
      : cloud{data, static_cast<std::size_t>(count), dim},
        tree2(make_tree<2>(dim, cloud)),
        tree3(make_tree<3>(dim, cloud)) {}
};

KnnIndex::KnnIndex(const PointMatrix& points) : KnnIndex(points, 0, points.rows()) {}

KnnIndex::KnnIndex(const PointMatrix& points, Index begin, Index count) {
  if (points.cols() != 2 && points.cols() != 3)
    throw std::invalid_argument("knn: points must have 2 or 3 columns");
  if (begin < 0 || count < 0 || begin + count > points.rows())
    throw std::invalid_argument("knn: rows out of range");
  if (count >= (Index{1} << 31)) throw std::invalid_argument("knn: more than 2^31 points");
  impl_ = std::make_unique<Impl>(points.data() + begin * points.cols(), count,
                                 static_cast<int>(points.cols()));
}

KnnIndex::~KnnIndex() = default;

int KnnIndex::dim() const {
  return impl_->cloud.d;
}
Index KnnIndex::size() const {
  return static_cast<Index>(impl_->cloud.n);
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

int KnnIndex::nearest(const double* query, int k, std::vector<std::int32_t>& indices,
                      std::vector<double>& dist2) const {
  indices.resize(static_cast<std::size_t>(k));
  dist2.resize(static_cast<std::size_t>(k));
  const int n = nearest(query, k, indices.data(), dist2.data());
  indices.resize(static_cast<std::size_t>(n));
  dist2.resize(static_cast<std::size_t>(n));
  return n;
}

}  // namespace dtpinn::nodegen
