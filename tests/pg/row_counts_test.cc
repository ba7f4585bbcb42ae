// count_rows and DumpSnapshot against a real PostgreSQL: which tables count and how, the
// snapshot pg_dump would share, the import probe's refusal, and a count stopped mid-query.
#include "pg/row_counts.h"

#include <doctest/doctest.h>

#include <thread>

#include "fakes/pg_test_server.h"
#include "pg/dump_snapshot.h"

namespace erp::pg {
namespace {

using testing::PgTestServer;

constexpr const char* kDatabase = "row_counts_test";

// A database of its own (the seeded one's table counts are other tests' facts), owned by kRole:
// an inheritance parent and child, a partitioned table and its leaves, a quoted name, an
// unlogged table, a view and a materialized view, two large objects.
PgSettings counts_settings() {
  PgTestServer& server = PgTestServer::shared();
  static const bool made = [&server] {
    server.execute("CREATE DATABASE " + std::string(kDatabase) + " OWNER " +
                   std::string(PgTestServer::kRole));
    server.execute(
        "CREATE TABLE parent (id int); CREATE TABLE child () INHERITS (parent);"
        "INSERT INTO parent SELECT generate_series(1, 2); INSERT INTO child SELECT 1 FROM "
        "generate_series(1, 3);"
        "CREATE TABLE measures (at int, v int) PARTITION BY RANGE (at);"
        "CREATE TABLE measures_1 PARTITION OF measures FOR VALUES FROM (0) TO (10);"
        "CREATE TABLE measures_2 PARTITION OF measures FOR VALUES FROM (10) TO (20);"
        "INSERT INTO measures SELECT g, g FROM generate_series(0, 14) g;"
        "CREATE SCHEMA \"Odd\"; CREATE TABLE \"Odd\".\"a.b\" (x int); INSERT INTO \"Odd\".\"a.b\" "
        "VALUES (1);"
        "CREATE UNLOGGED TABLE scratch (x int); INSERT INTO scratch VALUES (1), (2), (3), (4);"
        "CREATE VIEW parent_view AS SELECT * FROM parent;"
        "CREATE MATERIALIZED VIEW parent_mv AS SELECT * FROM parent;"
        "SELECT lo_from_bytea(0, 'a'), lo_from_bytea(0, 'b');",
        kDatabase, PgTestServer::kRole);
    return true;
  }();
  (void)made;
  PgSettings settings = server.settings();
  settings.params["dbname"] = kDatabase;
  return settings;
}

TEST_CASE("pg: exact row counts per table, ONLY the table's own rows, and the large objects") {
  const PgSettings settings = counts_settings();
  auto session = PgSession::connect(settings);
  REQUIRE_MESSAGE(session, session.error().message);
  Cancellation cancellation;
  const auto counts = count_rows(*session, RowCountMethod::exact, cancellation);
  REQUIRE_MESSAGE(counts, counts.error().message);
  CHECK(counts->method == RowCountMethod::exact);
  CHECK(counts->large_objects == 2);
  // Sorted by name; no partitioned parent, view or materialized view.
  const std::vector<TableRows> expected = {{"\"Odd\".\"a.b\"", 1},    {"public.child", 3},
                                           {"public.measures_1", 10}, {"public.measures_2", 5},
                                           {"public.parent", 2},      {"public.scratch", 4}};
  CHECK(counts->tables == expected);
}

TEST_CASE("pg: estimated row counts are reltuples, unknown until the table is analysed") {
  const PgSettings settings = counts_settings();
  auto session = PgSession::connect(settings);
  REQUIRE_MESSAGE(session, session.error().message);
  Cancellation cancellation;
  REQUIRE(session->execute("CREATE TABLE IF NOT EXISTS estimated (x int)"));
  REQUIRE(
      session->execute("TRUNCATE estimated; INSERT INTO estimated SELECT generate_series(1, 50)"));
  REQUIRE(session->execute("ANALYZE estimated"));
  const auto counts = count_rows(*session, RowCountMethod::estimate, cancellation);
  REQUIRE_MESSAGE(counts, counts.error().message);
  CHECK(counts->method == RowCountMethod::estimate);
  CHECK(counts->large_objects == 2);  // exact in both methods
  std::optional<std::int64_t> estimated_rows;
  for (const TableRows& table : counts->tables) {
    if (table.table == "public.estimated") estimated_rows = table.rows.value_or(-2);
  }
  CHECK(estimated_rows == 50);
  REQUIRE(session->execute("DROP TABLE estimated"));
  CHECK_FALSE(count_rows(*session, RowCountMethod::off, cancellation));
}

TEST_CASE("pg: the dump snapshot is exported, importable, and blind to later writes") {
  const PgSettings settings = counts_settings();
  auto snapshot = DumpSnapshot::open(settings, /*read_only_default=*/true);
  REQUIRE_MESSAGE(snapshot, snapshot.error().message);
  REQUIRE_MESSAGE(snapshot->shared_id(), snapshot->fallback_reason());
  CHECK(snapshot->fallback_reason().empty());
  // The belt, as pg_dump gets it, and the transaction is read only.
  auto shown = snapshot->session().query("SHOW default_transaction_read_only");
  REQUIRE(shown);
  CHECK((*shown)[0][0] == "on");
  // Rows committed after the export are not in the snapshot, neither here nor for an importer.
  auto writer = PgSession::connect(settings);
  REQUIRE(writer);
  REQUIRE(writer->execute("INSERT INTO parent VALUES (100)"));
  Cancellation cancellation;
  const auto counts = count_rows(snapshot->session(), RowCountMethod::exact, cancellation);
  REQUIRE_MESSAGE(counts, counts.error().message);
  CHECK(counts->tables[4] == TableRows{"public.parent", 2});
  CHECK(probe_snapshot_import(dump_session_settings(settings, true), *snapshot->shared_id()));
  REQUIRE(writer->execute("DELETE FROM parent WHERE id = 100"));
}

TEST_CASE("pg: the import probe is refused for a snapshot of another database, or none") {
  const PgSettings settings = counts_settings();
  auto snapshot = DumpSnapshot::open(settings, true);
  REQUIRE_MESSAGE(snapshot, snapshot.error().message);
  REQUIRE(snapshot->shared_id());
  // What a pooler routing pg_dump's connection elsewhere amounts to.
  PgSettings elsewhere = settings.clone();
  elsewhere.params["dbname"] = std::string(PgTestServer::kDatabase);
  const auto refused = probe_snapshot_import(elsewhere, *snapshot->shared_id());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("cannot import a snapshot from a different database") !=
        std::string::npos);
  const auto unknown = probe_snapshot_import(settings, "00000003-0000001B-1");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("snapshot") != std::string::npos);
}

TEST_CASE("pg: a refused export falls back to the session's own snapshot, with the reason") {
  const PgSettings settings = counts_settings();
  PgTestServer::shared().execute(
      "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_export_snapshot() FROM PUBLIC", kDatabase);
  auto snapshot = DumpSnapshot::open(settings, true);
  PgTestServer::shared().execute(
      "GRANT EXECUTE ON FUNCTION pg_catalog.pg_export_snapshot() TO PUBLIC", kDatabase);
  REQUIRE_MESSAGE(snapshot, snapshot.error().message);
  CHECK_FALSE(snapshot->shared_id());
  CHECK(snapshot->fallback_reason().find("pg_export_snapshot() was refused") == 0);
  CHECK(snapshot->fallback_reason().find("permission denied") != std::string::npos);
  Cancellation cancellation;
  const auto counts = count_rows(snapshot->session(), RowCountMethod::exact, cancellation);
  REQUIRE_MESSAGE(counts, counts.error().message);
  CHECK(counts->tables.size() == 6);
}

TEST_CASE("pg: a stop cancels a running query (PQcancel) and the session stays usable") {
  const PgSettings settings = counts_settings();
  auto session = PgSession::connect(settings, "", "row-counts-cancel-test");
  REQUIRE(session);
  auto watcher = PgSession::connect(settings);
  REQUIRE(watcher);
  Cancellation cancellation;
  std::jthread stopper([&] {
    // Cancels once the server shows the query running: no sleep decides the moment.
    for (int i = 0; i < 20'000; ++i) {
      auto active = watcher->query(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
          "'row-counts-cancel-test' AND state = 'active' AND query LIKE 'SELECT pg_sleep%'");
      if (active && (*active)[0][0] == "1") break;
    }
    cancellation.cancel(15);
  });
  const auto started = std::chrono::steady_clock::now();
  const auto slept = session->query("SELECT pg_sleep(60)", cancellation);
  REQUIRE_FALSE(slept);
  CHECK(slept.error().kind == ErrorKind::cancelled);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  const auto after = session->query("SELECT 1");
  REQUIRE_MESSAGE(after, after.error().message);
  // A cancelled cancellation stops a count before it starts.
  CHECK(count_rows(*session, RowCountMethod::exact, cancellation).error().kind ==
        ErrorKind::cancelled);
}

}  // namespace
}  // namespace erp::pg
