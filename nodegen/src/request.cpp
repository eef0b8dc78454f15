// build_nodes(NodeRequest): the checks and the shape-or-file choice of `dtpinn nodes`.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/request.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace dtpinn::nodegen {

void check_request(const NodeRequest& a) {
  const bool file = is_geometry_file(a.domain);
  if ((a.h_given && !(a.h > 0.0)) || !std::isfinite(a.h))
    throw std::invalid_argument(fmt::format("--h: the spacing must be > 0, got {}", a.h));
  // Geometry files bring their own spacing (a node set, a cloud) or have a default n (meshes).
  if (!file && a.h == 0.0 && a.n == 0)
    throw std::invalid_argument("--n N (or --h H) is required for a shape");
  if (a.n != 0 && a.n < 10) throw std::invalid_argument(fmt::format("--n: {} is below 10", a.n));
  if (a.repulsion < 0) throw std::invalid_argument("--repulsion: must be >= 0");
  // NaN fails both comparisons: refused, never taken for "not given".
  if (a.ghost_distance_given &&
      !(a.ghost_distance >= kMinGhostDistance && a.ghost_distance <= kMaxGhostDistance))
    throw std::invalid_argument(
        fmt::format("--ghost-distance: {} is not in [{:g}, {:g}] (spacings along the normal)",
                    a.ghost_distance, kMinGhostDistance, kMaxGhostDistance));
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
