// The one retry policy of the program: capped exponential backoff with full jitter
// around a single request. Callers never write their own loops; they pass the
// attempt as a callable, which may keep state between attempts (e.g. resume offset).
//
// A stop (SIGTERM, or the caller's own stop) is never retried: the loop gives up with
// `cancelled` as soon as an attempt fails after the stop was requested, and a back-off
// sleep ends at once when the stop arrives during it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <stop_token>
#include <string>

#include "core/error.h"

namespace erp::http {

struct RetryPolicy {
  int max_attempts = 7;                         // ~1 min of backoff in all at the defaults
  std::chrono::milliseconds base_delay{250};    // first backoff ceiling; doubles per attempt
  std::chrono::milliseconds max_delay{20'000};  // cap so one request never sleeps for minutes
};

// Waits `delay` between attempts unless `stop` is requested first; returns true when the
// whole delay passed, false when the stop cut it short. Replaceable so tests don't wait.
using Sleeper = std::function<bool(std::chrono::milliseconds delay, std::stop_token stop)>;
// The real one: sleeps, and wakes at once on a stop (core/stop.h).
bool sleep_for_real(std::chrono::milliseconds delay, std::stop_token stop);

// The backoff before attempt `attempt + 1` (attempt counts from 1): uniform in
// [0, min(max_delay, base_delay * 2^(attempt-1))]. `random` is any 64-bit value.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::uint64_t random);

// Calls `attempt()` until it succeeds, fails with a non-transient error, or the policy
// runs out. The final transient error says how many attempts were made.
// `stop`: once requested, a failed attempt is not retried and the back-off sleep ends;
// the result is then `cancelled`, its message the last attempt's plus "(stopped; not
// retried after attempt N)". The attempt itself should watch `stop` too (the S3 client
// hands it to the transfer); this loop does not interrupt a running attempt.
template <typename T, typename Attempt>
Result<T> with_retries(const RetryPolicy& policy, const Sleeper& sleeper, std::stop_token stop,
                       Attempt&& attempt) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto stopped = [](Error error, int number) {
    error.kind = ErrorKind::cancelled;
    error.message += " (stopped; not retried after attempt " + std::to_string(number) + ")";
    return std::unexpected(std::move(error));
  };
  for (int number = 1;; ++number) {
    Result<T> result = attempt();
    if (result || result.error().kind != ErrorKind::transient) return result;
    if (stop.stop_requested()) return stopped(result.error(), number);
    if (number >= policy.max_attempts) {
      Error error = result.error();
      error.message += " (gave up after " + std::to_string(number) + " attempts)";
      return std::unexpected(std::move(error));
    }
    if (!sleeper(backoff_delay(policy, number, random()), stop)) {
      return stopped(result.error(), number);
    }
  }
}

}  // namespace erp::http
