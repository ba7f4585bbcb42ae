// Row counts after a restore against the manifest's (issue 21). Pure.
//
// For each table the manifest counted, unless RESTORE_EXCLUDE left it (or its data) out:
//   - absent from the target → failing ("missing")
//   - method exact, snapshot "dump": restored != expected → failing
//   - method estimate, or snapshot "own": expected > 0 and restored == 0 → failing; any other
//     difference → reported only
// Large objects: compared like a table named "(large objects)" (exact when snapshot "dump").
// Tables in the target the manifest did not count are ignored (extensions' tables, or beyond
// tables_omitted).
#pragma once

#include <vector>

#include "app/restore/restore_db.h"
#include "catalog/manifest.h"
#include "pg/row_counts.h"

namespace erp::app {

struct RowCountComparison {
  int tables_compared = 0;
  std::vector<RowCountMismatch> mismatches;  // sorted by table
  bool ok() const;                           // no failing mismatch
};

// `excluded_tables`: "schema.table" names whose data RESTORE_EXCLUDE left out (the caller
// derives them from the use list).
RowCountComparison compare_row_counts(const catalog::RowCountsRecord& expected,
                                      const pg::RowCounts& restored,
                                      const std::vector<std::string>& excluded_tables);

}  // namespace erp::app
