// dtpinn nodes: generate (or import) a node set, print its quality, write CSV / PLY / VTK.
#include "commands.hpp"

#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtpinn::app {
namespace {

struct NodesArgs {
  std::string domain;
  long long n = 0;
  double h = 0.0;
  std::uint64_t seed = 0;
  bool no_ghosts = false;
  double ghost_distance = 0.0;  // 0: the default for the dimension
  bool ghost_distance_given = false;
  bool h_given = false;  // --h 0 is a bad spacing, not "no spacing"
  int repulsion = 0;
  std::string format;
  bool rescale = false;
  std::vector<std::string> outputs;
};

// "out/nodes.csv" -> "out/nodes.quality.txt"
std::string quality_path(const std::string& out) {
  const std::size_t dot = out.find_last_of('.');
  const std::size_t slash = out.find_last_of('/');
  const std::string stem = (dot == std::string::npos || (slash != std::string::npos && dot < slash))
                               ? out
                               : out.substr(0, dot);
  return stem + ".quality.txt";
}

// Ghosts farther out than this many spacings fall outside their boundary node's stencil at the
// low orders (a 2D order-2 stencil of 21 nodes reaches about 2.6 spacings), so they would carry
// nothing; closer than kMinGhostDistance they nearly coincide with it (the stencil rcond falls
// with the distance; at 0.05 the disk and the ball still measure 3e-6 at p = 6).
constexpr double kMinGhostDistance = 0.05, kMaxGhostDistance = 4.0;

void check_args(const NodesArgs& a) {
  const bool file = dtpinn::nodegen::is_geometry_file(a.domain);
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

void run_nodes(const NodesArgs& a) {
  namespace ng = dtpinn::nodegen;
  check_args(a);
  const bool default_ghosts = !a.ghost_distance_given;
  std::vector<ng::NodeFormat> formats;
  for (const auto& o : a.outputs)
    formats.push_back(a.format.empty() ? ng::node_format_from_path(o)
                                       : ng::parse_node_format(a.format));

  ng::NodeSet nodes;
  ng::DomainPtr domain;
  std::string source;
  if (ng::is_geometry_file(a.domain)) {
    ng::ImportOptions io;
    io.h = a.h;
    io.n = a.n;
    io.rescale = a.rescale;
    io.seed = a.seed;
    io.ghosts = !a.no_ghosts;
    io.ghost_distance = default_ghosts ? 0.0 : a.ghost_distance;
    ng::ImportReport rep;
    nodes = ng::import_nodes(a.domain, io, &rep);
    source = rep.summary();
    try {  // a closed surface / polyline also gives a Domain for the fill-distance estimate
      domain = ng::load_domain(a.domain, a.rescale);
    } catch (const std::exception&) {
      domain = nullptr;
    }
  } else {
    if (a.rescale) throw std::invalid_argument("--rescale: only for geometry files");
    domain = ng::make_shape(a.domain);
    ng::FillOptions fo;
    fo.h = a.h;
    fo.n = a.n;
    fo.seed = a.seed;
    fo.ghosts = !a.no_ghosts;
    fo.ghost_distance = default_ghosts ? 0.0 : a.ghost_distance;
    fo.repulsion_steps = a.repulsion;
    nodes = ng::generate_nodes(*domain, fo);
    source = "domain: " + domain->describe() + "\n";
  }
  const ng::QualityReport q = ng::assess_quality(nodes, domain.get());
  const std::string report = source + "parts: " + ng::part_summary(nodes) + "\n" + q.to_string();
  std::fputs(report.c_str(), stdout);
  for (std::size_t i = 0; i < a.outputs.size(); ++i) {
    ng::write_nodes(a.outputs[i], nodes, formats[i]);
    std::printf("wrote %s\n", a.outputs[i].c_str());
  }
  // The quality report goes to a sidecar file next to the first output (the CSV stays plain).
  if (!a.outputs.empty()) {
    const std::string qp = quality_path(a.outputs.front());
    ng::AtomicFile f(qp);
    f.stream() << report << "json: " << q.to_json();
    f.commit();
    std::printf("wrote %s\n", qp.c_str());
  }
}

// `dtpinn nodes --help`: where the boundary parts come from (shapes.hpp, readers.hpp).
constexpr const char* kPartsHelp = R"(
Boundary parts (named pieces of the boundary; every boundary node has one, the node file
keeps it in its `part` column, and run configs put conditions on them):
  rectangle, square   left (x = min), right (x = max), bottom (y = min), top (y = max)
  box, cube           left right front back bottom top (x-, x+, y-, y+, z-, z+)
  annulus             outer inner
  disk_with_hole      outer inner
  lshape              bottom (y = -1), right (x = 1), notch_bottom (y = 0, 0 < x < 1),
                      notch_left (x = 0, 0 < y < 1), top (y = 1), left (x = -1)
  disk, star, ball    boundary
Corners: a 2D corner node belongs to the side that starts there going counter-clockwise
(rectangle: (min,min) bottom, (max,min) right, (max,max) top, (min,max) left; lshape's
re-entrant corner (0,0) notch_left). A box edge or corner node belongs to the first face it
lies on in the order left right front back bottom top.
Geometry files:
  .stl   ASCII: one part per `solid NAME` (the name with characters outside [A-Za-z0-9_.-]
         replaced by '_'; an unnamed solid is solidK, or boundary if it is the only one;
         solids with the same name merge). Binary STL: one part, boundary.
  .obj   `g NAME` / `o NAME` groups name the faces after them; faces outside any group:
         boundary.
  .ply   an integer face or vertex property part / label / group; names from
         `comment part <index> <name>` header lines, else the integers themselves.
  .csv .xyz .txt   a `part` header column: names or non-negative integers per point.
  2D outlines      each loop is a part: one loop boundary, else outer and hole1, hole2, ...;
                   a `part` column instead names the segment starting at each point.
A surface node takes the part of the triangle it lies on.
Node CSV: the `part` column holds the part name on boundary rows, the boundary node's part on
ghost rows and nothing on interior rows; the line after the header lists the part table
(`# parts: left right bottom top`). PLY / VTK: an int `part` per point (-1 interior).)";

}  // namespace

void add_nodes_command(CLI::App& app) {
  auto args = std::make_shared<NodesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "nodes", "Generate a quasi-uniform node set (interior, boundary with normals, ghosts)");
  std::string known;
  for (const auto& s : dtpinn::nodegen::shape_names()) known += (known.empty() ? "" : ", ") + s;
  cmd->add_option("--domain", args->domain,
                  "Shape name (" + known + ") or geometry file (.stl/.obj/.ply/.csv/.xyz)")
      ->required();
  cmd->add_option("--n", args->n,
                  "Target number of collocation nodes Ni + Nb (>= 10); a shape needs --n or "
                  "--h, a geometry file does not");
  CLI::Option* spacing = cmd->add_option("--h", args->h, "Target spacing instead of --n (> 0)");
  cmd->add_option("--seed", args->seed, "Random seed (same seed -> same nodes)");
  cmd->add_flag("--no-ghosts", args->no_ghosts, "Do not add ghost nodes");
  CLI::Option* ghost = cmd->add_option(
      "--ghost-distance", args->ghost_distance,
      "Ghost offset along the normal, in units of the spacing, 0.05 to 4 (default 1 in 2D, 0.5 "
      "in 3D)");
  cmd->add_option("--repulsion", args->repulsion, "Repulsion steps after the fill (default 0)");
  cmd->add_option("--format", args->format, "csv|ply|vtk (default: from each file's extension)")
      ->check(CLI::IsMember({"csv", "ply", "vtk"}));
  cmd->add_flag("--rescale", args->rescale, "Rescale a geometry file into the unit box");
  cmd->add_option("-o,--output", args->outputs,
                  "Output file(s); repeat for several formats, e.g. -o n.csv -o n.vtk")
      ->required();
  cmd->footer(kPartsHelp);
  cmd->callback([args, ghost, spacing]() {
    args->ghost_distance_given = ghost->count() > 0;
    args->h_given = spacing->count() > 0;
    run_nodes(*args);
  });
}

}  // namespace dtpinn::app
