// The one list of the variables erp-backup reads (config/known_variables.h) holds what the
// loaders read: every loader runs against an Environment that records each name it is asked
// for, in configurations that take each branch (each credential provider, a backup that prunes,
// ...), and every recorded name must be listed (or be libpq's PG* family). The other direction,
// and names read in branches no configuration here takes, are checked against the sources by
// tests/integration/test_readme.py.
#include "config/known_variables.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "config/log_config.h"
#include "config/metrics_config.h"
#include "config/settings.h"
#include "pg/pg_settings.h"

namespace erp::config {
namespace {

// A MapEnvironment that remembers every name get() was asked for.
class RecordingEnvironment final : public Environment {
 public:
  explicit RecordingEnvironment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  std::optional<std::string> get(std::string_view name) const override {
    asked_.insert(std::string(name));
    return values_.get(name);
  }
  std::vector<std::string> names() const override { return values_.names(); }
  const std::set<std::string>& asked() const { return asked_; }

 private:
  MapEnvironment values_;
  mutable std::set<std::string> asked_;
};

// Passed through to children (config/tools_config.h), not settings of the tool.
bool is_passed_through(std::string_view name) {
  return name == "PATH" || name == "HOME" || name == "LANG" || name == "LC_ALL" || name == "TZ";
}

bool is_libpq_variable(std::string_view name) {
  return std::ranges::any_of(pg::pg_environment_variables(),
                             [&](const pg::PgKeywordVariable& v) { return v.variable == name; });
}

TEST_CASE("every name the loaders ask for is in the list of known variables") {
  const Needs everything{.s3 = true,
                         .layout = true,
                         .backup = true,
                         .retention = true,
                         .tools = true,
                         .restore_target = true,
                         .restore_docs = true};
  // One configuration per credential provider: each reads its own variables only when chosen.
  const std::map<std::string, std::string, std::less<>> providers[] = {
      {{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "secret"}},
      {{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}, {"AWS_WEB_IDENTITY_TOKEN_FILE", "/dev/null"}},
      {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/creds"},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "token"}},
      {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials"},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/dev/null"}},
  };
  std::set<std::string> asked;
  for (const auto& provider : providers) {
    auto values = provider;
    values["PUSHGATEWAY_URL"] = "http://pushgateway:9091";  // reads the instance and job too
    RecordingEnvironment env(values);
    (void)load_settings(env, everything);
    (void)load_log_config(env);
    (void)load_metrics_config(env);
    asked.insert(env.asked().begin(), env.asked().end());
  }
  REQUIRE(asked.size() > 60);  // the loaders really ran
  for (const std::string& name : asked) {
    CAPTURE(name);
    CHECK((find_known_variable(name) != nullptr || is_libpq_variable(name) ||
           is_passed_through(name)));
  }
}

TEST_CASE("the lists are sorted, hold each name once, and a later version's names are not known") {
  const auto sorted_unique = [](std::span<const KnownVariable> list) {
    return std::ranges::adjacent_find(list, [](const KnownVariable& a, const KnownVariable& b) {
             return a.name >= b.name;
           }) == list.end();
  };
  CHECK(sorted_unique(known_variables()));
  CHECK(sorted_unique(later_version_variables()));
  for (const KnownVariable& later : later_version_variables()) {
    CAPTURE(later.name);
    CHECK(find_known_variable(later.name) == nullptr);
  }
}

TEST_CASE("find_known_variable finds exactly the listed names") {
  CHECK(find_known_variable("BACKUP_REQUIRE_READONLY_ROLE") != nullptr);
  CHECK(find_known_variable("BACKUP_REQUIRE_READONLY_ROLE")->safety);
  CHECK_FALSE(find_known_variable("S3_BUCKET")->safety);
  CHECK(find_known_variable("BACKUP_REQUIRE_READONLY_ROLES") == nullptr);
  CHECK(find_known_variable("s3_bucket") == nullptr);  // names are case-sensitive
  CHECK(find_known_variable("") == nullptr);
}

}  // namespace
}  // namespace erp::config
