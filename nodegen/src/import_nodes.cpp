// import_nodes: the three ways from a geometry file to a node set (see import.hpp).
#include <dtpinn/nodegen/checks.hpp>
#include <dtpinn/nodegen/cloud.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/knn.hpp>
#include <dtpinn/nodegen/mesh.hpp>
#include <dtpinn/nodegen/readers.hpp>
#include <dtpinn/nodegen/surface_domain.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "import_detail.hpp"
#include "readers_detail.hpp"

namespace dtpinn::nodegen {
namespace detail {

std::string line_ref(const std::string& path, const PointCloud& c, Index i) {
  if (i >= 0 && std::size_t(i) < c.lines.size() && c.lines[std::size_t(i)] > 0)
    return path + ":" + std::to_string(c.lines[std::size_t(i)]);
  return path + ": point " + std::to_string(i + 1);
}

}  // namespace detail

namespace {

using detail::check_duplicates;
using detail::fill_options;
using detail::line_ref;
using detail::used_spacing;

constexpr Index kDefaultN2 = 2000, kDefaultN3 = 10000;

Index binom(Index n, Index k) {
  Index r = 1;
  for (Index i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

/// Stencil size of the Laplacian at order p in dimension d (rbffd/params.hpp: l = p + 1,
/// n = 2 C(l+d,d)+1).
Index stencil_size(int order, int dim) {
  return 2 * binom(order + 1 + dim, dim) + 1;
}

/// A labelled cloud must hold one stencil of the lowest order: 21 nodes in 2D, 41 in 3D.
Index min_labelled_nodes(int dim) {
  return stencil_size(2, dim);
}

void check_order(const std::string& path, const NodeSet& ns, int order) {
  if (order <= 0) return;
  const Index need = stencil_size(order, ns.dim);
  if (ns.n_collocation() < need)
    throw std::runtime_error(fmt::format(
        "{}: too few nodes for order {}: {} interior + boundary nodes, one stencil needs {}; "
        "give a denser cloud or a smaller h",
        path, order, ns.n_collocation(), need));
}

struct Box {
  Eigen::VectorXd lo, hi;
};

Box box_of(const PointMatrix& P) {
  return {P.colwise().minCoeff().transpose(), P.colwise().maxCoeff().transpose()};
}

/// Rescale into [0, 1]^d keeping the aspect ratio: p -> (p - lo) * s, s = 1 / max extent.
double rescale_points(PointMatrix& P, const Box& b) {
  const double ext = (b.hi - b.lo).maxCoeff();
  if (!(ext > 0)) return 1.0;
  const double s = 1.0 / ext;
  for (Index i = 0; i < P.rows(); ++i) P.row(i) = (P.row(i) - b.lo.transpose()) * s;
  return s;
}

/// Coordinates fp64 cannot work with, unless --rescale brings them into the unit box first:
/// so large that squared lengths (areas, normals, distances) overflow, or so far from the
/// origin for their size that few digits of the shape are left.
void check_coordinate_range(const std::string& path, const Box& b, bool rescale) {
  if (rescale) return;
  const double far = std::max(b.lo.cwiseAbs().maxCoeff(), b.hi.cwiseAbs().maxCoeff());
  const double size = (b.hi - b.lo).maxCoeff();
  if (far > 1e150)
    throw std::runtime_error(fmt::format(
        "{}: coordinates reach {:.3g}, too large for fp64 areas, normals and distances (their "
        "squares overflow); scale the geometry down, or rescale it into the unit box with "
        "--rescale (domain.rescale = true)",
        path, far));
  if (size > 0 && size < 1e-9 * far)
    throw std::runtime_error(fmt::format(
        "{}: the geometry is {:.3g} across but lies {:.3g} from the origin, where fp64 keeps only "
        "about {:.0f} digits of its shape; move it near the origin, or use --rescale "
        "(domain.rescale = true)",
        path, size, far, std::max(0.0, 16 + std::log10(size / far))));
}

NodeSet labelled_cloud(const std::string& path, const PointCloud& c, const ImportOptions& opt,
                       ImportReport& rep) {
  const int d = c.dim;
  std::vector<Index> idx[3];
  for (Index i = 0; i < c.points.rows(); ++i) idx[int(c.kinds[std::size_t(i)])].push_back(i);
  const Index ni = Index(idx[0].size()), nb = Index(idx[1].size()), ng = Index(idx[2].size());
  if (nb == 0) throw std::runtime_error(path + ": labelled cloud without boundary nodes");
  // What `operators` would refuse later, refused here with the lines named.
  check_duplicates(path, c);
  if (ni + nb < min_labelled_nodes(d))
    throw std::runtime_error(fmt::format(
        "{}: too few nodes: {} interior + boundary nodes; the smallest RBF-FD stencil (the "
        "Laplacian at order 2 in {}D) needs {}",
        path, ni + nb, d, min_labelled_nodes(d)));
  if (ng != 0 && ng != nb)
    throw std::runtime_error(fmt::format(
        "{}: {} ghost nodes for {} boundary nodes (need one ghost per boundary node, or none)",
        path, ng, nb));
  PointMatrix bn;
  if (c.has_normals()) {
    bn.resize(nb, d);
    for (Index k = 0; k < nb; ++k) {
      const Index i = idx[1][std::size_t(k)];
      const double l = c.normals.row(i).norm();
      if (!(l > 1e-12))
        throw std::runtime_error(line_ref(path, c, i) + ": boundary node with a zero normal");
      bn.row(k) = c.normals.row(i) / l;
    }
    rep.normals_source = "file";
  } else {
    PointMatrix bp(nb, d);
    for (Index k = 0; k < nb; ++k) bp.row(k) = c.points.row(idx[1][std::size_t(k)]);
    bn = estimate_normals(bp);
    orient_normals(bp, bn);
    rep.normals_estimated = true;
    rep.normals_source = "estimated for the boundary nodes (PCA + MST orientation)";
  }
  NodeSet ns;
  ns.dim = d;
  ns.n_interior = ni;
  ns.n_boundary = nb;
  const bool keep_ghosts = ng == nb && opt.ghosts;
  ns.n_ghost = keep_ghosts ? ng : 0;
  ns.points.resize(ns.size(), d);
  ns.normals = PointMatrix::Zero(ns.size(), d);
  if (c.has_parts()) {  // the boundary rows' parts, in the file's order like the nodes
    ns.part_names = c.part_names;
    for (Index i : idx[1]) ns.boundary_part.push_back(c.part[std::size_t(i)]);
  }
  Index r = 0;
  for (Index i : idx[0]) ns.points.row(r++) = c.points.row(i);
  for (Index k = 0; k < nb; ++k) {
    ns.points.row(r) = c.points.row(idx[1][std::size_t(k)]);
    ns.normals.row(r++) = bn.row(k);
  }
  if (keep_ghosts)
    for (Index k = 0; k < ng; ++k) {
      ns.points.row(r) = c.points.row(idx[2][std::size_t(k)]);
      ns.normals.row(r++) = bn.row(k);
    }
  if (!keep_ghosts && opt.ghosts) {
    add_ghost_nodes(ns, opt.ghost_distance);
    rep.notes.push_back(
        fmt::format("ghost nodes added (one per boundary node, {:g} x the local spacing out)",
                    opt.ghost_distance > 0 ? opt.ghost_distance : default_ghost_distance(ns.dim)));
  }
  ns.validate();
  if (const NodeProblem p = check_node_set(ns)) {
    const Index node = p.node;
    const Index row = node < ni ? idx[0][std::size_t(node)]
                                : (node < ni + nb ? idx[1][std::size_t(node - ni)]
                                                  : idx[2][std::size_t(node - ni - nb)]);
    throw std::runtime_error(line_ref(path, c, row) + ": " + p.reason);
  }
  rep.spacing = median_spacing(ns.points.topRows(ns.n_collocation()));
  return ns;
}

}  // namespace

namespace detail {

void check_duplicates(const std::string& path, const PointCloud& c) {
  const Index n = c.points.rows();
  const Box b = box_of(c.points);
  const double tol = 1e-12 * std::max((b.hi - b.lo).norm(), 1e-300);
  KnnIndex tree(c.points);
  std::vector<std::int32_t> idx;
  std::vector<double> d2;
  for (Index i = 0; i < n; ++i) {
    tree.nearest(c.points.row(i).data(), 2, idx, d2);
    for (std::size_t j = 0; j < idx.size(); ++j)
      if (Index(idx[j]) != i && std::sqrt(d2[j]) <= tol) {
        const Index first = std::min(i, Index(idx[j])), second = std::max(i, Index(idx[j]));
        const std::string o = std::size_t(first) < c.lines.size()
                                  ? "line " + std::to_string(c.lines[std::size_t(first)])
                                  : "point " + std::to_string(first + 1);
        throw std::runtime_error(line_ref(path, c, second) + ": duplicate point (same as " + o +
                                 ")");
      }
  }
}

FillOptions fill_options(const ImportOptions& opt) {
  FillOptions f;
  f.h = opt.h;
  f.n = opt.n;
  f.seed = opt.seed;
  f.ghosts = opt.ghosts;
  f.ghost_distance = opt.ghost_distance;
  return f;
}

double used_spacing(const NodeSet& ns) {
  return median_spacing(ns.points.topRows(ns.n_collocation()));
}

}  // namespace detail

std::string ImportReport::summary() const {
  std::string s = fmt::format("import: {} ({}, {}D)\n", path, kind, dim);
  std::string box;
  for (Eigen::Index k = 0; k < bbox_min.size(); ++k)
    box += fmt::format("{}[{:.6g}, {:.6g}]", k ? " x " : "", bbox_min[k], bbox_max[k]);
  s += fmt::format("  bounding box {} (file units)\n", box);
  if (scale != 1.0)
    s += fmt::format("  rescaled into the unit box: x' = (x - min) * {:.6g}\n", scale);
  s += fmt::format("  spacing {:.6g}; nodes: {} interior, {} boundary, {} ghost\n", spacing,
                   n_interior, n_boundary, n_ghost);
  s += fmt::format("  normals: {}\n", normals_source.empty() ? "n/a" : normals_source);
  for (const auto& n : notes) s += "  note: " + n + "\n";
  return s;
}

bool is_geometry_file(const std::string& name) {
  static const char* exts[] = {".csv", ".xyz", ".txt", ".ply", ".stl", ".obj"};
  const std::string e = detail::extension(name);
  for (const char* x : exts)
    if (e == x) return true;
  std::error_code ec;
  return std::filesystem::is_regular_file(name, ec);  // a directory named "disk" is not one
}

std::string geometry_path_problem(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return path + ": no such file";
  if (std::filesystem::is_directory(st)) return path + ": is a folder, not a geometry file";
  if (!std::filesystem::is_regular_file(st))
    return path + ": is not a regular file (a FIFO, socket or device cannot be read as geometry)";
  return "";
}

NodeSet import_nodes(const std::string& path, const ImportOptions& options, ImportReport* report) {
  ImportReport rep;
  rep.path = path;
  if (!(options.h >= 0) || !std::isfinite(options.h))
    throw std::invalid_argument("import: h must be >= 0 and finite");
  if (options.n < 0) throw std::invalid_argument("import: n must be >= 0");
  if (const std::string problem = geometry_path_problem(path); !problem.empty())
    throw std::runtime_error(problem);
  GeometryData g = read_geometry(path, options.detect_polyline);
  NodeSet ns;

  if (g.type == GeometryData::Type::cloud) {
    PointCloud& c = g.cloud;
    rep.dim = c.dim;
    const Box b = box_of(c.points);
    check_coordinate_range(path, b, options.rescale);
    rep.bbox_min = b.lo;
    rep.bbox_max = b.hi;
    if (options.rescale) rep.scale = rescale_points(c.points, b);
    if (c.has_kinds()) {
      rep.kind = "labelled cloud";
      ns = labelled_cloud(path, c, options, rep);
      if (options.n > 0 || options.h > 0)
        rep.notes.push_back(
            "--n / --h are ignored for a labelled node set: its nodes are used "
            "as they are");
    } else {
      ns = detail::import_boundary_cloud(path, c, options, rep);
    }
  } else if (g.type == GeometryData::Type::mesh) {
    rep.kind = "surface mesh";
    rep.dim = 3;
    TriangleMesh& m = g.mesh;
    const Box b = box_of(PointMatrix(m.vertices));
    check_coordinate_range(path, b, options.rescale);
    rep.bbox_min = b.lo;
    rep.bbox_max = b.hi;
    if (options.rescale) {
      PointMatrix V = m.vertices;
      rep.scale = rescale_points(V, b);
      m.vertices = V;
    }
    const MeshCheck chk = prepare_closed_mesh(m, path);
    if (chk.input_vertices != chk.vertices)
      rep.notes.push_back(
          fmt::format("{} vertices welded into {}", chk.input_vertices, chk.vertices));
    if (chk.dropped_faces > 0)
      rep.notes.push_back(fmt::format("{} degenerate faces dropped", chk.dropped_faces));
    if (chk.flipped_faces > 0)
      rep.notes.push_back(
          fmt::format("{} faces flipped for a consistent outward orientation", chk.flipped_faces));
    rep.notes.push_back(fmt::format("{} triangles, {} shell(s), volume {:.6g}, area {:.6g}",
                                    chk.faces, chk.components, chk.volume, chk.area));
    const auto dom = std::make_shared<TriangleSurfaceDomain>(m, path);
    rep.domain = dom;
    FillOptions f = fill_options(options);
    if (f.h == 0 && f.n == 0) {
      f.n = kDefaultN3;
      rep.notes.push_back(fmt::format("neither h nor n given: n = {}", kDefaultN3));
    }
    ns = generate_nodes(*dom, f);
    rep.spacing = f.h > 0 ? f.h : used_spacing(ns);
    rep.normals_source = "faces (crease-aware smooth normals, crease angle 30 deg)";
  } else {
    rep.kind = "polyline";
    rep.dim = 2;
    PointMatrix all(0, 2);
    for (const auto& L : g.loops) {
      PointMatrix t(all.rows() + L.rows(), 2);
      t << all, L;
      all = t;
    }
    const Box b = box_of(all);
    check_coordinate_range(path, b, options.rescale);
    rep.bbox_min = b.lo;
    rep.bbox_max = b.hi;
    if (options.rescale)
      for (auto& L : g.loops) rep.scale = rescale_points(L, b);
    std::shared_ptr<PolylineDomain> dom;
    try {
      dom = std::make_shared<PolylineDomain>(g.loops, path, 30.0, g.loop_part, g.part_names);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
    rep.domain = dom;
    FillOptions f = fill_options(options);
    if (f.h == 0 && f.n == 0) {
      f.n = kDefaultN2;
      rep.notes.push_back(fmt::format("neither h nor n given: n = {}", kDefaultN2));
    }
    ns = generate_nodes(*dom, f);
    rep.spacing = f.h > 0 ? f.h : used_spacing(ns);
    rep.normals_source = "outline edges (smooth between corners sharper than 30 deg)";
    rep.notes.push_back(fmt::format("{} loop(s), {} outline points, area {:.6g}", g.loops.size(),
                                    all.rows(), dom->volume()));
  }
  check_order(path, ns, options.order);
  rep.n_interior = ns.n_interior;
  rep.n_boundary = ns.n_boundary;
  rep.n_ghost = ns.n_ghost;
  if (report) *report = rep;
  return ns;
}

DomainPtr load_domain(const std::string& path, bool rescale) {
  GeometryData g = read_geometry(path, true);
  if (g.type == GeometryData::Type::mesh) {
    TriangleMesh& m = g.mesh;
    if (rescale) {
      PointMatrix V = m.vertices;
      rescale_points(V, box_of(V));
      m.vertices = V;
    }
    prepare_closed_mesh(m, path);
    return std::make_shared<TriangleSurfaceDomain>(m, path);
  }
  if (g.type == GeometryData::Type::polyline) {
    if (rescale) {
      PointMatrix all(0, 2);
      for (const auto& L : g.loops) {
        PointMatrix t(all.rows() + L.rows(), 2);
        t << all, L;
        all = t;
      }
      const Box b = box_of(all);
      for (auto& L : g.loops) rescale_points(L, b);
    }
    try {
      return std::make_shared<PolylineDomain>(g.loops, path, 30.0, g.loop_part, g.part_names);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
  }
  PointCloud& c = g.cloud;
  if (c.has_kinds())
    throw std::runtime_error(path + ": a labelled node cloud is not a geometry (no domain)");
  if (rescale) rescale_points(c.points, box_of(c.points));
  return detail::boundary_cloud_domain(path, c);
}

}  // namespace dtpinn::nodegen
