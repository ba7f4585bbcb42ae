// The program's log: one line per event with key=value context, as text or as one
// JSON object per line (LOG_FORMAT=json). Only commands log (docs/architecture.md); library
// code reports through return values. Thread-safe (spdlog underneath).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spdlog {
class logger;
}

namespace erp {

enum class LogFormat { text, json };
enum class LogLevel { debug, info, warn, error };

using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  // Writes to stderr (stdout is for command output such as `cat` and `ls`).
  Logger(LogFormat format, LogLevel level);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void debug(std::string_view message, std::vector<LogField> fields = {});
  void info(std::string_view message, std::vector<LogField> fields = {});
  void warn(std::string_view message, std::vector<LogField> fields = {});
  void error(std::string_view message, std::vector<LogField> fields = {});

 private:
  void log(LogLevel level, std::string_view message, std::vector<LogField>& fields);
  LogFormat format_;
  LogLevel level_;
  std::shared_ptr<spdlog::logger> sink_;
};

}  // namespace erp
