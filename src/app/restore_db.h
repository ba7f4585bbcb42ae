// `erp-backup restore db [ID|latest] [--i-know-this-is-the-source]` (SPEC §6, issue 8): the
// set's dump, streamed from the bucket into pg_restore on the RESTORE_PG* target, with the
// guards the script it replaces lacked:
//
//   1. the set must hold a committed dump (catalog::find_set: `latest` is the newest such set;
//      a missing manifest, a failed or absent db stream, a missing object are refused);
//   2. the whole dump is read once first: its size and SHA-256 must equal the manifest's and
//      pg_restore --list must read its table of contents, before anything is dropped (a
//      DB_COMPRESSION=zstd dump is decoded on the way, app/dump_source.h, both times);
//   3. RESTORE_DROP_OWNED is refused when the target is the backup's source (same cluster
//      system_identifier and database, or, when either identifier is unreadable, the same host,
//      port and database), unless --i-know-this-is-the-source;
//   4. with RESTORE_REQUIRE_EXCLUSIVE (default) the restore refuses while any other session is
//      connected to the target, before anything is dropped, listing them;
//   5. DROP OWNED BY the role (RESTORE_ROLE, else the user) CASCADE when asked; then pg_restore
//      --no-owner [--role] with a use list built in memory (the TOC minus RESTORE_EXCLUDE);
//   6. success is judged by what was restored, not by pg_restore's exit status: at least
//      RESTORE_MIN_TABLES llx_ tables, and the manifest's table count when it records one;
//      pg_restore's errors are counted and printed apart from its warnings.
// Exit: 0 restored and checked; 1 refused or failed (what was found is printed); 2 usage or
// configuration (the target equal to the source included); 128+N on a signal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/context.h"
#include "catalog/catalog.h"
#include "catalog/manifest.h"
#include "pg/database_info.h"
#include "pg/pg_settings.h"

namespace erp::app {

struct UseList {
  std::string text;                    // pg_restore -L content: excluded entries commented out
  std::vector<std::string> excluded;   // the TOC lines left out
  std::vector<std::string> unmatched;  // RESTORE_EXCLUDE items that matched no entry
};

// The TOC `listing` (pg_restore --list output) with every entry whose "DESCRIPTION SCHEMA
// NAME" equals an item of `exclude` commented out (a function's argument list does not count:
// "FUNCTION pgbouncer user_lookup" matches "FUNCTION pgbouncer user_lookup(text) postgres"),
// together with that object's grants and comment ("ACL pgbouncer FUNCTION user_lookup(...)",
// "COMMENT pgbouncer FUNCTION user_lookup(...)"), which would fail without it. Pure.
UseList build_use_list(std::string_view listing, const std::vector<std::string>& exclude);

// Whether the target database is the one the set was dumped from (see 3 above). Pure.
bool is_backup_source(const catalog::SourceRecord& source, const pg::DatabaseInfo& target,
                      const pg::PgSettings& target_settings);

struct RestoreDbOptions {
  bool force_drop_owned = false;  // refresh-sandbox: always drop first (RESTORE_DROP_OWNED or not)
  bool source_override = false;   // --i-know-this-is-the-source
};

// Steps 2 to 6 above for `set` (complete, with a committed dump), into the RESTORE_PG* target
// of `context`; returns the exit code. Used by `restore db` and `refresh-sandbox`.
int restore_set_db(Context& context, const catalog::CatalogSet& set,
                   const RestoreDbOptions& options);

int run_restore_db(Context& context, const std::vector<std::string>& args);

}  // namespace erp::app
