// Row counts after a restore against the manifest's (issue 21). Pure.
//
// For each table the manifest counted, unless RESTORE_EXCLUDE left it (or its data) out:
//   - absent from the target → failing ("missing")
//   - method exact, snapshot "dump": restored != expected → failing
//   - method estimate, or snapshot "own": expected > 0 and restored == 0 or unknown (an
//     estimate the target does not have) → failing; any other difference → reported only
// Large objects: compared like a table named "(large objects)" (exact when snapshot "dump").
// Tables in the target the manifest did not count are ignored (extensions' tables, or beyond
// tables_omitted).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
// derives them from the use list: excluded_tables() below). Names are matched part by part
// after removing quote_ident()'s quoting, so "public.user" and "public.\"user\"" are one table.
RowCountComparison compare_row_counts(const catalog::RowCountsRecord& expected,
                                      const pg::RowCounts& restored,
                                      const std::vector<std::string>& excluded_tables);

// The "schema.table" names of the TABLE and TABLE DATA entries among `excluded_lines` (the TOC
// lines a use list commented out: UseList::excluded), each part quoted unless it is a plain
// lower-case identifier. Pure.
std::vector<std::string> excluded_tables(const std::vector<std::string>& excluded_lines);

// "schema.table" as quote_ident() prints each part, split and unquoted: {"Odd", "a.b"} for
// "\"Odd\".\"a.b\""; nullopt when it is not two such parts. Pure.
std::optional<std::pair<std::string, std::string>> split_table_name(std::string_view name);

// A mismatch in one line for logs and problems: "public.t: expected 12, restored 11",
// "public.t: expected 12, missing from the target". Pure.
std::string describe(const RowCountMismatch& mismatch);

}  // namespace erp::app
