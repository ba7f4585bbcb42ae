#include "app/commands/restore_db_command.h"

#include <charconv>

#include "app/commands/set_prologue.h"
#include "app/restore/restore_db.h"

namespace erp::app {
namespace {

constexpr int kMaxJobs = 32;

// --jobs N: 1..32, 1 (streaming) when absent. nullopt: malformed (logged).
std::optional<int> jobs_flag(Context& context, const Arguments& args) {
  const auto text = args.value("--jobs");
  if (!text) return 1;
  int jobs = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), jobs);
  if (ec != std::errc() || end != text->data() + text->size() || jobs < 1 || jobs > kMaxJobs) {
    context.log.error(
        "restore refused: --jobs takes 1 to 32 (pg_restore's parallel sessions; 1 "
        "streams the dump)",
        {{"jobs", *text}});
    return std::nullopt;
  }
  return jobs;
}

}  // namespace

ExitCode run_restore_db(Context& context, const Arguments& args) {
  const auto jobs = jobs_flag(context, args);
  if (!jobs) return ExitCode::usage;
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
