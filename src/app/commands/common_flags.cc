#include "app/commands/common_flags.h"

#include <charconv>
#include <string>

#include "app/sets/dates.h"

namespace erp::app {

Result<std::optional<std::chrono::year_month_day>> as_of_flag(const Arguments& args) {
  const auto text = args.value("--as-of");
  if (!text) return std::nullopt;
  auto date = parse_as_of(*text);
  if (!date) return std::unexpected(date.error());
  return *date;
}

Result<int> jobs_flag(const Arguments& args, std::string_view command) {
  const auto text = args.value("--jobs");
  if (!text) return 1;
  int jobs = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), jobs);
  if (ec != std::errc() || end != text->data() + text->size() || jobs < 1 ||
      jobs > kMaxRestoreJobs) {
    return make_error(ErrorKind::config,
                      std::string(command) + " refused: --jobs '" + *text +
                          "': --jobs takes 1 to " + std::to_string(kMaxRestoreJobs) +
                          " (pg_restore's parallel sessions; 1 streams the dump)");
  }
  return jobs;
}

}  // namespace erp::app
