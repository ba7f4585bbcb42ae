// dump_with_row_counts against a real PostgreSQL: a count that fails leaves the exported
// snapshot importable (the dump it runs beside goes on), and the manifest gets no counts.
#include "app/backup/dump_row_counts.h"

#include <doctest/doctest.h>

#include <string>

#include "fakes/pg_test_server.h"
#include "pg/dump_snapshot.h"
#include "pg/pg_session.h"

namespace erp::app {
namespace {

using testing::PgTestServer;

constexpr const char* kDatabase = "dump_row_counts_test";

// A database kRole owns, with one table it may not read (owned by the superuser): counting it
// fails with "permission denied" inside the exporting transaction.
pg::PgSettings settings_with_an_unreadable_table() {
  PgTestServer& server = PgTestServer::shared();
  static const bool made = [&server] {
    server.execute("CREATE DATABASE " + std::string(kDatabase) + " OWNER " +
                   std::string(PgTestServer::kRole));
    server.execute("CREATE TABLE readable (x int); INSERT INTO readable VALUES (1), (2);",
                   kDatabase, PgTestServer::kRole);
    server.execute("CREATE TABLE locked_away (x int); INSERT INTO locked_away VALUES (1);",
                   kDatabase);
    return true;
  }();
  (void)made;
  pg::PgSettings settings = server.settings();
  settings.params["dbname"] = kDatabase;
  return settings;
}

TEST_CASE("a count that fails rolls back to its savepoint: pg_dump can still import the snapshot") {
  config::BackupConfig config;
  config.pg = settings_with_an_unreadable_table();
  config.row_counts = pg::RowCountMethod::exact;
  auto watcher = pg::PgSession::connect(config.pg);
  REQUIRE(watcher);
  Logger log(LogFormat::text, LogLevel::error);
  Cancellation cancellation;
  std::optional<catalog::RowCountsRecord> counts;
  bool imported = false;
  std::string import_error;
  auto dumped = dump_with_row_counts(
      config, /*read_only_default=*/true, log, cancellation, counts,
      [&](const std::optional<std::string>& snapshot) -> Result<std::optional<int>> {
        REQUIRE(snapshot);
        // Imports as pg_dump would, once the count has failed (the counting session's
        // transaction shown aborted, or its rollback to the savepoint as its last statement).
        // Without the savepoint the failed count would abort the exporting transaction itself
        // and the import would fail ("the source process ... is not running anymore"); the
        // wait is bounded, since such a transaction holds no xmin and is never listed here.
        for (int i = 0; i < 20'000; ++i) {
          auto state =
              watcher->query("SELECT state, query FROM pg_stat_activity WHERE datname = '" +
                             std::string(kDatabase) +
                             "' AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL");
          REQUIRE(state);
          if (!state->empty() && (*state)[0][0] == "idle in transaction (aborted)") break;
          if (!state->empty() && (*state)[0][1].value_or("").starts_with("ROLLBACK TO SAVEPOINT"))
            break;
        }
        auto probe =
            pg::probe_snapshot_import(pg::dump_session_settings(config.pg, true), *snapshot);
        imported = probe.has_value();
        if (!probe) import_error = probe.error().message;
        return std::optional<int>(0);
      });
  REQUIRE(dumped);
  CHECK(*dumped == std::optional<int>(0));
  CHECK_MESSAGE(imported, import_error);
  CHECK_FALSE(counts);  // the failed count leaves the manifest without counts
}

}  // namespace
}  // namespace erp::app
