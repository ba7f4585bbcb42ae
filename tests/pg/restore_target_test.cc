// What a restore asks of its target (pg/restore_target.h), against a real PostgreSQL: what
// makes a database non-empty, and the CONNECTION LIMIT an owner may set and another role may not.
#include "pg/restore_target.h"

#include <doctest/doctest.h>

#include <string>

#include "fakes/pg_test_server.h"
#include "pg/pg_session.h"

namespace erp::pg {
namespace {

using testing::PgTestServer;

// A fresh database `name` owned by `owner` (dropped first when a previous run left it).
PgSettings fresh_database(PgTestServer& server, const std::string& name,
                          std::string_view owner = PgTestServer::kRole) {
  server.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  server.execute("CREATE DATABASE " + name + " OWNER " + std::string(owner));
  PgSettings settings = server.settings();
  settings.params["dbname"] = name;
  return settings;
}

TargetContents contents_of(const PgSettings& settings) {
  auto session = PgSession::connect(settings);
  REQUIRE_MESSAGE(session, (session ? std::string() : session.error().message));
  auto contents = target_contents(*session);
  REQUIRE_MESSAGE(contents, (contents ? std::string() : contents.error().message));
  return *contents;
}

}  // namespace

TEST_CASE("pg: a fresh database is empty; each kind of object makes it non-empty") {
  PgTestServer& server = PgTestServer::shared();
  const PgSettings settings = fresh_database(server, "restore_target_kinds");
  CHECK(contents_of(settings).empty());
  CHECK(contents_of(settings).describe().empty());
  // Grants and a comment on the public schema are not data.
  server.execute("COMMENT ON SCHEMA public IS 'x'; GRANT USAGE ON SCHEMA public TO PUBLIC",
                 "restore_target_kinds");
  CHECK(contents_of(settings).empty());

  const std::pair<const char*, const char*> kinds[] = {
      {"CREATE SCHEMA sales", "1 schema (sales)"},
      {"CREATE TABLE t (id int)", "1 table (public.t)"},
      {"CREATE SEQUENCE s", "1 sequence (public.s)"},
      {"CREATE VIEW v AS SELECT 1 AS one", "1 view (public.v)"},
      {"CREATE MATERIALIZED VIEW m AS SELECT 1 AS one", "1 materialized view (public.m)"},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "1 function (public.f)"},
      {"CREATE TYPE mood AS ENUM ('ok')", "1 type (public.mood)"},
      {"CREATE DOMAIN amount AS numeric", "1 type (public.amount)"},
      {"CREATE TYPE pair AS (a int, b int)", "1 type (public.pair)"},
      {"SELECT lo_create(4242)", "1 large object (4242)"},
  };
  for (const auto& [sql, found] : kinds) {
    CAPTURE(sql);
    const PgSettings one = fresh_database(server, "restore_target_kind");
    server.execute(sql, "restore_target_kind", PgTestServer::kRole);
    CHECK(contents_of(one).describe() == found);
  }
}

TEST_CASE("pg: describe lists each kind with a count and its first names") {
  PgTestServer& server = PgTestServer::shared();
  const PgSettings settings = fresh_database(server, "restore_target_many");
  server.execute(
      "CREATE TABLE d (x int); CREATE TABLE a (x int); CREATE TABLE c (x int);"
      "CREATE TABLE b (x int); CREATE SCHEMA z; CREATE TABLE z.e (x int)",
      "restore_target_many", PgTestServer::kRole);
  CHECK(contents_of(settings).describe() ==
        "1 schema (z), 5 tables (public.a, public.b, public.c, ...)");
}

TEST_CASE("pg: the owner may set the CONNECTION LIMIT, which keeps new sessions out") {
  PgTestServer& server = PgTestServer::shared();
  const PgSettings settings = fresh_database(server, "restore_target_limit");
  auto session = PgSession::connect(settings);
  REQUIRE_MESSAGE(session, (session ? std::string() : session.error().message));
  auto state = connection_limit_state(*session);
  REQUIRE_MESSAGE(state, (state ? std::string() : state.error().message));
  CHECK(state->database == "restore_target_limit");
  CHECK(state->limit == -1);
  CHECK(state->may_alter);
  CHECK_FALSE(state->superuser);
  CHECK(state->counted >= 1);  // this session
  CHECK(connection_limit_sql(*session, "restore_target_limit", 0) ==
        "ALTER DATABASE \"restore_target_limit\" CONNECTION LIMIT 0");
  CHECK(connection_limit_sql(*session, "Odd \"name\"", -1) ==
        "ALTER DATABASE \"Odd \"\"name\"\"\" CONNECTION LIMIT -1");

  REQUIRE(set_connection_limit(*session, "restore_target_limit", 0));
  auto refused = PgSession::connect(settings);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("too many connections for database") != std::string::npos);
  auto others = other_sessions(*session);
  REQUIRE(others);
  CHECK(others->empty());
  // The limit counts this session: one more admits exactly one more.
  REQUIRE(set_connection_limit(*session, "restore_target_limit", state->counted + 1));
  auto admitted = PgSession::connect(settings);
  REQUIRE_MESSAGE(admitted, (admitted ? std::string() : admitted.error().message));
  CHECK_FALSE(PgSession::connect(settings));
  others = other_sessions(*session);
  REQUIRE(others);
  CHECK(others->size() == 1);
  REQUIRE(set_connection_limit(*session, "restore_target_limit", -1));
  state = connection_limit_state(*session);
  REQUIRE(state);
  CHECK(state->limit == -1);
}

TEST_CASE("pg: a role that does not own the database may not set its CONNECTION LIMIT") {
  PgTestServer& server = PgTestServer::shared();
  const PgSettings settings = fresh_database(server, "restore_target_foreign", "postgres");
  server.execute("GRANT CONNECT ON DATABASE restore_target_foreign TO " +
                 std::string(PgTestServer::kRole));
  auto session = PgSession::connect(settings);
  REQUIRE_MESSAGE(session, (session ? std::string() : session.error().message));
  auto state = connection_limit_state(*session);
  REQUIRE_MESSAGE(state, (state ? std::string() : state.error().message));
  CHECK_FALSE(state->may_alter);
  const auto refused = set_connection_limit(*session, "restore_target_foreign", 0);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("must be owner of database") != std::string::npos);
}

}  // namespace erp::pg
