// STALE_UPLOAD_AGE (SPEC §3, §5 rule 6): how old an open multipart upload of this env must be
// before `prune` aborts it. Default 24h, in the duration syntax of parse_duration ("24h", "90m",
// "2d", "30s", plain seconds).
//
// The age must exceed the longest backup run: an upload younger than it may belong to a run
// still in progress (a second job of the same env, a slow `put`), and aborting that would fail
// it. A backup run that holds a fresh lease (app/backup/run_lease.h) is protected whatever the age;
// the age still matters for runs without one. A killed run's upload is cleaned up by the first
// prune after both the age and its lease's staleness have passed.
#pragma once

#include <chrono>

#include "config/environment.h"
#include "config/problems.h"
#include "core/error.h"

namespace erp::config {

inline constexpr std::chrono::milliseconds kDefaultStaleUploadAge = std::chrono::hours{24};
// Below this an age is shorter than many backups run: accepted (tests and small installations
// use it), but the commands that abort or list uploads warn, naming the risk
// (app/backup/stale_uploads.h). A run that holds a fresh lease keeps its uploads at any age.
inline constexpr std::chrono::milliseconds kShortStaleUploadAge = std::chrono::hours{1};

// The age from STALE_UPLOAD_AGE, or the default when unset. A malformed value is added to
// `problems`, naming the variable and its value with a hint ("malformed STALE_UPLOAD_AGE
// '1 day' (hint: ...)"); an age under one second is refused too (it would abort uploads that
// are still being written). The value is only meaningful when nothing was added.
std::chrono::milliseconds load_stale_upload_age(const Environment& env, Problems& problems);
// The same on its own. Errors: kind config.
Result<std::chrono::milliseconds> load_stale_upload_age(const Environment& env);

}  // namespace erp::config
