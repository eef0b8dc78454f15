// Shapes: boundary nodes exactly on the boundary with exact outward normals, arc-length
// spacing, membership tests, validation errors.
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/shapes.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

using namespace dtpinn::nodegen;

namespace {
constexpr double kPi = 3.14159265358979323846;

BoundarySample sample(const Domain& d, double h) {
  std::mt19937_64 rng(0);
  return d.sample_boundary(h, rng);
}
}  // namespace

TEST(Shapes, DiskBoundaryExact) {
  auto d = make_shape("disk");
  auto b = sample(*d, 0.05);
  ASSERT_NEAR(double(b.points.rows()), 2 * kPi / 0.05, 1.0);
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    EXPECT_NEAR(b.points.row(i).norm(), 1.0, 1e-12);
    EXPECT_NEAR((b.normals.row(i) - b.points.row(i)).norm(), 0.0, 1e-12);
  }
}

TEST(Shapes, StarBoundaryExactAndArcLengthUniform) {
  const double r0 = 1.0, a = 0.3;
  const int k = 5;
  auto d = make_star(r0, a, k);
  auto b = sample(*d, 0.03);
  const Eigen::Index n = b.points.rows();
  ASSERT_GT(n, 200);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double x = b.points(i, 0), y = b.points(i, 1);
    const double th = std::atan2(y, x);
    const double r = r0 + a * std::cos(k * th);
    EXPECT_NEAR(std::hypot(x, y), r, 1e-12);
    // Exact outward normal: tangent (r' cos - r sin, r' sin + r cos) turned clockwise.
    const double dr = -a * k * std::sin(k * th);
    Eigen::Vector2d t(dr * std::cos(th) - r * std::sin(th), dr * std::sin(th) + r * std::cos(th));
    const Eigen::Vector2d nn = Eigen::Vector2d(t.y(), -t.x()).normalized();
    EXPECT_NEAR((b.normals.row(i).transpose() - nn).norm(), 0.0, 1e-10);
    EXPECT_NEAR(b.normals.row(i).norm(), 1.0, 1e-14);
  }
  // Equal arc-length steps: chords vary only by the curvature correction (< 1%).
  double lo = 1e9, hi = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double c = (b.points.row((i + 1) % n) - b.points.row(i)).norm();
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
  EXPECT_LT(hi / lo, 1.01);
  EXPECT_NEAR(hi, 0.03, 0.03 * 0.03);
}

TEST(Shapes, RectangleAndLShapeBoundaryOnEdgesWithCornerNormals) {
  for (const std::string name : {"rectangle", "lshape", "square"}) {
    auto d = make_shape(name);
    auto b = sample(*d, 0.1);
    const Eigen::VectorXd lo = d->bbox_min(), hi = d->bbox_max();
    for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
      const double x = b.points(i, 0), y = b.points(i, 1);
      // On some edge exactly: one coordinate equal to an edge line value.
      const bool on = x == lo[0] || x == hi[0] || y == lo[1] || y == hi[1] ||
                      (name == "lshape" && ((x == 0.0 && y >= 0) || (y == 0.0 && x >= 0)));
      EXPECT_TRUE(on) << name << " " << x << " " << y;
      EXPECT_NEAR(b.normals.row(i).norm(), 1.0, 1e-14);
      // A point a little along the normal is outside, a little against it inside (at
      // corners the bisector also works that way).
      const Eigen::VectorXd p = b.points.row(i).transpose(), nv = b.normals.row(i).transpose();
      EXPECT_FALSE(d->contains(p + 1e-6 * nv)) << name;
      EXPECT_TRUE(d->contains(p - 1e-6 * nv)) << name;
    }
  }
  // The reflex corner of the L-shape carries the normal (1, 1)/sqrt 2 into the notch.
  auto l = make_shape("lshape");
  auto b = sample(*l, 0.1);
  bool found = false;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i)
    if (b.points(i, 0) == 0.0 && b.points(i, 1) == 0.0) {
      found = true;
      EXPECT_NEAR(b.normals(i, 0), std::sqrt(0.5), 1e-15);
      EXPECT_NEAR(b.normals(i, 1), std::sqrt(0.5), 1e-15);
    }
  EXPECT_TRUE(found);
}

TEST(Shapes, AnnulusHoleNormalsPointIntoTheHole) {
  auto d = make_shape("annulus");
  auto b = sample(*d, 0.05);
  int inner = 0;
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    const double r = b.points.row(i).norm();
    const Eigen::RowVector2d u = b.points.row(i) / r;
    if (std::abs(r - 0.5) < 1e-12) {
      ++inner;
      EXPECT_NEAR((b.normals.row(i) + u).norm(), 0.0, 1e-12);
    } else {
      EXPECT_NEAR(r, 1.0, 1e-12);
      EXPECT_NEAR((b.normals.row(i) - u).norm(), 0.0, 1e-12);
    }
  }
  EXPECT_NEAR(inner, 2 * kPi * 0.5 / 0.05, 1.0);
  EXPECT_NEAR(d->volume(), kPi * 0.75, 1e-4);
  EXPECT_TRUE(d->contains(Eigen::Vector2d(0.7, 0.0)));
  EXPECT_FALSE(d->contains(Eigen::Vector2d(0.2, 0.0)));
  EXPECT_FALSE(d->contains(Eigen::Vector2d(1.1, 0.0)));
}

TEST(Shapes, BallAndBoxBoundary) {
  auto ball = make_shape("ball");
  auto b = sample(*ball, 0.1);
  EXPECT_NEAR(double(b.points.rows()), 4 * kPi / (0.8660254 * 0.01), 2.0);
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    EXPECT_NEAR(b.points.row(i).norm(), 1.0, 1e-12);
    EXPECT_NEAR((b.normals.row(i) - b.points.row(i)).norm(), 0.0, 1e-12);
  }
  auto box = make_shape("box");
  auto s = sample(*box, 0.2);
  for (Eigen::Index i = 0; i < s.points.rows(); ++i) {
    int faces = 0;
    for (int k = 0; k < 3; ++k) {
      EXPECT_LE(std::abs(s.points(i, k)), 1.0);
      if (std::abs(s.points(i, k)) == 1.0) {
        ++faces;
        EXPECT_GT(s.normals(i, k) * s.points(i, k), 0.0);  // outward on that face
      } else {
        EXPECT_EQ(s.normals(i, k), 0.0);
      }
    }
    EXPECT_GE(faces, 1);
    EXPECT_NEAR(s.normals.row(i).norm(), 1.0, 1e-14);
  }
  // Surface nodes are separated by about h (face fills keep >= h from the edge nodes).
  double dmin = 1e9;
  for (Eigen::Index i = 0; i < s.points.rows(); ++i)
    for (Eigen::Index j = i + 1; j < s.points.rows(); ++j)
      dmin = std::min(dmin, (s.points.row(i) - s.points.row(j)).norm());
  EXPECT_GT(dmin, 0.2 * 0.99);
  EXPECT_TRUE(box->contains(Eigen::Vector3d(0.9, -0.9, 0.0)));
  EXPECT_FALSE(box->contains(Eigen::Vector3d(1.0, 0.0, 0.0)));
  EXPECT_FALSE(ball->contains(Eigen::Vector3d(0.6, 0.6, 0.6)));
}

TEST(Shapes, PolygonValidation) {
  Eigen::MatrixX2d two(2, 2);
  two << 0, 0, 1, 0;
  EXPECT_THROW(make_polygon(two), std::invalid_argument);
  Eigen::MatrixX2d bowtie(4, 2);
  bowtie << 0, 0, 1, 1, 1, 0, 0, 1;
  try {
    make_polygon(bowtie);
    FAIL() << "self-intersecting polygon accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("self-intersecting"), std::string::npos);
  }
  Eigen::MatrixX2d collinear(3, 2);
  collinear << 0, 0, 1, 1, 2, 2;
  EXPECT_THROW(make_polygon(collinear), std::invalid_argument);
  Eigen::MatrixX2d repeated(4, 2);
  repeated << 0, 0, 1, 0, 1, 0, 0, 1;
  EXPECT_THROW(make_polygon(repeated), std::invalid_argument);
  Eigen::MatrixX2d nan(3, 2);
  nan << 0, 0, 1, 0, std::nan(""), 1;
  EXPECT_THROW(make_polygon(nan), std::invalid_argument);
  // Clockwise input with an explicit closing vertex: orientation normalised, normals outward.
  Eigen::MatrixX2d cw(5, 2);
  cw << 0, 0, 0, 1, 1, 1, 1, 0, 0, 0;
  auto sq = make_polygon(cw);
  EXPECT_NEAR(sq->volume(), 1.0, 1e-14);
  auto b = sample(*sq, 0.1);
  EXPECT_EQ(b.points.rows(), 40);
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    const Eigen::Vector2d p = b.points.row(i).transpose(), n = b.normals.row(i).transpose();
    EXPECT_GT((p - Eigen::Vector2d(0.5, 0.5)).dot(n), 0.0);
  }
  EXPECT_TRUE(sq->contains(Eigen::Vector2d(0.5, 0.5)));
  EXPECT_FALSE(sq->contains(Eigen::Vector2d(1.5, 0.5)));
}

TEST(Shapes, ParametricEllipseNumericalDerivative) {
  const double A = 2.0, B = 0.5;
  auto e = make_parametric(
      [=](double t) { return Eigen::Vector2d(A * std::cos(t), -B * std::sin(t)); },  // clockwise
      0.0, 2 * kPi, {}, "ellipse");
  auto b = sample(*e, 0.05);
  for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
    const double x = b.points(i, 0), y = b.points(i, 1);
    EXPECT_NEAR(x * x / (A * A) + y * y / (B * B), 1.0, 1e-12);
    const Eigen::Vector2d n = Eigen::Vector2d(x / (A * A), y / (B * B)).normalized();
    EXPECT_NEAR((b.normals.row(i).transpose() - n).norm(), 0.0, 1e-8);
  }
  EXPECT_NEAR(e->volume(), kPi * A * B, 1e-4);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-2.2, 2.2);
  for (int i = 0; i < 2000; ++i) {
    const Eigen::Vector2d p(u(rng), 0.3 * u(rng));
    const double f = p.x() * p.x() / (A * A) + p.y() * p.y() / (B * B);
    if (std::abs(f - 1.0) < 1e-4) continue;
    EXPECT_EQ(e->contains(p), f < 1.0) << p.transpose();
  }
  EXPECT_THROW(make_parametric([](double t) { return Eigen::Vector2d(t, t * t); }, 0.0, 1.0),
               std::invalid_argument);  // not closed
  EXPECT_THROW(
      make_parametric([](double t) { return Eigen::Vector2d(std::sin(2 * t), std::sin(t)); }, 0.0,
                      2 * kPi),
      std::invalid_argument);  // figure eight: self-intersecting
}

TEST(Shapes, FactoryAndDifferenceErrors) {
  try {
    make_shape("dodecahedron");
    FAIL() << "unknown shape accepted";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("dodecahedron"), std::string::npos);
    EXPECT_NE(msg.find("disk"), std::string::npos);
    EXPECT_NE(msg.find("star"), std::string::npos);
  }
  for (const auto& n : shape_names()) EXPECT_NO_THROW(make_shape(n)) << n;
  EXPECT_THROW(make_difference(make_disk(), {make_disk(Eigen::Vector2d(0.9, 0.0), 0.3)}),
               std::invalid_argument);
  EXPECT_THROW(make_difference(make_disk(), {make_ball()}), std::invalid_argument);
  EXPECT_THROW(make_star(1.0, 1.2, 5), std::invalid_argument);
  EXPECT_THROW(make_disk(Eigen::Vector2d::Zero(), -1.0), std::invalid_argument);
}
