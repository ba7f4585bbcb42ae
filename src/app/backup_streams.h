// The two streams of a backup set, each a chain assembled here and nowhere else:
//
//   db:   pg_dump stdout → count → sha256 tap → multipart sink (db/<ID>.dump)
//   docs: tar of DOCUMENTS_DIR → count → zstd → sha256 tap → multipart sink (docs/<ID>.tar.zst)
//
// Each function runs its stream to the end on the calling thread (run them on two threads
// for concurrency; they share the buffer pool) and never throws. On any failure the upload
// is aborted and nothing that looks complete is left: the returned record says "failed"
// with the reason. Both borrow everything they are given for the duration of the call.
#pragma once

#include <functional>
#include <string>

#include "app/progress_reporter.h"
#include "catalog/manifest.h"
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
  const config::BackupConfig& config;
  Logger& log;
  const Cancellation& cancellation;
};

struct DbStreamResult {
  catalog::StreamRecord record;
  std::string pg_dump_version;
  std::optional<Error> error;
};

struct DocsStreamResult {
  catalog::StreamRecord record;
  catalog::DocumentsRecord documents;
  std::optional<Error> error;
};

// Each stream reports its bytes to `progress` (borrowed) while it runs.
DbStreamResult run_db_stream(const StreamEnvironment& env, const std::string& key,
                             ProgressReporter& progress);
DocsStreamResult run_docs_stream(const StreamEnvironment& env, const std::string& key,
                                 ProgressReporter& progress);

}  // namespace erp::app
