// The table of contents of a custom-format dump, read by `pg_restore --list` from a stream
// (verify, and restore's use-list): no file is staged, the dump is piped into its stdin.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/byte_stream.h"
#include "core/cancellation.h"
#include "core/error.h"

namespace erp::pg {

struct TocSummary {
  int entries = 0;      // TOC lines (comments excluded)
  int tables = 0;       // TABLE entries (not TABLE DATA), in any schema the dump holds
  int llx_tables = 0;   // those named llx_*
  std::string listing;  // pg_restore's output, as it printed it
};

// Counts the entries of `pg_restore --list` output. Each entry line is
// "ID; TABLEOID OID DESCRIPTION SCHEMA NAME OWNER" where DESCRIPTION may be several words
// ("TABLE DATA", "FK CONSTRAINT"); lines starting with ';' are comments. Pure.
TocSummary parse_toc(std::string_view listing);

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
