// ByteSource/ByteSink over file descriptors (stdin, stdout, pipes to children).
#pragma once

#include "core/byte_stream.h"
#include "core/cancellation.h"

namespace erp {

// Reads `fd` (not owned) until EOF. Waits with poll() on the fd and on the
// cancellation, so a blocked read ends promptly with `cancelled` on SIGTERM.
class FdSource final : public ByteSource {
 public:
  FdSource(int fd, const Cancellation& cancellation) : fd_(fd), cancellation_(cancellation) {}
  Result<std::size_t> read(std::span<char> buffer) override;

 private:
  int fd_;
  const Cancellation& cancellation_;  // borrowed; outlives the source
};

// Writes everything to `fd` (not owned), retrying short writes; EPIPE is an error.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Result<void> write(std::span<const char> data) override;
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}

 private:
  int fd_;
};

}  // namespace erp
