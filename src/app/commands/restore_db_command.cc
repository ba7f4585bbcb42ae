#include "app/commands/restore_db_command.h"

#include "app/commands/set_prologue.h"
#include "app/restore/restore_db.h"

namespace erp::app {

ExitCode run_restore_db(Context& context, const Arguments& args) {
  auto chosen = choose_set(
      context, env_layout(context), args.positional(0).value_or("latest"), catalog::Stream::db,
      {.cannot_list = "restore refused: cannot list the sets", .refused = "restore refused"});
  if (!chosen) return chosen.error();
  return exit_code_of(restore_set_db(context, chosen->set(),
                                     {.source_override = args.has("--i-know-this-is-the-source")}));
}

}  // namespace erp::app
