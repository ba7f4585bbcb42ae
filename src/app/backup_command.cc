#include "app/backup_command.h"

#include "app/backup_job.h"

namespace erp::app {

int run_backup(Context& context, const std::vector<std::string>& args) {
  auto selection = parse_backup_args(args);
  if (!selection) {
    context.log.error(selection.error().message);
    return 2;
  }
  // A setting the settings alone cannot judge (it depends on --only): checked before the job
  // touches the bucket or the database.
  if (selection->docs) {
    if (auto documents = config::check_documents_dir(*context.settings.backup); !documents) {
      context.log.error(documents.error().message);
      return 2;
    }
  }
  return run_backup_job(context, *selection);
}

}  // namespace erp::app
