#include "archive/pax_stream.h"

#include <cerrno>
#include <span>

namespace erp::archive {

PaxStream::PaxStream(ByteSink& out, std::string context)
    : out_(out), context_(std::move(context)) {}

PaxStream::~PaxStream() {
  if (archive_ == nullptr) return;
  // After an error the archive is still open (or in libarchive's fatal state). It must not get
  // its end-of-archive blocks, yet it must be closed: libarchive 3.6 frees its output buffer
  // only in close, so archive_write_fail() + free() would leak it. With discard_output_ every
  // write fails without reaching out_, so close() stops at its first write and releases
  // everything. After a successful close this is a no-op.
  discard_output_ = true;
  archive_write_close(archive_.get());
}

la_ssize_t PaxStream::write_callback(struct archive* archive, void* client, const void* data,
                                     size_t size) {
  auto* self = static_cast<PaxStream*>(client);
  if (self->out_error_ || self->discard_output_) {
    archive_set_error(archive, EIO, "output stream closed after an error");
    return -1;
  }
  auto written = self->out_.write(std::span<const char>(static_cast<const char*>(data), size));
  if (!written) {
    self->out_error_ = written.error();
    archive_set_error(archive, EIO, "output stream failed");
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

Error PaxStream::archive_error(std::string_view what) const {
  // A failing sink surfaces in libarchive as a fatal error; report the sink's own error.
  if (out_error_) return *out_error_;
  const char* text = archive_ != nullptr ? archive_error_string(archive_.get()) : nullptr;
  return Error{ErrorKind::permanent, context_ + ": " + std::string(what) + ": libarchive: " +
                                         (text != nullptr ? text : "unknown error")};
}

Result<void> PaxStream::open() {
  archive_.reset(archive_write_new());
  if (archive_ == nullptr || entry_ == nullptr) {
    return make_error(ErrorKind::permanent, "libarchive: out of memory");
  }
  // Full pax rather than pax_restricted: the restricted writer only records nanoseconds for
  // entries that need a pax header anyway, so most files would lose their sub-second mtime. It
  // adds no other fields for us: we set no atime, ctime, xattrs or flags.
  if (archive_write_set_format_pax(archive_.get()) != ARCHIVE_OK) {
    return std::unexpected(archive_error("selecting the pax format"));
  }
  // 10 KiB records (20 x 512-byte blocks), GNU tar's and libarchive's default, including the
  // padding of the last record: the most widely readable form.
  if (archive_write_set_bytes_per_block(archive_.get(), 10240) != ARCHIVE_OK) {
    return std::unexpected(archive_error("setting the record size"));
  }
  if (archive_write_open2(archive_.get(), this, nullptr, &PaxStream::write_callback,
                          &PaxStream::close_callback, nullptr) != ARCHIVE_OK) {
    return std::unexpected(archive_error("opening the archive"));
  }
  return {};
}

Result<std::optional<std::string>> PaxStream::write_header(std::string_view shown_path) {
  const int status = archive_write_header(archive_.get(), entry_.get());
  // ARCHIVE_WARN: a name (or user/group name) is not valid UTF-8 and was stored as raw bytes
  // with hdrcharset=BINARY — exactly what we want, so it is not a problem.
  if (status == ARCHIVE_OK || status == ARCHIVE_WARN) return std::nullopt;
  if (status == ARCHIVE_FAILED) {
    // This entry was refused and nothing of it written; the archive is still usable.
    const char* text = archive_error_string(archive_.get());
    return std::string("cannot be stored in a pax header: ") + (text != nullptr ? text : "?");
  }
  return std::unexpected(archive_error("writing the header of " + std::string(shown_path)));
}

Result<void> PaxStream::write_data(const char* data, std::size_t size) {
  const la_ssize_t written = archive_write_data(archive_.get(), data, size);
  if (written < 0) return std::unexpected(archive_error("writing file contents"));
  if (static_cast<std::size_t>(written) != size) {
    // The pax writer truncates at the size announced in the header; we never write past it,
    // so this is a bug, not a file problem.
    return make_error(ErrorKind::permanent, context_ + ": libarchive accepted " +
                                                std::to_string(written) + " of " +
                                                std::to_string(size) + " bytes");
  }
  return {};
}

Result<void> PaxStream::close() {
  if (archive_write_close(archive_.get()) != ARCHIVE_OK) {
    return std::unexpected(archive_error("writing the end of the archive"));
  }
  return {};
}

}  // namespace erp::archive
