// The streams of a backup set. Every stream is one chain, assembled by run_stream() and
// nowhere else:
//
//   producer → count → [zstd] → sha256 tap → multipart sink (the stream's key)
//
// and what differs between streams is only its StreamSpec: the db stream's producer is
// pg_dump -Fc (db_stream_spec; no zstd, the custom format compresses itself, unless
// DB_COMPRESSION=zstd: pg_dump -Z0 and zstd here), the docs
// stream's a pax tar of DOCUMENTS_DIR (docs_stream_spec, zstd).
//
// run_stream() runs one stream to the end on the calling thread (run several on their own
// threads for concurrency; they share the buffer pool) and never throws. On any failure the
// upload is aborted and nothing that looks complete is left: the outcome says "failed" with
// the reason. With sink_options.lock (OBJECT_LOCK_MODE on) the object is written under that lock
// and read back once written (upload/lock_check.h: HEAD, PutObjectRetention where the store
// dropped it, HEAD of the version); an object that cannot be locked fails the stream (it stays
// in the store, named by no manifest as committed; nothing is deleted). Everything passed in is
// borrowed for the duration of the call.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "app/backup/progress_reporter.h"
#include "catalog/manifest.h"
#include "catalog/stream.h"
#include "codec/zstd_sink.h"
#include "config/backup_config.h"
#include "core/cancellation.h"
#include "core/logger.h"
#include "s3/object_store.h"
#include "upload/buffer_pool.h"
#include "upload/multipart_sink.h"

namespace erp::app {

struct StreamEnvironment {
  s3::ObjectStore& store;
  upload::BufferPool& pool;
  upload::MultipartSinkOptions sink_options;
};

struct StreamSpec {
  catalog::Stream stream = catalog::Stream::db;  // names the stream in progress lines and logs
  std::string key;                               // the object the stream becomes
  std::string compression;                       // recorded in the manifest: "none" or "zstd"
  // Set: the producer's bytes are compressed in-process before they are hashed and stored.
  std::optional<codec::ZstdSinkOptions> zstd;
  // Writes the whole stream into `head` (never finishing or aborting it: run_stream does).
  // Returns the producer's exit status when a child process produced the bytes.
  std::function<Result<std::optional<int>>(ByteSink& head)> produce;
};

struct StreamOutcome {
  catalog::StreamRecord record;      // committed (bytes, sha256, parts, etag) or failed (error)
  std::optional<Error> error;        // why the stream failed
  std::optional<Error> abort_error;  // the failed stream's multipart upload could not be
                                     // aborted: it may linger (named key and upload id)
  // The store's answer to the stream's final write was ambiguous (lost, refused as the key was
  // taken, or without an ETag) and reading the key showed this stream's object: that answer.
  std::optional<Error> confirmed_by_reading;

  bool committed() const { return !error.has_value(); }
};

// Runs `spec`'s chain into a new multipart sink; reports its bytes to `progress` (borrowed)
// while it runs.
StreamOutcome run_stream(const StreamEnvironment& env, const StreamSpec& spec,
                         ProgressReporter& progress);

// The outcome of a stream that never started (its pre-flight failed).
StreamOutcome not_started(const StreamSpec& spec, const Error& error);

// pg_dump -Fc of the source database (config.pg) into `key`; with
// config.db_compression == zstd, pg_dump --compress=0 through a zstd stage (level
// config.db_zstd_level) instead, recorded as compression "zstd" (`key` must then be the
// .dump.zst key: KeyLayout::db_key(id, DbCompression::zstd)). The dump's stderr is logged
// line by line; its version is stored in `pg_dump_version` (borrowed until the stream ends).
// `read_only_default`: PgDumpOptions::read_only_default, as the pre-flight decided it.
// `row_counts` (borrowed until the stream ends; null: none taken): the rows counted beside
// pg_dump in its snapshot per config.row_counts (app/backup/dump_row_counts.h).
StreamSpec db_stream_spec(const config::BackupConfig& config, Logger& log,
                          const Cancellation& cancellation, std::string key,
                          std::string& pg_dump_version, bool read_only_default = true,
                          std::optional<catalog::RowCountsRecord>* row_counts = nullptr);

// A pax tar of config.documents_dir, zstd-compressed, into `key`. What the walk found
// (counts, skipped entries, links that leave the tree) is stored in `documents` (borrowed until
// the stream ends).
StreamSpec docs_stream_spec(const config::BackupConfig& config, const Cancellation& cancellation,
                            std::string key, catalog::DocumentsRecord& documents);

}  // namespace erp::app
