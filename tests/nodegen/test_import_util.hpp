#pragma once
// Helpers of the CAD-import tests: analytic meshes (icosphere, torus), analytic boundary clouds,
// a per-test scratch directory.
#include <dtpinn/nodegen/readers.hpp>

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>

namespace dtpinn::nodegen::testutil {

inline std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = std::string("dtpinn_import_") + std::to_string(::getpid()) + "_" +
                           (info ? std::string(info->test_suite_name()) + "_" + info->name() : "");
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

/// Removes this process's scratch directories when the test program ends.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    const std::string prefix = "dtpinn_import_" + std::to_string(::getpid()) + "_";
    for (const auto& e :
         std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec))
      if (e.path().filename().string().rfind(prefix, 0) == 0)
        std::filesystem::remove_all(e.path(), ec);
  }
};
inline ::testing::Environment* const scratch_cleanup =
    ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

/// Icosphere of radius r: an icosahedron subdivided `level` times, vertices on the sphere,
/// outward-oriented faces.
inline TriangleMesh icosphere(int level, double r = 1.0) {
  const double t = (1.0 + std::sqrt(5.0)) / 2.0;
  std::vector<Eigen::Vector3d> v = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                                    {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                                    {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
  for (auto& p : v) p.normalize();
  std::vector<std::array<std::int64_t, 3>> f = {
      {0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
      {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
      {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
  for (int l = 0; l < level; ++l) {
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> mid;
    auto midpoint = [&](std::int64_t a, std::int64_t b) {
      const auto key = std::make_pair(std::min(a, b), std::max(a, b));
      const auto it = mid.find(key);
      if (it != mid.end()) return it->second;
      v.push_back((v[a] + v[b]).normalized());
      return mid[key] = std::int64_t(v.size() - 1);
    };
    std::vector<std::array<std::int64_t, 3>> g;
    for (const auto& tri : f) {
      const auto a = midpoint(tri[0], tri[1]), b = midpoint(tri[1], tri[2]),
                 c = midpoint(tri[2], tri[0]);
      g.push_back({tri[0], a, c});
      g.push_back({tri[1], b, a});
      g.push_back({tri[2], c, b});
      g.push_back({a, b, c});
    }
    f = g;
  }
  TriangleMesh m;
  m.vertices.resize(Eigen::Index(v.size()), 3);
  for (std::size_t i = 0; i < v.size(); ++i) m.vertices.row(Eigen::Index(i)) = r * v[i].transpose();
  m.faces.resize(Eigen::Index(f.size()), 3);
  for (std::size_t i = 0; i < f.size(); ++i)
    m.faces.row(Eigen::Index(i)) << f[i][0], f[i][1], f[i][2];
  return m;
}

/// Torus around the z axis: tube radius r at distance R, nu x nv vertices on the exact torus.
inline TriangleMesh torus(double R, double r, int nu, int nv) {
  TriangleMesh m;
  m.vertices.resize(nu * nv, 3);
  for (int i = 0; i < nu; ++i)
    for (int j = 0; j < nv; ++j) {
      const double u = 2 * M_PI * i / nu, w = 2 * M_PI * j / nv;
      m.vertices.row(i * nv + j) << (R + r * std::cos(w)) * std::cos(u),
          (R + r * std::cos(w)) * std::sin(u), r * std::sin(w);
    }
  m.faces.resize(2 * nu * nv, 3);
  int f = 0;
  for (int i = 0; i < nu; ++i)
    for (int j = 0; j < nv; ++j) {
      const int a = i * nv + j, b = ((i + 1) % nu) * nv + j, c = ((i + 1) % nu) * nv + (j + 1) % nv,
                d = i * nv + (j + 1) % nv;
      m.faces.row(f++) << a, b, c;
      m.faces.row(f++) << a, c, d;
    }
  return m;
}

/// Exact outward normal of the torus at (the projection of) p.
inline Eigen::Vector3d torus_normal(const Eigen::Vector3d& p, double R) {
  const double rho = std::hypot(p.x(), p.y());
  const Eigen::Vector3d c(R * p.x() / rho, R * p.y() / rho, 0.0);
  return (p - c).normalized();
}

inline double angle_deg(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return std::acos(std::clamp(a.normalized().dot(b.normalized()), -1.0, 1.0)) * 180.0 / M_PI;
}

/// Fibonacci points on the ellipsoid with semi-axes (a, b, c) and their exact outward normals.
inline void ellipsoid_cloud(int n, double a, double b, double c, PointMatrix& P, PointMatrix& N) {
  P.resize(n, 3);
  N.resize(n, 3);
  const double golden = M_PI * (3.0 - std::sqrt(5.0));
  for (int i = 0; i < n; ++i) {
    const double z = 1.0 - (2.0 * i + 1.0) / n, rho = std::sqrt(1 - z * z);
    const Eigen::Vector3d u(rho * std::cos(golden * i), rho * std::sin(golden * i), z);
    P.row(i) << a * u.x(), b * u.y(), c * u.z();
    const double nx = u.x() / a, ny = u.y() / b, nz = u.z() / c;
    const double len = std::sqrt(nx * nx + ny * ny + nz * nz);
    N.row(i) << nx / len, ny / len, nz / len;
  }
}

/// n points on the ellipse x^2/a^2 + y^2/b^2 = 1 (equal parameter steps, shuffled order).
inline void ellipse_cloud(int n, double a, double b, PointMatrix& P, PointMatrix& N,
                          bool shuffle = true) {
  P.resize(n, 2);
  N.resize(n, 2);
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) order[i] = i;
  if (shuffle) {
    std::mt19937_64 rng(7);
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  }
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * order[i] / n;
    P.row(i) << a * std::cos(t), b * std::sin(t);
    const double nx = std::cos(t) / a, ny = std::sin(t) / b, l = std::hypot(nx, ny);
    N(i, 0) = nx / l;
    N(i, 1) = ny / l;
  }
}

}  // namespace dtpinn::nodegen::testutil
