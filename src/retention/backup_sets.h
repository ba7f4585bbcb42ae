// The retention plan's view of a catalog: one retention::BackupSet per catalog set.
// Retention builds on the catalog (it judges the sets the catalog listed), never the other way
// round: nothing in catalog/ includes retention/.
#pragma once

#include <vector>

#include "catalog/catalog.h"
#include "retention/retention_plan.h"

namespace erp::retention {

// Index-aligned with catalog.sets: id, start time, the streams each set holds
// (CatalogSet::held(), partial sets included), whether it has leftovers, and whether it is
// unreadable.
std::vector<BackupSet> backup_sets(const catalog::Catalog& catalog);

}  // namespace erp::retention
