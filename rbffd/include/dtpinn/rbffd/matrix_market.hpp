#pragma once
// MatrixMarket I/O: "%%MatrixMarket matrix coordinate real general", 1-based indices, values
// with 17 significant digits (exact fp64 round trip), entries in CSR row order.
#include <dtpinn/rbffd/csr_matrix.hpp>

#include <string>

namespace dtpinn::rbffd {

/// Writes atomically (nodegen::AtomicFile): on failure no file is left. `comment` lines (no
/// newlines) go after the header, each prefixed by "%".
void write_matrix_market(const std::string& path, const CsrMatrix& m,
                         const std::string& comment = "");

/// Reads a coordinate real/integer general file into CSR (columns sorted). Throws
/// std::runtime_error "FILE:LINE: reason" on a bad header, size line, index out of range,
/// non-numeric or non-finite value, duplicate entry, or wrong entry count.
CsrMatrix read_matrix_market(const std::string& path);

}  // namespace dtpinn::rbffd
