#include "app/sets/dates.h"

#include <cstdio>

namespace erp::app {

std::optional<std::chrono::year_month_day> parse_date(std::string_view view) {
  const std::string text(view);  // sscanf needs a terminated string
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  char tail = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{m},
                                         std::chrono::day{d}};
  if (!date.ok()) return std::nullopt;
  return date;
}

Result<std::chrono::year_month_day> parse_as_of(std::string_view text) {
  if (auto date = parse_date(text)) return *date;
  return make_error(ErrorKind::config,
                    "--as-of takes a date YYYY-MM-DD, not '" + std::string(text) + "'");
}

std::string date_text(std::chrono::year_month_day date) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

}  // namespace erp::app
