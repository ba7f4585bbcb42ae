#include "catalog/backup_id.h"

#include "core/time_format.h"

#include <cstdio>

namespace erp::catalog {
namespace {

// Reads `count` ASCII digits starting at `pos`; -1 when any of them is not a digit.
// Hand-rolled rather than std::from_chars because from_chars accepts a leading '-'
// and we need an exact count of digits, nothing else.
int read_digits(std::string_view text, std::size_t pos, std::size_t count) {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::unexpected<Error> not_an_id(std::string_view id, std::string_view why) {
  std::string shown(id.substr(0, 64));  // an arbitrary object name may be long
  if (id.size() > shown.size()) shown += "...";
  return make_error(ErrorKind::corrupt,
                    "\"" + shown + "\" is not a backup set id: " + std::string(why) +
                        " (hint: ids are the UTC start time as YYYYMMDDTHHMMSSZ, "
                        "e.g. 20261126T020000Z)");
}

}  // namespace

Result<std::chrono::sys_seconds> parse_backup_id(std::string_view id) {
  using namespace std::chrono;
  if (id.size() != kBackupIdLength) return not_an_id(id, "wrong length");
  if (id[8] != 'T' || id[15] != 'Z') return not_an_id(id, "no 'T' at 9 or 'Z' at 16");
  const int y = read_digits(id, 0, 4);
  const int mo = read_digits(id, 4, 2);
  const int d = read_digits(id, 6, 2);
  const int h = read_digits(id, 9, 2);
  const int mi = read_digits(id, 11, 2);
  const int s = read_digits(id, 13, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return not_an_id(id, "not a digit");
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok()) return not_an_id(id, "no such date");
  if (h > 23 || mi > 59 || s > 59) return not_an_id(id, "no such time of day");
  return sys_days{date} + hours{h} + minutes{mi} + seconds{s};
}

std::string format_backup_id(std::chrono::sys_seconds start_time) {
  return format_basic_iso8601_utc(start_time);
}

}  // namespace erp::catalog
