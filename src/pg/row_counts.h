// Row counts (issue 21): how many rows each table holds and how many large objects exist, as a
// backup records them in the dump's own snapshot (the manifest's database.row_counts) and as a
// restore or drill counts them in its target to compare.
//
// Which relations count: ordinary tables and leaf partitions (relkind 'r') in user schemas
// (not pg_catalog, information_schema, pg_toast, pg_temp_*); not partitioned parents (no
// storage: their rows are their partitions'), views, materialized views (refreshed, not
// restored), foreign or unlogged-excluded tables. A table is named "schema.table" with each
// part as quote_ident() prints it ("public.llx_societe", "\"Odd\".\"a.b\""), so the name is one
// unambiguous string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.h"
#include "core/error.h"
#include "pg/pg_session.h"

namespace erp::pg {

// BACKUP_ROW_COUNTS: exact (count(*) per table, in the dump's snapshot), estimate
// (pg_class.reltuples: free, approximate; -1 "never analysed" becomes nullopt), off.
enum class RowCountMethod { exact, estimate, off };
std::string_view to_string(RowCountMethod method);  // "exact", "estimate", "off"

struct TableRows {
  std::string table;                 // "schema.table", quote_ident() per part
  std::optional<std::int64_t> rows;  // nullopt: an estimate the server does not have
  auto operator<=>(const TableRows&) const = default;
};

struct RowCounts {
  RowCountMethod method = RowCountMethod::exact;
  std::vector<TableRows> tables;   // sorted by name
  std::int64_t large_objects = 0;  // pg_largeobject_metadata rows (exact in both methods)
};

// Counts on `session` in whatever transaction it is in (the caller opens REPEATABLE READ READ
// ONLY and exports the snapshot for a backup; a restore's session counts its target as it is).
// `method` must not be off. Cancellation interrupts a long count (PQcancel) → cancelled.
// Errors: a failing query (permanent), naming the table.
Result<RowCounts> count_rows(PgSession& session, RowCountMethod method,
                             const Cancellation& cancellation);

}  // namespace erp::pg
