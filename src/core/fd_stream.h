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

// When `fd` is a pipe, asks the kernel to let it hold `bytes` (F_SETPIPE_SZ; the default is
// 64 KiB): a reader offering large buffers then gets up to that much per read() and is woken
// far less often. Best effort: returns the pipe's capacity afterwards, or 0 when `fd` is not a
// pipe. Unprivileged processes get at most /proc/sys/fs/pipe-max-size (1 MiB by default); a
// refused request leaves the pipe as it was.
std::size_t widen_pipe(int fd, std::size_t bytes);

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
