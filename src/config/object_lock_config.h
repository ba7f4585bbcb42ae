// OBJECT_LOCK_MODE and OBJECT_LOCK_MARGIN (SPEC §3, §5 rule 7; issue 20): whether every object
// of a set is written under S3 Object Lock, in which mode, and how far past its tier's horizon
// a lock reaches.
//
//   OBJECT_LOCK_MODE     off (default) | governance | compliance
//   OBJECT_LOCK_MARGIN   a duration in parse_duration's syntax ("2d", "36h"); default 2d. The
//                        slack between the day retention lets a set go and the day its lock
//                        ends: it covers a run that starts late or a missed night, and bounds
//                        how long an expired set stays undeletable.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "config/environment.h"
#include "config/problems.h"
#include "core/error.h"
#include "s3/object_lock.h"

namespace erp::config {

inline constexpr std::chrono::seconds kDefaultObjectLockMargin = std::chrono::hours{48};

struct ObjectLockConfig {
  std::optional<s3::LockMode> mode;  // nullopt: OBJECT_LOCK_MODE=off
  std::chrono::seconds margin = kDefaultObjectLockMargin;

  bool enabled() const { return mode.has_value(); }
};

// The settings, or the defaults when unset. A malformed value is added to `problems` naming the
// variable, its value and the accepted forms; a margin under one day or over 366 days is refused
// (under a day a daily run finds its keepers unlocked part of each day; over a year is a typo).
ObjectLockConfig load_object_lock_config(const Environment& env, Problems& problems);

// The setting's spelling of a mode: "off" (nullopt), "governance", "compliance" (what the
// manifest's object_lock record and `status` show).
std::string_view mode_setting(std::optional<s3::LockMode> mode);

}  // namespace erp::config
