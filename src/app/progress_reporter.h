// Progress of the running streams: a ByteSink stage that counts bytes atomically, and
// a reporter thread that logs one line per stream every interval (SPEC: bytes, rate).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_stream.h"
#include "core/logger.h"

namespace erp::app {

// Forwards everything to `next` (borrowed) and counts the bytes; bytes() may be read from
// any thread while one producer writes.
class CountingStage final : public ByteSink {
 public:
  explicit CountingStage(ByteSink& next) : next_(next) {}
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

// Logs "progress stream=NAME bytes=N rate=X" for each watched counter every `interval`
// until destroyed. Thread-safe: streams start and stop being watched from their own threads.
class ProgressReporter {
 public:
  ProgressReporter(Logger& log, std::chrono::milliseconds interval);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // While the returned Watch lives, `counter` (borrowed for that long) is reported.
  class Watch {
   public:
    Watch(ProgressReporter& reporter, const CountingStage& counter)
        : reporter_(reporter), counter_(counter) {}
    ~Watch() { reporter_.unwatch(counter_); }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    ProgressReporter& reporter_;
    const CountingStage& counter_;
  };
  [[nodiscard]] Watch watch(std::string name, const CountingStage& counter);
  void start();

 private:
  void run();
  void unwatch(const CountingStage& counter);
  struct Watched {
    std::string name;
    const CountingStage* counter;
    std::uint64_t last_bytes = 0;
  };
  Logger& log_;
  std::chrono::milliseconds interval_;
  std::vector<Watched> watched_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// "12.3MiB/s" for `bytes` moved in `elapsed`.
std::string format_rate(std::uint64_t bytes, std::chrono::steady_clock::duration elapsed);

}  // namespace erp::app
