#include "app/sets/newest_manifest.h"

#include <algorithm>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "s3/list_all_objects.h"

namespace erp::app {

Result<std::optional<catalog::Manifest>> newest_complete_manifest(
    s3::ObjectStore& store, const catalog::KeyLayout& layout, int reads,
    const std::function<bool(const catalog::Manifest&)>& accepted) {
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
  if (ids.size() > static_cast<std::size_t>(reads)) ids.resize(static_cast<std::size_t>(reads));
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
    if (!manifest->complete() || (accepted && !accepted(*manifest))) continue;
    return std::optional<catalog::Manifest>(std::move(*manifest));
  }
  return std::optional<catalog::Manifest>();
}

}  // namespace erp::app
