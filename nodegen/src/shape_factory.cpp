// CSG difference (domain minus holes) and the shape factory by name.
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace dtpinn::nodegen {
namespace {

bool default_parts(const BoundarySample& s) {
  return s.part_names.size() == 1 && s.part_names[0] == "boundary";
}

// The parts of outer minus holes (see make_difference in shapes.hpp): the part table, and for
// each sample the map from its part indices to the table's.
std::vector<std::string> combine_parts(const std::vector<BoundarySample>& samples,
                                       std::vector<std::vector<std::int32_t>>& maps) {
  std::vector<std::string> names;
  const std::size_t holes = samples.size() - 1;
  for (std::size_t s = 0; s < samples.size(); ++s) {
    maps.emplace_back();
    const std::string hole = fmt::format("hole{}", s);
    for (const auto& raw : samples[s].part_names) {
      std::string name = raw;
      if (default_parts(samples[s])) name = s == 0 ? "outer" : (holes == 1 ? "inner" : hole);
      if (std::find(names.begin(), names.end(), name) != names.end()) name = hole + "_" + name;
      names.push_back(name);
      maps.back().push_back(static_cast<std::int32_t>(names.size() - 1));
    }
  }
  return names;
}

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
    std::vector<std::vector<std::int32_t>> maps;
    s.part_names = combine_parts(parts, maps);
    s.part.reserve(std::size_t(total));
    Eigen::Index r = 0;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const auto& part = parts[k];
      s.points.middleRows(r, part.points.rows()) = part.points;
      s.normals.middleRows(r, part.points.rows()) = part.normals;
      for (Eigen::Index i = 0; i < part.points.rows(); ++i)
        s.part.push_back(maps[k][std::size_t(part.part_of(i))]);
      for (auto corner : part.corners) {  // rows shifted, parts renamed, a hole's normals flipped
        corner.boundary += r;
        for (auto& side : corner.sides) {
          side.part = maps[k][std::size_t(side.part)];
          if (k > 0)
            for (auto& v : side.normal) v = -v;
        }
        s.corners.push_back(std::move(corner));
      }
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
