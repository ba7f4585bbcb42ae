// LOG_FORMAT (text|json) and LOG_LEVEL (debug|info|warn|error).
#pragma once

#include "config/environment.h"
#include "core/error.h"
#include "core/logger.h"

namespace erp::config {

struct LogConfig {
  LogFormat format = LogFormat::text;
  LogLevel level = LogLevel::info;
};

Result<LogConfig> load_log_config(const Environment& env);

}  // namespace erp::config
