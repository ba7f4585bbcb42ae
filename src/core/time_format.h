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

}  // namespace erp
