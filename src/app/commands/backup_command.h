// `erp-backup backup [--only db|docs]` (SPEC §2): streams the database dump and the
// documents tree into a new backup set, writes the manifest last (the commit point),
// then last-success.json. Returns the exit code: 0 every stream committed, 3 one
// committed and the other failed (the manifest says which), 1 nothing committed,
// 2 configuration, 130/143 stopped by a signal after aborting the uploads.
#pragma once

#include <string>
#include <vector>

#include "app/backup/backup_job.h"
#include "app/commands/context.h"

namespace erp::app {

// `--only db|docs`, at most once. Errors: config (a usage error, exit 2), e.g. for
// `--only db --only docs`, which would otherwise select nothing.
Result<BackupSelection> backup_selection(const Arguments& args);

ExitCode run_backup(Context& context, const Arguments& args);

}  // namespace erp::app
