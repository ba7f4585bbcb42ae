#include "app/backup/backup_streams.h"

#include <memory>

#include "app/backup/dump_row_counts.h"
#include "archive/tar_writer.h"
#include "codec/sha256_tap.h"
#include "core/counting_sink.h"
#include "pg/pg_dump.h"
#include "upload/lock_check.h"

namespace erp::app {

StreamOutcome not_started(const StreamSpec& spec, const Error& error) {
  StreamOutcome outcome;
  outcome.record.key = spec.key;
  outcome.record.compression = spec.compression;
  outcome.record.status = catalog::StreamStatus::failed;
  outcome.record.error = error.message;
  outcome.error = error;
  return outcome;
}

StreamOutcome run_stream(const StreamEnvironment& env, const StreamSpec& spec,
                         ProgressReporter& progress) {
  upload::MultipartSink sink(env.store, env.pool, spec.key, env.sink_options);
  codec::Sha256Tap tap(sink);
  std::unique_ptr<codec::ZstdSink> zstd;
  if (spec.zstd) {
    auto created = codec::ZstdSink::create(tap, *spec.zstd);
    if (!created) return not_started(spec, created.error());
    zstd = std::move(*created);
  }
  ByteSink& compressed = zstd ? static_cast<ByteSink&>(*zstd) : tap;
  CountingSink head(compressed);
  const auto watch = progress.watch(std::string(catalog::to_string(spec.stream)), head);

  auto produced = spec.produce(head);
  std::optional<int> exit_status;
  Result<void> done;
  if (produced) {
    exit_status = *produced;
    done = head.finish();
  } else {
    done = std::unexpected(produced.error());
  }
  if (!done) {
    head.abort();
    StreamOutcome outcome = not_started(spec, done.error());
    outcome.record.producer_exit_status = exit_status;
    outcome.abort_error = sink.stats().abort_error;
    return outcome;
  }
  // With Object Lock on, a stream is committed only once its object is locked as asked: the
  // store may have dropped the lock headers (multipart on RGW 16 and moto).
  if (const auto& lock = env.sink_options.lock) {
    if (auto locked = upload::ensure_locked(env.store, spec.key, *lock); !locked) {
      StreamOutcome outcome = not_started(spec, locked.error());
      outcome.record.producer_exit_status = exit_status;
      return outcome;
    }
  }
  StreamOutcome outcome;
  outcome.record.key = spec.key;
  outcome.record.compression = spec.compression;
  outcome.record.status = catalog::StreamStatus::committed;
  outcome.record.bytes = tap.bytes();
  outcome.record.sha256 = tap.hex();
  outcome.record.parts = sink.stats().parts;
  outcome.record.etag = sink.stats().etag;
  outcome.confirmed_by_reading = sink.stats().confirmed_by_reading;
  outcome.record.producer_exit_status = exit_status;
  return outcome;
}

StreamSpec db_stream_spec(const config::BackupConfig& config, Logger& log,
                          const Cancellation& cancellation, std::string key,
                          std::string& pg_dump_version, bool read_only_default,
                          std::optional<catalog::RowCountsRecord>* row_counts) {
  StreamSpec spec;
  spec.stream = catalog::Stream::db;
  spec.key = std::move(key);
  const bool zstd = config.db_compression == catalog::DbCompression::zstd;
  if (zstd) {
    // pg_dump writes its table data uncompressed and this process compresses the whole
    // archive on the db stream's thread, beside pg_dump rather than inside it. No zstd workers:
    // pg_dump and the server's backend use the other core (README: Which DB_COMPRESSION).
    spec.compression = "zstd";
    spec.zstd = codec::ZstdSinkOptions{.level = config.db_zstd_level, .workers = 0};
  } else {
    spec.compression = "none";  // the custom format compresses table data itself
  }
  spec.produce = [&config, &log, &cancellation, &pg_dump_version, read_only_default, zstd,
                  row_counts](ByteSink& head) -> Result<std::optional<int>> {
    const DumpRun run =
        [&](const std::optional<std::string>& snapshot) -> Result<std::optional<int>> {
      pg::PgDumpOptions options;
      // The PGDMP signature check in run_pg_dump still sees pg_dump's own bytes: it runs before
      // the zstd stage.
      if (zstd) options.extra_arguments = {"--compress=0"};
      // The snapshot the row counts read (pg/dump_snapshot.h).
      if (snapshot) options.extra_arguments.push_back("--snapshot=" + *snapshot);
      options.read_only_default = read_only_default;
      options.settings = config.pg.clone();
      options.program = config.pg_dump;
      options.base_environment = config.child_environment;
      auto dump = pg::run_pg_dump(
          options, head,
          [&log](std::string_view line) {
            log.warn("pg_dump", {{"stderr", std::string(line)}});
          },
          cancellation);
      if (!dump) return std::unexpected(dump.error());
      pg_dump_version = dump->pg_dump_version;
      return std::optional<int>(dump->exit_status.exit_code);
    };
    if (row_counts == nullptr) return run(std::nullopt);
    return dump_with_row_counts(config, read_only_default, log, cancellation, *row_counts, run);
  };
  return spec;
}

StreamSpec docs_stream_spec(const config::BackupConfig& config, const Cancellation& cancellation,
                            std::string key, catalog::DocumentsRecord& documents) {
  StreamSpec spec;
  spec.stream = catalog::Stream::docs;
  spec.key = std::move(key);
  spec.compression = "zstd";
  spec.zstd = codec::ZstdSinkOptions{.level = config.zstd_level, .workers = config.zstd_threads};
  documents.root = config.documents_dir;
  spec.produce = [&config, &cancellation,
                  &documents](ByteSink& head) -> Result<std::optional<int>> {
    archive::TarOptions options;
    options.on_error = config.docs_on_error == config::DocsOnError::skip ? archive::OnError::skip
                                                                         : archive::OnError::fail;
    auto tar = archive::write_tar(config.documents_dir, head, options, cancellation);
    if (!tar) return std::unexpected(tar.error());
    documents.files = tar->files;
    documents.directories = tar->directories;
    documents.symlinks = tar->symlinks;
    documents.hardlinks = tar->hardlinks;
    documents.uncompressed_bytes = tar->bytes;
    for (const archive::TarSkip& skip : tar->skipped) {
      documents.skipped.push_back({archive::printable_path(skip.path), skip.reason});
    }
    // Links that leave the tree: recorded so that a restore can refuse them before it writes
    // anything, and verify can tell a manifest that misses one.
    documents.links_outside_total = tar->links_outside.total;
    for (const archive::TarLink& link : tar->links_outside.listed) {
      documents.links_outside.push_back(
          {archive::printable_path(link.path), archive::printable_path(link.target)});
    }
    return std::optional<int>{};  // written in-process: no child's exit status
  };
  return spec;
}

}  // namespace erp::app
