#include "http/retry.h"

#include <algorithm>

#include "core/stop.h"

namespace erp::http {

bool sleep_for_real(std::chrono::milliseconds delay, std::stop_token stop) {
  return sleep_unless_stopped(delay, std::move(stop));
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::uint64_t random) {
  // Full jitter (AWS architecture blog): spreads retries of parallel parts apart so
  // a throttled server is not hit by all of them at the same instant.
  const int exponent = std::clamp(attempt - 1, 0, 30);
  const auto ceiling =
      std::min<std::int64_t>(policy.max_delay.count(), policy.base_delay.count() << exponent);
  if (ceiling <= 0) return std::chrono::milliseconds{0};
  return std::chrono::milliseconds{static_cast<std::int64_t>(random % (ceiling + 1))};
}

}  // namespace erp::http
