#include "app/commands/common_flags.h"

#include "app/sets/dates.h"

namespace erp::app {

Result<std::optional<std::chrono::year_month_day>> as_of_flag(const Arguments& args) {
  const auto text = args.value("--as-of");
  if (!text) return std::nullopt;
  auto date = parse_as_of(*text);
  if (!date) return std::unexpected(date.error());
  return *date;
}

}  // namespace erp::app
