#pragma once
// A selector picks boundary nodes by a boolean expression in their coordinates and outward
// normal: "x < 1e-9", "nz > 0.99", "(x-0.18)^2 + (y-0.3)^2 < 0.08^2 && ny < 0". LibTorch-free;
// muParser stays out of this header.
//
// Syntax (muParser): numbers, x y z nx ny nz, pi, + - * / ^, comparisons < <= > >= == !=,
// && || and !, parentheses, and the functions sin cos tan asin acos atan sinh cosh tanh exp
// ln log10 sqrt abs min max. A node is selected where the expression is non-zero (a comparison
// is 1 or 0). Errors are std::runtime_error starting with the key ("bc[2].where: ...").
// Thread-safety: parse on one thread; a Selector is immutable and `select` may run
// concurrently (each call evaluates on its own parser).
#include <dtpinn/nodegen/node_set.hpp>

#include <memory>
#include <string>
#include <vector>

namespace dtpinn::core {

class Selector {
 public:
  /// Parses and checks `text`: bad syntax, an unknown name, or z / nz in a 2D problem (dim 2;
  /// dim 0 = not known yet) are refused, naming `key` and quoting the text.
  static Selector parse(const std::string& text, const std::string& key, int dim = 0);

  /// For each row of points (N x d) with its normal (N x d): selected or not. Throws if d
  /// differs from a dimension the expression needs, or the value is not finite at a node
  /// (naming it).
  std::vector<bool> select(const nodegen::PointMatrix& points,
                           const nodegen::PointMatrix& normals) const;

  const std::string& text() const { return text_; }
  const std::string& key() const { return key_; }

 private:
  Selector(std::string text, std::string key, bool uses_z);
  std::string text_, key_;
  bool uses_z_ = false;
};

}  // namespace dtpinn::core
