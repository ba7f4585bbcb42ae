// Writing a drill's evidence (catalog/drill_evidence.h) to
// <prefix>/<env>/drills/<ID>-<DRILL TIME>.json, once: upload::put_new_object (If-None-Match: *,
// and an ambiguous answer settled by reading the key back), so a second drill of the same set in
// the same second cannot replace the first one's record on a store that honours the condition
// — it fails instead, naming the key — and a retried PUT that met its own first attempt is a
// success. A store that ignores the condition (s3rver, moto on a versioned bucket) would let
// two drills of one set started in the same second replace one another's record.
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
