// `restore db --jobs N` / `drill --jobs N` (issue 21): the dump downloaded into
// RESTORE_SCRATCH_DIR so that pg_restore -j N can read it (pg_restore refuses -j on standard
// input). The object is fetched with parallel ranged GETs (s3/parallel_object_source.h:
// S3_UPLOAD_CONCURRENCY GETs in flight — the store's bandwidth setting, independent of how many
// sessions pg_restore opens), hashed in order as the file is written (pwrite at the running
// offset) and checked against the manifest's size and SHA-256 before anything else sees it; a
// zstd-stored dump (DB_COMPRESSION=zstd) is decoded on the way, so the file is always
// pg_dump's custom format. Memory: (concurrency + 1) ranges, not the object.
//
// The file never has a name anyone can open: O_TMPFILE where the filesystem allows it, else a
// file created O_EXCL as "erp-backup-<ID>-<pid>.dump" and unlinked at once (only a SIGKILL in
// the microseconds between the two leaves it). Either way its space is freed when the last
// descriptor closes: at the end of the restore, on failure, on SIGTERM and even on SIGKILL.
// pg_restore reads it as /dev/fd/3 (pg/pg_restore.h), which its -j workers reopen — Linux
// opens /dev/fd/N of an unlinked regular file as a new description of the same file (checked
// with pg_restore 15: tests/integration/test_restore_jobs.py).
//
// Before anything is fetched the free space is checked (statvfs): fewer free bytes than the
// file needs (the stored size; for zstd, 4x the stored size, an estimate: pg_dump -Z0 data
// compresses about that well) plus kScratchMargin is refused with a config error naming
// RESTORE_SCRATCH_DIR, the bytes needed and the bytes free. A filesystem that fills up anyway
// (ENOSPC) fails the download with the same names.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog/manifest.h"
#include "codec/sha256_source.h"
#include "core/byte_stream.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::s3 {
class ParallelObjectSource;
}

namespace erp::app {

inline constexpr std::uint64_t kScratchMargin = 64u << 20;
inline constexpr std::uint64_t kZstdScratchFactor = 4;

struct DumpDownloadOptions {
  std::filesystem::path scratch_dir;  // RESTORE_SCRATCH_DIR: must exist and be writable
  std::string set_id;                 // names the fallback file while it has a name
  int concurrency = 4;                // ranged GETs in flight (S3_UPLOAD_CONCURRENCY)
  std::size_t range_bytes = 8 << 20;  // bytes per ranged GET
  bool allow_tmpfile = true;          // false: the named fallback (tests)
};

// Bytes the scratch file needs for `record` (before the margin). Pure.
std::uint64_t scratch_bytes_needed(const catalog::StreamRecord& record, bool zstd);

// The scratch file holding a checked dump. Closing it (the destructor) frees its space.
class ScratchDump {
 public:
  ScratchDump(int fd, std::string description);
  ~ScratchDump();  // closes; never throws
  ScratchDump(const ScratchDump&) = delete;
  ScratchDump& operator=(const ScratchDump&) = delete;

  // Keep open while pg_restore runs (it gets a duplicate as its fd 3). Close-on-exec.
  int fd() const { return fd_; }
  // Closes the file: its space is back once pg_restore (holding a duplicate) ended too.
  // stored() stays. fd() is -1 after.
  void close_file();
  // For logs: "an unnamed file (O_TMPFILE) in /scratch" or "an unlinked file in /scratch".
  const std::string& description() const { return description_; }
  // The object's bytes as read and hashed: at its end, equal to the manifest's (the same
  // stage DumpSource::stored() is for a streamed restore).
  const codec::Sha256Source& stored() const { return *hashed_; }

  std::uint64_t bytes = 0;  // of the file (decoded)
  std::chrono::milliseconds elapsed{0};
  int ranges = 0;                // ranged GETs
  std::size_t peak_buffers = 0;  // range buffers held at once, at most concurrency + 1

 private:
  friend Result<std::unique_ptr<ScratchDump>> download_dump(s3::ObjectStore&,
                                                            const catalog::StreamRecord&,
                                                            const DumpDownloadOptions&,
                                                            const Cancellation&);
  int fd_;
  std::string description_;
  std::unique_ptr<s3::ParallelObjectSource> object_;  // at its end once downloaded
  std::unique_ptr<codec::Sha256Source> hashed_;
};

// The scratch file from its first byte (pread: the descriptor's own offset is left alone), for
// pg_restore --list.
class ScratchReader final : public ByteSource {
 public:
  explicit ScratchReader(const ScratchDump& dump) : fd_(dump.fd()) {}
  Result<std::size_t> read(std::span<char> buffer) override;

 private:
  int fd_;
  std::uint64_t offset_ = 0;
};

// Errors: config naming RESTORE_SCRATCH_DIR (missing, not a directory, unwritable, too small,
// filled up); corrupt naming the key (the object's size, or the size or SHA-256 read, differs
// from the manifest's; a damaged zstd frame); the store's errors; cancelled. Nothing is left in
// the scratch directory on any path.
Result<std::unique_ptr<ScratchDump>> download_dump(s3::ObjectStore& store,
                                                   const catalog::StreamRecord& dump,
                                                   const DumpDownloadOptions& options,
                                                   const Cancellation& cancellation);

}  // namespace erp::app
