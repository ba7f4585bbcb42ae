// Flags several commands share, read from parsed arguments (app/commands/command_line.h) into
// their values, each with the same wording of its errors.
#pragma once

#include <chrono>
#include <optional>

#include "app/commands/command_line.h"
#include "core/error.h"

namespace erp::app {

// `--as-of YYYY-MM-DD` when given (app/sets/dates.h). Errors: config, the date's.
Result<std::optional<std::chrono::year_month_day>> as_of_flag(const Arguments& args);

}  // namespace erp::app
