// Flags several commands share, read from parsed arguments (app/commands/command_line.h) into
// their values, each with the same wording of its errors.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "app/commands/command_line.h"
#include "core/error.h"

namespace erp::app {

// `--as-of YYYY-MM-DD` when given (app/sets/dates.h). Errors: config, the date's.
Result<std::optional<std::chrono::year_month_day>> as_of_flag(const Arguments& args);

// The most parallel pg_restore sessions `--jobs` asks for.
inline constexpr int kMaxRestoreJobs = 32;

// `--jobs N` of `restore db` and `drill`: 1 (stream the dump, the default) to kMaxRestoreJobs.
// Errors: config, "<command> refused: --jobs takes 1 to 32 ..." naming the value.
Result<int> jobs_flag(const Arguments& args, std::string_view command);

}  // namespace erp::app
