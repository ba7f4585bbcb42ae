#include "app/restore/dump_download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "app/sets/record_check.h"
#include "codec/sha256_source.h"
#include "codec/zstd_source.h"
#include "core/errno_text.h"
#include "s3/parallel_object_source.h"

namespace erp::app {
namespace {

constexpr std::size_t kWriteBuffer = 1 << 20;

Error scratch_error(const std::filesystem::path& dir, const std::string& what) {
  return Error{ErrorKind::config, "RESTORE_SCRATCH_DIR " + dir.string() + ": " + what};
}

// Step 1: the directory is there and has room for the file.
Result<void> check_scratch(const std::filesystem::path& dir, std::uint64_t needed) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    return std::unexpected(scratch_error(dir, errno_text(errno) + " (hint: --jobs N > 1 downloads "
                                                                  "the dump there first)"));
  }
  if (!S_ISDIR(info.st_mode)) return std::unexpected(scratch_error(dir, "not a directory"));
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return std::unexpected(scratch_error(dir, "not writable: " + errno_text(errno)));
  }
  struct statvfs space {};
  if (::statvfs(dir.c_str(), &space) != 0) {
    return std::unexpected(scratch_error(dir, "statvfs: " + errno_text(errno)));
  }
  const std::uint64_t free = static_cast<std::uint64_t>(space.f_bavail) * space.f_frsize;
  if (free < needed + kScratchMargin) {
    return std::unexpected(scratch_error(
        dir, "too little space: the dump needs " + std::to_string(needed) + " bytes plus " +
                 std::to_string(kScratchMargin) + " spare, " + std::to_string(free) +
                 " bytes are free (hint: a larger RESTORE_SCRATCH_DIR, or --jobs 1 to stream)"));
  }
  return {};
}

// Step 2: a file nobody else can open, gone with its last descriptor.
Result<std::unique_ptr<ScratchDump>> open_scratch(const DumpDownloadOptions& options) {
  const std::filesystem::path& dir = options.scratch_dir;
  if (options.allow_tmpfile) {
    const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
      return std::make_unique<ScratchDump>(fd, "an unnamed file (O_TMPFILE) in " + dir.string());
    }
    // Filesystems without O_TMPFILE say so with EOPNOTSUPP (or EISDIR on old kernels).
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
      return std::unexpected(scratch_error(dir, "O_TMPFILE: " + errno_text(errno)));
    }
  }
  const std::filesystem::path name =
      dir / ("erp-backup-" + options.set_id + "-" + std::to_string(::getpid()) + ".dump");
  const int fd = ::open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(scratch_error(dir, name.string() + ": " + errno_text(errno)));
  if (::unlink(name.c_str()) != 0) {
    const int error = errno;
    ::close(fd);
    return std::unexpected(
        scratch_error(dir, "unlink " + name.string() + ": " + errno_text(error)));
  }
  return std::make_unique<ScratchDump>(fd, "an unlinked file in " + dir.string());
}

Result<void> write_all_at(int fd, std::span<const char> data, std::uint64_t offset,
                          const std::filesystem::path& dir) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      if (error == ENOSPC || error == EDQUOT) {
        return std::unexpected(scratch_error(
            dir, "filled up after " + std::to_string(offset) +
                     " bytes (hint: a zstd-stored dump decodes to more than its stored size; a "
                     "larger RESTORE_SCRATCH_DIR, or --jobs 1 to stream)"));
      }
      return std::unexpected(scratch_error(dir, "write: " + errno_text(error)));
    }
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

}  // namespace

std::uint64_t scratch_bytes_needed(const catalog::StreamRecord& record, bool zstd) {
  return zstd ? record.bytes * kZstdScratchFactor : record.bytes;
}

ScratchDump::ScratchDump(int fd, std::string description)
    : fd_(fd), description_(std::move(description)) {}

void ScratchDump::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ScratchDump::~ScratchDump() {
  hashed_.reset();
  object_.reset();
  if (fd_ >= 0) ::close(fd_);
}

Result<std::size_t> ScratchReader::read(std::span<char> buffer) {
  for (;;) {
    const ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(ErrorKind::permanent, "reading the scratch file: " + errno_text(errno));
    offset_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
}

Result<std::unique_ptr<ScratchDump>> download_dump(s3::ObjectStore& store,
                                                   const catalog::StreamRecord& dump,
                                                   const DumpDownloadOptions& options,
                                                   const Cancellation& cancellation) {
  const auto started = std::chrono::steady_clock::now();
  auto compression = catalog::stored_compression(dump);
  if (!compression) return std::unexpected(compression.error());
  const bool zstd = *compression == catalog::StoredCompression::zstd;
  if (auto room = check_scratch(options.scratch_dir, scratch_bytes_needed(dump, zstd)); !room) {
    return std::unexpected(room.error());
  }
  auto info = store.head_object(dump.key);
  if (!info) return std::unexpected(info.error().with_context(dump.key));
  if (info->size != dump.bytes) {
    return make_error(ErrorKind::corrupt,
                      dump.key + ": the object holds " + std::to_string(info->size) +
                          " bytes, the manifest says " + std::to_string(dump.bytes));
  }
  auto file = open_scratch(options);
  if (!file) return std::unexpected(file.error());

  ScratchDump& done = **file;
  done.object_ = std::make_unique<s3::ParallelObjectSource>(
      store, dump.key, info->size,
      s3::ParallelObjectSourceOptions{.concurrency = options.concurrency,
                                      .range_bytes = options.range_bytes},
      cancellation.token());
  done.hashed_ = std::make_unique<codec::Sha256Source>(*done.object_);
  codec::Sha256Source& hashed = *done.hashed_;
  std::unique_ptr<codec::ZstdSource> decoder;
  if (zstd) {
    auto created = codec::ZstdSource::create(hashed);
    if (!created) return std::unexpected(created.error());
    decoder = std::move(*created);
  }
  ByteSource& archive = decoder ? static_cast<ByteSource&>(*decoder) : hashed;
  std::vector<char> buffer(kWriteBuffer);
  std::uint64_t offset = 0;
  for (;;) {
    if (cancellation.cancelled()) return make_error(ErrorKind::cancelled, "download cancelled");
    auto got = archive.read(buffer);
    if (!got) return std::unexpected(got.error().with_context(dump.key));
    if (*got == 0) break;
    auto written = write_all_at(done.fd(), {buffer.data(), *got}, offset, options.scratch_dir);
    if (!written) return std::unexpected(written.error());
    offset += *got;
  }
  // A zstd frame ends where the object does; what follows it is read (and hashed) all the same.
  if (auto drained = hashed.drain(); !drained) {
    return std::unexpected(drained.error().with_context(dump.key));
  }
  if (auto mismatch = record_mismatch(dump, hashed.bytes(), hashed.hex())) {
    return make_error(ErrorKind::corrupt, *mismatch);
  }
  done.bytes = offset;
  done.ranges = static_cast<int>(s3::plan_ranges(info->size, options.range_bytes).size());
  done.peak_buffers = done.object_->peak_buffers();
  done.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return std::move(*file);
}

}  // namespace erp::app
