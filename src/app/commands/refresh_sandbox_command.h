// `erp-backup refresh-sandbox --from-env ENV` (SPEC §6, issues 8 and 17): makes a sandbox a copy
// of ENV's newest complete set, from the bucket alone (ENV's database is never contacted: no
// source PG* setting is read). Everything that can be checked is checked before the sandbox's
// database is touched, and the sandbox never loses its documents:
//
//   1. the set: ENV's newest complete set holding both a dump and a documents archive;
//   2. the documents, staged: links the manifest records as leaving REFRESH_DOCS_SUBTREE are
//      refused (refresh has no --keep-links-outside); the set's REFRESH_DOCS_SUBTREE (default
//      mycompany) is extracted into a staging directory inside RESTORE_DOCUMENTS_DIR and
//      checked against the manifest (app/restore/docs_staging.h); a set without that subtree is
//      refused; the swap is checked to be possible (the current subtree, if any, is a
//      directory or file on the same file system that this user may move);
//   3. the database: `restore db` of that set into the RESTORE_PG* target with drop-owned
//      always on, RESTORE_EXCLUDE, the exclusive-access check and the table-count guard
//      (app/restore/restore_db.h);
//   4. the swap: the current subtree is renamed into the staging directory (old/), the staged
//      one into its place; if the second rename fails the old one is renamed back. Then the
//      staging directory (and the old copy in it) is removed. Nothing else of the directory is
//      touched.
// A run killed between the two renames leaves the old subtree in .erp-staging-*/old; the next
// refresh puts it back before anything else when the subtree is missing.
//
// Idempotent: a second run leaves the same database and tree. Exit: 0 refreshed; 1 a refusal in
// 1–2 (nothing was changed); `restore db`'s code when the database step fails (the documents
// are untouched); 3 the database was refreshed but the swap failed (the old subtree is back in
// place, or the error says where it is); 2 usage or configuration; 128+N when stopped by a
// signal.
#pragma once

#include <string>
#include <vector>

#include "app/commands/context.h"

namespace erp::app {

ExitCode run_refresh_sandbox(Context& context, const Arguments& args);

}  // namespace erp::app
