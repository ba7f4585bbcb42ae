// What pg_restore's errors mean for a restore (SPEC §6): its exit status is not trusted alone,
// and neither is a table count. pg_restore runs with --verbose, so that before each error it
// names the TOC entry it was restoring ("from TOC entry 215; 1259 16385 TABLE llx_societe erp");
// RestoreLogReader pairs every "error:" line with that entry, and judge_restore_error() decides
// whether the error fails the restore. Every error does, unless
//   - its entry is one RESTORE_EXCLUDE leaves out (pg::entry_matches), or
//   - it is on the list below (kHarmlessRestoreErrors): an entry and an error that change
//     nothing the backup holds, each with the reason.
// Pure: no I/O, no logging.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace erp::pg {

// One "pg_restore: error: ..." line and the entry it was raised for.
struct RestoreError {
  int toc_id = 0;         // 0: raised outside any entry (connecting, reading the archive)
  std::string toc_entry;  // as pg_restore named it after "from TOC entry ", "" when toc_id is 0
  std::string message;    // after "pg_restore: error: ", e.g. "could not execute query: ERROR: ..."
};

// Reads pg_restore --verbose stderr, one line at a time, in order. Not thread-safe.
class RestoreLogReader {
 public:
  enum class Line {
    progress,  // "pg_restore: creating TABLE ...", "processing data for table ...", ...
    context,   // "while PROCESSING TOC:", "from TOC entry ..."
    error,     // "pg_restore: error: ..." (recorded)
    warning,   // "pg_restore: warning: ..." (counted)
    other,     // "Command was: ...", continuation lines, server notices
  };
  Line feed(std::string_view line);

  // Every error line so far, oldest first; at most kKeptErrors, errors_seen() counts them all.
  const std::vector<RestoreError>& errors() const { return errors_; }
  int errors_seen() const { return errors_seen_; }
  int warnings() const { return warnings_; }

  static constexpr std::size_t kKeptErrors = 100000;  // ~200 bytes each: ~20 MB at most

 private:
  int current_id_ = 0;
  std::string current_entry_;
  std::vector<RestoreError> errors_;
  int errors_seen_ = 0;
  int warnings_ = 0;
};

// An error a correct restore can print, and why it changes nothing the backup holds.
struct HarmlessRestoreError {
  std::string_view entry;     // the TOC entry, as the listing names it ("COMMENT - SCHEMA public"),
                              // or its beginning ("DEFAULT ACL": any of them)
  std::string_view error;     // the server's error ("ERROR:  ..."), whole, or its beginning when
  bool error_prefix = false;  // this is set
  std::string_view why;
};

// The whole list, in one place (README "restore db" repeats it). Measured on PostgreSQL 15 with
// the test fixtures: a fresh database owned by the restoring non-superuser prints no error but
// the DEFAULT ACL one, and that only for a source whose roles have default privileges
// (tests/integration/test_pg_security.py); a database owned by another role adds the first.
inline constexpr HarmlessRestoreError kHarmlessRestoreErrors[] = {
    {"COMMENT - SCHEMA public", "ERROR:  must be owner of schema public", false,
     "only the owner of the target's public schema (its database's owner) may set its comment; "
     "the comment is text, no data or object depends on it"},
    {"DEFAULT ACL", "ERROR:  must be member of role \"", true,
     "ALTER DEFAULT PRIVILEGES FOR ROLE x needs membership in x; the restore gives every object "
     "to the restoring role (--no-owner), so x's defaults would apply to none of them: they only "
     "concern objects x creates later, not the data or objects restored"},
    {"SCHEMA - public", "ERROR:  schema \"public\" already exists", false,
     "every database has a public schema; a dump that creates it (an older pg_dump, or a source "
     "whose public schema was re-created) restores into the existing one"},
    {"COMMENT - EXTENSION plpgsql", "ERROR:  must be owner of extension plpgsql", false,
     "pg_dump before 11 wrote the comment of the built-in plpgsql extension, which only a "
     "superuser may change; the extension itself is in every database"},
};

enum class RestoreErrorVerdict { failing, excluded, harmless };

struct JudgedRestoreError {
  RestoreErrorVerdict verdict = RestoreErrorVerdict::failing;
  // The entry as the listing names it ("215; TABLE public llx_societe erp"), or as pg_restore
  // named it when the listing does not hold its ID, or "no TOC entry".
  std::string entry;
  std::string message;
  std::string_view why;  // harmless: the list's reason; excluded: "RESTORE_EXCLUDE"
};

// `toc` is pg::toc_entries_by_id() of the restored dump's listing; `exclude` RESTORE_EXCLUDE's
// items. An error raised outside any entry is always failing.
JudgedRestoreError judge_restore_error(const RestoreError& error,
                                       const std::map<int, std::string>& toc,
                                       const std::vector<std::string>& exclude);

}  // namespace erp::pg
