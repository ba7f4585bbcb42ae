#include "core/logger.h"

#include <chrono>
#include <ctime>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/enum_names.h"

namespace erp {
namespace {

constexpr EnumName<LogLevel> kLevelNames[] = {{LogLevel::debug, "debug"},
                                              {LogLevel::info, "info"},
                                              {LogLevel::warn, "warn"},
                                              {LogLevel::error, "error"}};

std::string_view level_name(LogLevel level) {
  return name_of(kLevelNames, level, "info");
}

// Values with spaces, quotes or '=' are quoted so key=value lines stay parseable.
std::string quote_if_needed(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \"=\t\n") == std::string::npos) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof text - length, ".%03dZ", static_cast<int>(millis));
  return text;
}

}  // namespace

Logger::Logger(LogFormat format, LogLevel level)
    : format_(format),
      level_(level),
      // Not registered globally: each Logger is an object that is passed, not looked up.
      sink_(std::make_shared<spdlog::logger>("erp-backup",
                                             std::make_shared<spdlog::sinks::stderr_sink_mt>())) {
  sink_->set_pattern("%v");
  sink_->set_level(spdlog::level::trace);
  sink_->flush_on(spdlog::level::trace);
}

Logger::~Logger() = default;

void Logger::debug(std::string_view message, std::vector<LogField> fields) {
  log(LogLevel::debug, message, fields);
}
void Logger::info(std::string_view message, std::vector<LogField> fields) {
  log(LogLevel::info, message, fields);
}
void Logger::warn(std::string_view message, std::vector<LogField> fields) {
  log(LogLevel::warn, message, fields);
}
void Logger::error(std::string_view message, std::vector<LogField> fields) {
  log(LogLevel::error, message, fields);
}

void Logger::log(LogLevel level, std::string_view message, std::vector<LogField>& fields) {
  if (level < level_) return;
  std::string line;
  if (format_ == LogFormat::json) {
    nlohmann::ordered_json object;
    object["time"] = utc_timestamp();
    object["level"] = level_name(level);
    object["msg"] = message;
    for (auto& [key, value] : fields) object[std::string(key)] = std::move(value);
    line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = utc_timestamp() + " " + std::string(level_name(level)) + " " + std::string(message);
    for (const auto& [key, value] : fields)
      line += " " + std::string(key) + "=" + quote_if_needed(value);
  }
  sink_->info(line);
}

}  // namespace erp
