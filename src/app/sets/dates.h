// Calendar dates on the command line: `prune --as-of` and `list --as-of` take the UTC
// date the retention plan is computed for, so tiers can be checked on a fixed day.
// Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace erp::app {

// "YYYY-MM-DD", exactly 10 characters, a real calendar date (2028-02-29 yes,
// 2026-02-30 no); nullopt for anything else.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);

// The value of `--as-of`. Errors: ErrorKind::config quoting the text, with the form.
Result<std::chrono::year_month_day> parse_as_of(std::string_view text);

// "2026-11-26".
std::string date_text(std::chrono::year_month_day date);

}  // namespace erp::app
