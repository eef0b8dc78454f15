#pragma once
// The table of linear differential operators rbffd builds (weights, assembled operators,
// evaluation at new points). Every operator has constant coefficients and is applied at the
// evaluation point. One row of the table per Derivative: its order theta (which picks the
// stencil rule, params.hpp), its matrix name and whether it needs a third dimension.
//
//   Derivative   theta  name  meaning
//   value          0    "I"   u (interpolation; the identity at the nodes)
//   dx, dy, dz     1    "Dx"  du/dx, du/dy, du/dz
//   laplacian      2    "L"   u_xx + u_yy (+ u_zz)
//   dxx .. dzz     2    "Dxx" second partials u_xx, u_xy, u_yy, u_xz, u_yz, u_zz
//   biharmonic     4    "L2"  lap(lap(u))
//
// The enumerators' integer values are stable (new rows are appended); kDerivativeCount bounds
// them, so an array indexed by static_cast<int>(op) holds one slot per derivative.
#include <array>
#include <optional>
#include <string>

namespace dtpinn::rbffd {

enum class Derivative : int {
  value = 0,
  dx,
  dy,
  dz,
  laplacian,
  biharmonic,
  dxx,
  dxy,
  dyy,
  dxz,
  dyz,
  dzz,
};

inline constexpr int kDerivativeCount = 12;

/// Every derivative, in enumerator order.
inline constexpr std::array<Derivative, kDerivativeCount> kAllDerivatives = {
    Derivative::value,     Derivative::dx,         Derivative::dy,  Derivative::dz,
    Derivative::laplacian, Derivative::biharmonic, Derivative::dxx, Derivative::dxy,
    Derivative::dyy,       Derivative::dxz,        Derivative::dyz, Derivative::dzz};

/// Number of derivatives (theta): value 0, dx/dy/dz 1, laplacian and second partials 2,
/// biharmonic 4.
int derivative_order(Derivative op);

/// Human-readable, for messages: "value", "d/dx", "Laplacian", "d2/dxdy", "biharmonic".
const char* to_string(Derivative op);

/// The matrix name ("I", "Dx", "Dy", "Dz", "L", "L2", "Dxx", "Dxy", "Dyy", "Dxz", "Dyz", "Dzz"):
/// MatrixMarket file stems, OperatorInfo::name, OperatorSet::matrix(name).
const char* operator_name(Derivative op);

/// The Derivative whose operator_name is `name`; empty for any other string.
std::optional<Derivative> derivative_from_name(const std::string& name);

/// Whether `op` exists in `dim` dimensions (2 or 3): the z derivatives need dim 3.
bool derivative_in_dimension(Derivative op, int dim);

/// The partial derivative orders (k_x, k_y, k_z) of a pure partial (value, dx .. dz, dxx .. dzz);
/// empty for the laplacian and the biharmonic (sums of partials).
std::optional<std::array<int, 3>> partial_orders(Derivative op);

}  // namespace dtpinn::rbffd
