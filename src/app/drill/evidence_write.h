// Writing a drill's evidence (catalog/drill_evidence.h) to
// <prefix>/<env>/drills/<ID>-<DRILL TIME>.json, once: with If-None-Match: * (the store's
// conditional put), so a second drill of the same set in the same second cannot replace the
// first one's record — it fails instead, naming the key. A store that ignores the condition
// replaces nothing either in practice: the key carries the second the drill started.
#pragma once

#include <string>

#include "catalog/drill_evidence.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

// `key`: KeyLayout::drill_evidence_key. Errors: the store's (a taken key: permanent, saying so).
Result<void> write_evidence(s3::ObjectStore& store, const std::string& key,
                            const catalog::DrillEvidence& evidence);

}  // namespace erp::app
