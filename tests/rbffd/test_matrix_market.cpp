// MatrixMarket round trip is exact; malformed files give FILE:LINE errors.
#include <gtest/gtest.h>
#include <dtpinn/rbffd/csr_ops.hpp>
#include <dtpinn/rbffd/matrix_market.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <filesystem>
#include <fstream>

#include "common/test_util.hpp"
#include "test_support.hpp"

using namespace dtpinn::rbffd;

namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "dtpinn_test_rbffd";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(MatrixMarket, RoundTripIsExact) {
  const auto nodes = rbffd_test::disk(0.12);
  const auto ops = assemble(nodes, RbffdParams{});
  const std::string path = temp_path("L.mtx");
  write_matrix_market(path, ops.laplacian, "test\nsecond line");
  const CsrMatrix back = read_matrix_market(path);
  EXPECT_EQ(back.rows, ops.laplacian.rows);
  EXPECT_EQ(back.cols, ops.laplacian.cols);
  EXPECT_EQ(back.row_ptr, ops.laplacian.row_ptr);
  EXPECT_EQ(back.col_idx, ops.laplacian.col_idx);
  EXPECT_EQ(back.values, ops.laplacian.values);  // bitwise: 17 significant digits
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "%%MatrixMarket matrix coordinate real general");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

std::string read_error(const std::string& text) {
  const std::string path = temp_path("bad.mtx");
  dtpinn::test::write_text(path, text);
  return dtpinn::test::error_of([&] { read_matrix_market(path); });
}

TEST(MatrixMarket, BadInputNamesFileAndLine) {
  const std::string p = temp_path("bad.mtx");
  EXPECT_EQ(read_error("hello\n"), p + ":1: not a MatrixMarket matrix header");
  EXPECT_NE(read_error("%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 1 1\n")
                .find(":1: symmetry"),
            std::string::npos);
  EXPECT_NE(read_error("%%MatrixMarket matrix coordinate real general\n% c\n2 2\n")
                .find(":3: expected the size line"),
            std::string::npos);
  EXPECT_NE(read_error("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.0\n3 1 2\n")
                .find(":4: index (3, 1) outside"),
            std::string::npos);
  EXPECT_NE(read_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n")
                .find(":3: expected 'row col value'"),
            std::string::npos);
  EXPECT_NE(read_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 nan\n")
                .find(":3: value is not finite"),
            std::string::npos);
  EXPECT_NE(read_error("%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n")
                .find("2 entries found, 3 declared"),
            std::string::npos);
  EXPECT_NE(read_error("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n1 1 2\n")
                .find(":4: duplicate entry (1, 1), first on line 3"),
            std::string::npos);
  EXPECT_NE(read_error("").find(":1: empty file"), std::string::npos);
  EXPECT_THROW(read_matrix_market(temp_path("missing.mtx")), std::runtime_error);
}

TEST(MatrixMarket, FailedWriteLeavesNoFile) {
  CsrMatrix m;
  m.rows = 1;
  m.cols = 1;
  m.row_ptr = {0, 1};
  m.col_idx = {0};
  m.values = {1.0};
  // The target is an existing directory: the rename fails and nothing is left behind.
  const std::string path = temp_path("a_directory.mtx");
  std::filesystem::create_directories(path);
  EXPECT_THROW(write_matrix_market(path, m), std::exception);
  EXPECT_TRUE(std::filesystem::is_directory(path));
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

}  // namespace
