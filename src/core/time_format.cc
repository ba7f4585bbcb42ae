#include "core/time_format.h"

#include <cstdio>
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

std::string format_basic_iso8601_utc(std::chrono::sys_seconds time) {
  using namespace std::chrono;
  const sys_days day_start = floor<days>(time);
  const year_month_day date{day_start};
  const hh_mm_ss<seconds> clock{time - day_start};
  // g++ 12's libstdc++ has no std::format; snprintf into a buffer big enough for any int year.
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

}  // namespace erp
