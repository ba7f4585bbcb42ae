#include "app/restore/restore_db_counts.h"

#include "app/restore/row_count_check.h"
#include "pg/row_counts.h"

namespace erp::app {

RestoredRowCounts check_restored_rows(pg::PgSession& session, const catalog::Manifest& manifest,
                                      const UseList& use_list, Logger& log,
                                      const Cancellation& cancellation) {
  RestoredRowCounts result;
  if (!manifest.database || !manifest.database->row_counts) {
    log.info(
        "this set has no row counts: nothing compared (written with BACKUP_ROW_COUNTS=off, "
        "after a failed count, or by an erp-backup before issue 21)",
        {{"id", manifest.id}});
    return result;
  }
  const catalog::RowCountsRecord& expected = *manifest.database->row_counts;
  const pg::RowCountMethod method =
      expected.method == "estimate" ? pg::RowCountMethod::estimate : pg::RowCountMethod::exact;
  if (method == pg::RowCountMethod::estimate) {
    // Without it the target's estimates are unset and no table could be shown non-empty.
    if (auto analysed = session.query("ANALYZE", cancellation); !analysed) {
      result.problems.push_back("cannot ANALYZE the target for its row estimates: " +
                                analysed.error().message);
      return result;
    }
  }
  auto counted = pg::count_rows(session, method, cancellation);
  if (!counted) {
    result.problems.push_back("cannot count the restored rows: " + counted.error().message);
    return result;
  }
  const RowCountComparison comparison =
      compare_row_counts(expected, *counted, excluded_tables(use_list.excluded));
  result.compared = true;
  result.tables_compared = comparison.tables_compared;
  result.mismatches = comparison.mismatches;
  int failing = 0;
  for (const RowCountMismatch& mismatch : comparison.mismatches) {
    const std::string line = describe(mismatch);
    if (mismatch.failing) {
      ++failing;
      log.error("row count mismatch", {{"table", mismatch.table}, {"mismatch", line}});
      result.problems.push_back(std::string(kRowCountMismatchProblem) + line);
    } else {
      log.warn("row count differs (reported only: " + expected.method + " counts, snapshot " +
                   expected.snapshot + ")",
               {{"table", mismatch.table}, {"mismatch", line}});
    }
  }
  log.info("row counts compared",
           {{"method", expected.method},
            {"snapshot", expected.snapshot},
            {"tables_compared", std::to_string(comparison.tables_compared)},
            {"tables_omitted", std::to_string(expected.tables_omitted)},
            {"large_objects", std::to_string(counted->large_objects)},
            {"failing", std::to_string(failing)},
            {"reported", std::to_string(comparison.mismatches.size() - failing)}});
  return result;
}

}  // namespace erp::app
