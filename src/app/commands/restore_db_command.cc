#include "app/commands/restore_db_command.h"

#include "app/commands/common_flags.h"
#include "app/commands/set_prologue.h"
#include "app/restore/restore_db.h"

namespace erp::app {

ExitCode run_restore_db(Context& context, const Arguments& args) {
  const auto jobs = or_usage(context, jobs_flag(args, "restore"));
  if (!jobs) return jobs.error();
  const std::filesystem::path& scratch = context.settings.restore_target->scratch_dir;
  if (*jobs > 1 && scratch.empty()) {
    context.log.error(
        "restore refused: --jobs " + std::to_string(*jobs) +
        " needs RESTORE_SCRATCH_DIR (hint: a directory with room for the dump, which pg_restore "
        "-j reads from a file; or --jobs 1 to stream it)");
    return ExitCode::usage;
  }
  auto chosen = choose_set(
      context, env_layout(context), args.positional(0).value_or("latest"), catalog::Stream::db,
      {.cannot_list = "restore refused: cannot list the sets", .refused = "restore refused"});
  if (!chosen) return chosen.error();
  return exit_code_of(restore_set_db(context, chosen->set(),
                                     {.source_override = args.has("--i-know-this-is-the-source"),
                                      .jobs = *jobs,
                                      .scratch_dir = scratch}));
}

}  // namespace erp::app
