#include "app/backup_streams.h"

#include "archive/tar_writer.h"
#include "codec/sha256_tap.h"
#include "codec/zstd_sink.h"
#include "pg/pg_dump.h"

namespace erp::app {
namespace {

catalog::StreamRecord failed_record(const std::string& key, const std::string& compression,
                                    const Error& error) {
  catalog::StreamRecord record;
  record.key = key;
  record.status = catalog::StreamStatus::failed;
  record.compression = compression;
  record.error = error.message;
  return record;
}

// Commits the chain whose head is `head` and whose tail is `sink`, or aborts it when
// `produced` failed; fills the record from what the tap and the sink saw.
std::optional<Error> commit_or_abort(Result<void> produced, ByteSink& head,
                                     const codec::Sha256Tap& tap, const upload::MultipartSink& sink,
                                     catalog::StreamRecord& record) {
  if (produced) produced = head.finish();
  if (!produced) {
    head.abort();
    record.status = catalog::StreamStatus::failed;
    record.error = produced.error().message;
    return produced.error();
  }
  record.status = catalog::StreamStatus::committed;
  record.bytes = tap.bytes();
  record.sha256 = tap.hex();
  record.parts = sink.stats().parts;
  record.etag = sink.stats().etag;
  return std::nullopt;
}

}  // namespace

DbStreamResult run_db_stream(const StreamEnvironment& env, const std::string& key,
                             ProgressReporter& progress) {
  DbStreamResult result;
  upload::MultipartSink sink(env.store, env.pool, key, env.sink_options);
  codec::Sha256Tap tap(sink);
  CountingSink counter(tap);
  const auto watch = progress.watch("db", counter);

  pg::PgDumpOptions options;
  options.settings = env.config.pg.clone();
  options.program = env.config.pg_dump;
  options.base_environment = env.config.child_environment;
  Logger& log = env.log;
  auto dump = pg::run_pg_dump(
      options, counter,
      [&log](std::string_view line) {
        log.warn("pg_dump", {{"stderr", std::string(line)}});
      },
      env.cancellation);

  result.record.key = key;
  result.record.compression = "none";  // the custom format compresses table data itself
  Result<void> produced;
  if (dump) {
    result.pg_dump_version = dump->pg_dump_version;
    result.record.producer_exit_status = dump->exit_status.exit_code;
  } else {
    produced = std::unexpected(dump.error());
  }
  result.error = commit_or_abort(std::move(produced), counter, tap, sink, result.record);
  if (result.error) result.record = failed_record(key, "none", *result.error);
  return result;
}

DocsStreamResult run_docs_stream(const StreamEnvironment& env, const std::string& key,
                                 ProgressReporter& progress) {
  DocsStreamResult result;
  upload::MultipartSink sink(env.store, env.pool, key, env.sink_options);
  codec::Sha256Tap tap(sink);
  auto zstd = codec::ZstdSink::create(
      tap, {.level = env.config.zstd_level, .workers = env.config.zstd_threads});
  if (!zstd) {
    result.error = zstd.error();
    result.record = failed_record(key, "zstd", zstd.error());
    return result;
  }
  CountingSink counter(**zstd);
  const auto watch = progress.watch("docs", counter);

  archive::TarOptions options;
  options.on_error = env.config.docs_on_error == config::DocsOnError::skip ? archive::OnError::skip
                                                                           : archive::OnError::fail;
  auto tar = archive::write_tar(env.config.documents_dir, counter, options, env.cancellation);

  result.record.key = key;
  result.record.compression = "zstd";
  result.documents.root = env.config.documents_dir;
  Result<void> produced;
  if (tar) {
    result.documents.files = tar->files;
    result.documents.directories = tar->directories;
    result.documents.symlinks = tar->symlinks;
    result.documents.hardlinks = tar->hardlinks;
    result.documents.uncompressed_bytes = tar->bytes;
    for (const archive::TarSkip& skip : tar->skipped) {
      result.documents.skipped.push_back({archive::printable_path(skip.path), skip.reason});
    }
  } else {
    produced = std::unexpected(tar.error());
  }
  result.error = commit_or_abort(std::move(produced), counter, tap, sink, result.record);
  if (result.error) result.record = failed_record(key, "zstd", *result.error);
  return result;
}

}  // namespace erp::app
