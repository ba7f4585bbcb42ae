// Driving pg_dump: its version, whether it can dump a given server, and the dump itself
// streamed from its stdout into a ByteSink without touching the disk (SPEC §1).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_stream.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "pg/pg_settings.h"
#include "process/child_process.h"

namespace erp::pg {

// Runs `<pg_dump_path> --version` ("pg_dump (PostgreSQL) 15.4 (Debian ...)") and returns the
// version ("15.4", "17beta1"). `environment` is the child's whole environment (its PATH finds a
// bare name; /usr/local/bin:/usr/bin:/bin without one). Errors: not found / not executable →
// config with a hint to install postgresql-client or set PG_DUMP; a failing run → permanent
// with its stderr; output that is not a pg_dump version → config.
Result<std::string> pg_dump_version(const std::string& pg_dump_path,
                                    const std::map<std::string, std::string>& environment = {});

// The major version of a PostgreSQL version string: 15 for "15.4", 17 for "17beta1", 9 for
// "9.6.24". Error (config) when it does not start with a number.
Result<int> pg_major_version(std::string_view version);

// "15.4" for 150004, "9.6.24" for 90624.
std::string format_server_version(int server_version_num);

// pg_dump refuses (or worse, half-understands) a server newer than itself, so a pg_dump whose
// major version is older than the server's is refused here, before anything starts: config
// error naming both versions, with a hint. A newer pg_dump is fine (it dumps older servers).
Result<void> check_dump_compatible(int pg_dump_major, int server_version_num);

struct PgDumpOptions {
  // The source database. Its password reaches pg_dump as PGPASSWORD in the environment only.
  PgSettings settings;
  // A path, or a name looked up in base_environment's PATH.
  std::string program = "pg_dump";
  // The rest of pg_dump's environment (PATH, HOME for ~/.postgresql certificates, LANG, TZ).
  // Names starting with "PG" are ignored here: database settings come only from `settings`.
  std::map<std::string, std::string> base_environment;
  // Appended after "--format=custom --no-password", e.g. "--exclude-table-data=llx_session".
  // Must not change the format or add --file (the output is checked for the PGDMP signature).
  std::vector<std::string> extra_arguments;
  // Adds kReadOnlyDefaultOption (pg/read_only_belt.h) to PGOPTIONS: the belt next to pg_dump's
  // own READ ONLY transaction. False when the pre-flight found that the server or a pooler
  // refuses the `options` startup parameter (inspect_source()): PGOPTIONS is then the
  // settings' own, or unset.
  bool read_only_default = true;
  // Bytes per read and per out.write(). Larger means fewer calls per GiB; costs this much
  // memory for the duration of the dump.
  std::size_t read_size = 256 * 1024;
  // On cancellation or a write error pg_dump gets SIGTERM, then SIGKILL after this long.
  std::chrono::milliseconds terminate_grace{5000};
};

struct DumpStats {
  std::uint64_t bytes = 0;          // written to `out`
  process::ExitStatus exit_status;  // pg_dump's (success when run_pg_dump succeeded)
  std::string pg_dump_version;      // as pg_dump_version() reports it, e.g. "15.4"
};

// Asks pg_dump for its version, then runs
//   <program> --format=custom --no-password <extra_arguments...>
// with base_environment + the settings as PG* variables + PGOPTIONS = settings' "options"
// followed by "-c default_transaction_read_only=on" (unless read_only_default is false),
// stdin /dev/null, and writes its stdout to
// `out` (borrowed for the call). Only write() is called: the caller finishes or aborts `out`.
// `on_stderr_line` (may be empty) gets each stderr line, the password redacted, on another
// thread while this one streams; it must not throw.
//
// Errors (the child is stopped and reaped before any return):
//   - pg_dump cannot be started or asked its version → pg_dump_version()'s errors
//   - the first bytes are not "PGDMP", the custom-format signature → corrupt (nothing of them
//     is written to `out`)
//   - pg_dump exits non-zero or is killed → permanent: "pg_dump exited with status 1 after
//     streaming N bytes: <stderr tail>" / "pg_dump was killed by signal 9 (SIGKILL) ..."; when
//     the tail shows a TLS problem or a rejected password (connection_hints.h) a hint follows,
//     naming PGSSLROOTCERT/PGSSLKEY/... or the role whose password was rejected
//   - `cancellation` set → cancelled (pg_dump terminated)
//   - out.write() fails → that error, kind kept, prefixed "writing pg_dump output after N bytes"
Result<DumpStats> run_pg_dump(const PgDumpOptions& options, ByteSink& out,
                              std::function<void(std::string_view line)> on_stderr_line,
                              const Cancellation& cancellation);

}  // namespace erp::pg
