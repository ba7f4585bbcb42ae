// `erp-backup restore db|docs ...` (SPEC §2, §6, issue 8): the dispatcher. Each kind of restore
// reads different settings, so the composition root asks restore_needs() which groups to load
// for the words it was given: a broken RESTORE_PG* setting must not stop `restore docs`.
#pragma once

#include <string>
#include <vector>

#include "app/context.h"
#include "config/settings.h"

namespace erp::app {

// args: what follows `restore` ("docs latest --target-dir /x", ...). Routes `docs` to
// run_restore_docs; `db` is not implemented yet (exit 2); anything else is a usage error (2).
int run_restore(Context& context, const std::vector<std::string>& args);

// The settings groups `restore <args>` reads (S3 and layout for every kind).
config::Needs restore_needs(const std::vector<std::string>& args);

}  // namespace erp::app
