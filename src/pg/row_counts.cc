#include "pg/row_counts.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/enum_names.h"

namespace erp::pg {
namespace {

constexpr EnumName<RowCountMethod> kMethodNames[] = {{RowCountMethod::exact, "exact"},
                                                     {RowCountMethod::estimate, "estimate"},
                                                     {RowCountMethod::off, "off"}};

// The tables row_counts.h describes, each with its estimate. On a standby unlogged tables are
// left out: they cannot be read there, and pg_dump on a standby dumps none of their data.
// ESCAPE '!': a backslash literal depends on standard_conforming_strings (as database_info.cc).
constexpr const char* kTablesQuery =
    "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), "
    "c.reltuples FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg!_%' ESCAPE '!' "
    "AND n.nspname <> 'information_schema' "
    "AND (c.relpersistence <> 'u' OR NOT pg_catalog.pg_is_in_recovery())";

// reltuples is a float4: -1 "never vacuumed or analysed" (PostgreSQL 14 and later), else an
// estimate, rounded here.
std::optional<std::int64_t> estimate_of(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  double value = 0;
  try {
    value = std::stod(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (value < 0 || !std::isfinite(value)) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(value));
}

}  // namespace

std::string_view to_string(RowCountMethod method) {
  return name_of(kMethodNames, method);
}

Result<RowCounts> count_rows(PgSession& session, RowCountMethod method,
                             const Cancellation& cancellation) {
  if (method == RowCountMethod::off) {
    return make_error(ErrorKind::permanent, "counting rows: the method is off");
  }
  RowCounts counts;
  counts.method = method;
  auto tables = session.query(kTablesQuery, cancellation);
  if (!tables) return std::unexpected(tables.error().with_context("listing the tables to count"));
  for (const auto& row : *tables) {
    TableRows table{.table = row[0].value_or("")};
    if (method == RowCountMethod::estimate) {
      table.rows = estimate_of(row[1]);
    } else {
      // ONLY: an inheritance parent's count(*) would include its children's rows, which are
      // counted as tables of their own. The name is quote_ident()'s, safe to splice.
      auto count = session.query("SELECT count(*) FROM ONLY " + table.table, cancellation);
      if (!count) {
        return std::unexpected(count.error().with_context("counting the rows of " + table.table));
      }
      table.rows = count->size() == 1 ? to_int64((*count)[0][0]) : 0;
    }
    counts.tables.push_back(std::move(table));
  }
  auto large_objects =
      session.query("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata", cancellation);
  if (!large_objects) {
    return std::unexpected(large_objects.error().with_context("counting the large objects"));
  }
  counts.large_objects = large_objects->size() == 1 ? to_int64((*large_objects)[0][0]) : 0;
  std::ranges::sort(counts.tables, {}, &TableRows::table);
  return counts;
}

}  // namespace erp::pg
