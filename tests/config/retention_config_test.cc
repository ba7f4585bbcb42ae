#include "config/retention_config.h"

#include <doctest/doctest.h>

using erp::config::MapEnvironment;

namespace {

erp::Result<erp::retention::RetentionPolicy> load(
    std::map<std::string, std::string, std::less<>> values) {
  return erp::config::load_retention_config(MapEnvironment(std::move(values)));
}

}  // namespace

TEST_CASE("retention defaults are 30/12/10/3") {
  auto policy = load({});
  REQUIRE(policy.has_value());
  CHECK(policy->daily_days == 30);
  CHECK(policy->monthly_months == 12);
  CHECK(policy->yearly_years == 10);
  CHECK(policy->min_keep == 3);
}

TEST_CASE("retention variables are read") {
  auto policy = load({{"RETENTION_DAILY_DAYS", "7"},
                      {"RETENTION_MONTHLY_MONTHS", "0"},
                      {"RETENTION_YEARLY_YEARS", "2"},
                      {"RETENTION_MIN_KEEP", "5"}});
  REQUIRE(policy.has_value());
  CHECK(policy->daily_days == 7);
  CHECK(policy->monthly_months == 0);
  CHECK(policy->yearly_years == 2);
  CHECK(policy->min_keep == 5);
}

TEST_CASE("every malformed retention variable is named with a hint") {
  auto policy = load({{"RETENTION_DAILY_DAYS", "30d"},
                      {"RETENTION_MONTHLY_MONTHS", "-1"},
                      {"RETENTION_YEARLY_YEARS", "99999"},
                      {"RETENTION_MIN_KEEP", "three"}});
  REQUIRE_FALSE(policy.has_value());
  CHECK(policy.error().kind == erp::ErrorKind::config);
  for (const char* name : {"RETENTION_DAILY_DAYS '30d'", "RETENTION_MONTHLY_MONTHS '-1'",
                           "RETENTION_YEARLY_YEARS '99999'", "RETENTION_MIN_KEEP 'three'"}) {
    CHECK_MESSAGE(policy.error().message.find(name) != std::string::npos, name);
  }
  CHECK(policy.error().message.find("hint") != std::string::npos);
}

TEST_CASE("a policy that keeps nothing is refused") {
  auto policy = load({{"RETENTION_DAILY_DAYS", "0"},
                      {"RETENTION_MONTHLY_MONTHS", "0"},
                      {"RETENTION_YEARLY_YEARS", "0"},
                      {"RETENTION_MIN_KEEP", "0"}});
  REQUIRE_FALSE(policy.has_value());
  CHECK(policy.error().kind == erp::ErrorKind::config);
  CHECK(policy.error().message.find("keeps no history") != std::string::npos);
}
