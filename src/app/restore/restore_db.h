// `erp-backup restore db [ID|latest] [--i-know-this-is-the-source]` (SPEC §6, issues 8 and
// 17): the set's dump, streamed from the bucket into pg_restore on the RESTORE_PG* target, in
// phases, each in a file of its own:
//
//   1. select set      the set must hold a committed dump (catalog::find_set: `latest` is the
//                      newest such set; a missing manifest, a failed or absent db stream, a
//                      missing object are refused);
//   2. inspect target  one session, held to the end: what the target holds
//                      (pg::TargetContents) and whether it is the backup's source; a non-empty
//                      target without RESTORE_DROP_OWNED, and drop-owned into the source
//                      without --i-know-this-is-the-source, are refused (exit 2) before anything
//                      is read or changed (app/restore/restore_db_target.h);
//   3. check dump      with drop-owned or a non-empty target the whole dump is read once: its
//                      size and SHA-256 must equal the manifest's; in every case pg_restore
//                      --list must read its table of contents, which must list the manifest's
//                      tables; the use list is the TOC minus RESTORE_EXCLUDE
//                      (app/restore/restore_db_dump.h);
//   4. guard target    other sessions refused (RESTORE_REQUIRE_EXCLUSIVE), the target closed to
//                      new ones but pg_restore's and watched until judged, its CONNECTION LIMIT
//                      restored on every path (app/restore/restore_db_guard.h); an empty target is
//                      checked again once closed; then DROP OWNED BY the role (RESTORE_ROLE,
//                      else the user) CASCADE when asked;
//   5. restore         pg_restore --no-owner --verbose [--role] -L <use list>, the dump on its
//                      stdin, hashed on the way (pg/pg_restore.h);
//   6. judge           every pg_restore error line, the hash, the restored tables and
//                      partitions against the TOC, RESTORE_MIN_TABLES, the watch
//                      (app/restore/restore_db_judge.h); failing errors are logged with their TOC
//                      entry.
//
// Exit: 0 restored and judged good; 1 refused (other sessions) or failed (what was found is
// printed, and what state the target was left in); 2 usage or configuration, nothing touched
// (a non-empty target, the source with drop-owned); 128+N on signal N (pg_restore stopped, the
// connection limit restored, the target's state logged).
#pragma once

#include <string>
#include <vector>

#include "app/commands/context.h"
#include "catalog/catalog.h"

namespace erp::app {

struct RestoreDbOptions {
  bool force_drop_owned = false;  // refresh-sandbox: always drop first (RESTORE_DROP_OWNED or not)
  bool source_override = false;   // --i-know-this-is-the-source
};

// Phases 2 to 6 above for `set` (complete, with a committed dump), into the RESTORE_PG* target
// of `context`; a failure carries the exit code above (and is logged). Used by `restore db` and
// `refresh-sandbox`.
Outcome restore_set_db(Context& context, const catalog::CatalogSet& set,
                       const RestoreDbOptions& options);

}  // namespace erp::app
