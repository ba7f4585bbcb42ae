// PgSettings: one set of connection settings, two ways out (libpq arrays in this process,
// PG* variables for a child), and the password only where it belongs.
#include "pg/pg_settings.h"

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <vector>

namespace erp::pg {
namespace {

static_assert(!std::is_copy_constructible_v<PgSettings>, "it holds a Secret; clone() copies");

PgSettings example() {
  PgSettings settings;
  settings.params = {{"host", "db.internal"},    {"port", "6432"},
                     {"dbname", "dolibarr"},     {"user", "backup"},
                     {"sslmode", "verify-full"}, {"sslrootcert", "/etc/ssl/db-ca.pem"}};
  settings.password = Secret(std::string("pw-8sJ2-for-pg"));
  return settings;
}

std::vector<std::string> as_strings(const std::vector<const char*>& pointers) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < pointers.size(); ++i) out.emplace_back(pointers[i]);
  return out;
}

TEST_CASE("pg settings: the libpq arrays hold every param, the password, and end in NULL") {
  const PgSettings settings = example();
  const auto conninfo = settings.conninfo();
  REQUIRE(conninfo);
  REQUIRE(conninfo->keywords.size() == conninfo->values.size());
  CHECK(conninfo->keywords.back() == nullptr);
  CHECK(conninfo->values.back() == nullptr);
  CHECK(as_strings(conninfo->keywords) ==
        std::vector<std::string>{"dbname", "host", "port", "sslmode", "sslrootcert", "user",
                                 "password", "fallback_application_name"});
  CHECK(as_strings(conninfo->values) ==
        std::vector<std::string>{"dolibarr", "db.internal", "6432", "verify-full",
                                 "/etc/ssl/db-ca.pem", "backup", "pw-8sJ2-for-pg", "erp-backup"});
}

TEST_CASE("pg settings: without a password the arrays carry none") {
  PgSettings settings = example();
  settings.password = Secret();
  const auto conninfo = settings.conninfo(nullptr);
  REQUIRE(conninfo);
  for (const std::string& keyword : as_strings(conninfo->keywords)) CHECK(keyword != "password");
  CHECK(conninfo->keywords.size() == settings.params.size() + 1);
}

TEST_CASE("pg settings: a child's environment gets PG* variables and PGPASSWORD as a secret") {
  const PgSettings settings = example();
  process::ChildEnvironment environment;
  environment.set("PATH", "/usr/bin");
  REQUIRE(settings.add_to_environment(environment));
  CHECK(environment.get("PGHOST") == "db.internal");
  CHECK(environment.get("PGPORT") == "6432");
  CHECK(environment.get("PGDATABASE") == "dolibarr");
  CHECK(environment.get("PGUSER") == "backup");
  CHECK(environment.get("PGSSLMODE") == "verify-full");
  CHECK(environment.get("PGSSLROOTCERT") == "/etc/ssl/db-ca.pem");
  CHECK(environment.get("PGPASSWORD") == "pw-8sJ2-for-pg");
  CHECK(environment.redacted().find("pw-8sJ2") == std::string::npos);
  CHECK(environment.redacted().find("PGPASSWORD=<redacted>") != std::string::npos);
  CHECK(environment.size() == 8);
}

TEST_CASE("pg settings: every keyword has its own PG* variable") {
  const auto table = pg_environment_variables();
  CHECK(table.size() >= 25);
  for (const auto& entry : table) {
    CAPTURE(entry.keyword);
    CHECK(entry.variable.starts_with("PG"));
    CHECK(entry.keyword != "password");
  }
}

TEST_CASE("pg settings: a password among the params, or an unknown keyword, is a config error") {
  PgSettings with_password = example();
  with_password.params["password"] = "in-the-wrong-place";
  const auto rejected = with_password.validate();
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error().kind == ErrorKind::config);
  CHECK(rejected.error().message.find("in-the-wrong-place") == std::string::npos);
  CHECK(rejected.error().message.find("hint: it belongs in PGPASSWORD or PGPASSWORD_FILE") !=
        std::string::npos);
  process::ChildEnvironment environment;
  CHECK_FALSE(with_password.add_to_environment(environment));
  CHECK_FALSE(with_password.conninfo());

  PgSettings unknown = example();
  unknown.params["keepalives"] = "1";
  const auto unsupported = unknown.validate();
  REQUIRE_FALSE(unsupported);
  CHECK(unsupported.error().kind == ErrorKind::config);
  CHECK(unsupported.error().message.find("'keepalives'") != std::string::npos);
}

TEST_CASE("pg settings: clone() copies params and password; target/user/database for messages") {
  const PgSettings original = example();
  const PgSettings copy = original.clone();
  CHECK(copy.params == original.params);
  CHECK(copy.password.reveal() == "pw-8sJ2-for-pg");
  CHECK(original.password.reveal() == "pw-8sJ2-for-pg");
  CHECK(copy.target() == "db.internal:6432");
  CHECK(copy.user() == "backup");
  CHECK(copy.database() == "dolibarr");

  const PgSettings defaults;
  CHECK(defaults.target() == "(default socket):5432");
  CHECK(defaults.user() == "(default user)");
  CHECK(defaults.database() == "(default database)");
}

TEST_CASE("pg settings: redact_password replaces every occurrence, leaves tiny ones alone") {
  const Secret password(std::string("pw-8sJ2"));
  CHECK(redact_password("a pw-8sJ2 b pw-8sJ2", password) == "a <redacted> b <redacted>");
  CHECK(redact_password("nothing here", password) == "nothing here");
  CHECK(redact_password("a b c", Secret(std::string("b"))) == "a b c");
  CHECK(redact_password("anything", Secret()) == "anything");
}

}  // namespace
}  // namespace erp::pg
