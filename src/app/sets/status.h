// What `erp-backup status [--max-age DURATION] [--only db|docs] [--json]` (SPEC §2, the command:
// app/commands/status_command.h) judges: how old each
// stream's last success is, from last-success.json alone, so that a CronJob or an external
// checker alerts when a backup silently stopped happening (the incident that started this
// project: a volume backup that had "never" run for months).
//
// Exit 0 when every expected stream (both, or the one named by --only) succeeded within
// max-age (default 26h: a daily job plus slack); 1 when any is older or has never succeeded
// ("never"), or last-success.json cannot be read; 2 on usage errors.
//
// ## A recorded success must be one that happened (issue 17)
// last-success.json is an object anyone with write access can change, so it is not taken at
// its word. A stream is ok only when, besides being young enough:
//   - its finished_at is not more than catalog::kMaxClockSkew (10 min) ahead of now
//     (`finished_at: 2099-...` would otherwise be ok, and stay ok until 2099);
//   - the manifest it names is this env's manifest key for its ID, exists, can be trusted
//     (catalog::trust_problem), records the stream as committed with the same finished_at;
//   - the stream's object is in the bucket with the size the manifest records (HEAD).
// The manifest need not say the whole set was complete: a stream committed in a partial set
// was backed up. Any failed check is that stream's ERROR (exit 1, the message names the key
// and the timestamp). Cost: per expected stream one manifest GET and one HEAD.
//
// With OBJECT_LOCK_MODE on, `status` also says whether the newest backup found Object Lock
// enforced (app/sets/lock_status.h); that line does not change the exit code.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "catalog/key_layout.h"
#include "catalog/last_success.h"
#include "catalog/stream.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

struct StreamStatusLine {
  catalog::Stream stream = catalog::Stream::db;
  std::optional<catalog::StreamSuccess> last;  // nullopt: never
  std::optional<std::chrono::seconds> age;     // when `last`'s time is accepted
  bool fresh = false;                          // within max-age, and no problem
  std::string problem;  // why the recorded success is not believed ("" when none)
};

// One line per expected stream, judged at `now` (catalog::success_time: a time that is not
// one, or lies more than kMaxClockSkew ahead, is the line's problem). Pure.
std::vector<StreamStatusLine> judge_streams(const catalog::LastSuccess& last,
                                            catalog::StreamSet expected,
                                            std::chrono::system_clock::time_point now,
                                            std::chrono::seconds max_age);

// The manifest checks above, for every line that has a `last` and no problem yet: a failed
// check sets the line's problem and clears `fresh`. Errors (the checks could not be made):
// the store's, other than not_found, for the manifest GET or the HEAD.
Result<void> check_manifests(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                             std::vector<StreamStatusLine>& lines);

}  // namespace erp::app
