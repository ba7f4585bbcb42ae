// Where "now" comes from. App code never calls system_clock::now() itself: it is handed
// a Clock, so tests can pin time (backup IDs, ages of uploads, retention dates) and
// production passes SystemClock.
#pragma once

#include <chrono>

namespace erp {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current wall-clock time (UTC).
  virtual std::chrono::system_clock::time_point now() const = 0;
};

// The real clock. Stateless and thread-safe.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

// The process's SystemClock: the default of the objects that take a clock, and the one a
// long-lived object (a credential provider) can keep a reference to.
inline const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

// `clock`'s time to the second: what signatures (SigV4) and key expiry work in.
inline std::chrono::sys_seconds now_seconds(const Clock& clock) {
  return std::chrono::time_point_cast<std::chrono::seconds>(clock.now());
}

// A clock that says whatever the test sets. Not thread-safe.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::chrono::system_clock::time_point now) : now_(now) {}
  std::chrono::system_clock::time_point now() const override { return now_; }
  void set(std::chrono::system_clock::time_point now) { now_ = now; }
  void advance(std::chrono::system_clock::duration by) { now_ += by; }

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace erp
