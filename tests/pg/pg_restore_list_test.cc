#include "pg/pg_restore_list.h"

#include <doctest/doctest.h>

namespace erp::pg {

TEST_CASE("parse_toc counts TABLE entries, not TABLE DATA or other kinds") {
  const auto toc = parse_toc(
      ";\n; Archive created at 2026-11-30 02:00:00 UTC\n;     dbname: dolibarr\n;\n"
      "215; 1259 16385 TABLE public llx_societe erp\n"
      "216; 1259 16390 TABLE public llxaudit erp\n"
      "217; 1259 16395 SEQUENCE public llx_societe_rowid_seq erp\n"
      "3400; 0 16385 TABLE DATA public llx_societe erp\n"
      "3401; 0 0 SEQUENCE SET public llx_societe_rowid_seq erp\n"
      "3500; 2606 16400 CONSTRAINT public llx_societe llx_societe_pkey erp\n"
      "3600; 2606 16410 FK CONSTRAINT public llx_facture fk_facture_soc erp\n"
      "218; 1259 16420 TABLE sales llx_order erp\n"
      "220; 1255 16430 FUNCTION pgbouncer user_lookup(text) postgres\n");
  CHECK(toc.entries == 9);
  CHECK(toc.tables == 3);
  CHECK(toc.llx_tables == 2);
}

TEST_CASE("an empty listing has no tables") {
  CHECK(parse_toc("").tables == 0);
  CHECK(parse_toc(";\n; nothing\n").entries == 0);
}

}  // namespace erp::pg

namespace erp::pg {

// pg_dump 15's listing of a database with a partitioned table of two partitions, an
// inheritance parent with a child, an unlogged table and a table in a second schema
// (tests/fixtures/features_fixture.py, abridged).
constexpr std::string_view kPartitioned =
    ";\n; Archive created at 2026-11-30 02:00:00 UTC\n;\n"
    "6; 2615 16493 SCHEMA - sales erp_admin\n"
    "222; 1259 16453 TABLE public llx_event erp_admin\n"
    "223; 1259 16460 TABLE public llx_event_call erp_admin\n"
    "225; 1259 16470 TABLE public llx_session_cache erp_admin\n"
    "219; 1259 16435 TABLE public llx_stock_mouvement erp_admin\n"
    "220; 1259 16440 TABLE public llx_stock_mouvement_2025 erp_admin\n"
    "221; 1259 16445 TABLE public llx_stock_mouvement_2026 erp_admin\n"
    "229; 1259 16486 MATERIALIZED VIEW public mv_turnover erp_admin\n"
    "231; 1259 16495 TABLE sales llx_commande erp_admin\n"
    "232; 1259 16510 TABLE sales region erp_admin\n"
    "3265; 0 0 TABLE ATTACH public llx_stock_mouvement_2025 erp_admin\n"
    "3266; 0 0 TABLE ATTACH public llx_stock_mouvement_2026 erp_admin\n"
    "3459; 0 16440 TABLE DATA public llx_stock_mouvement_2025 erp_admin\n"
    "3302; 0 0 INDEX ATTACH public llx_stock_mouvement_2025_pkey erp_admin\n"
    "3466; 0 16486 MATERIALIZED VIEW DATA public mv_turnover erp_admin\n";

TEST_CASE("parse_toc counts partitions apart, as the manifest's NOT relispartition count does") {
  const TocSummary toc = parse_toc(kPartitioned);
  CHECK(toc.entries == 15);
  // llx_event, llx_event_call, llx_session_cache, llx_stock_mouvement, sales.llx_commande,
  // sales.region: the partitioned parent counts, its two partitions do not.
  CHECK(toc.tables == 6);
  CHECK(toc.partitions == 2);
  CHECK(toc.llx_tables == 5);
}

TEST_CASE("a listing without TABLE ATTACH entries (pg_dump before 14) has no partitions") {
  const TocSummary toc = parse_toc(
      "220; 1259 16440 TABLE public llx_stock_mouvement_2025 erp_admin\n"
      "219; 1259 16435 TABLE public llx_stock_mouvement erp_admin\n");
  CHECK(toc.tables == 2);
  CHECK(toc.partitions == 0);
}

TEST_CASE("parse_toc_line splits the ID from the entry and skips what is not an entry") {
  const auto line = parse_toc_line("3265; 0 0 TABLE ATTACH public llx_x erp_admin");
  REQUIRE(line);
  CHECK(line->id == 3265);
  CHECK(line->entry == "TABLE ATTACH public llx_x erp_admin");
  CHECK_FALSE(parse_toc_line(";3265; 0 0 TABLE public llx_x erp"));  // commented out
  CHECK_FALSE(parse_toc_line("; Archive created at 2026-11-30"));
  CHECK_FALSE(parse_toc_line(""));
  CHECK_FALSE(parse_toc_line("x1; 0 0 TABLE public llx_x erp"));
  CHECK_FALSE(parse_toc_line("12; 0"));
}

TEST_CASE("entry_names is the object; entry_matches adds its grants and comment") {
  constexpr std::string_view item = "FUNCTION pgbouncer user_lookup";
  CHECK(entry_names("FUNCTION pgbouncer user_lookup(text) postgres", item));
  CHECK(entry_names("FUNCTION pgbouncer user_lookup", item));
  CHECK_FALSE(entry_names("FUNCTION pgbouncer user_lookup_extra(text) postgres", item));
  CHECK_FALSE(entry_names("ACL pgbouncer FUNCTION user_lookup(text) postgres", item));
  CHECK(entry_matches("ACL pgbouncer FUNCTION user_lookup(text) postgres", item));
  CHECK(entry_matches("COMMENT pgbouncer FUNCTION user_lookup(text) postgres", item));
  CHECK_FALSE(entry_matches("ACL pgbouncer FUNCTION user_lookup_extra(text) postgres", item));
  CHECK_FALSE(entry_matches("TABLE public llx_x erp", ""));
}

TEST_CASE("toc_entries_by_id indexes every entry line by its ID") {
  const auto entries = toc_entries_by_id(kPartitioned);
  CHECK(entries.size() == 15);
  CHECK(entries.at(6) == "SCHEMA - sales erp_admin");
  CHECK(entries.at(3266) == "TABLE ATTACH public llx_stock_mouvement_2026 erp_admin");
  CHECK_FALSE(entries.contains(0));
}

}  // namespace erp::pg
