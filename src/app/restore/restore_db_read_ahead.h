// `restore db`, phase "restore": the first bytes of the dump read before pg_restore starts, so
// that the window in which the target admits one more session (app/restore/restore_db_guard.h,
// "door") lasts as long as pg_restore takes to read its table of contents from a pipe and connect,
// not as long as the store takes to answer the first GET.
//
// Borrows `source` for its life. Holds at most the `bytes` given to fill() in memory. One thread.
#pragma once

#include <cstddef>
#include <vector>

#include "core/byte_stream.h"

namespace erp::app {

class ReadAhead final : public ByteSource {
 public:
  explicit ReadAhead(ByteSource& source) : source_(source) {}

  // Reads from `source` until `bytes` are held or it ends. Errors: the source's.
  Result<void> fill(std::size_t bytes);

  // What fill() read, then the rest of `source`.
  Result<std::size_t> read(std::span<char> buffer) override;

 private:
  ByteSource& source_;
  std::vector<char> ahead_;
  std::size_t offset_ = 0;
};

}  // namespace erp::app
