// `erp-backup status [--max-age DURATION] [--only db|docs] [--json]` (SPEC §2): each expected
// stream's last success, judged by app/sets/status.h. Exit 0 when every expected stream succeeded
// within max-age (default 26h), 1 when one is older, never succeeded or cannot be believed, or
// last-success.json cannot be read, 2 on usage errors.
#pragma once

#include "app/commands/context.h"

namespace erp::app {

ExitCode run_status(Context& context, const Arguments& args);

}  // namespace erp::app
