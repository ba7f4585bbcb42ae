// inspect_database against a real PostgreSQL: the facts it reads, and how each way of failing
// to connect is reported (with a hint, never with the password).
#include "pg/database_info.h"

#include <doctest/doctest.h>

#include <string>

#include "fakes/pg_test_server.h"
#include "pg/pg_session.h"
#include "pg/seeded_database.h"
#include "pg/session_sharing.h"

namespace erp::pg {
namespace {

using testing::PgTestServer;

TEST_CASE("pg: inspect_database reads the version, database, user and table counts") {
  PgTestServer& server = testing::seeded_server();
  const auto info = inspect_database(server.settings());
  REQUIRE_MESSAGE(info, info.error().message);
  CHECK(info->server_version_num >= 100000);
  CHECK(info->server_version.starts_with(std::to_string(info->server_version_num / 10000) + "."));
  CHECK(info->database == PgTestServer::kDatabase);
  CHECK(info->user == PgTestServer::kRole);
  CHECK(info->table_count == testing::kSeededTables);
  CHECK(info->llx_table_count == testing::kSeededLlxTables);
}

TEST_CASE("pg: inspect_database counts no system tables in an empty database") {
  PgTestServer& server = testing::seeded_server();
  PgSettings settings = server.settings();
  settings.params["dbname"] = "postgres";
  const auto info = inspect_database(settings);
  REQUIRE_MESSAGE(info, info.error().message);
  CHECK(info->database == "postgres");
  CHECK(info->table_count == 0);
  CHECK(info->llx_table_count == 0);
  // pg_database_size: every database holds the system catalogs (several MiB), and the seeded
  // one holds its tables besides.
  CHECK(info->database_bytes > (1 << 20));
  const auto seeded = inspect_database(server.settings());
  REQUIRE_MESSAGE(seeded, seeded.error().message);
  CHECK(seeded->database_bytes > info->database_bytes);
}

TEST_CASE("pg: inspect_source on a plain server keeps the read-only belt, and it is in effect") {
  PgTestServer& server = testing::seeded_server();
  PgSettings settings = server.settings();
  settings.params["options"] = "-c statement_timeout=0";  // the operator's own stay
  const auto inspection = inspect_source(settings);
  REQUIRE_MESSAGE(inspection, inspection.error().message);
  CHECK(inspection->belt == ReadOnlyBelt::in_effect);
  CHECK(inspection->refusal.empty());
  CHECK(inspection->info.database == PgTestServer::kDatabase);
  CHECK(inspection->info.table_count == testing::kSeededTables);
  // PostgreSQL itself: every connection has its own server process.
  CHECK_MESSAGE(inspection->sharing.sharing == SessionSharing::own, inspection->sharing.detail);
}

TEST_CASE("pg: the session-sharing probe sees two server processes on PostgreSQL itself") {
  PgTestServer& server = testing::seeded_server();
  const PgSettings settings = server.settings();
  auto session = PgSession::connect(settings);
  REQUIRE_MESSAGE(session, session.error().message);
  const auto probe = probe_session_sharing(*session, settings, std::chrono::seconds(5));
  REQUIRE_MESSAGE(probe, probe.error().message);
  CHECK_MESSAGE(probe->sharing == SessionSharing::own, probe->detail);
  CHECK(probe->detail.starts_with("first "));
}

TEST_CASE("pg: inspect_source reports a connection failure that is not about options as is") {
  PgTestServer& server = testing::seeded_server();
  PgSettings settings = server.settings();
  settings.params["dbname"] = "no_such_database";
  const auto inspection = inspect_source(settings);
  REQUIRE_FALSE(inspection);
  CHECK(inspection.error().message.find("PGDATABASE") != std::string::npos);
}

TEST_CASE("pg: a wrong password fails with the hint, and no password in the message") {
  PgTestServer& server = testing::seeded_server();
  PgSettings settings = server.settings();
  settings.password = Secret(std::string("Wrong-pw-9vQz"));
  const auto info = inspect_database(settings);
  REQUIRE_FALSE(info);
  CAPTURE(info.error().message);
  CHECK(info.error().kind == ErrorKind::permanent);
  CHECK(
      info.error().message.starts_with("authentication failed for user \"erp_backup_test\" at "
                                       "127.0.0.1:" +
                                       std::to_string(server.port()) + ": "));
  CHECK(info.error().message.ends_with("(hint: check PGPASSWORD/PGPASSWORD_FILE)"));
  CHECK(info.error().message.find("Wrong-pw-9vQz") == std::string::npos);
  CHECK(info.error().message.find(PgTestServer::kPassword) == std::string::npos);
  CHECK(info.error().message.find('\n') == std::string::npos);
}

TEST_CASE("pg: no password at all is reported as an authentication problem") {
  PgTestServer& server = testing::seeded_server();
  PgSettings settings = server.settings();
  settings.password = Secret();
  settings.params["passfile"] = "/nonexistent";  // no ~/.pgpass of whoever runs the tests
  const auto info = inspect_database(settings);
  REQUIRE_FALSE(info);
  CHECK(info.error().message.starts_with("authentication failed for user \"erp_backup_test\""));
  CHECK(info.error().message.ends_with("(hint: check PGPASSWORD/PGPASSWORD_FILE)"));
}

TEST_CASE("pg: an unreachable port fails naming host:port, with a hint") {
  testing::seeded_server();
  const int port = testing::free_loopback_port();
  PgSettings settings = testing::seeded_server().settings();
  settings.params["port"] = std::to_string(port);
  const auto info = inspect_database(settings);
  REQUIRE_FALSE(info);
  CAPTURE(info.error().message);
  CHECK(info.error().kind == ErrorKind::permanent);
  CHECK(info.error().message.starts_with(
      "cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(port) + ": "));
  CHECK(info.error().message.find("Connection refused") != std::string::npos);
  CHECK(info.error().message.ends_with(
      "(hint: check PGHOST/PGPORT and that the server accepts connections from here)"));
  CHECK(info.error().message.find('\n') == std::string::npos);
  CHECK(info.error().message.find(PgTestServer::kPassword) == std::string::npos);
}

TEST_CASE("pg: an unknown database or role gets its own hint") {
  PgTestServer& server = testing::seeded_server();
  PgSettings no_database = server.settings();
  no_database.params["dbname"] = "no_such_db";
  const auto database = inspect_database(no_database);
  REQUIRE_FALSE(database);
  CHECK(database.error().message.find("database \"no_such_db\"") != std::string::npos);
  CHECK(database.error().message.ends_with("(hint: check PGDATABASE)"));

  // With scram, an unknown role fails authentication first (the server does not say which):
  // the password hint is what an operator sees, and that is what libpq allows us to know.
  PgSettings no_role = server.settings();
  no_role.params["user"] = "no_such_role";
  const auto role = inspect_database(no_role);
  REQUIRE_FALSE(role);
  CHECK(role.error().message.find("no_such_role") != std::string::npos);
  CHECK(role.error().message.find("(hint: check PG") != std::string::npos);
}

}  // namespace
}  // namespace erp::pg
