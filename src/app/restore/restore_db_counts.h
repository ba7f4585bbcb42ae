// `restore db`, phase "judge" (app/restore/restore_db.h), its row counts (issue 21): when the
// set's manifest holds row counts, the target is counted with the same method on the restore's
// own session (still guarded: nobody else writes) and compared (app/restore/row_count_check.h),
// the tables RESTORE_EXCLUDE left out (or left empty) skipped. With the estimate method the
// target is ANALYZEd first: a restored table has no statistics until then (what pg_restore's
// documentation advises after a restore anyway).
//
// Logged: a set without counts once ("this set has no row counts: ..."), each failing mismatch
// as an error naming the table, expected and restored, each reported-only one as a warning, and
// a summary line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/restore/restore_db.h"
#include "app/restore/restore_db_dump.h"
#include "catalog/manifest.h"
#include "core/cancellation.h"
#include "core/logger.h"
#include "pg/pg_session.h"

namespace erp::app {

// How each failing mismatch's line in RestoredRowCounts::problems starts.
inline constexpr std::string_view kRowCountMismatchProblem = "row count mismatch: ";

struct RestoredRowCounts {
  bool compared = false;  // the manifest had counts and the target was counted
  int tables_compared = 0;
  std::vector<RowCountMismatch> mismatches;  // failing and reported-only
  // For the verdict: one line per failing mismatch, or why the target could not be counted.
  std::vector<std::string> problems;
};

RestoredRowCounts check_restored_rows(pg::PgSession& session, const catalog::Manifest& manifest,
                                      const UseList& use_list, Logger& log,
                                      const Cancellation& cancellation);

}  // namespace erp::app
