// `erp-backup prune` and `erp-backup list` (SPEC §2, §5; issue 4). Each returns the
// process exit code and reports its own errors.
#pragma once

#include <string>
#include <vector>

#include "app/context.h"

namespace erp::app {

// prune [--dry-run] [--as-of YYYY-MM-DD] [--json]: prints the retention plan and, unless
// --dry-run, deletes the sets it does not keep (manifest last). 0 done, 1 a deletion or
// listing failed, 2 usage/configuration (including a policy that keeps nothing).
int run_prune(Context& context, const std::vector<std::string>& args);

// list [--json]: the env's sets, newest first: id, time, status, sizes, and the tier that
// keeps each today (or "expires").
int run_list(Context& context, const std::vector<std::string>& args);

}  // namespace erp::app
