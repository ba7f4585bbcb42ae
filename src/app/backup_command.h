// `erp-backup backup [--only db|docs]` (SPEC §2): streams the database dump and the
// documents tree into a new backup set, writes the manifest last (the commit point),
// then last-success.json. Returns the exit code: 0 every stream committed, 3 one
// committed and the other failed (the manifest says which), 1 nothing committed,
// 2 configuration, 130/143 stopped by a signal after aborting the uploads.
#pragma once

#include <string>
#include <vector>

#include "app/context.h"

namespace erp::app {

int run_backup(Context& context, const std::vector<std::string>& args);

}  // namespace erp::app
