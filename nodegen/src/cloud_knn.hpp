#pragma once
// Private: the k-d tree over all rows of a point matrix used by the cloud code (normals,
// spacing, inside tests); the same nanoflann adaptor as the generator's (knn.hpp).
#include "knn.hpp"

namespace dtpinn::nodegen::cloud_detail {

class Tree : public detail::Knn {
 public:
  explicit Tree(const PointMatrix& pts) : detail::Knn(pts, 0, pts.rows()) {}
};

}  // namespace dtpinn::nodegen::cloud_detail
