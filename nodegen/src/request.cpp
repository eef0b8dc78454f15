// build_nodes(NodeRequest): the checks and the shape-or-file choice of `dtpinn nodes`.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/request.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace dtpinn::nodegen {

namespace {

bool is_shape_name(const std::string& name) {
  const auto names = shape_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// The nodes a shape request asks for: n, or what h implies (0 for a file).
double requested_nodes(const NodeRequest& a, bool file) {
  if (a.n > 0) return static_cast<double>(a.n);
  if (file || !(a.h > 0) || !is_shape_name(a.domain)) return 0;
  const DomainPtr d = make_shape(a.domain);
  const int dim = d->dim();
  return d->volume() / std::pow(a.h, dim) + d->boundary_measure() / std::pow(a.h, dim - 1);
}

}  // namespace

double node_memory(double n) {
  // Measured: 3e6 disk nodes raise the peak of `dtpinn nodes` by 212 MB, ~70 bytes a node
  // (points, normals, parts, the k-d tree and the fill fronts); rounded down.
  constexpr double kBytesPerNode = 64;
  return n * kBytesPerNode;
}

void check_request(const NodeRequest& a) {
  const bool file = is_geometry_file(a.domain);
  // A folder or a FIFO is not a shape either: say what it is, not "--n required".
  if (!is_shape_name(a.domain)) {
    std::error_code ec;
    if (std::filesystem::exists(a.domain, ec) || file)
      if (const std::string why = geometry_path_problem(a.domain); !why.empty())
        throw std::invalid_argument("--domain " + why);
  }
  if ((a.h_given && !(a.h > 0.0)) || !std::isfinite(a.h))
    throw std::invalid_argument(fmt::format("--h: the spacing must be > 0, got {}", a.h));
  if ((a.n_given || a.n != 0) && a.n < 10)
    throw std::invalid_argument(fmt::format("--n: {} is below 10", a.n));
  if (a.n > kMaxNodes)
    throw std::invalid_argument(
        fmt::format("--n: {} is above the limit of 200000000 nodes (2e8)", a.n));
  // Geometry files bring their own spacing (a node set, a cloud) or have a default n (meshes).
  if (!file && a.h == 0.0 && a.n == 0)
    throw std::invalid_argument("--n N (or --h H) is required for a shape");
  if (a.repulsion < 0) throw std::invalid_argument("--repulsion: must be >= 0");
  // NaN fails both comparisons: refused, never taken for "not given".
  if (a.ghost_distance_given &&
      !(a.ghost_distance >= kMinGhostDistance && a.ghost_distance <= kMaxGhostDistance))
    throw std::invalid_argument(
        fmt::format("--ghost-distance: {} is not in [{:g}, {:g}] (spacings along the normal)",
                    a.ghost_distance, kMinGhostDistance, kMaxGhostDistance));
  if (a.memory_limit > 0) {
    const double n = requested_nodes(a, file);
    if (node_memory(n) > a.memory_limit)
      throw std::invalid_argument(fmt::format(
          "{}: {:.3g} nodes need about {:.3g} GB to make (~64 bytes a node), more than the {:.3g} "
          "GB of memory available on this machine",
          a.n > 0 ? fmt::format("--n {}", a.n) : fmt::format("--h {}", a.h), n,
          node_memory(n) / 1073741824.0, a.memory_limit / 1073741824.0));
  }
}

NodeResult build_nodes(const NodeRequest& a) {
  check_request(a);
  const double ghost_distance = a.ghost_distance_given ? a.ghost_distance : 0.0;
  NodeResult r;
  if (is_geometry_file(a.domain)) {
    ImportOptions io;
    io.h = a.h;
    io.n = a.n;
    io.rescale = a.rescale;
    io.seed = a.seed;
    io.ghosts = a.ghosts;
    io.ghost_distance = ghost_distance;
    io.keep_points = a.keep_points;
    ImportReport rep;
    r.nodes = import_nodes(a.domain, io, &rep);
    r.source = rep.summary();
    r.domain = rep.domain;
    return r;
  }
  if (a.rescale) throw std::invalid_argument("--rescale: only for geometry files");
  if (a.keep_points) throw std::invalid_argument("--keep-points: only for boundary clouds");
  r.domain = make_shape(a.domain);
  FillOptions fo;
  fo.h = a.h;
  fo.n = a.n;
  fo.seed = a.seed;
  fo.ghosts = a.ghosts;
  fo.ghost_distance = ghost_distance;
  fo.repulsion_steps = a.repulsion;
  r.nodes = generate_nodes(*r.domain, fo);
  r.source = "domain: " + r.domain->describe() + "\n";
  return r;
}

}  // namespace dtpinn::nodegen
