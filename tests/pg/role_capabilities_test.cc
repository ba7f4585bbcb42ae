// What the pre-flight counts as "this role could write", and BACKUP_REQUIRE_READONLY_ROLE's
// decision: the pure part from hand-made facts, the queries against a real PostgreSQL.
#include "pg/role_capabilities.h"

#include <doctest/doctest.h>

#include <string>

#include "fakes/pg_test_server.h"
#include "pg/database_info.h"
#include "pg/seeded_database.h"

namespace erp::pg {
namespace {

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("pg: a role that can only read has no write capability and passes") {
  RoleCapabilities reader;
  reader.read_all_data = true;  // reading everything is what a dump role is for
  CHECK(write_capabilities(reader).empty());
  CHECK(require_read_only_role("erp_dump", reader).has_value());
}

TEST_CASE("pg: each way of writing is named on its own, in a fixed order") {
  struct Case {
    const char* name;
    RoleCapabilities caps;
    const char* phrase;
  };
  RoleCapabilities superuser;
  superuser.superuser = true;
  RoleCapabilities createrole;
  createrole.createrole = true;
  RoleCapabilities writer;
  writer.write_all_data = true;
  RoleCapabilities database;
  database.create_on_database = true;
  RoleCapabilities schema;
  schema.schemas_with_create = {"public", "pgbouncer"};
  RoleCapabilities owner;
  owner.owned_relations = 342;
  owner.owned_examples = {"public.llx_a", "public.llx_b", "public.llx_c"};
  RoleCapabilities granted;
  granted.writable_tables = 1;
  granted.writable_examples = {"public.llx_societe"};
  const Case cases[] = {
      {"superuser", superuser, "is a superuser"},
      {"createrole", createrole, "has CREATEROLE (it can grant itself pg_write_all_data)"},
      {"pg_write_all_data", writer, "is a member of pg_write_all_data"},
      {"CREATE on the database", database, "has CREATE on the database"},
      {"CREATE on schemas", schema, "has CREATE on schema public, pgbouncer"},
      {"owner", owner, "owns 342 relations (public.llx_a, public.llx_b, public.llx_c, ...)"},
      {"write grant", granted,
       "may INSERT, UPDATE, DELETE or TRUNCATE 1 table (public.llx_societe)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const auto found = write_capabilities(c.caps);
    REQUIRE(found.size() == 1);
    CHECK(found[0] == c.phrase);
    const auto refused = require_read_only_role("erp", c.caps);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::config);  // exit 2, nothing started
    CHECK(
        refused.error().message.starts_with("role \"erp\" could write to the database it "
                                            "backs up: " +
                                            std::string(c.phrase)));
    CHECK(has(refused.error().message, "BACKUP_REQUIRE_READONLY_ROLE=false)"));
  }
}

TEST_CASE("pg: a superuser owning everything is refused with every reason, in one message") {
  RoleCapabilities caps;
  caps.superuser = true;
  caps.create_on_database = true;
  caps.owned_relations = 2;
  caps.owned_examples = {"public.a", "public.b"};
  const auto found = write_capabilities(caps);
  REQUIRE(found.size() == 3);
  CHECK(found[0] == "is a superuser");
  CHECK(found[2] == "owns 2 relations (public.a, public.b)");
  const auto refused = require_read_only_role("erp_admin", caps);
  REQUIRE_FALSE(refused.has_value());
  CHECK(has(refused.error().message,
            "is a superuser; has CREATE on the database; owns 2 relations (public.a, public.b)"));
}

TEST_CASE("pg: the pre-flight reads the capabilities the server grants") {
  testing::PgTestServer& server = testing::seeded_server();
  // The seeded role owns its database and every table in it.
  const auto owner = inspect_database(server.settings());
  REQUIRE_MESSAGE(owner, owner.error().message);
  CHECK_FALSE(owner->role.superuser);
  CHECK(owner->role.create_on_database);
  CHECK(owner->role.owned_relations >= testing::kSeededTables);
  CHECK(owner->role.owned_examples.size() == 3);
  CHECK(owner->role.owned_examples[0].starts_with("public."));
  CHECK_FALSE(require_read_only_role(owner->user, owner->role).has_value());

  // A dump role: pg_read_all_data and nothing else passes; an explicit INSERT grant, a
  // membership in pg_write_all_data, CREATE on a schema each make it one that could write.
  static const bool created = [&server] {
    server.execute(
        "CREATE ROLE erp_caps_reader LOGIN PASSWORD 'Zq8-caps-reader-Pw';"
        "GRANT pg_read_all_data TO erp_caps_reader;");
    return true;
  }();
  (void)created;
  PgSettings reader = server.settings();
  reader.params["user"] = "erp_caps_reader";
  reader.password = Secret(std::string("Zq8-caps-reader-Pw"));
  const auto read_only = inspect_database(reader);
  REQUIRE_MESSAGE(read_only, read_only.error().message);
  CHECK(read_only->role.read_all_data);
  CHECK(write_capabilities(read_only->role).empty());
  CHECK(require_read_only_role(read_only->user, read_only->role).has_value());

  server.execute("GRANT INSERT ON llx_user TO erp_caps_reader;", testing::PgTestServer::kDatabase,
                 testing::PgTestServer::kRole);
  server.execute("GRANT CREATE ON SCHEMA public TO erp_caps_reader;",
                 testing::PgTestServer::kDatabase);
  server.execute("GRANT pg_write_all_data TO erp_caps_reader;");
  const auto writer = inspect_database(reader);
  server.execute("REVOKE pg_write_all_data FROM erp_caps_reader;");
  server.execute("REVOKE CREATE ON SCHEMA public FROM erp_caps_reader;",
                 testing::PgTestServer::kDatabase);
  server.execute("REVOKE INSERT ON llx_user FROM erp_caps_reader;",
                 testing::PgTestServer::kDatabase, testing::PgTestServer::kRole);
  REQUIRE_MESSAGE(writer, writer.error().message);
  CHECK(writer->role.write_all_data);
  CHECK(writer->role.schemas_with_create == std::vector<std::string>{"public"});
  // pg_write_all_data gives INSERT on every table, so every table counts as writable.
  CHECK(writer->role.writable_tables >= testing::kSeededTables);
  const auto refused = require_read_only_role(writer->user, writer->role);
  REQUIRE_FALSE(refused.has_value());
  CHECK(has(refused.error().message, "is a member of pg_write_all_data"));
  CHECK(has(refused.error().message, "has CREATE on schema public"));
}

TEST_CASE("pg: an explicit write grant on one table is counted and named") {
  testing::PgTestServer& server = testing::seeded_server();
  server.execute(
      "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'erp_caps_granted') "
      "THEN CREATE ROLE erp_caps_granted LOGIN PASSWORD 'Zq8-caps-granted-Pw'; END IF; END $$;");
  server.execute(
      "GRANT SELECT ON ALL TABLES IN SCHEMA public TO erp_caps_granted;"
      "GRANT UPDATE ON llx_user TO erp_caps_granted;",
      testing::PgTestServer::kDatabase, testing::PgTestServer::kRole);
  PgSettings settings = server.settings();
  settings.params["user"] = "erp_caps_granted";
  settings.password = Secret(std::string("Zq8-caps-granted-Pw"));
  const auto info = inspect_database(settings);
  server.execute("REVOKE UPDATE ON llx_user FROM erp_caps_granted;",
                 testing::PgTestServer::kDatabase, testing::PgTestServer::kRole);
  REQUIRE_MESSAGE(info, info.error().message);
  CHECK(info->role.writable_tables == 1);
  CHECK(info->role.writable_examples == std::vector<std::string>{"public.llx_user"});
  CHECK(info->role.owned_relations == 0);
  CHECK_FALSE(info->role.create_on_database);
}

}  // namespace
}  // namespace erp::pg
