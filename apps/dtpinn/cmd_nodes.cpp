// dtpinn nodes: generate (or import) a node set, print its quality, write CSV / PLY / VTK.
#include "commands.hpp"

#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/quality.hpp>
#include <dtpinn/nodegen/request.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtpinn::app {
namespace {

struct NodesArgs {
  dtpinn::nodegen::NodeRequest request;
  bool no_ghosts = false;
  bool allow_nonuniform = false;
  std::string format;
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

void run_nodes(const NodesArgs& a) {
  namespace ng = dtpinn::nodegen;
  ng::check_request(a.request);
  std::vector<ng::NodeFormat> formats;
  for (const auto& o : a.outputs)
    formats.push_back(a.format.empty() ? ng::node_format_from_path(o)
                                       : ng::parse_node_format(a.format));
  // Every output (and the quality report beside the first) before any work: a bad second -o
  // must not leave the first one written.
  for (const auto& o : a.outputs) ng::check_can_write_file(o);
  if (!a.outputs.empty()) ng::check_can_write_file(quality_path(a.outputs.front()));
  const ng::NodeResult made = ng::build_nodes(a.request);
  const ng::NodeSet& nodes = made.nodes;
  const ng::QualityReport q = ng::assess_quality(nodes, made.domain.get());
  const std::string problem = ng::quality_problem(q);
  if (!problem.empty() && !a.allow_nonuniform)
    throw std::runtime_error("the node set is not quasi-uniform: " + problem +
                             "; --allow-nonuniform uses it anyway");
  std::string report = made.source + "parts: " + ng::part_summary(nodes) + "\n" + q.to_string();
  if (!problem.empty())
    report +=
        "warning: the node set is not quasi-uniform (allowed by --allow-nonuniform): " + problem +
        "\n";
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
                   a `part` column instead names the segment starting at each point. A table
                   is an outline when its points in order form one closed polygon, when a
                   `loop` column numbers its loops, or when each run of rows with one `part`
                   closes a polygon.
  boundary clouds  joined into fitted closed curves (2D) or thinned / filled on the surface
                   (3D) and resampled at the spacing (--keep-points: as they are); a node takes
                   the part of the file's point nearest to it.
A surface node takes the part of the triangle it lies on.
Node CSV: the `part` column holds the part name on boundary rows, the boundary node's part on
ghost rows and nothing on interior rows; the file is the header and the rows (pandas and
numpy read it with their defaults). Parts without nodes, or a table order other than the rows'
first appearance, go into the sidecar FILE.csv.parts (one name per line).
PLY / VTK: an int `part` per point (-1 interior), the names in the header / FieldData.)";

/// --seed: a whole number 0 .. 2^64 - 1 (CLI11 would wrap -1 around to 2^64 - 1).
CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& v) {
        const bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
        errno = 0;
        if (digits) (void)std::strtoull(v.c_str(), nullptr, 10);
        return digits && errno == 0 ? std::string()
                                    : "must be a whole number from 0 to 2^64 - 1, got " + v;
      },
      "SEED");
}

}  // namespace

void add_nodes_command(CLI::App& app) {
  auto args = std::make_shared<NodesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "nodes", "Generate a quasi-uniform node set (interior, boundary with normals, ghosts)");
  std::string known;
  for (const auto& s : dtpinn::nodegen::shape_names()) known += (known.empty() ? "" : ", ") + s;
  cmd->add_option("--domain", args->request.domain,
                  "Shape name (" + known + ") or geometry file (.stl/.obj/.ply/.csv/.xyz)")
      ->required();
  CLI::Option* count = cmd->add_option(
      "--n", args->request.n,
      "Target number of collocation nodes Ni + Nb (10 to 2e8); a shape needs --n or --h, a "
      "geometry file does not");
  CLI::Option* spacing =
      cmd->add_option("--h", args->request.h, "Target spacing instead of --n (> 0)");
  cmd->add_option("--seed", args->request.seed, "Random seed (same seed -> same nodes)")
      ->check(seed_validator());
  cmd->add_flag("--no-ghosts", args->no_ghosts, "Do not add ghost nodes");
  CLI::Option* ghost = cmd->add_option(
      "--ghost-distance", args->request.ghost_distance,
      "Ghost offset along the normal, in units of the spacing, 0.05 to 4 (default 1 in 2D, 0.5 "
      "in 3D)");
  cmd->add_option("--repulsion", args->request.repulsion,
                  "Repulsion steps after the fill (default 0)");
  cmd->add_option("--format", args->format, "csv|ply|vtk (default: from each file's extension)")
      ->check(CLI::IsMember({"csv", "ply", "vtk"}));
  cmd->add_flag("--rescale", args->request.rescale, "Rescale a geometry file into the unit box");
  cmd->add_flag("--keep-points", args->request.keep_points,
                "A boundary cloud's points are the boundary nodes as they are (no resampling)");
  cmd->add_flag("--allow-nonuniform", args->allow_nonuniform,
                "Write a node set beyond the quality bounds (fill/separation > 3, a separation "
                "below h/4, ghosts inside or on top of nodes) with a warning instead of refusing");
  cmd->add_option("-o,--output", args->outputs,
                  "Output file(s); repeat for several formats, e.g. -o n.csv -o n.vtk")
      ->required();
  cmd->footer(kPartsHelp);
  cmd->callback([args, ghost, spacing, count]() {
    args->request.ghost_distance_given = ghost->count() > 0;
    args->request.h_given = spacing->count() > 0;
    args->request.n_given = count->count() > 0;
    args->request.memory_limit = lab::available_memory_bytes();
    args->request.ghosts = !args->no_ghosts;
    run_nodes(*args);
  });
}

}  // namespace dtpinn::app
