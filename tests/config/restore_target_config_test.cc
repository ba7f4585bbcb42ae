// The restore target's libpq settings are judged when they load, like the source's: a
// RESTORE_PGPORT=abc used to surface only when the restore connected.
#include "config/restore_target_config.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

namespace erp::config {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

Vars target(Vars extra) {
  Vars vars{{"RESTORE_PGHOST", "sandbox-db"},
            {"RESTORE_PGPORT", "5432"},
            {"RESTORE_PGDATABASE", "dolibarr"},
            {"RESTORE_PGUSER", "sandbox"}};
  for (auto& [name, value] : extra) vars[name] = value;
  return vars;
}

TEST_CASE("a complete target loads") {
  Problems problems;
  const auto config = load_restore_target_config(MapEnvironment(target({})), problems);
  CHECK(problems.empty());
  CHECK(config.target.params.at("port") == "5432");
}

TEST_CASE("a malformed RESTORE_PGPORT or RESTORE_PGSSLMODE is named with a hint") {
  Problems problems;
  (void)load_restore_target_config(
      MapEnvironment(target({{"RESTORE_PGPORT", "abc"}, {"RESTORE_PGSSLMODE", "on"}})), problems);
  REQUIRE(problems.size() == 2);
  const std::string message = problems.error().message;
  CHECK(message.find("malformed RESTORE_PGPORT 'abc' (hint: a port number from 1 to 65535") !=
        std::string::npos);
  CHECK(message.find("malformed RESTORE_PGSSLMODE 'on' (hint: one of disable") !=
        std::string::npos);
}

TEST_CASE("each RESTORE_EXCLUDE item has a description, a schema and a name") {
  Problems good;
  const auto config = load_restore_target_config(
      MapEnvironment(target(
          {{"RESTORE_EXCLUDE", "FUNCTION pgbouncer user_lookup, TABLE DATA public llx_log"}})),
      good);
  CHECK(good.empty());
  CHECK(config.exclude ==
        std::vector<std::string>{"FUNCTION pgbouncer user_lookup", "TABLE DATA public llx_log"});

  Problems bad;
  (void)load_restore_target_config(
      MapEnvironment(target({{"RESTORE_EXCLUDE", "pgbouncer.user_lookup, FUNCTION user_lookup"}})),
      bad);
  REQUIRE(bad.size() == 2);
  CHECK(bad.error().message.find("malformed RESTORE_EXCLUDE item 'pgbouncer.user_lookup' (hint:") !=
        std::string::npos);
  CHECK(bad.error().message.find("'FUNCTION user_lookup'") != std::string::npos);
}

}  // namespace
}  // namespace erp::config

namespace erp::config {

TEST_CASE("RESTORE_SCRATCH_DIR is optional, and absolute when given") {
  Problems problems;
  CHECK(load_restore_target_config(MapEnvironment(target({})), problems).scratch_dir.empty());
  const auto config = load_restore_target_config(
      MapEnvironment(target({{"RESTORE_SCRATCH_DIR", "/var/tmp/restore"}})), problems);
  CHECK(problems.empty());
  CHECK(config.scratch_dir == "/var/tmp/restore");
  CHECK(load_restore_scratch_dir(MapEnvironment(Vars{{"RESTORE_SCRATCH_DIR", "/scratch"}}),
                                 problems) == "/scratch");
  CHECK(problems.empty());
  CHECK(load_restore_scratch_dir(MapEnvironment(Vars{{"RESTORE_SCRATCH_DIR", "scratch"}}), problems)
            .empty());
  REQUIRE(problems.size() == 1);
  CHECK(problems.error().message.find("malformed RESTORE_SCRATCH_DIR 'scratch'") !=
        std::string::npos);
}

}  // namespace erp::config
