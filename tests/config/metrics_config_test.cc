// METRICS_TEXTFILE and PUSHGATEWAY_* (config/metrics_config.h): defaults, the instance label's
// fallback, and every problem named with its setting.
#include "config/metrics_config.h"

#include <doctest/doctest.h>

#include "fakes/temp_dir.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace erp::config {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

TEST_CASE("without METRICS_TEXTFILE and PUSHGATEWAY_URL metrics are off") {
  const auto config = load_metrics_config(MapEnvironment(Vars{{"BACKUP_ENV", "prod"}}));
  REQUIRE(config.has_value());
  CHECK_FALSE(config->enabled());
  CHECK(config->job == "erp-backup");
}

TEST_CASE("the instance label is PUSHGATEWAY_INSTANCE, else BACKUP_ENV") {
  auto config = load_metrics_config(
      MapEnvironment({{"PUSHGATEWAY_URL", "http://pg:9091/"}, {"BACKUP_ENV", "prod"}}));
  REQUIRE(config.has_value());
  CHECK(config->enabled());
  CHECK(config->pushgateway_url == "http://pg:9091");
  CHECK(config->instance == "prod");
  config = load_metrics_config(MapEnvironment({{"PUSHGATEWAY_URL", "https://pg"},
                                               {"BACKUP_ENV", "prod"},
                                               {"PUSHGATEWAY_INSTANCE", "erp-prod"},
                                               {"PUSHGATEWAY_JOB", "nightly"}}));
  REQUIRE(config.has_value());
  CHECK(config->instance == "erp-prod");
  CHECK(config->job == "nightly");
}

TEST_CASE("a textfile alone needs no instance") {
  const testing::TempDir directory;
  const std::string path = (directory.path() / "erp.prom").string();
  const auto config = load_metrics_config(MapEnvironment(Vars{{"METRICS_TEXTFILE", path}}));
  REQUIRE(config.has_value());
  CHECK(config->textfile == path);
  CHECK(config->enabled());
}

TEST_CASE("the textfile's directory must exist and be writable when the settings load") {
  const testing::TempDir directory;
  const std::string file = directory.write_file("not-a-directory", "x");
  struct Case {
    std::string path;
    std::string_view reason;
  };
  const Case cases[] = {
      {(directory.path() / "missing" / "erp.prom").string(), "No such file or directory"},
      {file + "/erp.prom", "not a directory"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    const auto config = load_metrics_config(MapEnvironment(Vars{{"METRICS_TEXTFILE", c.path}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind == ErrorKind::config);
    CHECK(contains(config.error().message, "METRICS_TEXTFILE '" + c.path + "': its directory"));
    CHECK(contains(config.error().message, c.reason));
    CHECK(contains(config.error().message, "(hint: a directory this process can write"));
  }
}

TEST_CASE("a URL with credentials, a query or no host, and a URL without instance, are refused") {
  for (const std::string url : {"https://user:secret@pg:9091", "http://pg?x=1", "http://",
                                "http:///x", "http://pg:port", "http://pg/#x"}) {
    CAPTURE(url);
    const auto config =
        load_metrics_config(MapEnvironment({{"PUSHGATEWAY_URL", url}, {"BACKUP_ENV", "prod"}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(contains(config.error().message, "malformed PUSHGATEWAY_URL"));
  }
  const auto config =
      load_metrics_config(MapEnvironment(Vars{{"PUSHGATEWAY_URL", "http://pg:9091"}}));
  REQUIRE_FALSE(config.has_value());
  CHECK(contains(config.error().message,
                 "PUSHGATEWAY_URL is set but neither PUSHGATEWAY_INSTANCE nor BACKUP_ENV"));
}

TEST_CASE("a PUSHGATEWAY_URL with credentials is refused without ever showing them") {
  // Issue 17: the refusal used to quote the URL, password included.
  const auto config = load_metrics_config(MapEnvironment(
      {{"PUSHGATEWAY_URL", "https://push:SeCrEtPW@pg.monitoring:9091"}, {"BACKUP_ENV", "prod"}}));
  REQUIRE_FALSE(config.has_value());
  CHECK(contains(config.error().message,
                 "malformed PUSHGATEWAY_URL 'https://<redacted>@pg.monitoring:9091'"));
  CHECK(contains(config.error().message, "no credentials in the URL"));
  CHECK_FALSE(contains(config.error().message, "SeCrEtPW"));
  CHECK_FALSE(contains(config.error().message, "push:"));
}

TEST_CASE("PUSHGATEWAY_CA_BUNDLE must hold a certificate") {
  const std::string path = "/tmp/erp-metrics-config-test-bundle.pem";
  std::ofstream(path) << "not a certificate\n";
  const auto config = load_metrics_config(MapEnvironment({{"PUSHGATEWAY_URL", "https://pg"},
                                                          {"BACKUP_ENV", "prod"},
                                                          {"PUSHGATEWAY_CA_BUNDLE", path}}));
  std::filesystem::remove(path);
  REQUIRE_FALSE(config.has_value());
  CHECK(contains(config.error().message, "holds no PEM certificate"));
}

}  // namespace
}  // namespace erp::config
