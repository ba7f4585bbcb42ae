// LOG_FORMAT and LOG_LEVEL (SPEC §3): defaults, every accepted value, and the errors.
#include "config/log_config.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace erp::config {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

TEST_CASE("without LOG_FORMAT and LOG_LEVEL the log is text at info") {
  const auto config = load_log_config(MapEnvironment({}));
  REQUIRE(config.has_value());
  CHECK(config->format == LogFormat::text);
  CHECK(config->level == LogLevel::info);
}

TEST_CASE("empty LOG_FORMAT and LOG_LEVEL count as unset") {
  const auto config = load_log_config(MapEnvironment({{"LOG_FORMAT", ""}, {"LOG_LEVEL", ""}}));
  REQUIRE(config.has_value());
  CHECK(config->format == LogFormat::text);
  CHECK(config->level == LogLevel::info);
}

TEST_CASE("LOG_FORMAT accepts text and json") {
  for (const auto& [text, format] :
       {std::pair{"text", LogFormat::text}, std::pair{"json", LogFormat::json}}) {
    CAPTURE(text);
    const auto config = load_log_config(MapEnvironment(Vars{{"LOG_FORMAT", text}}));
    REQUIRE(config.has_value());
    CHECK(config->format == format);
  }
}

TEST_CASE("LOG_LEVEL accepts debug, info, warn and error") {
  for (const auto& [text, level] :
       {std::pair{"debug", LogLevel::debug}, std::pair{"info", LogLevel::info},
        std::pair{"warn", LogLevel::warn}, std::pair{"error", LogLevel::error}}) {
    CAPTURE(text);
    const auto config = load_log_config(MapEnvironment(Vars{{"LOG_LEVEL", text}}));
    REQUIRE(config.has_value());
    CHECK(config->level == level);
  }
}

TEST_CASE("a malformed LOG_FORMAT or LOG_LEVEL is a config error naming it, with a hint") {
  for (const auto& [variable, value] :
       {std::pair{"LOG_FORMAT", "yaml"}, std::pair{"LOG_FORMAT", "JSON"},
        std::pair{"LOG_LEVEL", "verbose"}, std::pair{"LOG_LEVEL", "warning"}}) {
    CAPTURE(variable);
    CAPTURE(value);
    const auto config = load_log_config(MapEnvironment(Vars{{variable, value}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind == ErrorKind::config);
    CHECK(contains(config.error().message, variable));
    CHECK(contains(config.error().message, std::string("'") + value + "'"));
    CHECK(contains(config.error().message, "(hint:"));
  }
}

}  // namespace
}  // namespace erp::config
