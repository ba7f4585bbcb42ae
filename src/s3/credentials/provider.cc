#include "s3/credentials/provider.h"

namespace erp::s3 {

std::chrono::sys_seconds refresh_time(std::chrono::sys_seconds fetched_at,
                                      std::chrono::sys_seconds expiration) {
  using namespace std::chrono_literals;
  const auto lifetime = expiration - fetched_at;
  if (lifetime <= 0s) return fetched_at;
  return expiration - std::min<std::chrono::seconds>(5min, lifetime / 2);
}

Result<CredentialsPtr> RefreshingProvider::current() {
  std::lock_guard lock(mutex_);
  const auto now = now_seconds(clock_);
  if (cached_ && (!refresh_at_ || now < *refresh_at_)) return cached_;
  auto fetched = fetch();
  if (!fetched) return std::unexpected(fetched.error().with_context(name()));
  cached_ = std::make_shared<const Credentials>(std::move(fetched->credentials));
  refresh_at_.reset();
  if (fetched->expiration) refresh_at_ = refresh_time(now, *fetched->expiration);
  return cached_;
}

}  // namespace erp::s3
