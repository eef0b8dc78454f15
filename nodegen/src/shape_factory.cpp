// CSG difference (domain minus holes) and the shape factory by name.
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

class Difference final : public Domain {
 public:
  Difference(DomainPtr outer, std::vector<DomainPtr> holes)
      : outer_(std::move(outer)), holes_(std::move(holes)) {}
  int dim() const override { return outer_->dim(); }
  Eigen::VectorXd bbox_min() const override { return outer_->bbox_min(); }
  Eigen::VectorXd bbox_max() const override { return outer_->bbox_max(); }
  bool contains(const Eigen::Ref<const Eigen::VectorXd>& p) const override {
    if (!outer_->contains(p)) return false;
    for (const auto& h : holes_) {
      if (h->contains(p)) return false;
    }
    return true;
  }
  BoundarySample sample_boundary(double h, std::mt19937_64& rng) const override {
    std::vector<BoundarySample> parts;
    parts.push_back(outer_->sample_boundary(h, rng));
    Eigen::Index total = parts.back().points.rows();
    for (const auto& hole : holes_) {
      parts.push_back(hole->sample_boundary(h, rng));
      parts.back().normals *= -1.0;  // the hole's outward normal points into the domain
      total += parts.back().points.rows();
    }
    BoundarySample s;
    s.points.resize(total, dim());
    s.normals.resize(total, dim());
    Eigen::Index r = 0;
    for (const auto& part : parts) {
      s.points.middleRows(r, part.points.rows()) = part.points;
      s.normals.middleRows(r, part.points.rows()) = part.normals;
      r += part.points.rows();
    }
    return s;
  }
  double volume() const override {
    double v = outer_->volume();
    for (const auto& h : holes_) v -= h->volume();
    return v;
  }
  double boundary_measure() const override {
    double b = outer_->boundary_measure();
    for (const auto& h : holes_) b += h->boundary_measure();
    return b;
  }
  std::string describe() const override {
    std::string s = outer_->describe() + " minus {";
    for (std::size_t i = 0; i < holes_.size(); ++i) s += (i ? ", " : "") + holes_[i]->describe();
    return s + "}";
  }

 private:
  DomainPtr outer_;
  std::vector<DomainPtr> holes_;
};

}  // namespace

DomainPtr make_difference(DomainPtr outer, std::vector<DomainPtr> holes) {
  if (!outer) throw std::invalid_argument("difference: no outer domain");
  for (const auto& h : holes) {
    if (!h) throw std::invalid_argument("difference: null hole");
    if (h->dim() != outer->dim()) throw std::invalid_argument("difference: dimension mismatch");
    // Holes must lie strictly inside the outer domain and not overlap each other: checked on
    // a boundary sample of the hole.
    std::mt19937_64 rng(1);
    const Eigen::VectorXd ext = h->bbox_max() - h->bbox_min();
    const BoundarySample s = h->sample_boundary(ext.maxCoeff() / 64.0, rng);
    for (Eigen::Index i = 0; i < s.points.rows(); ++i) {
      if (!outer->contains(s.points.row(i).transpose()))
        throw std::invalid_argument("difference: hole " + h->describe() +
                                    " is not strictly inside " + outer->describe());
      for (const auto& other : holes)
        if (other != h && other->contains(s.points.row(i).transpose()))
          throw std::invalid_argument("difference: holes overlap");
    }
  }
  return std::make_shared<Difference>(std::move(outer), std::move(holes));
}

std::vector<std::string> shape_names() {
  return {"disk", "annulus",        "rectangle", "square", "lshape",
          "star", "disk_with_hole", "ball",      "box",    "cube"};
}

DomainPtr make_shape(const std::string& name) {
  if (name == "disk") return make_disk();
  if (name == "annulus") return make_annulus(Eigen::Vector2d::Zero(), 0.5, 1.0);
  if (name == "rectangle") return make_rectangle({0.0, 0.0}, {2.0, 1.0});
  if (name == "square") return make_rectangle({-1.0, -1.0}, {1.0, 1.0});
  if (name == "lshape") return make_lshape(2.0);
  if (name == "star") return make_star(1.0, 0.3, 5);
  if (name == "disk_with_hole")
    return make_difference(make_disk(), {make_disk(Eigen::Vector2d(0.3, 0.2), 0.3)});
  if (name == "ball") return make_ball();
  if (name == "box" || name == "cube")
    return make_box(Eigen::Vector3d::Constant(-1.0), Eigen::Vector3d::Constant(1.0));
  std::string known;
  for (const auto& n : shape_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument(fmt::format("unknown shape '{}' (known: {})", name, known));
}

}  // namespace dtpinn::nodegen
