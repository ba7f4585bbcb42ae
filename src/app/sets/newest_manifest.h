// The newest complete, trusted manifest that answers a question, for the short looks `status`
// takes (the Object Lock verdict, the size the predicted recovery time is reckoned on): only the
// manifests' folder is listed, and at most `reads` manifests are read, newest first. A manifest
// gone since the listing, too large, unparseable or untrusted (catalog::trust_problem) is passed
// over: it is not that set's word, and one bad object must not fail the look.
#pragma once

#include <functional>
#include <optional>

#include "catalog/key_layout.h"
#include "catalog/manifest.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

// The first manifest, newest first among the newest `reads`, that is complete, trusted and
// `accepted` (every one when accepted is empty); nullopt when none is. Errors: the store's, for
// the listing or a GET failing other than not_found/corrupt.
Result<std::optional<catalog::Manifest>> newest_complete_manifest(
    s3::ObjectStore& store, const catalog::KeyLayout& layout, int reads,
    const std::function<bool(const catalog::Manifest&)>& accepted = {});

}  // namespace erp::app
