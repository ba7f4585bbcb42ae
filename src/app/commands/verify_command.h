// `erp-backup verify [ID|latest|--all] [--json]` (SPEC §2, issue 8): reads every object of the
// chosen set(s) back and checks it against the manifest (app/sets/verify.h). Exit 0 when every set
// checked is sound, 1 when any problem was found (each named with its key) or the sets could
// not be read, 2 on usage errors, 128+N when stopped by a signal.
#pragma once

#include <string>
#include <vector>

#include "app/commands/context.h"

namespace erp::app {

ExitCode run_verify(Context& context, const Arguments& args);

}  // namespace erp::app
