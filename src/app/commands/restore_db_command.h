// `erp-backup restore db [ID|latest] [--i-know-this-is-the-source]`: the set the argument names
// (catalog::find_set: `latest` is the newest set with a committed dump), restored by
// app/restore/restore_db.h, whose header holds the phases and the exit codes.
#pragma once

#include "app/commands/context.h"

namespace erp::app {

ExitCode run_restore_db(Context& context, const Arguments& args);

}  // namespace erp::app
