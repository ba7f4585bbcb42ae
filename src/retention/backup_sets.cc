#include "retention/backup_sets.h"

namespace erp::retention {

std::vector<BackupSet> backup_sets(const catalog::Catalog& catalog) {
  std::vector<BackupSet> result;
  result.reserve(catalog.sets.size());
  for (const catalog::CatalogSet& set : catalog.sets) {
    result.push_back({.id = set.id,
                      .start_time = set.start_time,
                      .streams = set.held(),
                      .leftovers = !set.leftovers().empty(),
                      .unreadable = set.state == catalog::SetState::unreadable});
  }
  return result;
}

}  // namespace erp::retention
