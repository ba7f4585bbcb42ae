// Time as the tool writes it everywhere (manifests, last-success.json, listings, logs):
// ISO 8601 in UTC with a Z, to the second.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace erp {

// "2026-11-30T02:00:00Z". Sub-second parts are dropped (floor).
std::string format_iso8601_utc(std::chrono::system_clock::time_point time);

// "2026-11-30T02:00:00Z" (exactly the format above) back to a time point; nullopt for
// anything else.
std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(const std::string& text);

// "20261130T020000Z": ISO 8601's basic form, what backup IDs (catalog/backup_id.h) and
// SigV4's X-Amz-Date are. Years outside 0000-9999 come out with more or fewer digits.
std::string format_basic_iso8601_utc(std::chrono::sys_seconds time);

}  // namespace erp
