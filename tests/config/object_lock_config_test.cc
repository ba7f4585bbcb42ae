// OBJECT_LOCK_MODE and OBJECT_LOCK_MARGIN (config/object_lock_config.h), and which commands read
// them (config/settings.h).
#include "config/object_lock_config.h"

#include <doctest/doctest.h>

#include <string>

#include "config/settings.h"

using erp::config::MapEnvironment;
using erp::config::ObjectLockConfig;
using erp::config::Problems;
using namespace std::chrono_literals;

namespace {

using Values = std::map<std::string, std::string, std::less<>>;

ObjectLockConfig load(Values values, Problems& problems) {
  return erp::config::load_object_lock_config(MapEnvironment(std::move(values)), problems);
}

bool mentions(const Problems& problems, std::string_view text) {
  return problems.error().message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("Object Lock is off by default, with a two-day margin") {
  Problems problems;
  const ObjectLockConfig config = load({}, problems);
  CHECK(problems.empty());
  CHECK_FALSE(config.enabled());
  CHECK(config.margin == 48h);
  // An empty value counts as unset (Kubernetes renders absent values as "").
  const ObjectLockConfig empty = load({{"OBJECT_LOCK_MODE", ""}}, problems);
  CHECK(problems.empty());
  CHECK_FALSE(empty.enabled());
}

TEST_CASE("OBJECT_LOCK_MODE takes off, governance or compliance, exactly") {
  Problems problems;
  CHECK_FALSE(load({{"OBJECT_LOCK_MODE", "off"}}, problems).enabled());
  CHECK(load({{"OBJECT_LOCK_MODE", "governance"}}, problems).mode == erp::s3::LockMode::governance);
  CHECK(load({{"OBJECT_LOCK_MODE", "compliance"}}, problems).mode == erp::s3::LockMode::compliance);
  CHECK(problems.empty());
  for (const char* text : {"GOVERNANCE", "Compliance", "on", "true", "legal-hold"}) {
    CAPTURE(text);
    Problems bad;
    CHECK_FALSE(load({{"OBJECT_LOCK_MODE", text}}, bad).enabled());
    REQUIRE(bad.size() == 1);
    CHECK(mentions(bad, std::string("malformed OBJECT_LOCK_MODE '") + text + "'"));
    CHECK(mentions(bad, "off, governance or compliance"));
  }
}

TEST_CASE("OBJECT_LOCK_MARGIN is a duration from one day to 366 days") {
  const std::pair<const char*, std::chrono::seconds> good[] = {
      {"1d", 24h}, {"24h", 24h}, {"36h", 36h}, {"2d", 48h}, {"366d", std::chrono::days{366}}};
  for (const auto& [text, expected] : good) {
    CAPTURE(text);
    Problems problems;
    CHECK(load({{"OBJECT_LOCK_MARGIN", text}}, problems).margin == expected);
    CHECK(problems.empty());
  }
  for (const char* text : {"23h", "1h", "367d", "0", "2 days", "-1d", "soon"}) {
    CAPTURE(text);
    Problems problems;
    CHECK(load({{"OBJECT_LOCK_MARGIN", text}}, problems).margin == 48h);
    REQUIRE(problems.size() == 1);
    CHECK(mentions(problems, std::string("malformed OBJECT_LOCK_MARGIN '") + text + "'"));
    CHECK(mentions(problems, "from 1d to 366d"));
  }
}

TEST_CASE("a backup that locks reads the retention settings even when it does not prune") {
  constexpr erp::config::Needs kBackup{
      .s3 = true, .layout = true, .backup = true, .retention = true, .object_lock = true};
  Values values = {{"S3_BUCKET", "backups"},
                   {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                   {"AWS_SECRET_ACCESS_KEY", "erpTEST-secret"},
                   {"BACKUP_ENV", "prod"},
                   {"PRUNE_AFTER_BACKUP", "false"},
                   {"RETENTION_DAILY_DAYS", "40"}};
  const auto plain = erp::config::load_settings(MapEnvironment(values), kBackup);
  REQUIRE_MESSAGE(plain.has_value(), plain.error().message);
  CHECK_FALSE(plain->retention.has_value());
  REQUIRE(plain->object_lock.has_value());
  CHECK_FALSE(plain->object_lock->enabled());
  values["OBJECT_LOCK_MODE"] = "governance";
  const auto locking = erp::config::load_settings(MapEnvironment(values), kBackup);
  REQUIRE_MESSAGE(locking.has_value(), locking.error().message);
  REQUIRE(locking->retention.has_value());
  CHECK(locking->retention->daily_days == 40);  // the new set's lock reaches 40 days + margin
  // A malformed lock setting stops a command that writes, with every other problem.
  values["OBJECT_LOCK_MODE"] = "yes";
  values["OBJECT_LOCK_MARGIN"] = "5m";
  const auto broken = erp::config::load_settings(MapEnvironment(values), kBackup);
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().message.find("OBJECT_LOCK_MODE") != std::string::npos);
  CHECK(broken.error().message.find("OBJECT_LOCK_MARGIN") != std::string::npos);
}
