// The table of contents of a custom-format dump, read by `pg_restore --list` from a stream
// (verify, and restore's use-list): no file is staged, the dump is piped into its stdin.
//
// A listing line is "ID; TABLEOID OID DESCRIPTION SCHEMA NAME OWNER", where DESCRIPTION may be
// several words ("TABLE DATA", "FK CONSTRAINT", "TABLE ATTACH") and SCHEMA is "-" for objects
// outside a schema ("SCHEMA - sales", "COMMENT - SCHEMA public"); lines starting with ';' are
// comments. This file reads them; what a restore leaves out is app/restore/restore_db_dump.h.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_stream.h"
#include "core/cancellation.h"
#include "core/error.h"

namespace erp::pg {

// One entry line of a listing. `entry` borrows the line: the text after "ID; TABLEOID OID ",
// e.g. "TABLE public llx_societe erp" (what RESTORE_EXCLUDE items are matched against).
struct TocLine {
  int id = 0;
  std::string_view entry;
};

// nullopt for comments, blank lines and anything else that is not an entry. Pure.
std::optional<TocLine> parse_toc_line(std::string_view line);

// Whether the entry text `entry` is the object `item` ("DESCRIPTION SCHEMA NAME") names: it
// begins with the item, followed by a space or '(' (so "FUNCTION pgbouncer user_lookup"
// names "FUNCTION pgbouncer user_lookup(text) postgres" but not "... user_lookup_extra(...)").
// Pure.
bool entry_names(std::string_view entry, std::string_view item);

// entry_names(), or `entry` is the grants or comment of the object `item` names ("ACL
// pgbouncer FUNCTION user_lookup(text) ...", "COMMENT pgbouncer FUNCTION user_lookup(text)
// ..."), which cannot be restored without it: what a RESTORE_EXCLUDE item leaves out. Pure.
bool entry_matches(std::string_view entry, std::string_view item);

struct TocSummary {
  int entries = 0;  // TOC lines (comments excluded)
  // TABLE entries that are not partitions, in any schema the dump holds (ordinary, partitioned,
  // unlogged tables and inheritance children): what pg::DatabaseInfo::table_count counts in a
  // database (relkind r or p, NOT relispartition), so the manifest and the TOC agree.
  int tables = 0;
  // Partitions: TABLE entries that have a TABLE ATTACH entry (pg_dump 14 and later write one
  // per partition; an older pg_dump writes none, and its partitions count as tables).
  int partitions = 0;
  int llx_tables = 0;   // tables (not partitions) named llx_*
  std::string listing;  // pg_restore's output, as it printed it
};

// Counts the entries of `pg_restore --list` output. Pure.
TocSummary parse_toc(std::string_view listing);

// Every entry of `listing` by its ID (the entry text, as TocLine::entry, copied): pg_restore
// names the entry it failed on by ID, and without the schema. Pure.
std::map<int, std::string> toc_entries_by_id(std::string_view listing);

struct PgRestoreTool {
  std::string program = "pg_restore";  // PG_RESTORE: a path, or a name looked up on PATH
  // The child's whole environment (PATH, LANG, ...): nothing else is inherited.
  std::map<std::string, std::string> environment;
};

// How much of the archive list_toc reads.
enum class TocExtent {
  // Every byte, to its end (read() returning 0), even after pg_restore has read the table of
  // contents and stopped reading: a hashing stage in front covers the whole dump, and a zstd
  // stage checks every frame.
  whole_archive,
  // Only what pg_restore reads: the header and the table of contents (the archive is left
  // unread after that; its owner stops the download).
  toc_only,
};

// Pipes `archive` (the custom-format archive, decompressed when it was stored compressed) into
// `pg_restore --list`, reading as much of it as `extent` says, and returns the parsed listing.
// Errors: corrupt when pg_restore cannot read the archive (its exit status and stderr tail in
// the message: a missing PGDMP signature or an unreadable TOC); `archive`'s own errors
// (not_found, transient, corrupt, ...); cancelled (pg_restore is then stopped); config when
// pg_restore is missing.
Result<TocSummary> list_toc(ByteSource& archive, const PgRestoreTool& tool,
                            const Cancellation& cancellation,
                            TocExtent extent = TocExtent::whole_archive);

}  // namespace erp::pg
