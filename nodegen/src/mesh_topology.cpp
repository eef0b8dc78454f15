// Welding, watertightness, consistent orientation and outward orientation of triangle meshes.
#include <dtpinn/nodegen/mesh.hpp>

#include <fmt/format.h>
#include <Eigen/Geometry>

#include <array>
#include <cmath>
#include <queue>
#include <stdexcept>
#include <unordered_map>

namespace dtpinn::nodegen {
namespace {

using Vec3 = Eigen::Vector3d;

Vec3 vtx(const TriangleMesh& m, std::int64_t i) {
  return m.vertices.row(i).transpose();
}

std::string point_str(const Vec3& p) {
  return fmt::format("({:.6g}, {:.6g}, {:.6g})", p[0], p[1], p[2]);
}

struct CellHash {
  std::size_t operator()(const std::array<std::int64_t, 3>& c) const {
    return std::size_t(c[0] * 73856093LL ^ c[1] * 19349663LL ^ c[2] * 83492791LL);
  }
};

/// Solid angle of triangle abc seen from the origin (Van Oosterom & Strackee 1983).
double solid_angle(const Vec3& a, const Vec3& b, const Vec3& c) {
  const double la = a.norm(), lb = b.norm(), lc = c.norm();
  const double num = a.dot(b.cross(c));
  const double den = la * lb * lc + a.dot(b) * lc + a.dot(c) * lb + b.dot(c) * la;
  return 2.0 * std::atan2(num, den);
}

}  // namespace

Index weld_vertices(TriangleMesh& mesh, double rel_tol) {
  const Index nv = mesh.vertices.rows();
  if (nv == 0) return 0;
  const Vec3 lo = mesh.vertices.colwise().minCoeff().transpose();
  const Vec3 hi = mesh.vertices.colwise().maxCoeff().transpose();
  const double tol = std::max(rel_tol * (hi - lo).norm(), 1e-300);
  std::unordered_map<std::array<std::int64_t, 3>, std::vector<std::int64_t>, CellHash> grid;
  std::vector<std::int64_t> remap(nv);
  std::vector<Vec3> kept;
  for (Index i = 0; i < nv; ++i) {
    const Vec3 p = vtx(mesh, i);
    std::array<std::int64_t, 3> c;
    for (int k = 0; k < 3; ++k) c[k] = std::int64_t(std::floor((p[k] - lo[k]) / tol));
    std::int64_t found = -1;
    for (int dx = -1; dx <= 1 && found < 0; ++dx)
      for (int dy = -1; dy <= 1 && found < 0; ++dy)
        for (int dz = -1; dz <= 1 && found < 0; ++dz) {
          const auto it = grid.find({c[0] + dx, c[1] + dy, c[2] + dz});
          if (it == grid.end()) continue;
          for (auto j : it->second)
            if ((kept[j] - p).norm() <= tol) {
              found = j;
              break;
            }
        }
    if (found < 0) {
      found = static_cast<std::int64_t>(kept.size());
      kept.push_back(p);
      grid[c].push_back(found);
    }
    remap[i] = found;
  }
  TriangleMesh out;
  out.vertices.resize(static_cast<Index>(kept.size()), 3);
  for (std::size_t i = 0; i < kept.size(); ++i) out.vertices.row(Index(i)) = kept[i].transpose();
  std::vector<std::array<std::int64_t, 3>> faces;
  out.part_names = mesh.part_names;  // kept faces keep their part
  Index dropped = 0;
  for (Index f = 0; f < mesh.faces.rows(); ++f) {
    const std::int64_t a = remap[mesh.faces(f, 0)], b = remap[mesh.faces(f, 1)],
                       c = remap[mesh.faces(f, 2)];
    if (a == b || b == c || a == c) {
      ++dropped;
      continue;
    }
    faces.push_back({a, b, c});
    if (!mesh.face_part.empty()) out.face_part.push_back(mesh.face_part[std::size_t(f)]);
  }
  out.faces.resize(static_cast<Index>(faces.size()), 3);
  for (std::size_t f = 0; f < faces.size(); ++f)
    out.faces.row(Index(f)) << faces[f][0], faces[f][1], faces[f][2];
  mesh = std::move(out);
  return dropped;
}

double signed_volume(const TriangleMesh& m) {
  double v = 0.0;
  for (Index f = 0; f < m.faces.rows(); ++f)
    v += vtx(m, m.faces(f, 0)).dot(vtx(m, m.faces(f, 1)).cross(vtx(m, m.faces(f, 2))));
  return v / 6.0;
}

double surface_area(const TriangleMesh& m) {
  double a = 0.0;
  for (Index f = 0; f < m.faces.rows(); ++f) {
    const Vec3 p = vtx(m, m.faces(f, 0));
    a += (vtx(m, m.faces(f, 1)) - p).cross(vtx(m, m.faces(f, 2)) - p).norm();
  }
  return a / 2.0;
}

MeshCheck prepare_closed_mesh(TriangleMesh& mesh, const std::string& name) {
  MeshCheck check;
  check.input_vertices = mesh.vertices.rows();
  if (mesh.faces.rows() == 0) throw std::runtime_error(name + ": surface mesh without faces");
  check.dropped_faces = weld_vertices(mesh);
  const Index nf = mesh.faces.rows();
  if (nf < 4)
    throw std::runtime_error(name + ": " + std::to_string(nf) +
                             " non-degenerate faces cannot enclose a volume");
  check.vertices = mesh.vertices.rows();
  check.faces = nf;

  // Edge -> the faces using it (face, whether it runs a->b with a < b).
  struct Use {
    std::int64_t face;
    bool forward;
  };
  struct PairHash {
    std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& e) const {
      return std::size_t(e.first * 1000003LL ^ e.second);
    }
  };
  std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::vector<Use>, PairHash> edges;
  edges.reserve(std::size_t(3 * nf));
  for (Index f = 0; f < nf; ++f)
    for (int k = 0; k < 3; ++k) {
      const std::int64_t a = mesh.faces(f, k), b = mesh.faces(f, (k + 1) % 3);
      edges[{std::min(a, b), std::max(a, b)}].push_back({f, a < b});
    }
  Index boundary = 0, nonmanifold = 0;
  std::pair<std::int64_t, std::int64_t> example_open{-1, -1}, example_nm{-1, -1};
  for (const auto& [e, uses] : edges) {
    if (uses.size() == 1) {
      if (boundary++ == 0) example_open = e;
    } else if (uses.size() > 2) {
      if (nonmanifold++ == 0) example_nm = e;
    }
  }
  if (boundary > 0)
    throw std::runtime_error(
        fmt::format("{}: open surface (not watertight): {} boundary edge(s) used by only one "
                    "face, e.g. the edge {}-{}; close the holes in the CAD tool or export a solid",
                    name, boundary, point_str(vtx(mesh, example_open.first)),
                    point_str(vtx(mesh, example_open.second))));
  if (nonmanifold > 0)
    throw std::runtime_error(fmt::format(
        "{}: non-manifold surface: {} edge(s) shared by more than two faces, e.g. the edge {}-{}",
        name, nonmanifold, point_str(vtx(mesh, example_nm.first)),
        point_str(vtx(mesh, example_nm.second))));

  // Consistent orientation per shell: across a shared edge the two faces must run it in
  // opposite directions. Breadth-first from a seed face, flipping neighbours as needed.
  std::vector<int> comp(nf, -1);
  std::vector<char> flip(nf, 0);
  int ncomp = 0;
  for (Index seed = 0; seed < nf; ++seed) {
    if (comp[seed] >= 0) continue;
    std::queue<std::int64_t> q;
    q.push(seed);
    comp[seed] = ncomp;
    while (!q.empty()) {
      const std::int64_t f = q.front();
      q.pop();
      for (int k = 0; k < 3; ++k) {
        const std::int64_t a = mesh.faces(f, k), b = mesh.faces(f, (k + 1) % 3);
        const auto& uses = edges[{std::min(a, b), std::max(a, b)}];
        const Use& mine = uses[0].face == f ? uses[0] : uses[1];
        const Use& other = uses[0].face == f ? uses[1] : uses[0];
        // Effective directions after flips; they must differ.
        const bool d_mine = mine.forward != bool(flip[f]);
        const bool want_flip = (other.forward == d_mine);  // same direction: other must flip
        if (comp[other.face] < 0) {
          comp[other.face] = ncomp;
          flip[other.face] = want_flip;
          q.push(other.face);
        } else if (bool(flip[other.face]) != want_flip) {
          throw std::runtime_error(
              fmt::format("{}: non-orientable surface (like a Moebius strip) near {}", name,
                          point_str(vtx(mesh, a))));
        }
      }
    }
    ++ncomp;
  }
  for (Index f = 0; f < nf; ++f)
    if (flip[f]) std::swap(mesh.faces(f, 1), mesh.faces(f, 2));

  // Outward orientation per shell: positive volume, except shells nested an odd number of times
  // inside others (voids), which face inward.
  std::vector<TriangleMesh> shells(ncomp);
  std::vector<std::vector<std::int64_t>> shell_faces(ncomp);
  for (Index f = 0; f < nf; ++f) shell_faces[comp[f]].push_back(f);
  for (int c = 0; c < ncomp; ++c) {
    shells[c].vertices = mesh.vertices;
    shells[c].faces.resize(Index(shell_faces[c].size()), 3);
    for (std::size_t j = 0; j < shell_faces[c].size(); ++j)
      shells[c].faces.row(Index(j)) = mesh.faces.row(shell_faces[c][j]);
  }
  std::vector<double> vol(ncomp);
  for (int c = 0; c < ncomp; ++c) vol[c] = signed_volume(shells[c]);
  std::vector<char> shell_flipped(ncomp, 0);
  for (int c = 0; c < ncomp; ++c) {
    int depth = 0;
    const Vec3 p = vtx(mesh, shells[c].faces(0, 0));
    for (int o = 0; o < ncomp && ncomp > 1; ++o) {
      if (o == c) continue;
      double w = 0.0;
      for (Index f = 0; f < shells[o].faces.rows(); ++f)
        w += solid_angle(vtx(mesh, shells[o].faces(f, 0)) - p, vtx(mesh, shells[o].faces(f, 1)) - p,
                         vtx(mesh, shells[o].faces(f, 2)) - p);
      if (std::abs(w) > 2.0 * M_PI) ++depth;  // |winding| ~ 1: p is inside shell o
    }
    const bool want_positive = depth % 2 == 0;
    if ((vol[c] > 0) != want_positive) {
      for (auto f : shell_faces[c]) std::swap(mesh.faces(f, 1), mesh.faces(f, 2));
      shell_flipped[c] = 1;
    }
  }
  // A face turned for consistency and then again with its whole shell is as it was in the
  // file: count only the faces whose final orientation differs from the input's.
  Index flipped = 0;
  for (Index f = 0; f < nf; ++f) flipped += bool(flip[f]) != bool(shell_flipped[comp[f]]);
  check.flipped_faces = flipped;
  check.components = ncomp;
  check.volume = signed_volume(mesh);
  check.area = surface_area(mesh);
  if (!(check.volume > 0))
    throw std::runtime_error(name + ": the closed surface encloses no volume");
  return check;
}

}  // namespace dtpinn::nodegen
