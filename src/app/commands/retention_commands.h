// `erp-backup prune` and `erp-backup list` (SPEC §2, §5; issue 4). Each returns the
// process exit code and reports its own errors.
#pragma once

#include <string>
#include <vector>

#include "app/commands/context.h"

namespace erp::app {

// prune [--dry-run] [--as-of YYYY-MM-DD] [--json]: prints the retention plan and, unless
// --dry-run, deletes the sets it does not keep (manifest last), then aborts the env's multipart
// uploads older than STALE_UPLOAD_AGE (stale_uploads.h). 0 done, 1 a deletion, listing or abort
// failed, 2 usage/configuration (including a policy that keeps nothing).
ExitCode run_prune(Context& context, const Arguments& args);

// list [--as-of YYYY-MM-DD] [--json]: the env's sets, newest first: id, time, status,
// the streams each holds, sizes, the tier that keeps each today (or on the --as-of date)
// or "expires", and per stream the tier that keeps it for that stream ("expired" when
// that stream's rules do not, "-" when the set does not hold it); then the env's open multipart
// uploads (key, upload id, state, initiated, age). 1 when a listing failed (a store without
// ListMultipartUploads only warns).
ExitCode run_list(Context& context, const Arguments& args);

}  // namespace erp::app
