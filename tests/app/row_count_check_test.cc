// compare_row_counts and the names it matches (pure): which differences fail a restore.
#include "app/restore/row_count_check.h"

#include <doctest/doctest.h>

namespace erp::app {
namespace {

catalog::RowCountsRecord expected(std::string method, std::string snapshot) {
  return {.method = std::move(method),
          .snapshot = std::move(snapshot),
          .tables = {{"\"Odd\".\"a.b\"", 3},
                     {"public.llx_facture", 40},
                     {"public.llx_session", 7},
                     {"public.llx_societe", 12},
                     {"public.\"user\"", 5}},
          .large_objects = 2};
}

pg::RowCounts restored(std::vector<pg::TableRows> tables, std::int64_t large_objects = 2) {
  return {.method = pg::RowCountMethod::exact,
          .tables = std::move(tables),
          .large_objects = large_objects};
}

std::vector<pg::TableRows> all_as_expected() {
  return {{"\"Odd\".\"a.b\"", 3},
          {"public.llx_facture", 40},
          {"public.llx_session", 7},
          {"public.llx_societe", 12},
          {"public.\"user\"", 5},
          {"public.spatial_ref_sys", 8500}};  // not counted by the backup: ignored
}

TEST_CASE("row counts: exact counts in the dump's snapshot must be equal, table by table") {
  const auto same = compare_row_counts(expected("exact", "dump"), restored(all_as_expected()), {});
  CHECK(same.ok());
  CHECK(same.tables_compared == 5);
  CHECK(same.mismatches.empty());

  auto tables = all_as_expected();
  tables[1].rows = 39;               // one invoice lost
  tables.erase(tables.begin() + 3);  // llx_societe missing
  const auto lost = compare_row_counts(expected("exact", "dump"), restored(tables, 1), {});
  CHECK_FALSE(lost.ok());
  CHECK(lost.tables_compared == 5);
  REQUIRE(lost.mismatches.size() == 3);
  CHECK(lost.mismatches[0].table == "(large objects)");
  CHECK(lost.mismatches[0].failing);
  CHECK(lost.mismatches[1].table == "public.llx_facture");
  CHECK(lost.mismatches[1].expected == 40);
  CHECK(lost.mismatches[1].restored == 39);
  CHECK(lost.mismatches[1].failing);
  CHECK(describe(lost.mismatches[1]) == "public.llx_facture: expected 40 rows, restored 39");
  CHECK(lost.mismatches[2].table == "public.llx_societe");
  CHECK(lost.mismatches[2].missing);
  CHECK(lost.mismatches[2].failing);
  CHECK(describe(lost.mismatches[2]) ==
        "public.llx_societe: expected 12 rows, the table is missing from the target");

  // More rows than counted is as wrong as fewer: the snapshot was the dump's.
  tables = all_as_expected();
  tables[0].rows = 4;
  CHECK_FALSE(compare_row_counts(expected("exact", "dump"), restored(tables), {}).ok());
}

TEST_CASE("row counts: estimates and own-snapshot counts fail only a table left empty or unknown") {
  for (const auto& [method, snapshot] :
       {std::pair{"estimate", "dump"}, std::pair{"exact", "own"}, std::pair{"estimate", "own"}}) {
    CAPTURE(method);
    CAPTURE(snapshot);
    auto tables = all_as_expected();
    tables[1].rows = 41;  // written between the counts and the dump: reported only
    const auto near = compare_row_counts(expected(method, snapshot), restored(tables, 3), {});
    CHECK(near.ok());
    REQUIRE(near.mismatches.size() == 2);
    CHECK_FALSE(near.mismatches[0].failing);  // large objects 3 against 2
    CHECK_FALSE(near.mismatches[1].failing);
    tables[3].rows = 0;  // llx_societe had rows and came back empty
    const auto empty = compare_row_counts(expected(method, snapshot), restored(tables), {});
    CHECK_FALSE(empty.ok());
    REQUIRE(empty.mismatches.size() == 2);
    CHECK(empty.mismatches[1].table == "public.llx_societe");
    CHECK(empty.mismatches[1].failing);
  }
  // A source estimate the server did not have is nothing to compare against; a target estimate
  // it does not have cannot show the rows came back (an emptied table would look the same).
  auto record = expected("estimate", "dump");
  record.tables[0].rows = std::nullopt;
  auto tables = all_as_expected();
  tables[0].rows = 0;
  tables[2].rows = std::nullopt;
  const auto unknown = compare_row_counts(record, restored(tables), {});
  CHECK_FALSE(unknown.ok());
  REQUIRE(unknown.mismatches.size() == 1);
  CHECK(unknown.mismatches[0].table == "public.llx_session");
  CHECK(unknown.mismatches[0].failing);
  CHECK(unknown.mismatches[0].restored == -1);
  CHECK(describe(unknown.mismatches[0]) == "public.llx_session: expected 7 rows, restored unknown");
}

TEST_CASE("row counts: tables RESTORE_EXCLUDE left out or left empty are skipped") {
  auto tables = all_as_expected();
  tables[2].rows = 0;            // llx_session's data excluded
  tables.erase(tables.begin());  // "Odd"."a.b" excluded whole
  const auto lines = std::vector<std::string>{"3411; 0 16420 TABLE DATA public llx_session erp",
                                              "205; 1259 16385 TABLE Odd a.b erp",
                                              "3300; 0 0 ACL - SCHEMA public pg_database_owner",
                                              "210; 1259 16390 TABLE ATTACH public part_2 erp"};
  const auto names = excluded_tables(lines);
  CHECK(names == std::vector<std::string>{"public.llx_session", "\"Odd\".\"a.b\""});
  const auto compared = compare_row_counts(expected("exact", "dump"), restored(tables), names);
  CHECK(compared.ok());
  CHECK(compared.tables_compared == 3);
  // A keyword quote_ident() quotes and the listing does not: the same table.
  const auto user =
      compare_row_counts(expected("exact", "dump"), restored(all_as_expected()),
                         excluded_tables({"3412; 0 16421 TABLE DATA public user erp"}));
  CHECK(user.tables_compared == 4);
}

TEST_CASE("row counts: names split as quote_ident() prints them") {
  CHECK(split_table_name("public.llx_societe") ==
        std::pair<std::string, std::string>{"public", "llx_societe"});
  CHECK(split_table_name("\"Odd\".\"a.b\"") == std::pair<std::string, std::string>{"Odd", "a.b"});
  CHECK(split_table_name("\"we\"\"ird\".t") == std::pair<std::string, std::string>{"we\"ird", "t"});
  CHECK_FALSE(split_table_name("no_schema"));
  CHECK_FALSE(split_table_name("\"unclosed.t"));
  CHECK_FALSE(split_table_name("a.b.c"));
}

}  // namespace
}  // namespace erp::app
