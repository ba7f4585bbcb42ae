// The one retry policy of the program: capped exponential backoff with full jitter
// around a single request. Callers never write their own loops; they pass the
// attempt as a callable, which may keep state between attempts (e.g. resume offset).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "core/error.h"

namespace erp::http {

struct RetryPolicy {
  int max_attempts = 7;                         // ~1 min of backoff in all at the defaults
  std::chrono::milliseconds base_delay{250};    // first backoff ceiling; doubles per attempt
  std::chrono::milliseconds max_delay{20'000};  // cap so one request never sleeps for minutes
};

// Sleeps between attempts. Replaceable so tests don't wait; the default sleeps for real.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
void sleep_for_real(std::chrono::milliseconds delay);

// The backoff before attempt `attempt + 1` (attempt counts from 1): uniform in
// [0, min(max_delay, base_delay * 2^(attempt-1))]. `random` is any 64-bit value.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::uint64_t random);

// Calls `attempt()` until it succeeds, fails with a non-transient error, or the policy
// runs out. The final transient error says how many attempts were made.
template <typename T, typename Attempt>
Result<T> with_retries(const RetryPolicy& policy, const Sleeper& sleeper, Attempt&& attempt) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  for (int number = 1;; ++number) {
    Result<T> result = attempt();
    if (result || result.error().kind != ErrorKind::transient) return result;
    if (number >= policy.max_attempts) {
      Error error = result.error();
      error.message += " (gave up after " + std::to_string(number) + " attempts)";
      return std::unexpected(std::move(error));
    }
    sleeper(backoff_delay(policy, number, random()));
  }
}

}  // namespace erp::http
