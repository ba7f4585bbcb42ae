#include "config/log_config.h"

#include "config/choice_setting.h"

namespace erp::config {

Result<LogConfig> load_log_config(const Environment& env) {
  LogConfig config;
  auto format = parse_choice<LogFormat>(
      env, "LOG_FORMAT", {{"text", LogFormat::text}, {"json", LogFormat::json}}, "text or json");
  if (!format) return std::unexpected(format.error());
  if (*format) config.format = **format;
  auto level = parse_choice<LogLevel>(env, "LOG_LEVEL",
                                      {{"debug", LogLevel::debug},
                                       {"info", LogLevel::info},
                                       {"warn", LogLevel::warn},
                                       {"error", LogLevel::error}},
                                      "debug, info, warn or error");
  if (!level) return std::unexpected(level.error());
  if (*level) config.level = **level;
  return config;
}

}  // namespace erp::config
