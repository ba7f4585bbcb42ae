#include "app/commands/drill_command.h"

#include <charconv>

#include "app/commands/set_prologue.h"
#include "app/drill/drill_run.h"

namespace erp::app {
namespace {

constexpr int kMaxJobs = 32;

// --jobs N: 1 (streaming, the default) to kMaxJobs. Errors: config naming the value.
Result<int> jobs_of(const Arguments& args) {
  const auto text = args.value("--jobs");
  if (!text) return 1;
  int jobs = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), jobs);
  if (ec != std::errc() || end != text->data() + text->size() || jobs < 1 || jobs > kMaxJobs) {
    return make_error(ErrorKind::config, "drill: --jobs '" + *text + "': a number from 1 to " +
                                             std::to_string(kMaxJobs));
  }
  return jobs;
}

}  // namespace

ExitCode run_drill(Context& context, const Arguments& args) {
  auto jobs = or_usage(context, jobs_of(args));
  if (!jobs) return jobs.error();
  const config::DrillConfig& drill = *context.settings.drill;
  DrillRequest request{
      .which = args.positional(0).value_or("latest"), .jobs = *jobs, .json = args.has("--json")};
  request.target = DrillTargetRequest{.embedded = drill.target == config::DrillTarget::embedded,
                                      .work_dir = drill.work_dir,
                                      .bin_dir = drill.bin_dir,
                                      .base_environment = context.settings.tools->child_environment,
                                      .rules = &*context.settings.restore_target};
  return run_drill_job(context, request);
}

}  // namespace erp::app
