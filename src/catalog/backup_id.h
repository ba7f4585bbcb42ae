// Backup set IDs: the UTC start time of a set, to the second, as "YYYYMMDDTHHMMSSZ"
// (SPEC §4), e.g. "20261126T020000Z". Pure: no clock, no I/O.
//
// The ID is the one name a set has in every key (db/<ID>.dump, manifests/<ID>.json, ...),
// so parsing is strict: anything that is not exactly the form below is not one of the
// tool's IDs, and objects named by it are never deleted (SPEC §4), only reported.
// The catalog (key layout, manifests, last-success) parses keys with it; retention, which
// builds on the catalog, gets the IDs from there.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.h"

namespace erp::catalog {

// Exactly 16 ASCII characters: 8 digits (year, month, day), 'T', 6 digits (hour,
// minute, second), 'Z'. Upper-case 'T' and 'Z' only; no separators, no fraction, no
// offset, no surrounding spaces.
inline constexpr std::size_t kBackupIdLength = 16;

// The instant an ID names. Accepts every year 0000-9999 and only real calendar dates
// (2028-02-29 yes, 2026-02-29 and 2026-04-31 no), hours 00-23, minutes and seconds 00-59
// (a leap second "60" is refused: the tool never makes one).
// Errors: ErrorKind::corrupt, message quoting the text and the expected form. A caller
// parsing operator input (e.g. `restore db <ID>`) re-labels it ErrorKind::config.
Result<std::chrono::sys_seconds> parse_backup_id(std::string_view id);

// The ID of `start_time` (sub-second parts are already gone in sys_seconds).
// Round trip: parse_backup_id(format_backup_id(t)) == t for every t in years 0000-9999.
// Outside that range the result has more or fewer than 4 year digits, which
// parse_backup_id refuses; the tool only formats the current time.
std::string format_backup_id(std::chrono::sys_seconds start_time);

}  // namespace erp::catalog
