// Commands load only the settings groups they declare, and every problem of every group
// is reported in one run (config/settings.h).
#include "config/settings.h"

#include <doctest/doctest.h>

#include <string>

using erp::config::load_settings;
using erp::config::MapEnvironment;
using erp::config::Needs;

namespace {

constexpr Needs kList{.s3 = true, .layout = true, .retention = true};
constexpr Needs kBackup{.s3 = true, .layout = true, .backup = true, .retention = true};

std::map<std::string, std::string, std::less<>> valid_s3() {
  return {{"S3_BUCKET", "backups"},
          {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
          {"AWS_SECRET_ACCESS_KEY", "erpTEST-secret"},
          {"BACKUP_ENV", "prod"}};
}

bool mentions(const erp::Error& error, std::string_view text) {
  return error.message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("problems of different groups are reported in one run") {
  // A malformed env name and missing keys: both, not the keys first and the name next time.
  const auto settings = load_settings(
      MapEnvironment(
          {{"S3_BUCKET", "backups"}, {"BACKUP_ENV", "Prod"}, {"RETENTION_DAILY_DAYS", "many"}}),
      kList);
  REQUIRE_FALSE(settings.has_value());
  CHECK(settings.error().kind == erp::ErrorKind::config);
  CHECK(mentions(settings.error(), "malformed BACKUP_ENV 'Prod'"));
  CHECK(mentions(settings.error(), "missing AWS_ACCESS_KEY_ID"));
  CHECK(mentions(settings.error(), "missing AWS_SECRET_ACCESS_KEY"));
  CHECK(mentions(settings.error(), "malformed RETENTION_DAILY_DAYS"));
}

TEST_CASE("list and prune do not read the backup job's settings") {
  auto values = valid_s3();
  values["PGPASSWORD_FILE"] = "/nonexistent/erp-backup-test/pg-password";
  values["DOCS_ZSTD_LEVEL"] = "99";
  const auto settings = load_settings(MapEnvironment(values), kList);
  REQUIRE_MESSAGE(settings.has_value(), settings.error().message);
  CHECK(settings->layout->env == "prod");
  CHECK(settings->retention.has_value());
  CHECK_FALSE(settings->backup.has_value());
  // The same environment stops backup, naming both.
  const auto backup = load_settings(MapEnvironment(values), kBackup);
  REQUIRE_FALSE(backup.has_value());
  CHECK(mentions(backup.error(), "PGPASSWORD_FILE"));
  CHECK(mentions(backup.error(), "DOCS_ZSTD_LEVEL"));
}

TEST_CASE("a backup that does not prune does not read the retention settings") {
  auto values = valid_s3();
  values["RETENTION_MIN_KEEP"] = "-1";
  values["PRUNE_AFTER_BACKUP"] = "false";
  const auto quiet = load_settings(MapEnvironment(values), kBackup);
  REQUIRE_MESSAGE(quiet.has_value(), quiet.error().message);
  CHECK_FALSE(quiet->retention.has_value());
  values["PRUNE_AFTER_BACKUP"] = "true";
  const auto pruning = load_settings(MapEnvironment(values), kBackup);
  REQUIRE_FALSE(pruning.has_value());
  CHECK(mentions(pruning.error(), "RETENTION_MIN_KEEP"));
}

TEST_CASE("object commands read neither the layout nor the retention settings") {
  const auto settings =
      load_settings(MapEnvironment({{"S3_BUCKET", "backups"},
                                    {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                    {"AWS_SECRET_ACCESS_KEY", "erpTEST-secret"},
                                    {"RETENTION_DAILY_DAYS", "x"}}),  // BACKUP_ENV missing too
                    Needs{.s3 = true});
  REQUIRE_MESSAGE(settings.has_value(), settings.error().message);
  CHECK(settings->s3->bucket == "backups");
  CHECK_FALSE(settings->layout.has_value());
}
