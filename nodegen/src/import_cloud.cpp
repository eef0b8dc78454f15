// Boundary clouds (import way 2): a 2D cloud becomes the outline fitted through it, a 3D cloud
// the region its oriented normals enclose; either is then sampled at the target spacing (or, with
// keep_points, filled around the file's points as they are).
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/cloud_outline.hpp>
#include <dtpinn/nodegen/generate.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "import_detail.hpp"

namespace dtpinn::nodegen::detail {
namespace {

/// The file's normals made unit, refused when zero or tangent (check_normal_directions).
PointMatrix unit_file_normals(const std::string& path, const PointCloud& c) {
  PointMatrix N = c.normals;
  for (Index i = 0; i < N.rows(); ++i) {
    const double l = N.row(i).norm();
    if (!(l > 1e-12)) throw std::runtime_error(line_ref(path, c, i) + ": zero normal");
    N.row(i) /= l;
  }
  // Direction first: a tangent normal agrees in sign with its neighbours' only by chance, so
  // the consistency messages below would be the wrong ones for it.
  const NodeProblem dir = check_normal_directions(c.points, N);
  if (dir)
    throw std::runtime_error(
        fmt::format("{}: {}; fix the normals or drop the normal columns to have them estimated",
                    line_ref(path, c, dir.node), dir.reason));
  return N;
}

/// 2D: the file's unit normals N against the fitted outline's (`fitted`, outward by the nesting
/// of the curves): all agreeing, all opposite (flipped, noted), else refused naming a point.
void check_normals_against_outline(const std::string& path, const PointCloud& c,
                                   const PointMatrix& N, const PointMatrix& fitted,
                                   ImportReport& rep) {
  Index agree = 0, first_against = -1, first_along = -1;
  for (Index i = 0; i < N.rows(); ++i) {
    if (N.row(i).dot(fitted.row(i)) > 0) {
      ++agree;
      if (first_along < 0) first_along = i;
    } else if (first_against < 0) {
      first_against = i;
    }
  }
  const Index n = N.rows();
  if (agree == n) return;
  if (agree == 0) {
    rep.notes.push_back("the file's normals pointed inward: all flipped to point outward");
    return;
  }
  // The minority is the odd one out.
  const bool few_against = n - agree <= agree;
  const Index bad = few_against ? first_against : first_along;
  throw std::runtime_error(fmt::format(
      "{}: inconsistent normals: the normal {} at {} points {} the domain enclosed by the curves "
      "through the points, {} of the {} normals the other way; fix the normals or drop the "
      "normal columns to have them estimated",
      line_ref(path, c, bad), point_text(N, bad), point_text(c.points, bad),
      few_against ? "into" : "out of", few_against ? agree : n - agree, n));
}

/// 3D: normals from the file (checked, unit, outward) or estimated and oriented.
PointMatrix surface_cloud_normals(const std::string& path, const PointCloud& c, ImportReport& rep) {
  if (c.has_normals()) {
    PointMatrix N = unit_file_normals(path, c);
    const NormalConsistency chk = check_normals(c.points, N);
    if (chk.inconsistent > 0 && 2 * chk.across > chk.inconsistent)
      throw std::runtime_error(fmt::format(
          "{}: cloud too sparse for the part's thickness: the nearest neighbours of this point "
          "lie on the opposite wall ({} such points; spacing {:.4g}); sample the boundary "
          "more densely",
          line_ref(path, c, chk.first), chk.inconsistent, median_spacing(c.points)));
    if (chk.inconsistent > 0)
      throw std::runtime_error(fmt::format(
          "{}: inconsistent normals: this point's normal points opposite to most of its "
          "neighbours' ({} such points of {}); fix the normals or drop the normal columns to "
          "have them estimated",
          line_ref(path, c, chk.first), chk.inconsistent, c.points.rows()));
    if (chk.inward) {
      N *= -1.0;
      rep.notes.push_back("the file's normals pointed inward: all flipped to point outward");
    }
    rep.normals_source = "file";
    return N;
  }
  PointMatrix N = estimate_normals(c.points);
  try {
    orient_normals(c.points, N);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  rep.normals_estimated = true;
  rep.normals_source =
      "estimated (PCA of k nearest, oriented over a minimum spanning tree along each wall, walls "
      "by nesting)";
  return N;
}

std::shared_ptr<BoundaryCloudDomain> surface_cloud_domain(const std::string& path,
                                                          const PointCloud& c,
                                                          const PointMatrix& N) {
  auto dom = std::make_shared<BoundaryCloudDomain>(c.points, N, path, c.part, c.part_names);
  if (!(dom->volume() > 0))
    throw std::runtime_error(path +
                             ": the boundary cloud encloses no volume (normals "
                             "inconsistent or the cloud is not closed)");
  return dom;
}

std::shared_ptr<PolylineDomain> outline_of(const std::string& path, const PointCloud& c,
                                           double* mean_spacing = nullptr) {
  return cloud_outline_domain(c.points, path, c.part, c.part_names, mean_spacing,
                              [&](Index i) { return line_ref(path, c, i); });
}

/// Nodes in `dom`: the boundary resampled at the target spacing (options.h, options.n, else
/// `even_h`), or with keep_points the file's points with normals N, and the interior filled.
NodeSet fill_cloud(const std::string& path, const PointCloud& c, const PointMatrix& N,
                   const Domain& dom, double even_h, const ImportOptions& options,
                   ImportReport& rep) {
  FillOptions f = fill_options(options);
  const bool keep = options.keep_points;
  double h = options.h > 0 ? options.h : (keep || options.n == 0 ? even_h : 0.0);
  if (h == 0.0) h = spacing_for_count(dom, options.n);  // first guess, for the check below
  // A cloud too sparse for its own size: fewer than ~3 spacings across the domain.
  const double across = dom.dim() == 2 ? std::sqrt(dom.volume()) : std::cbrt(dom.volume());
  if (across < 3.0 * h)
    throw std::runtime_error(fmt::format(
        "{}: cloud too sparse: spacing {:.4g} against a domain about {:.4g} across; the "
        "interior fill needs a spacing below a third of that",
        path, h, across));
  NodeSet ns;
  if (keep) {
    BoundarySample b;
    b.points = c.points;
    b.normals = N;
    b.part = c.part;
    b.part_names = c.part_names;
    f.h = h;
    f.ghosts = false;
    ns = fill_domain(dom, b, h, f);
    // Ghosts at the boundary nodes' own spacing (their nearest neighbour), not h: clustered
    // points keep their ghosts apart.
    if (options.ghosts) add_ghost_nodes(ns, dom, options.ghost_distance);
    rep.notes.push_back(
        fmt::format("the file's {} points kept as they are (keep points)", c.points.rows()));
    if (options.n > 0) rep.notes.push_back("--n is ignored with the file's points kept");
  } else {
    if (options.h == 0 && options.n == 0) f.h = h;
    ns = generate_nodes(dom, f);
    if (f.h == 0) h = used_spacing(ns);
    rep.notes.push_back(fmt::format(
        "boundary resampled at spacing {:.4g}: {} points in the file, {} boundary nodes{}", h,
        c.points.rows(), ns.n_boundary,
        options.h == 0 && options.n == 0 ? " (the file's points spread evenly)" : ""));
  }
  // A cloud too sparse for its thickness leaves (almost) no room for interior nodes.
  if (ns.n_interior < std::max<Index>(10, ns.n_boundary / 50))
    throw std::runtime_error(
        fmt::format("{}: cloud too sparse: only {} interior nodes fit at spacing {:.4g} inside {} "
                    "boundary nodes; sample the boundary more densely",
                    path, ns.n_interior, h, ns.n_boundary));
  rep.spacing = h;
  return ns;
}

}  // namespace

NodeSet import_boundary_cloud(const std::string& path, const PointCloud& c,
                              const ImportOptions& options, ImportReport& rep) {
  rep.kind = "boundary cloud";
  if (c.points.rows() < kMinBoundaryPoints)
    throw std::runtime_error(
        fmt::format("{}: too few boundary points ({}): a boundary cloud needs at least {}", path,
                    c.points.rows(), kMinBoundaryPoints));
  check_duplicates(path, c);
  if (c.dim == 2) {
    // Tangent normals are named before the fit (it would name the points instead).
    const PointMatrix given = c.has_normals() ? unit_file_normals(path, c) : PointMatrix();
    double even_h = 0.0;
    const auto outline = outline_of(path, c, &even_h);
    const PointMatrix N = outline_normals_at(*outline, c.points);
    if (c.has_normals()) check_normals_against_outline(path, c, given, N, rep);
    rep.normals_source =
        c.has_normals() ? "the fitted curves (the file's agree)" : "the fitted curves";
    rep.notes.push_back(fmt::format(
        "{} points joined into {} closed curve(s) (centripetal Catmull-Rom, corners sharper than "
        "{:g} deg kept), length {:.6g}, area {:.6g}",
        c.points.rows(), outline->loops().size(), kCloudCornerDeg, outline->boundary_measure(),
        outline->volume()));
    rep.domain = outline;
    return fill_cloud(path, c, N, *outline, even_h, options, rep);
  }
  const PointMatrix N = surface_cloud_normals(path, c, rep);
  const auto dom = surface_cloud_domain(path, c, N);
  rep.domain = dom;
  return fill_cloud(path, c, N, *dom, dom->even_spacing(), options, rep);
}

DomainPtr boundary_cloud_domain(const std::string& path, const PointCloud& c) {
  if (c.points.rows() < kMinBoundaryPoints)
    throw std::runtime_error(fmt::format("{}: too few boundary points ({}): need at least {}", path,
                                         c.points.rows(), kMinBoundaryPoints));
  check_duplicates(path, c);
  if (c.dim == 2) return outline_of(path, c);
  ImportReport rep;
  return surface_cloud_domain(path, c, surface_cloud_normals(path, c, rep));
}

}  // namespace dtpinn::nodegen::detail
