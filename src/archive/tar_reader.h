// TarReader: walks a tar archive (pax, ustar, GNU) read from a ByteSource with libarchive, for
// the read side: verify counts what an archive holds, restore extracts it with its own checks.
//
// The input is plain tar: decompression is a stage in front (codec::ZstdSource), so this
// reader enables no libarchive filters and no format but tar.
//
// Life cycle: open(), then next() until it returns nullopt (the end of the archive); between
// two next() calls read_data() gives the current entry's content (what is not read is skipped
// by the next next()). Errors: corrupt for a damaged or truncated archive (libarchive's words),
// or the input's own error (kind kept: not_found, transient, cancelled, ...). After an error the
// reader is spent.
//
// Borrows `input`, which must outlive the reader. One thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"

namespace erp::archive {

enum class EntryType { file, directory, symlink, hardlink, other };

struct TarEntry {
  std::string path;  // as stored (bytes; not necessarily UTF-8)
  EntryType type = EntryType::other;
  std::string link_target;  // symlink target, or the first name of a hard link
  unsigned mode = 0;        // permission bits incl. setuid/setgid/sticky
  std::int64_t uid = 0;
  std::int64_t gid = 0;
  std::int64_t mtime_seconds = 0;
  long mtime_nanoseconds = 0;
  std::int64_t size = 0;  // content bytes (files only)
};

class TarReader {
 public:
  // Errors: permanent when libarchive cannot be set up.
  static Result<std::unique_ptr<TarReader>> open(ByteSource& input);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next entry, or nullopt after the last one.
  Result<std::optional<TarEntry>> next();
  // Up to buffer.size() bytes of the current entry's content; 0 at its end.
  Result<std::size_t> read_data(std::span<char> buffer);

 private:
  struct Callbacks;
  TarReader(ByteSource& input, void* archive);
  std::unexpected<Error> fail(const char* what);

  ByteSource& input_;
  void* archive_;  // struct archive*
  std::vector<char> buffer_;
  std::optional<Error> input_error_;  // the input's own error, returned instead of libarchive's
};

// What an archive holds, as the manifest's documents record counts it.
struct TarCounts {
  std::uint64_t files = 0;  // regular files (first names)
  std::uint64_t directories = 0;
  std::uint64_t symlinks = 0;
  std::uint64_t hardlinks = 0;      // further names of a file
  std::uint64_t other = 0;          // entries of any other type (the tool never writes them)
  std::uint64_t content_bytes = 0;  // bytes of regular files' content, read in full

  // Counts one entry of `type`.
  void add(EntryType type);
};

// Reads the current entry's content to its end through `buffer`, discarding it; returns its
// size in bytes. Errors: those of read_data().
Result<std::uint64_t> discard_data(TarReader& reader, std::span<char> buffer);

// Walks the whole archive, reading every byte of content. Errors: those of TarReader.
Result<TarCounts> count_tar(ByteSource& input);

}  // namespace erp::archive
