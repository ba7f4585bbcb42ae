#include "app/restore/restore_db_read_ahead.h"

#include <algorithm>
#include <cstring>

namespace erp::app {

Result<void> ReadAhead::fill(std::size_t bytes) {
  ahead_.resize(bytes);
  std::size_t held = 0;
  while (held < bytes) {
    auto got = source_.read(std::span<char>(ahead_).subspan(held));
    if (!got) return std::unexpected(got.error());
    if (*got == 0) break;
    held += *got;
  }
  ahead_.resize(held);
  return {};
}

Result<std::size_t> ReadAhead::read(std::span<char> buffer) {
  if (offset_ < ahead_.size()) {
    const std::size_t n = std::min(buffer.size(), ahead_.size() - offset_);
    std::memcpy(buffer.data(), ahead_.data() + offset_, n);
    offset_ += n;
    if (offset_ == ahead_.size()) {
      ahead_ = {};  // give the memory back
      offset_ = 0;
    }
    return n;
  }
  return source_.read(buffer);
}

}  // namespace erp::app
