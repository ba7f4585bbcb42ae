// `erp-backup status [--max-age DURATION] [--only db|docs] [--json]` (SPEC §2): how old each
// stream's last success is, from last-success.json alone, so that a CronJob or an external
// checker alerts when a backup silently stopped happening (the incident that started this
// project: a volume backup that had "never" run for months).
//
// Exit 0 when every expected stream (both, or the one named by --only) succeeded within
// max-age (default 26h: a daily job plus slack); 1 when any is older or has never succeeded
// ("never"), or last-success.json cannot be read; 2 on usage errors.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/context.h"
#include "catalog/last_success.h"
#include "catalog/stream.h"

namespace erp::app {

struct StreamStatusLine {
  catalog::Stream stream = catalog::Stream::db;
  std::optional<catalog::StreamSuccess> last;  // nullopt: never
  std::optional<std::chrono::seconds> age;     // when `last` has a parseable time
  bool fresh = false;                          // succeeded within max-age
};

// One line per expected stream, judged at `now`. Pure.
std::vector<StreamStatusLine> judge_streams(const catalog::LastSuccess& last,
                                            catalog::StreamSet expected,
                                            std::chrono::system_clock::time_point now,
                                            std::chrono::seconds max_age);

int run_status(Context& context, const std::vector<std::string>& args);

}  // namespace erp::app
