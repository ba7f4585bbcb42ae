#include "config/log_config.h"

namespace erp::config {

Result<LogConfig> load_log_config(const Environment& env) {
  LogConfig config;
  if (auto format = env.get("LOG_FORMAT")) {
    if (*format == "text")
      config.format = LogFormat::text;
    else if (*format == "json")
      config.format = LogFormat::json;
    else
      return make_error(ErrorKind::config,
                        "malformed LOG_FORMAT '" + *format + "' (hint: text or json)");
  }
  if (auto level = env.get("LOG_LEVEL")) {
    if (*level == "debug")
      config.level = LogLevel::debug;
    else if (*level == "info")
      config.level = LogLevel::info;
    else if (*level == "warn")
      config.level = LogLevel::warn;
    else if (*level == "error")
      config.level = LogLevel::error;
    else
      return make_error(ErrorKind::config,
                        "malformed LOG_LEVEL '" + *level + "' (hint: debug, info, warn or error)");
  }
  return config;
}

}  // namespace erp::config
