#include <dtpinn/nodegen/atomic_file.hpp>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace dtpinn::nodegen {

AtomicFile::AtomicFile(std::string path, bool binary)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp." + std::to_string(::getpid())) {
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  out_.open(tmp_path_, binary ? std::ios::out | std::ios::binary | std::ios::trunc
                              : std::ios::out | std::ios::trunc);
  if (!out_) throw std::runtime_error(path_ + ": cannot open for writing");
  out_.precision(17);
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::remove(tmp_path_.c_str());
  }
}

void AtomicFile::commit() {
  out_.flush();
  if (!out_) throw std::runtime_error(path_ + ": write failed");
  out_.close();
  std::error_code ec;
  std::filesystem::rename(tmp_path_, path_, ec);
  if (ec) throw std::runtime_error(path_ + ": cannot rename into place: " + ec.message());
  committed_ = true;
}

}  // namespace dtpinn::nodegen
