#include "app/sets/lock_status.h"

#include <algorithm>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/manifest.h"
#include "s3/list_all_objects.h"

namespace erp::app {

Result<LockStatus> lock_status(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                               const config::ObjectLockConfig& config) {
  LockStatus status{.mode = std::string(config::mode_setting(config.mode))};
  if (!config.enabled()) return status;
  // The manifests' folder alone: the sets' data objects would only lengthen the listing.
  const std::string folder = layout.manifest_prefix();
  auto listed = s3::list_all_objects(store, folder);
  if (!listed) return std::unexpected(listed.error().with_context("listing " + folder));
  std::vector<std::string> ids;
  for (const s3::ObjectInfo& object : *listed) {
    const auto parsed = layout.parse(object.key);
    if (parsed && parsed->kind == catalog::ObjectKind::manifest) ids.push_back(parsed->id);
  }
  std::ranges::sort(ids, std::greater<>());  // an ID is its UTC start time: newest first
  if (ids.size() > static_cast<std::size_t>(kLockStatusManifests)) {
    ids.resize(kLockStatusManifests);
  }
  for (const std::string& id : ids) {
    const std::string key = layout.manifest_key(id);
    auto text = catalog::read_small_object(store, key);
    if (!text) {
      // Gone since the listing (a prune), or too large to be a manifest: not this set's word.
      if (text.error().kind == ErrorKind::not_found || text.error().kind == ErrorKind::corrupt)
        continue;
      return std::unexpected(text.error().with_context("reading " + key));
    }
    auto manifest = catalog::parse_manifest(*text);
    if (!manifest || !catalog::trust_problem(*manifest, layout, id).empty()) continue;
    if (!manifest->complete() || !manifest->object_lock) continue;
    status.set_id = id;
    status.enforced = manifest->object_lock->enforced;
    if (status.enforced) status.checked_at = manifest->object_lock->checked_at;
    return status;
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
