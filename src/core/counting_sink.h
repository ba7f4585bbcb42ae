// A pass-through ByteSink stage that counts the bytes its next stage accepted.
// bytes() may be read from any thread while one producer writes (progress reports);
// finish() and abort() are forwarded.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/byte_stream.h"

namespace erp {

class CountingSink final : public ByteSink {
 public:
  explicit CountingSink(ByteSink& next) : next_(next) {}  // `next` borrowed for the sink's life
  Result<void> write(std::span<const char> data) override {
    auto written = next_.write(data);
    if (written) bytes_.fetch_add(data.size(), std::memory_order_relaxed);
    return written;
  }
  Result<void> finish() override { return next_.finish(); }
  void abort() noexcept override { next_.abort(); }
  std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  ByteSink& next_;
  std::atomic<std::uint64_t> bytes_{0};
};

}  // namespace erp
