// `restore db`, phase "check dump" (app/restore/restore_db.h): the set's dump read before anything
// in the target changes, and the use list pg_restore gets. Verify's db check shares the table of
// contents' comparison with the manifest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/manifest.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "pg/pg_restore_list.h"
#include "s3/object_store.h"

namespace erp::app {

struct UseList {
  std::string text;                    // pg_restore -L content: excluded entries commented out
  std::vector<std::string> excluded;   // the TOC lines left out
  std::vector<std::string> unmatched;  // RESTORE_EXCLUDE items that matched no entry
};

// The TOC `listing` (pg_restore --list output) with every entry pg::entry_matches() an item of
// `exclude` with commented out: the object and its grants and comment. Pure.
UseList build_use_list(std::string_view listing, const std::vector<std::string>& exclude);

// Whether the table of contents lists the tables the manifest recorded: its TABLE entries that
// are not partitions against `database.tables` (the source's relkind r/p NOT relispartition,
// pg/database_info.h). The same count on both sides, so a database with partitions verifies,
// and manifests written before partitions were told apart still do. A problem naming `key`
// and both counts, or nullopt. Pure.
std::optional<std::string> toc_table_problem(const pg::TocSummary& toc,
                                             const catalog::DatabaseRecord& database,
                                             std::string_view key);

struct CheckedDump {
  pg::TocSummary toc;
  bool whole = false;  // every byte was read and matched the manifest's size and SHA-256
};

// Reads the dump of `record` through pg_restore --list: with `whole`, every byte, which must
// match the manifest's size and SHA-256; else only the table of contents (the restore's own
// read is then the one full read, hashed all the same). With `manifest.database`, the TOC must
// list its tables (toc_table_problem).
// Errors: corrupt naming the key (size or SHA-256 differ, an unreadable TOC, the TOC's table
// count); the object's (not_found, transient); cancelled; config when pg_restore is missing.
Result<CheckedDump> check_dump(s3::ObjectStore& store, const catalog::Manifest& manifest,
                               const pg::PgRestoreTool& tool, const Cancellation& cancellation,
                               bool whole);

}  // namespace erp::app
