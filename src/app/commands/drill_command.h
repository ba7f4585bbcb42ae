// `erp-backup drill [ID|latest] [--jobs N] [--json]`: the arguments and settings turned into a
// drill (app/drill/drill_run.h, whose header holds the steps and the exit codes).
#pragma once

#include "app/commands/context.h"

namespace erp::app {

ExitCode run_drill(Context& context, const Arguments& args);

}  // namespace erp::app
