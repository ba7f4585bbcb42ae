#include "config/stale_upload_config.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "config/settings.h"

using erp::config::MapEnvironment;
using namespace std::chrono_literals;

namespace {

erp::Result<std::chrono::milliseconds> load(
    std::map<std::string, std::string, std::less<>> values) {
  return erp::config::load_stale_upload_age(MapEnvironment(std::move(values)));
}

}  // namespace

TEST_CASE("STALE_UPLOAD_AGE defaults to 24 hours") {
  auto age = load({});
  REQUIRE(age.has_value());
  CHECK(*age == 24h);
  // An empty value counts as unset (Kubernetes renders absent values as "").
  auto empty = load({{"STALE_UPLOAD_AGE", ""}});
  REQUIRE(empty.has_value());
  CHECK(*empty == 24h);
}

TEST_CASE("STALE_UPLOAD_AGE takes the duration syntax of the other settings") {
  const std::vector<std::pair<std::string, std::chrono::milliseconds>> cases = {
      {"36h", 36h}, {"90m", 90min}, {"2d", 48h}, {"5s", 5s}, {"7200", 2h}, {"1500ms", 1500ms}};
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    auto age = load({{"STALE_UPLOAD_AGE", text}});
    REQUIRE(age.has_value());
    CHECK(*age == expected);
  }
}

TEST_CASE("a malformed or too short STALE_UPLOAD_AGE is a config error naming it, with a hint") {
  for (const char* text : {"1 day", "24 h", "-5m", "abc", "3w", "0", "999ms", "0s"}) {
    CAPTURE(text);
    auto age = load({{"STALE_UPLOAD_AGE", text}});
    REQUIRE_FALSE(age.has_value());
    CHECK(age.error().kind == erp::ErrorKind::config);
    CHECK(age.error().message.find("STALE_UPLOAD_AGE '" + std::string(text) + "'") !=
          std::string::npos);
    CHECK(age.error().message.find("(hint: ") != std::string::npos);
  }
}

TEST_CASE("STALE_UPLOAD_AGE comes with the retention group, its problem reported with the others") {
  using erp::config::load_settings;
  constexpr erp::config::Needs kList{.s3 = true, .layout = true, .retention = true};
  std::map<std::string, std::string, std::less<>> values = {{"S3_BUCKET", "backups"},
                                                            {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                            {"AWS_SECRET_ACCESS_KEY", "erpTEST-s"},
                                                            {"BACKUP_ENV", "prod"}};
  auto settings = load_settings(MapEnvironment(values), kList);
  REQUIRE(settings.has_value());
  CHECK(settings->stale_upload_age == 24h);
  values["STALE_UPLOAD_AGE"] = "36h";
  settings = load_settings(MapEnvironment(values), kList);
  REQUIRE(settings.has_value());
  CHECK(settings->stale_upload_age == 36h);
  // Commands that do not prune do not read it.
  settings = load_settings(MapEnvironment(values), {.s3 = true});
  REQUIRE(settings.has_value());
  CHECK_FALSE(settings->stale_upload_age.has_value());
  values["STALE_UPLOAD_AGE"] = "soon";
  values["RETENTION_MIN_KEEP"] = "three";
  settings = load_settings(MapEnvironment(values), kList);
  REQUIRE_FALSE(settings.has_value());
  CHECK(settings.error().message.find("STALE_UPLOAD_AGE 'soon'") != std::string::npos);
  CHECK(settings.error().message.find("RETENTION_MIN_KEEP 'three'") != std::string::npos);
}
