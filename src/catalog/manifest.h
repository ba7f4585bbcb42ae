// The manifest of a backup set (SPEC §4): written last, it is the commit point. A set
// is complete when its manifest exists and says every stream it ran succeeded.
// JSON, format_version 1; to_json/parse are pure.
//
// ## Bounds (issue 17: bucket content must not cost the tool its memory)
// A manifest is read from the bucket, where anyone with write access can put anything at a
// manifest key. Real ones are about 1.5 kB; parse_manifest refuses, before building anything,
// a text longer than kMaxManifestBytes or nested deeper than kMaxManifestDepth (issue 17
// measured 1.19 GB of RSS for `list` over eight 4 MB objects of nested '['). What remains is
// the parse of an accepted text, about 18 bytes of memory per byte at worst (a flat array of
// empty objects: ~4.7 MiB for 256 KiB; measured 55 MiB peak for `list` reading 16 of them,
// 8 at a time, against 17 MiB for a plain catalog). to_json never writes what parse_manifest
// would refuse: the only unbounded parts of a real manifest, the documents' skipped entries
// and a stream's error text, are cut to a budget (see DocumentsRecord::skipped_omitted), so a
// backup never commits a manifest this tool cannot read back. Fields added later must be
// bounded the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace erp::catalog {

inline constexpr int kManifestFormatVersion = 1;

// The largest manifest text parse_manifest accepts (and the catalog reads): 256 KiB, over a
// hundred times a real one, and with the catalog's 8 concurrent readers (catalog.h) at most
// ~40 MiB of parses in flight (see "Bounds").
inline constexpr std::size_t kMaxManifestBytes = 256 * 1024;
// The deepest nesting of arrays and objects parse_manifest accepts. A real manifest nests
// 4 deep (root, streams, docs, skipped, entry).
inline constexpr int kMaxManifestDepth = 32;
// What to_json keeps of unbounded parts: the skipped entries' bytes (paths and reasons), and
// the bytes of one stream's error text.
inline constexpr std::size_t kMaxSkippedBytes = 64 * 1024;
inline constexpr std::size_t kMaxErrorBytes = 4 * 1024;

// What became of one stream of a set. Serialised only by to_string/parse_stream_status
// ("committed", "failed", "not-run"), which the manifest and every report use.
enum class StreamStatus { committed, failed, not_run };
std::string_view to_string(StreamStatus status);
// Errors: corrupt for any other text.
Result<StreamStatus> parse_stream_status(std::string_view text);

struct StreamRecord {
  std::string key;
  StreamStatus status = StreamStatus::not_run;
  std::uint64_t bytes = 0;  // stored bytes (after compression)
  std::string sha256;       // of the stored bytes
  int parts = 0;
  std::string etag;
  // What this tool did to the producer's bytes before storing them: "zstd" (one zstd frame:
  // always for docs, for db with DB_COMPRESSION=zstd, where pg_dump ran with -Z0) or "none"
  // (db: pg_dump -Fc compressed the table data itself). Read it with stored_compression().
  std::string compression;
  std::optional<int> producer_exit_status;  // pg_dump's exit code; absent for in-process tar
  std::string error;                        // why it failed (never contains secrets)
};

// How a stream's stored bytes must be decoded before its consumer reads them.
enum class StoredCompression { none, zstd };
// From record.compression: "zstd" → zstd; "none", or "" (a manifest that predates the field)
// → none. Errors: corrupt for any other word, naming the key (hint: a newer erp-backup wrote
// it), so that a reader never feeds bytes it cannot decode to pg_restore or tar.
Result<StoredCompression> stored_compression(const StreamRecord& record);

// One table's rows as the backup counted them (pg/row_counts.h names the tables).
struct TableRowsRecord {
  std::string table;                 // "schema.table", quote_ident() per part
  std::optional<std::int64_t> rows;  // nullopt: an estimate the server did not have (JSON null)
};

// Row counts taken while the dump ran (issue 21), JSON "database.row_counts"; absent with
// BACKUP_ROW_COUNTS=off and in manifests written before the field.
//   {"method": "exact", "snapshot": "dump", "tables": {"public.llx_societe": 12, ...},
//    "large_objects": 3, "tables_omitted": 0, "fallback_reason": ""}
// `snapshot` says what the counts may be compared with:
//   "dump"  counted in the very snapshot pg_dump dumped (pg_export_snapshot + pg_dump
//           --snapshot): a restore must hold exactly these rows ("exact"), or non-empty
//           tables where the estimate was above zero ("estimate");
//   "own"   the snapshot could not be shared (a pooler, a refusal: `fallback_reason` says
//           which); counted in a transaction of their own just before pg_dump started: a
//           restore is held to "non-empty where the count was above zero", and differences
//           are reported, not failed.
// The tables list is cut at kMaxRowCountBytes of names (the rest counted in tables_omitted,
// never compared), so a database of many thousand tables cannot make the manifest unreadable;
// to_json cuts it shorter when the documents' skipped and link lists (64 KiB each, and their
// JSON) leave less than that of kMaxManifestBytes. `fallback_reason` is cut to kMaxErrorBytes.
struct RowCountsRecord {
  std::string method = "exact";         // "exact" | "estimate"
  std::string snapshot = "dump";        // "dump" | "own"
  std::string fallback_reason;          // why not "dump" ("" when it was)
  std::vector<TableRowsRecord> tables;  // sorted by name
  std::int64_t large_objects = 0;
  std::uint64_t tables_omitted = 0;
};
inline constexpr std::size_t kMaxRowCountBytes = 128 * 1024;

struct DatabaseRecord {
  std::string server_version;
  std::string pg_dump_version;
  std::string database;
  int tables = 0;
  int llx_tables = 0;
  std::optional<RowCountsRecord> row_counts;
};

// Which database was dumped, so that a restore can refuse to drop it (SPEC §6): the host and
// port as the backup reached them, the database's name, and the cluster's system_identifier
// when the backup's role could read it ("" otherwise).
struct SourceRecord {
  std::string host;
  std::string port;
  std::string database;
  std::string system_identifier;
};

struct SkippedEntry {
  std::string path;
  std::string reason;
};

// A symbolic link whose target leaves the documents tree (archive/archive_policy.h), as
// printable text (archive::printable_path).
struct LinkRecord {
  std::string path;
  std::string target;
};

struct DocumentsRecord {
  std::string root;
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t symlinks = 0;
  std::uint64_t hardlinks = 0;
  std::uint64_t uncompressed_bytes = 0;  // content bytes of regular files
  std::vector<SkippedEntry> skipped;
  // Skipped entries left out of the manifest because the list passed kMaxSkippedBytes
  // (to_json adds those beyond the budget; the backup's log names every one).
  std::uint64_t skipped_omitted = 0;
  // Links that leave the tree: the first ones (bounded by the backup: archive::kListedLinks
  // and kListedLinkBytes, so the manifest stays small) and how many in all. The total is
  // absent in a manifest written before the field existed: then nothing is known about them
  // (JSON "links_outside" and "links_outside_total", both optional when parsing).
  std::vector<LinkRecord> links_outside;
  std::optional<std::uint64_t> links_outside_total;

  // Every entry the archive holds, as counted here.
  std::uint64_t entries() const { return files + directories + symlinks + hardlinks; }
};

// How the set's objects were locked (OBJECT_LOCK_MODE, issue 20), and what this run's
// enforcement canary found (app/backup/lock_canary.h). Optional in the manifest (JSON member
// "object_lock"; format_version stays 1): absent in a set written with the mode off or by an
// earlier version, which readers take as "not locked by this tool".
struct ObjectLockRecord {
  std::string mode;          // "governance" or "compliance"
  std::string retain_until;  // ISO 8601 UTC: the lock every object was written with
  // Whether these credentials were refused the delete of a locked version: true, false, or
  // nullopt when the canary could not decide (JSON null).
  std::optional<bool> enforced;
  std::optional<std::string> checked_at;  // ISO 8601 UTC of that check; nullopt with enforced
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string id;
  std::string env;
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;  // ISO 8601 UTC
  std::string tool_version;
  std::string host;
  std::optional<DatabaseRecord> database;  // absent with --only docs
  std::optional<SourceRecord> source;      // absent with --only docs
  std::optional<StreamRecord> db;
  std::optional<DocumentsRecord> documents;
  std::optional<StreamRecord> docs;
  std::optional<ObjectLockRecord> object_lock;

  // Every stream that ran was committed, and at least one ran.
  bool complete() const;
};

// The manifest's JSON, at most kMaxManifestBytes for any skipped list and error text (they
// are cut to kMaxSkippedBytes / kMaxErrorBytes; other fields are small by construction).
std::string to_json(const Manifest& manifest);
// Errors: corrupt, naming the cause: longer than kMaxManifestBytes, nested deeper than
// kMaxManifestDepth (both checked before parsing), not JSON, wrong format_version, missing
// id/streams, a field of the wrong type, a stream other than "db" and "docs" (a newer
// tool's, or a damaged name: refusing is safer than reading the set as holding less), an
// "object_lock" member that is not an object of strings (enforced: a boolean or null).
Result<Manifest> parse_manifest(std::string_view json);

}  // namespace erp::catalog
