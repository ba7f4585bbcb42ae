// `erp-backup refresh-sandbox --from-env ENV` (SPEC §6, issue 8): makes a sandbox a copy of
// ENV's newest complete set, from the bucket alone (ENV's database is never contacted: no
// source PG* setting is read).
//
//   1. the set: ENV's newest complete set holding both a dump and a documents archive;
//   2. the database: `restore db` of that set into the RESTORE_PG* target with drop-owned
//      always on, RESTORE_EXCLUDE, the exclusive-access check and the table-count guard
//      (app/restore_db.h);
//   3. the documents: the set's REFRESH_DOCS_SUBTREE (default mycompany) extracted into a
//      staging directory inside RESTORE_DOCUMENTS_DIR, then swapped in place of that subtree
//      (two renames on the same file system), the old copy removed. Nothing else of the
//      directory is touched.
// Idempotent: a second run leaves the same database and tree. Exit codes as `restore db`; the
// documents step runs only when the database step succeeded.
#pragma once

#include <string>
#include <vector>

#include "app/context.h"

namespace erp::app {

int run_refresh_sandbox(Context& context, const std::vector<std::string>& args);

}  // namespace erp::app
