#include "app/backup/progress_reporter.h"

#include <cstdio>

namespace erp::app {

std::string format_rate(std::uint64_t bytes, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double mib_per_s = seconds > 0 ? static_cast<double>(bytes) / (1 << 20) / seconds : 0;
  char text[32];
  std::snprintf(text, sizeof text, "%.1fMiB/s", mib_per_s);
  return text;
}

ProgressReporter::ProgressReporter(Logger& log, std::chrono::milliseconds interval)
    : log_(log), interval_(interval) {}

ProgressReporter::~ProgressReporter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ProgressReporter::Watch ProgressReporter::watch(std::string name, const CountingSink& counter) {
  std::lock_guard lock(mutex_);
  watched_.push_back({std::move(name), &counter});
  return Watch(*this, counter);
}

void ProgressReporter::unwatch(const CountingSink& counter) {
  std::lock_guard lock(mutex_);
  std::erase_if(watched_, [&](const Watched& watched) { return watched.counter == &counter; });
}

void ProgressReporter::start() {
  thread_ = std::thread([this] { run(); });
}

void ProgressReporter::run() {
  std::unique_lock lock(mutex_);
  // A periodic report, not synchronisation: wait_for ends early when the job is done.
  while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
    for (Watched& watched : watched_) {
      const std::uint64_t bytes = watched.counter->bytes();
      log_.info("progress", {{"stream", watched.name},
                             {"bytes", std::to_string(bytes)},
                             {"rate", format_rate(bytes - watched.last_bytes, interval_)}});
      watched.last_bytes = bytes;
    }
  }
}

}  // namespace erp::app
