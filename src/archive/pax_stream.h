// PaxStream: the libarchive writer under write_tar (archive/tar_writer.h), writing a POSIX pax
// archive into a ByteSink: full "pax" (not "pax_restricted", which drops sub-second mtimes
// unless an entry needs a pax header anyway), 10 KiB records like GNU tar.
//
// Life cycle: open(), then per entry fill entry() and write_header() (+ write_data() for a
// file's contents), then close() writes the end-of-archive blocks. An archive not closed
// (after an error) never gets them — an incomplete archive must not look complete — and
// nothing more reaches the sink once the stream is being destroyed.
//
// Errors name the archive by `context` ("tar of <root>") and quote libarchive; a failing sink
// surfaces as the sink's own error, unchanged.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/byte_stream.h"
#include "core/error.h"

namespace erp::archive {

class PaxStream {
 public:
  // `out` is borrowed for the stream's life; the caller finishes or aborts it.
  PaxStream(ByteSink& out, std::string context);
  ~PaxStream();
  PaxStream(const PaxStream&) = delete;
  PaxStream& operator=(const PaxStream&) = delete;

  Result<void> open();
  // The one entry, reused: clear it (archive_entry_clear) and fill it before write_header().
  archive_entry* entry() { return entry_.get(); }
  // Writes entry()'s header. nullopt: written (ARCHIVE_WARN, a name stored as raw bytes with
  // hdrcharset=BINARY, counts as written). A reason: libarchive refused this one entry
  // (ARCHIVE_FAILED), nothing of it was written and the archive is still usable. Errors: the
  // archive is broken.
  Result<std::optional<std::string>> write_header(std::string_view shown_path);
  // Contents of the entry whose header was written last, never past its announced size.
  Result<void> write_data(const char* data, std::size_t size);
  // The end-of-archive blocks.
  Result<void> close();

 private:
  struct ArchiveFree {
    void operator()(struct archive* archive) const { archive_write_free(archive); }
  };
  struct EntryFree {
    void operator()(archive_entry* entry) const { archive_entry_free(entry); }
  };
  static la_ssize_t write_callback(struct archive* archive, void* client, const void* data,
                                   size_t size);
  static int close_callback(struct archive*, void*) { return ARCHIVE_OK; }
  Error archive_error(std::string_view what) const;

  ByteSink& out_;
  std::string context_;
  std::unique_ptr<struct archive, ArchiveFree> archive_;
  std::unique_ptr<archive_entry, EntryFree> entry_{archive_entry_new()};
  std::optional<Error> out_error_;  // the sink's first error; nothing is written after it
  bool discard_output_ = false;     // set when closing after an error: nothing more reaches out_
};

}  // namespace erp::archive
