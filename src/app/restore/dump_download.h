// `restore db --jobs N` / `drill --jobs N` (issue 21): the dump downloaded into
// RESTORE_SCRATCH_DIR so that pg_restore -j N can read it (pg_restore refuses -j on standard
// input). The object is fetched with parallel ranged GETs (S3_UPLOAD_CONCURRENCY at most in
// flight, pinned to one ETag), hashed in order as the file is written and checked against the
// manifest's size and SHA-256 before pg_restore sees it; a zstd-stored dump
// (DB_COMPRESSION=zstd) is decoded on the way, so the file is always pg_dump's custom format.
//
// The file exists only as long as the ScratchDump object: unnamed where the filesystem allows
// (O_TMPFILE: gone even after SIGKILL; pg_restore and its workers read it as /dev/fd/N), else
// named "erp-backup-<ID>-<pid>.dump" and unlinked on every path (success, failure, SIGTERM).
// Before anything is fetched the free space is checked (statvfs): fewer free bytes than the
// dump's size (decoded size unknown for zstd: the stored size times the manifest's ratio, or
// 4x, documented) plus a 64 MiB margin is refused with a config error naming
// RESTORE_SCRATCH_DIR, the bytes needed and the bytes free.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "catalog/manifest.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

struct DumpDownloadOptions {
  std::filesystem::path scratch_dir;   // RESTORE_SCRATCH_DIR: must exist and be writable
  std::string set_id;                  // names the file when it has a name
  int concurrency = 4;                 // ranged GETs in flight
  std::size_t range_bytes = 16 << 20;  // bytes per ranged GET
};

class ScratchDump {
 public:
  ~ScratchDump();  // closes and unlinks; never throws
  // The path pg_restore opens (/dev/fd/N for an unnamed file, inherited by the child).
  const std::string& path() const;
  int fd() const;               // keep open while pg_restore runs; not close-on-exec
  std::uint64_t bytes() const;  // of the file (decoded)
  std::uint64_t stored_bytes() const;
  std::string stored_sha256() const;  // equal to the manifest's, or download() failed
  std::chrono::milliseconds elapsed() const;
  // ...
 private:
  struct State;
  friend Result<std::unique_ptr<ScratchDump>> download_dump(s3::ObjectStore&,
                                                            const catalog::StreamRecord&,
                                                            const DumpDownloadOptions&,
                                                            const Cancellation&);
  std::unique_ptr<State> state_;
};

// Errors: config (scratch dir missing, unwritable or too small); corrupt (size or SHA-256
// differs from the manifest's, naming the key); the store's errors; cancelled. Nothing is
// left in the scratch directory on any error.
Result<std::unique_ptr<ScratchDump>> download_dump(s3::ObjectStore& store,
                                                   const catalog::StreamRecord& dump,
                                                   const DumpDownloadOptions& options,
                                                   const Cancellation& cancellation);

}  // namespace erp::app
