// The two interfaces every pipeline stage speaks (see docs/architecture.md):
// a ByteSink receives a stream of unknown length, a ByteSource produces one.
#pragma once

#include <cstddef>
#include <span>

#include "core/error.h"

namespace erp {

// Receives bytes in order. Life cycle: write()* then exactly one of finish() or abort().
// After an error from write() or finish() the caller must call abort() (idempotent).
// Implementations are not thread-safe: one producer thread drives a sink.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Accepts `data` (borrowed for the duration of the call only).
  virtual Result<void> write(std::span<const char> data) = 0;
  // Commits everything written. After success the sink is closed.
  virtual Result<void> finish() = 0;
  // Discards everything written; never fails loudly (problems are logged). Idempotent.
  virtual void abort() noexcept = 0;
};

// Produces bytes in order. read() fills at most `buffer.size()` bytes and returns
// how many; 0 means end of stream.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<std::size_t> read(std::span<char> buffer) = 0;
};

}  // namespace erp
