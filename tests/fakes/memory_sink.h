// MemorySink: a ByteSink for unit tests that keeps every byte in memory and counts its calls.
//
// Test controls:
//   - fail_on_write(n, error): the n-th write() (1-based, counting every call, including empty
//     ones) returns `error` and stores nothing; later writes succeed again unless `sticky`;
//   - fail_on_finish(error): every finish() returns `error` (the calls are still counted).
//
// It checks nothing about the life cycle on its own: tests read the counters
// (write_calls, finish_calls, abort_calls) and assert what they expect.
// Not thread-safe, like every ByteSink. MemorySource (below) is the reading counterpart.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "core/byte_stream.h"
#include "core/error.h"

namespace erp::testing {

class MemorySink final : public ByteSink {
 public:
  Result<void> write(std::span<const char> data) override;
  Result<void> finish() override;
  void abort() noexcept override;

  // Makes the n-th write() fail with `error` (n is 1-based); with `sticky`, every write after
  // it fails too (a sink that stays broken, as a dead connection does).
  void fail_on_write(int n, Error error, bool sticky = false);
  void fail_on_finish(Error error);

  const std::string& data() const { return data_; }
  std::span<const char> bytes() const { return {data_.data(), data_.size()}; }
  int write_calls() const { return write_calls_; }
  int finish_calls() const { return finish_calls_; }
  int abort_calls() const { return abort_calls_; }
  // The largest single write() seen, in bytes.
  std::size_t largest_write() const { return largest_write_; }

 private:
  std::string data_;
  int write_calls_ = 0;
  int finish_calls_ = 0;
  int abort_calls_ = 0;
  std::size_t largest_write_ = 0;
  int fail_write_at_ = 0;  // 0 = never
  bool fail_sticky_ = false;
  std::optional<Error> write_error_;
  std::optional<Error> finish_error_;
};

}  // namespace erp::testing

namespace erp::testing {

// MemorySource: a ByteSource over a copy of `data` that hands out at most `max_read` bytes per
// read() (to exercise readers with short reads), then 0 at the end; fail_after(n, error) makes
// every read() after the first n bytes return `error`.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string data, std::size_t max_read = 65536)
      : data_(std::move(data)), max_read_(max_read == 0 ? 1 : max_read) {}
  Result<std::size_t> read(std::span<char> buffer) override;
  void fail_after(std::size_t bytes, Error error);
  int read_calls() const { return read_calls_; }

 private:
  std::string data_;
  std::size_t max_read_;
  std::size_t at_ = 0;
  int read_calls_ = 0;
  std::optional<std::size_t> fail_at_;
  std::optional<Error> error_;
};

}  // namespace erp::testing
