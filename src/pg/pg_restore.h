// pg_restore into a target database (SPEC §6 `restore db`), two ways:
//   - run_pg_restore: from a stream, piped into its stdin; the use list (which TOC entries to
//     restore) is an in-memory file it reads as /dev/fd/3. Nothing is staged on disk.
//   - run_pg_restore_file (`restore db --jobs N`, issue 21): from a file the caller downloaded
//     (app/restore/dump_download.h), handed over as its fd 3 and named /dev/fd/3, so that an
//     unnamed file works, with -j N: pg_restore's forked workers reopen /dev/fd/3, each with an
//     offset of its own (pg_restore refuses -j on stdin and on unseekable input); the use list
//     is then piped into its stdin (-L /dev/stdin), read once by the leader before it forks.
// The password reaches it only through its environment.
//
// pg_restore runs with --verbose so that each error names its TOC entry; its exit status is not
// trusted alone (it is non-zero on errors that may be harmless): the result reports the status
// and every "error:" line with its entry (pg/pg_restore_errors.h), and the caller judges them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_stream.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "pg/pg_restore_errors.h"
#include "pg/pg_settings.h"
#include "process/child_process.h"

namespace erp::pg {

struct PgRestoreOptions {
  std::string program = "pg_restore";                   // PG_RESTORE
  std::map<std::string, std::string> base_environment;  // PATH, HOME, LANG, ...
  // -h/-p/-U/-d come from here, explicitly, and the password through PGPASSWORD.
  PgSettings target;
  std::string role;  // --role when not empty
  // --no-privileges: no GRANT/REVOKE (ACL, DEFAULT ACL entries), for a target that has none of
  // the source's roles (the drill's own cluster: a pg_dump holds no roles).
  bool no_privileges = false;
  std::string use_list;  // the -L file's content (pg_restore --list format)
  // PGAPPNAME of its session (pg_stat_activity.application_name), so that the caller can tell
  // pg_restore's session from any other; "" leaves pg_restore's own ("pg_restore").
  std::string application_name;
  std::chrono::milliseconds terminate_grace{5000};
  // run_pg_restore_file only: the dump (a regular file, seekable; the caller keeps it open until
  // the call returns) and pg_restore's -j (1..32; 1 runs it without -j).
  int archive_fd = -1;
  int jobs = 1;
};

struct RestoreRun {
  process::ExitStatus exit_status;
  std::vector<RestoreError> errors;  // every "error:" line with its TOC entry (up to a cap)
  int errors_seen = 0;               // all of them, kept or not
  int warnings = 0;                  // lines "pg_restore: warning: ..."
  // What pg_restore itself counted ("warning: errors ignored on restore: N", printed by its
  // leader alone at the end), when it said; pg_restore -j's workers write their lines in pieces
  // that interleave, so an error line can be garbled beyond recognition: the caller compares.
  std::optional<int> errors_reported;
};

// Feeds all of `dump` to pg_restore (draining what it no longer reads, so a hashing stage in
// front sees every byte) and waits for it. `on_line(line, kind)` gets each stderr line
// (password redacted) and what it is, on another thread. Errors: config when pg_restore is missing
// or the target settings are invalid; `dump`'s own errors (pg_restore is then stopped); cancelled.
// An unsuccessful pg_restore is not an error: see RestoreRun.
Result<RestoreRun> run_pg_restore(
    const PgRestoreOptions& options, ByteSource& dump,
    std::function<void(std::string_view, RestoreLogReader::Line)> on_line,
    const Cancellation& cancellation);

// Runs pg_restore -j options.jobs on the file options.archive_fd and waits for it. Same
// on_line, errors and RestoreRun as run_pg_restore (no `dump` errors: the file was checked).
Result<RestoreRun> run_pg_restore_file(
    const PgRestoreOptions& options,
    std::function<void(std::string_view, RestoreLogReader::Line)> on_line,
    const Cancellation& cancellation);

// `<program> --version` ("pg_restore (PostgreSQL) 15.10 (Debian ...)") → "15.10".
// Errors: config when it cannot be run or printed no version.
Result<std::string> pg_restore_version(const std::string& program,
                                       const std::map<std::string, std::string>& environment);

}  // namespace erp::pg
