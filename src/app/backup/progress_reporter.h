// Progress of the running streams: a reporter thread that logs one line per watched
// CountingSink (core/counting_sink.h) every interval (SPEC: bytes, rate).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/counting_sink.h"
#include "core/logger.h"

namespace erp::app {

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
    Watch(ProgressReporter& reporter, const CountingSink& counter)
        : reporter_(reporter), counter_(counter) {}
    ~Watch() { reporter_.unwatch(counter_); }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    ProgressReporter& reporter_;
    const CountingSink& counter_;
  };
  [[nodiscard]] Watch watch(std::string name, const CountingSink& counter);
  void start();

 private:
  void run();
  void unwatch(const CountingSink& counter);
  struct Watched {
    std::string name;
    const CountingSink* counter;
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
