// `restore db`, phase "inspect target" (app/restore/restore_db.h): what the target is and holds,
// read before anything is read from the bucket or changed in the target, and the two refusals
// that follow from it (both configuration errors, exit 2: the operator pointed the restore at
// the wrong database, or asked for the wrong thing).
#pragma once

#include "catalog/manifest.h"
#include "core/error.h"
#include "pg/database_info.h"
#include "pg/pg_settings.h"
#include "pg/restore_target.h"

namespace erp::app {

// Whether the target database is the one the set was dumped from: the same cluster
// (system_identifier) and database, or, when either identifier is unreadable, the same
// configured host, port and database. Pure.
bool is_backup_source(const catalog::SourceRecord& source, const pg::DatabaseInfo& target,
                      const pg::PgSettings& target_settings);

struct TargetFacts {
  pg::DatabaseInfo info;
  pg::TargetContents contents;
  bool is_source = false;  // is_backup_source() with the manifest's source record
};

struct TargetRules {
  bool drop_owned = false;       // RESTORE_DROP_OWNED (or refresh-sandbox)
  bool source_override = false;  // --i-know-this-is-the-source
};

// The refusals, in this order; both kind config, with a hint:
//   - drop-owned into the backup's source, without --i-know-this-is-the-source ("the target
//     ... is the backup's source and RESTORE_DROP_OWNED=true would empty it");
//   - a target that is not empty (pg::TargetContents) without drop-owned: pg_restore would
//     mix the backup with what is there ("already exists" errors, stale rows kept); the
//     message names what was found. Pure.
Result<void> check_target(const TargetFacts& target, const TargetRules& rules,
                          const pg::PgSettings& target_settings);

}  // namespace erp::app
