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
//   3/5 with --jobs N  the dump downloaded into the scratch directory first, space checked,
//                      size and SHA-256 matched while written (app/restore/dump_download.h): the
//                      whole dump checked before anything changes, whatever the target; its TOC
//                      read from the file; then pg_restore -j N from the file, the guard
//                      admitting its N+1 sessions; the file gone on every path;
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

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/commands/context.h"
#include "catalog/catalog.h"
#include "config/restore_target_config.h"

namespace erp::app {

struct RestoreDbOptions {
  bool force_drop_owned = false;  // refresh-sandbox: always drop first (RESTORE_DROP_OWNED or not)
  bool source_override = false;   // --i-know-this-is-the-source
  // The target and its rules; null: context.settings.restore_target (RESTORE_PG*). The drill
  // passes its embedded cluster's (pg/embedded_cluster.h).
  const config::RestoreTargetConfig* target = nullptr;
  // --jobs N (issue 21): 1 streams the dump into pg_restore (the default); N > 1 downloads it
  // into `scratch_dir` first (app/restore/dump_download.h: parallel ranged GETs, checked
  // against the manifest's size and SHA-256 while written, the file gone at the end on every
  // path) and runs pg_restore -j N from the file.
  int jobs = 1;
  std::filesystem::path scratch_dir;  // RESTORE_SCRATCH_DIR; required when jobs > 1
  // Names pg_restore's sessions (application_name "erp-backup <label> <pid>").
  std::string label = "restore";
  // pg_restore --no-privileges: the drill's own PostgreSQL has none of the source's roles, so
  // every GRANT to one of them would fail the restore; what a drill proves is the data.
  bool no_privileges = false;
};

// Row counts compared after a restore (app/restore/row_count_check.h).
struct RowCountMismatch {
  std::string table;                     // "schema.table", or "(large objects)"
  std::optional<std::int64_t> expected;  // the manifest's
  // The target's count; -1 when unknown (an estimate the target does not have, or missing).
  std::int64_t restored = 0;
  bool failing = true;   // false: reported only (estimate or "own"-snapshot counts)
  bool missing = false;  // the table is not in the target at all
};

// What one restore measured and found, for the drill's evidence (and the log of every restore).
struct RestoreDbReport {
  std::chrono::milliseconds download{0};  // --jobs: GETs into the scratch file; else 0
  std::chrono::milliseconds restore{0};   // pg_restore (streaming: includes the download)
  std::chrono::milliseconds check{0};     // judging, row counting included
  std::uint64_t dump_bytes = 0;           // stored bytes read
  int jobs = 1;
  int tables_compared = 0;                   // tables whose row counts were compared
  std::vector<RowCountMismatch> mismatches;  // failing and reported-only
  std::string target_server_version;         // SHOW server_version of the target
  std::string pg_restore_version;            // "15.10"
  // Why it failed, one line each, for the drill's evidence: pg_restore's failing errors with
  // their TOC entries (the first kMaxReportedProblems), the checks that failed, or the step that
  // stopped it. Row count mismatches are in `mismatches`, not here. Empty on success.
  std::vector<std::string> problems;
};
inline constexpr std::size_t kMaxReportedProblems = 20;

// Phases 2 to 6 above for `set` (complete, with a committed dump), into options.target (or
// the RESTORE_PG* target of `context`); a failure carries the exit code above (and is logged).
// When the manifest holds row counts, phase 6 counts the target's rows (pg/row_counts.h, same
// method) and compares them (app/restore/row_count_check.h): a failing mismatch fails the
// restore, naming each table. `report`, when given, is filled as far as the restore got (also
// on failure). Used by `restore db`, `refresh-sandbox` and `drill`.
Outcome restore_set_db(Context& context, const catalog::CatalogSet& set,
                       const RestoreDbOptions& options, RestoreDbReport* report = nullptr);

}  // namespace erp::app
