#include "app/commands/backup_command.h"

#include "app/backup/backup_job.h"
#include "app/commands/set_prologue.h"

namespace erp::app {

Result<BackupSelection> backup_selection(const Arguments& args) {
  BackupSelection selection;
  const std::vector<std::string> only = args.values("--only");
  if (only.empty()) return selection;
  if (only.size() > 1) {
    return make_error(ErrorKind::config,
                      "--only may be given once (hint: without --only both db and docs run)");
  }
  if (only[0] == "db") {
    selection.docs = false;
  } else if (only[0] == "docs") {
    selection.db = false;
  } else {
    return make_error(ErrorKind::config, "--only takes db or docs, not '" + only[0] + "'");
  }
  return selection;
}

ExitCode run_backup(Context& context, const Arguments& args) {
  auto selection = or_usage(context, backup_selection(args));
  if (!selection) return selection.error();
  // A setting the settings alone cannot judge (it depends on --only): checked before the job
  // touches the bucket or the database.
  if (selection->docs) {
    if (auto documents = config::check_documents_dir(*context.settings.backup); !documents) {
      context.log.error(documents.error().message);
      return ExitCode::usage;
    }
  }
  return exit_code_of(run_backup_job(context, *selection));
}

}  // namespace erp::app
