#include "codec/sha256_source.h"

#include <vector>

namespace erp::codec {

Result<std::size_t> Sha256Source::read(std::span<char> buffer) {
  if (ended_) return std::size_t{0};
  auto got = input_.read(buffer);
  if (!got) return got;
  if (*got == 0) {
    ended_ = true;
    hex_ = hash_.final_hex();
    return got;
  }
  hash_.update(buffer.first(*got));
  bytes_ += *got;
  return got;
}

Result<void> Sha256Source::drain() {
  std::vector<char> buffer(256 * 1024);
  while (!ended_) {
    auto got = read(buffer);
    if (!got) return std::unexpected(got.error());
  }
  return {};
}

}  // namespace erp::codec
