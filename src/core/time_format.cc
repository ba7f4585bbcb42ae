#include "core/time_format.h"

#include <ctime>

namespace erp {

std::string format_iso8601_utc(std::chrono::system_clock::time_point time) {
  // floor, not to_time_t's truncation toward zero: a time before 1970 keeps its second.
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const std::time_t value = seconds.time_since_epoch().count();
  std::tm utc{};
  gmtime_r(&value, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace erp
