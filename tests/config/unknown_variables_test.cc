// Typos are caught (issue 17 item 11): unknown variables with the tool's prefixes are found,
// with the nearest known name when it is close, and the rest of a pod's environment (libpq's,
// the AWS SDKs', Kubernetes' service links) is left alone.
#include "config/unknown_variables.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>

#include "config/settings.h"

namespace erp::config {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

std::vector<UnknownVariable> unknown_in(Vars vars) {
  return find_unknown_variables(MapEnvironment(std::move(vars)));
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

TEST_CASE("edit distance counts insertions, deletions, substitutions and adjacent swaps") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("ABC", "ABC") == 0);
  CHECK(edit_distance("", "ABC") == 3);
  CHECK(edit_distance("ABC", "") == 3);
  CHECK(edit_distance("ROLES", "ROLE") == 1);     // one insertion
  CHECK(edit_distance("ROLE", "ROLES") == 1);     // one deletion
  CHECK(edit_distance("BUKCET", "BUCKET") == 1);  // one swap, not two substitutions
  CHECK(edit_distance("BUCKAT", "BUCKET") == 1);
  CHECK(edit_distance("KITTEN", "SITTING") == 3);
  CHECK(edit_distance("CA", "ABC") == 3);  // optimal string alignment: no edit of a swapped pair
}

TEST_CASE("the nearest known name is suggested only when it is close") {
  CHECK(nearest_known_name("BACKUP_REQUIRE_READONLY_ROLES") == "BACKUP_REQUIRE_READONLY_ROLE");
  CHECK(nearest_known_name("RESTORE_DROP_OWNER") == "RESTORE_DROP_OWNED");
  CHECK(nearest_known_name("RETENTION_DAYLY_DAYS") == "RETENTION_DAILY_DAYS");
  CHECK(nearest_known_name("S3_BUKCET") == "S3_BUCKET");
  CHECK(nearest_known_name("backup_env") == "BACKUP_ENV");  // case is ignored
  CHECK(nearest_known_name("PRUNE_AFTER_BACKUPS") == "PRUNE_AFTER_BACKUP");
  // Too far from anything: no guess.
  CHECK(nearest_known_name("BACKUP_SCHEDULE") == "");
  CHECK(nearest_known_name("DB_") == "");
  CHECK(nearest_known_name("RETENTION_WEEKLY_WEEKS") == "");
  // Names other tools use for what this one reads under another name.
  CHECK(nearest_known_name("S3_ENDPOINT") == "AWS_ENDPOINT_URL_S3");
  CHECK(nearest_known_name("S3_REGION") == "AWS_REGION");
  CHECK(nearest_known_name("DB_HOST") == "PGHOST");
  CHECK(nearest_known_name("DB_PASSWORD") == "PGPASSWORD");
}

TEST_CASE("an unknown prefixed variable is found, named, and never quoted with its value") {
  const auto unknown = unknown_in({{"BACKUP_REQUIRE_READONLY_ROLES", "true"},
                                   {"S3_BUCKET", "erp"},
                                   {"PGHOST", "db"},
                                   {"HOME", "/root"}});
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].name == "BACKUP_REQUIRE_READONLY_ROLES");
  CHECK(unknown[0].suggestion == "BACKUP_REQUIRE_READONLY_ROLE");
  CHECK(unknown[0].safety);
  CHECK_FALSE(unknown[0].later_version);
  const std::string message = unknown[0].message();
  CHECK(contains(message,
                 "unknown variable BACKUP_REQUIRE_READONLY_ROLES (hint: did you mean "
                 "BACKUP_REQUIRE_READONLY_ROLE?"));
  CHECK_FALSE(contains(message, "true"));

  const auto secret = unknown_in({{"DB_PASSWORD", "SeCrEtLEAKCANARY"}});
  REQUIRE(secret.size() == 1);
  CHECK(contains(secret[0].message(), "did you mean PGPASSWORD?"));
  CHECK_FALSE(contains(secret[0].message(), "LEAKCANARY"));
}

TEST_CASE("every tool prefix is checked, in any case, and known names pass") {
  for (const std::string_view name :
       {"S3_X", "BACKUP_X", "RESTORE_X", "RETENTION_X", "DOCS_X", "DB_X", "PUSHGATEWAY_X",
        "METRICS_X", "REFRESH_X", "STALE_X", "OBJECT_LOCK_X", "AGE_X", "DRILL_X", "PRUNE_X",
        "DOCUMENTS_X", "s3_x", "Backup_Env"}) {
    CAPTURE(name);
    CHECK(unknown_in({{std::string(name), "1"}}).size() == 1);
  }
  CHECK(unknown_in({{"S3_BUCKET", "b"},
                    {"BACKUP_ENV", "prod"},
                    {"RESTORE_PGHOST", "h"},
                    {"DOCUMENTS_DIR", "/d"},
                    {"PRUNE_AFTER_BACKUP", "false"}})
            .empty());
}

TEST_CASE("libpq's, the AWS SDKs' and unrelated variables are left alone") {
  CHECK(unknown_in({{"PGAPPNAME", "x"},
                    {"PGSERVICEFILE", "/x"},
                    {"PGDATA", "/var/lib/postgresql"},
                    {"PG_MAJOR", "17"},
                    {"AWS_PROFILE", "p"},
                    {"AWS_EC2_METADATA_DISABLED", "true"},
                    {"LOG_FILE", "x"},
                    {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                    {"HOSTNAME", "pod"},
                    {"S3X", "no underscore, no prefix"}})
            .empty());
}

TEST_CASE("an empty variable is unset, so it is no unknown variable either") {
  CHECK(unknown_in({{"BACKUP_REQUIRE_READONLY_ROLES", ""}}).empty());
}

TEST_CASE("Kubernetes service links are not settings") {
  // What the kubelet injects for a Service "db" (port 5432, named "pg") and one "s3-gateway".
  CHECK(unknown_in({{"DB_SERVICE_HOST", "10.0.0.7"},
                    {"DB_SERVICE_PORT", "5432"},
                    {"DB_SERVICE_PORT_PG", "5432"},
                    {"DB_PORT", "tcp://10.0.0.7:5432"},
                    {"DB_PORT_5432_TCP", "tcp://10.0.0.7:5432"},
                    {"DB_PORT_5432_TCP_PROTO", "tcp"},
                    {"DB_PORT_5432_TCP_PORT", "5432"},
                    {"DB_PORT_5432_TCP_ADDR", "10.0.0.7"},
                    {"S3_GATEWAY_PORT_53_UDP", "udp://10.0.0.8:53"},
                    {"METRICS_SERVICE_HOST", "10.0.0.9"}})
            .empty());
  // DB_PORT with a plain number is an operator's setting, not a link: it is reported.
  const auto port = unknown_in({{"DB_PORT", "5432"}});
  REQUIRE(port.size() == 1);
  CHECK(port[0].suggestion == "PGPORT");
  // Shapes close to a link but not one are reported.
  CHECK(unknown_in({{"DB_PORT_5432_TCP_HOST", "x"}}).size() == 1);
  CHECK(unknown_in({{"DB_PORT_ABC_TCP", "x"}}).size() == 1);
}

TEST_CASE("a setting of a later version is reported as such, not as a typo") {
  const auto unknown = unknown_in({{"AGE_RECIPIENTS", "age1..."}, {"AGE_IDENTITY_FILE", "x"}});
  REQUIRE(unknown.size() == 2);
  CHECK(unknown[1].name == "AGE_RECIPIENTS");
  CHECK(unknown[1].later_version);
  CHECK(unknown[1].safety);  // an encryption the operator believes in is a guarantee
  CHECK(unknown[1].suggestion.empty());
  CHECK(contains(unknown[1].message(), "AGE_RECIPIENTS is a setting of a later erp-backup"));
  CHECK(contains(unknown[1].message(), "the deployment is newer than the image"));
  CHECK(unknown[0].name == "AGE_IDENTITY_FILE");
  CHECK(unknown[0].later_version);
  CHECK_FALSE(unknown[0].safety);
}

TEST_CASE("a RESTORE_PG variable the restore target does not map says which ones it maps") {
  const auto unknown = unknown_in({{"RESTORE_PGOPTIONS", "-c x=y"}, {"RESTORE_PGHOTS", "h"}});
  REQUIRE(unknown.size() == 2);
  CHECK(unknown[0].name == "RESTORE_PGHOTS");
  CHECK(unknown[0].suggestion == "RESTORE_PGHOST");
  CHECK(unknown[1].name == "RESTORE_PGOPTIONS");
  CHECK(contains(unknown[1].message(), "the restore target takes only RESTORE_PGHOST"));
}

TEST_CASE("safety: close to a safety setting, or under RETENTION_") {
  CHECK(unknown_in({{"RESTORE_REQUIRE_EXCLUSIV", "false"}})[0].safety);
  CHECK(unknown_in({{"PRUNE_AFTER_BACKUPS", "false"}})[0].safety);
  CHECK(unknown_in({{"RETENTION_WEEKLY_WEEKS", "4"}})[0].safety);
  CHECK_FALSE(unknown_in({{"S3_BUKET", "b"}})[0].safety);
  CHECK_FALSE(unknown_in({{"DOCS_ZSTD_LEVL", "5"}})[0].safety);
}

// --- how load_settings uses it -----------------------------------------------------------------

Vars s3_settings(Vars extra) {
  Vars vars{{"S3_BUCKET", "erp-backups"},
            {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
            {"AWS_SECRET_ACCESS_KEY", "secret"}};
  vars.insert(extra.begin(), extra.end());
  return vars;
}

TEST_CASE("a command that writes refuses any unknown variable; a read-only one warns") {
  const MapEnvironment env(s3_settings({{"S3_STALL_TIMOUT", "5s"}}));
  const auto writes = load_settings(env, {.s3 = true, .writes = true});
  REQUIRE_FALSE(writes.has_value());
  CHECK(writes.error().kind == ErrorKind::config);
  CHECK(contains(writes.error().message,
                 "unknown variable S3_STALL_TIMOUT (hint: did you mean "
                 "S3_STALL_TIMEOUT?"));

  const auto reads = load_settings(env, {.s3 = true});
  REQUIRE(reads.has_value());
  REQUIRE(reads->warnings.size() == 1);
  CHECK(contains(reads->warnings[0], "unknown variable S3_STALL_TIMOUT"));
}

TEST_CASE("every command refuses a misspelt safety setting") {
  const MapEnvironment env(s3_settings({{"BACKUP_REQUIRE_READONLY_ROLES", "true"}}));
  const auto reads = load_settings(env, {.s3 = true});
  REQUIRE_FALSE(reads.has_value());
  CHECK(contains(reads.error().message, "did you mean BACKUP_REQUIRE_READONLY_ROLE?"));
}

TEST_CASE("when the settings fail anyway, the warnings are listed with the problems") {
  // A typo of a required name: "missing" alone would not say why.
  Vars vars = s3_settings({{"S3_BUKET", "erp-backups"}});
  vars.erase("S3_BUCKET");
  const auto settings = load_settings(MapEnvironment(vars), {.s3 = true});
  REQUIRE_FALSE(settings.has_value());
  CHECK(contains(settings.error().message, "missing S3_BUCKET"));
  CHECK(contains(settings.error().message,
                 "unknown variable S3_BUKET (hint: did you mean S3_BUCKET?"));
}

}  // namespace
}  // namespace erp::config
