// Operator primitives on single objects (issue 2): the building blocks the backup
// commands use, exposed so an operator can test a bucket or move a file by hand.
// Each gets its arguments parsed (app/commands/command_table.h), returns the process exit code
// (SPEC §2) and reports its own errors.
#pragma once

#include <string>
#include <vector>

#include "app/commands/context.h"

namespace erp::app {

// stdin → object KEY through the streaming multipart sink (single PUT when small).
ExitCode run_put(Context& context, const Arguments& args);
// object KEY → stdout, streamed (resumes a broken download at the next byte). A stream object
// of a committed set (db/<ID>.dump…, docs/<ID>.tar.zst) is hashed on the way and checked against
// its manifest's bytes and SHA-256: a mismatch is exit 1 naming the key (stdout already holds the
// bytes; the exit status says they are wrong). Other keys are checked for their length only.
ExitCode run_cat(Context& context, const Arguments& args);
// Every key under PREFIX (default: all), one "SIZE<TAB>LAST_MODIFIED<TAB>KEY" per line.
ExitCode run_ls(Context& context, const Arguments& args);
// Deletes KEY... (batch delete, one DELETE per key where the store lacks batches).
ExitCode run_rm(Context& context, const Arguments& args);
// Prints a presigned GET URL for KEY; --expires SECONDS (default 3600, max 604800).
ExitCode run_presign(Context& context, const Arguments& args);

}  // namespace erp::app
