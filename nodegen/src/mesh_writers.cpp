// Small writers for meshes and point tables (tests, data/ generators), all through AtomicFile.
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/readers.hpp>

#include <Eigen/Geometry>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace dtpinn::nodegen {
namespace {

template <typename T>
void put(std::ostream& os, T v, bool big_endian) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  const std::uint16_t one = 1;
  unsigned char c;
  std::memcpy(&c, &one, 1);
  const bool host_little = c == 1;
  if (big_endian == host_little)
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  os.write(reinterpret_cast<const char*>(b), sizeof(T));
}

Eigen::Vector3d face_normal(const TriangleMesh& m, Eigen::Index f) {
  const Eigen::Vector3d a = m.vertices.row(m.faces(f, 0)), b = m.vertices.row(m.faces(f, 1)),
                        c = m.vertices.row(m.faces(f, 2));
  const Eigen::Vector3d n = (b - a).cross(c - a);
  const double l = n.norm();
  return l > 0 ? Eigen::Vector3d(n / l) : Eigen::Vector3d::Zero();
}

std::vector<Eigen::Index> faces_of_part(const TriangleMesh& m, std::size_t part) {
  std::vector<Eigen::Index> out;
  for (Eigen::Index f = 0; f < m.faces.rows(); ++f)
    if (std::size_t(m.part_of_face(f)) == part) out.push_back(f);
  return out;
}

}  // namespace

void write_stl(const std::string& path, const TriangleMesh& mesh, bool binary) {
  AtomicFile file(path, binary);
  auto& os = file.stream();
  if (binary) {
    char header[80] = {};
    std::strncpy(header, "dtpinn binary STL", sizeof(header) - 1);
    os.write(header, 80);
    put<std::uint32_t>(os, static_cast<std::uint32_t>(mesh.faces.rows()), false);
    for (Eigen::Index f = 0; f < mesh.faces.rows(); ++f) {
      const Eigen::Vector3d n = face_normal(mesh, f);
      for (int k = 0; k < 3; ++k) put<float>(os, static_cast<float>(n[k]), false);
      for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 3; ++k)
          put<float>(os, static_cast<float>(mesh.vertices(mesh.faces(f, c), k)), false);
      put<std::uint16_t>(os, 0, false);
    }
  } else {
    os.precision(17);  // vertices read back exactly
    // One solid per part (parts without faces are left out).
    for (std::size_t p = 0; p < mesh.part_names.size(); ++p) {
      const auto faces = faces_of_part(mesh, p);
      if (faces.empty()) continue;
      os << "solid " << mesh.part_names[p] << "\n";
      for (Eigen::Index f : faces) {
        const Eigen::Vector3d n = face_normal(mesh, f);
        os << "  facet normal " << n[0] << ' ' << n[1] << ' ' << n[2] << "\n    outer loop\n";
        for (int c = 0; c < 3; ++c) {
          const auto v = mesh.vertices.row(mesh.faces(f, c));
          os << "      vertex " << v[0] << ' ' << v[1] << ' ' << v[2] << '\n';
        }
        os << "    endloop\n  endfacet\n";
      }
      os << "endsolid " << mesh.part_names[p] << "\n";
    }
  }
  file.commit();
}

void write_ply_mesh(const std::string& path, const TriangleMesh& mesh, const std::string& format) {
  if (format != "ascii" && format != "binary_little_endian" && format != "binary_big_endian")
    throw std::invalid_argument("write_ply_mesh: unknown format '" + format + "'");
  const bool binary = format != "ascii", big = format == "binary_big_endian";
  AtomicFile file(path, binary);
  auto& os = file.stream();
  os << "ply\nformat " << format << " 1.0\ncomment written by dtpinn\n";
  for (std::size_t p = 0; p < mesh.part_names.size(); ++p)
    os << "comment part " << p << ' ' << mesh.part_names[p] << '\n';
  os << "element vertex " << mesh.vertices.rows() << "\nproperty double x\nproperty double y\n"
     << "property double z\nelement face " << mesh.faces.rows()
     << "\nproperty list uchar int vertex_indices\nproperty int part\nend_header\n";
  if (!binary) os.precision(17);
  for (Eigen::Index i = 0; i < mesh.vertices.rows(); ++i) {
    if (binary) {
      for (int k = 0; k < 3; ++k) put<double>(os, mesh.vertices(i, k), big);
    } else {
      os << mesh.vertices(i, 0) << ' ' << mesh.vertices(i, 1) << ' ' << mesh.vertices(i, 2) << '\n';
    }
  }
  for (Eigen::Index f = 0; f < mesh.faces.rows(); ++f) {
    if (binary) {
      put<std::uint8_t>(os, 3, big);
      for (int k = 0; k < 3; ++k)
        put<std::int32_t>(os, static_cast<std::int32_t>(mesh.faces(f, k)), big);
      put<std::int32_t>(os, mesh.part_of_face(f), big);
    } else {
      os << "3 " << mesh.faces(f, 0) << ' ' << mesh.faces(f, 1) << ' ' << mesh.faces(f, 2) << ' '
         << mesh.part_of_face(f) << '\n';
    }
  }
  file.commit();
}

void write_obj(const std::string& path, const TriangleMesh& mesh) {
  AtomicFile file(path);
  auto& os = file.stream();
  os << "# written by dtpinn\n";
  os.precision(17);
  for (Eigen::Index i = 0; i < mesh.vertices.rows(); ++i)
    os << "v " << mesh.vertices(i, 0) << ' ' << mesh.vertices(i, 1) << ' ' << mesh.vertices(i, 2)
       << '\n';
  for (std::size_t p = 0; p < mesh.part_names.size(); ++p) {
    const auto faces = faces_of_part(mesh, p);
    if (faces.empty()) continue;
    os << "g " << mesh.part_names[p] << '\n';
    for (Eigen::Index f : faces)
      os << "f " << mesh.faces(f, 0) + 1 << ' ' << mesh.faces(f, 1) + 1 << ' '
         << mesh.faces(f, 2) + 1 << '\n';
  }
  file.commit();
}

void write_point_table(const std::string& path, const PointMatrix& points,
                       const PointMatrix& normals, char sep, bool header) {
  const bool with_normals = normals.rows() == points.rows() && points.rows() > 0;
  const auto dim = points.cols();
  AtomicFile file(path);
  auto& os = file.stream();
  if (header) {
    const char* names[] = {"x", "y", "z"};
    for (Eigen::Index d = 0; d < dim; ++d) os << (d ? std::string(1, sep) : "") << names[d];
    if (with_normals)
      for (Eigen::Index d = 0; d < dim; ++d) os << sep << 'n' << names[d];
    os << '\n';
  }
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    for (Eigen::Index d = 0; d < dim; ++d) os << (d ? std::string(1, sep) : "") << points(i, d);
    if (with_normals)
      for (Eigen::Index d = 0; d < dim; ++d) os << sep << normals(i, d);
    os << '\n';
  }
  file.commit();
}

}  // namespace dtpinn::nodegen
