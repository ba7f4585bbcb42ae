#include "app/commands/drill_command.h"

#include "app/commands/common_flags.h"
#include "app/commands/set_prologue.h"
#include "app/drill/drill_run.h"

namespace erp::app {

ExitCode run_drill(Context& context, const Arguments& args) {
  auto jobs = or_usage(context, jobs_flag(args, "drill"));
  if (!jobs) return jobs.error();
  const config::DrillConfig& drill = *context.settings.drill;
  DrillRequest request{
      .which = args.positional(0).value_or("latest"), .jobs = *jobs, .json = args.has("--json")};
  request.target = DrillTargetRequest{.embedded = drill.target == config::DrillTarget::embedded,
                                      .work_dir = drill.work_dir,
                                      .bin_dir = drill.bin_dir,
                                      .base_environment = context.settings.tools->child_environment,
                                      .rules = &*context.settings.restore_target};
  request.scratch_dir = context.settings.restore_target->scratch_dir;
  return run_drill_job(context, request);
}

}  // namespace erp::app
