// Small helpers around std::stop_token, the one stop signal of a job (see
// Cancellation::token()): a sleep that a stop cuts short, and a token that fires when
// either of two others does.
#pragma once

#include <chrono>
#include <stop_token>

namespace erp {

// Sleeps for `delay` unless `stop` is requested first. Returns true when the whole delay
// passed, false when it was cut short (at once when `stop` was already requested).
// Thread-safe; waking takes microseconds, not a polling interval.
bool sleep_unless_stopped(std::chrono::milliseconds delay, std::stop_token stop);

// A std::stop_callback callable that requests `source`: forwards one stop signal to another
// stop source (whose address must stay valid while the callback is registered).
struct RequestStop {
  std::stop_source* source;
  void operator()() const noexcept { source->request_stop(); }
};

// A stop token requested as soon as either `first` or `second` is (or at construction, when
// one of them already is). For calls that must end on the job's stop and on a stop of their
// own (an upload part: SIGTERM, or its sink was aborted).
// Non-copyable, non-movable: the callbacks point into it. Tokens taken from it stay valid
// after it is gone, but are requested only while it lives.
class AnyStop {
 public:
  AnyStop(std::stop_token first, std::stop_token second)
      : first_(std::move(first), RequestStop{&source_}),
        second_(std::move(second), RequestStop{&source_}) {}
  AnyStop(const AnyStop&) = delete;
  AnyStop& operator=(const AnyStop&) = delete;

  std::stop_token token() const noexcept { return source_.get_token(); }

 private:
  std::stop_source source_;  // first: the callbacks below use it
  std::stop_callback<RequestStop> first_;
  std::stop_callback<RequestStop> second_;
};

}  // namespace erp
