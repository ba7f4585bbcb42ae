// Every object under a prefix, every page of ListObjectsV2 followed (an object store's listing is
// paged at 1,000 keys). The one pagination loop for callers that need the whole listing before
// they judge it (the catalog, the run lease, the stale-upload sweep, doctor's cleanup); a caller
// that judges page by page (`ls`, doctor's pagination probe) pages itself.
#pragma once

#include <string_view>
#include <vector>

#include "core/error.h"
#include "s3/object_store.h"

namespace erp::s3 {

// Errors: the store's, as they are (callers add what they were listing); corrupt when the store
// hands back a continuation token it gave before (the listing would never end).
Result<std::vector<ObjectInfo>> list_all_objects(ObjectStore& store, std::string_view prefix);

}  // namespace erp::s3
