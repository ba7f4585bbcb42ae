#include "archive/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <sys/stat.h>

namespace erp::archive {
namespace {

constexpr std::size_t kReadBlock = 256 * 1024;

struct archive* as_archive(void* pointer) {
  return static_cast<struct archive*>(pointer);
}

}  // namespace

struct TarReader::Callbacks {
  static la_ssize_t read(struct archive* archive, void* client, const void** block) {
    auto* reader = static_cast<TarReader*>(client);
    auto got = reader->input_.read(reader->buffer_);
    if (!got) {
      reader->input_error_ = got.error();
      archive_set_error(archive, EIO, "%s", got.error().message.c_str());
      return -1;
    }
    *block = reader->buffer_.data();
    return static_cast<la_ssize_t>(*got);
  }
};

Result<std::unique_ptr<TarReader>> TarReader::open(ByteSource& input) {
  struct archive* archive = archive_read_new();
  if (archive == nullptr) return make_error(ErrorKind::permanent, "archive_read_new failed");
  archive_read_support_format_tar(archive);
  std::unique_ptr<TarReader> reader(new TarReader(input, archive));
  if (archive_read_open(archive, reader.get(), nullptr, &Callbacks::read, nullptr) != ARCHIVE_OK) {
    return reader->fail("opening the archive");
  }
  return reader;
}

TarReader::TarReader(ByteSource& input, void* archive)
    : input_(input), archive_(archive), buffer_(kReadBlock) {}

TarReader::~TarReader() {
  archive_read_free(as_archive(archive_));
}

std::unexpected<Error> TarReader::fail(const char* what) {
  if (input_error_) return std::unexpected(*input_error_);
  const char* text = archive_error_string(as_archive(archive_));
  return make_error(ErrorKind::corrupt, std::string("tar archive: ") + what + ": " +
                                            (text != nullptr ? text : "unknown error"));
}

Result<std::optional<TarEntry>> TarReader::next() {
  struct archive_entry* raw = nullptr;
  const int status = archive_read_next_header(as_archive(archive_), &raw);
  if (status == ARCHIVE_EOF) return std::optional<TarEntry>{};
  if (status != ARCHIVE_OK && status != ARCHIVE_WARN) return fail("reading an entry header");
  TarEntry entry;
  if (const char* path = archive_entry_pathname(raw)) entry.path = path;
  entry.mode = static_cast<unsigned>(archive_entry_perm(raw));
  entry.uid = archive_entry_uid(raw);
  entry.gid = archive_entry_gid(raw);
  entry.mtime_seconds = archive_entry_mtime(raw);
  entry.mtime_nanoseconds = archive_entry_mtime_nsec(raw);
  entry.size = archive_entry_size(raw);
  if (const char* target = archive_entry_hardlink(raw)) {
    entry.type = EntryType::hardlink;
    entry.link_target = target;
    return std::optional<TarEntry>(std::move(entry));
  }
  switch (archive_entry_filetype(raw)) {
    case AE_IFREG:
      entry.type = EntryType::file;
      break;
    case AE_IFDIR:
      entry.type = EntryType::directory;
      break;
    case AE_IFLNK:
      entry.type = EntryType::symlink;
      if (const char* target = archive_entry_symlink(raw)) entry.link_target = target;
      break;
    default:
      entry.type = EntryType::other;
      break;
  }
  return std::optional<TarEntry>(std::move(entry));
}

Result<std::size_t> TarReader::read_data(std::span<char> buffer) {
  const la_ssize_t n = archive_read_data(as_archive(archive_), buffer.data(), buffer.size());
  if (n < 0) return fail("reading an entry's content");
  return static_cast<std::size_t>(n);
}

void TarCounts::add(EntryType type) {
  switch (type) {
    case EntryType::file:
      ++files;
      break;
    case EntryType::directory:
      ++directories;
      break;
    case EntryType::symlink:
      ++symlinks;
      break;
    case EntryType::hardlink:
      ++hardlinks;
      break;
    case EntryType::other:
      ++other;
      break;
  }
}

Result<std::uint64_t> discard_data(TarReader& reader, std::span<char> buffer) {
  std::uint64_t total = 0;
  for (;;) {
    auto n = reader.read_data(buffer);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return total;
    total += *n;
  }
}

Result<TarCounts> count_tar(ByteSource& input) {
  auto reader = TarReader::open(input);
  if (!reader) return std::unexpected(reader.error());
  TarCounts counts;
  std::vector<char> buffer(kReadBlock);
  for (;;) {
    auto entry = (*reader)->next();
    if (!entry) return std::unexpected(entry.error());
    if (!*entry) break;
    counts.add((*entry)->type);
    if ((*entry)->type != EntryType::file) continue;
    auto bytes = discard_data(**reader, buffer);
    if (!bytes) return std::unexpected(bytes.error());
    counts.content_bytes += *bytes;
  }
  return counts;
}

}  // namespace erp::archive
