// The derivative table (derivative.hpp).
#include <dtpinn/rbffd/derivative.hpp>

namespace dtpinn::rbffd {

namespace {

struct Row {
  int theta;
  const char* text;
  const char* name;
  int kx, ky, kz;  // partial orders; -1 for the laplacian and the biharmonic
};

// Indexed by the enumerator's value.
constexpr std::array<Row, kDerivativeCount> kTable = {{
    {0, "value", "I", 0, 0, 0},
    {1, "d/dx", "Dx", 1, 0, 0},
    {1, "d/dy", "Dy", 0, 1, 0},
    {1, "d/dz", "Dz", 0, 0, 1},
    {2, "Laplacian", "L", -1, -1, -1},
    {4, "biharmonic", "L2", -1, -1, -1},
    {2, "d2/dx2", "Dxx", 2, 0, 0},
    {2, "d2/dxdy", "Dxy", 1, 1, 0},
    {2, "d2/dy2", "Dyy", 0, 2, 0},
    {2, "d2/dxdz", "Dxz", 1, 0, 1},
    {2, "d2/dydz", "Dyz", 0, 1, 1},
    {2, "d2/dz2", "Dzz", 0, 0, 2},
}};

const Row& row(Derivative op) {
  const int i = static_cast<int>(op);
  return kTable[(i >= 0 && i < kDerivativeCount) ? i : 0];
}

}  // namespace

int derivative_order(Derivative op) {
  return row(op).theta;
}

const char* to_string(Derivative op) {
  return row(op).text;
}

const char* operator_name(Derivative op) {
  return row(op).name;
}

std::optional<Derivative> derivative_from_name(const std::string& name) {
  for (const Derivative op : kAllDerivatives)
    if (name == row(op).name) return op;
  return std::nullopt;
}

bool derivative_in_dimension(Derivative op, int dim) {
  if (dim == 3) return true;
  switch (op) {
    case Derivative::dz:
    case Derivative::dxz:
    case Derivative::dyz:
    case Derivative::dzz:
      return false;
    default:
      return dim == 2;
  }
}

std::optional<std::array<int, 3>> partial_orders(Derivative op) {
  const Row& r = row(op);
  if (r.kx < 0) return std::nullopt;
  return std::array<int, 3>{r.kx, r.ky, r.kz};
}

}  // namespace dtpinn::rbffd
