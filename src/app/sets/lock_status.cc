#include "app/sets/lock_status.h"

#include "app/sets/newest_manifest.h"

namespace erp::app {

Result<LockStatus> lock_status(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                               const config::ObjectLockConfig& config) {
  LockStatus status{.mode = std::string(config::mode_setting(config.mode))};
  if (!config.enabled()) return status;
  auto newest = newest_complete_manifest(
      store, layout, kLockStatusManifests,
      [](const catalog::Manifest& m) { return m.object_lock.has_value(); });
  if (!newest) return std::unexpected(newest.error());
  if (const auto& manifest = *newest) {
    status.set_id = manifest->id;
    status.enforced = manifest->object_lock->enforced;
    if (status.enforced) status.checked_at = manifest->object_lock->checked_at;
  }
  return status;
}

std::string lock_status_line(const LockStatus& status) {
  if (status.mode == config::mode_setting(std::nullopt)) return {};
  const char* verdict = !status.enforced   ? "unknown"
                        : *status.enforced ? "enforced"
                                           : "NOT-ENFORCED";
  return "object_lock\t" + status.mode + '\t' + verdict + '\t' + status.checked_at.value_or("-") +
         '\t' + (status.set_id.empty() ? std::string("-") : status.set_id);
}

}  // namespace erp::app
