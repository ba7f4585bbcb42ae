// `restore db`, phase "judge" (app/restore/restore_db.h): whether what pg_restore did is the
// backup. Nothing here trusts pg_restore's exit status alone, nor a table count alone: a restore
// succeeded when all of these hold, and each that does not is a problem:
//   - pg_restore ended by itself (no signal), and a non-zero status came with error lines;
//   - every error line is excluded or harmless (pg/pg_restore_errors.h);
//   - the dump read during the restore matched the manifest's size and SHA-256;
//   - the target holds as many tables and partitions as the restored entries of the table of
//     contents (the manifest's count, checked against the TOC before:
//     app/restore/restore_db_dump.h, less what RESTORE_EXCLUDE left out), and at least
//     RESTORE_MIN_TABLES llx_ tables;
//   - no other session was seen while the target was guarded, and the watch kept looking.
// (Per-table row counts join these once manifests record them.) Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/restore/restore_db_guard.h"
#include "catalog/manifest.h"
#include "pg/database_info.h"
#include "pg/pg_restore_errors.h"
#include "pg/pg_restore_list.h"
#include "process/child_process.h"

namespace erp::app {

struct RestoreFacts {
  catalog::StreamRecord dump;                  // the manifest's record of the dump
  process::ExitStatus pg_restore;              // how it ended
  std::vector<pg::JudgedRestoreError> errors;  // each error line, judged
  int errors_seen = 0;                         // all error lines (errors may be capped)
  std::uint64_t read_bytes = 0;                // the stored bytes the restore read, and their hash
  std::string read_sha256;
  pg::TocSummary restorable;  // the use list's entries (excluded ones left out)
  pg::DatabaseInfo restored;  // the target afterwards
  int min_tables = 0;         // RESTORE_MIN_TABLES
  WatchReport watch;
  GuardMode guard = GuardMode::unguarded;
};

struct RestoreVerdict {
  std::vector<std::string> problems;  // empty: the restore reproduced the backup
  int failing = 0;                    // error lines by verdict
  int harmless = 0;
  int excluded = 0;
  bool ok() const { return problems.empty(); }
};

RestoreVerdict judge_restore(const RestoreFacts& facts);

}  // namespace erp::app
