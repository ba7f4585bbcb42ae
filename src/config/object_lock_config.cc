#include "config/object_lock_config.h"

#include <string>

#include "config/s3_config.h"

namespace erp::config {
namespace {

// Under a day a daily run finds its rolling-locked keepers unlocked for part of every day
// (retention/lock_plan.h: the margin must outlast the time between runs).
constexpr std::chrono::seconds kMinMargin = std::chrono::hours{24};
constexpr std::chrono::seconds kMaxMargin = std::chrono::days{366};

}  // namespace

std::string_view mode_setting(std::optional<s3::LockMode> mode) {
  if (!mode) return "off";
  return *mode == s3::LockMode::compliance ? "compliance" : "governance";
}

ObjectLockConfig load_object_lock_config(const Environment& env, Problems& problems) {
  ObjectLockConfig config;
  if (const auto text = env.get("OBJECT_LOCK_MODE")) {
    // Exact lower case, like every other choice setting: "Governance" is a typo worth naming,
    // not a guess (a lock the operator believes in but the tool does not apply is the failure).
    if (*text == mode_setting(s3::LockMode::governance)) {
      config.mode = s3::LockMode::governance;
    } else if (*text == mode_setting(s3::LockMode::compliance)) {
      config.mode = s3::LockMode::compliance;
    } else if (*text != mode_setting(std::nullopt)) {
      problems.add("malformed OBJECT_LOCK_MODE '" + *text +
                   "' (hint: off, governance or compliance; default off)");
    }
  }
  if (const auto text = env.get("OBJECT_LOCK_MARGIN")) {
    auto margin = parse_duration(*text);
    if (!margin || *margin < kMinMargin || *margin > kMaxMargin) {
      problems.add("malformed OBJECT_LOCK_MARGIN '" + *text +
                   "' (hint: a duration such as 2d or 36h, from 1d to 366d; default 2d)");
    } else {
      config.margin = std::chrono::duration_cast<std::chrono::seconds>(*margin);
    }
  }
  return config;
}

}  // namespace erp::config
