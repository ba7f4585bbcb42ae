#include "archive/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <locale.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace erp::archive {
namespace {

constexpr std::size_t kMinChunk = 4096;

std::string errno_text(int error) {
  return std::strerror(error);
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Owns a DIR* (and through it the directory's descriptor).
struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// Switches the calling thread's LC_CTYPE to C.UTF-8 for the lifetime of the object.
// libarchive decides whether a name "is" UTF-8 by converting it from the current locale's
// charset; in the "C" locale (a process that never called setlocale, like ours) every byte
// >= 0x80 fails that conversion and even valid UTF-8 names would be stored as BINARY.
// uselocale() is per thread, so no other thread sees the change. If C.UTF-8 is missing (a libc
// without it), names are still stored byte for byte, only labelled BINARY.
class Utf8CtypeScope {
 public:
  Utf8CtypeScope() : utf8_(newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr))) {
    if (utf8_ != static_cast<locale_t>(nullptr)) previous_ = uselocale(utf8_);
  }
  ~Utf8CtypeScope() {
    if (utf8_ != static_cast<locale_t>(nullptr)) {
      uselocale(previous_);
      freelocale(utf8_);
    }
  }
  Utf8CtypeScope(const Utf8CtypeScope&) = delete;
  Utf8CtypeScope& operator=(const Utf8CtypeScope&) = delete;

 private:
  locale_t utf8_;
  locale_t previous_ = static_cast<locale_t>(nullptr);
};

// Opens `name` under `dir_fd` with O_NOATIME when the kernel allows it (the caller owns the
// file or has CAP_FOWNER), else without: reading must work either way, not touching atimes is
// a courtesy.
int open_noatime(int dir_fd, const char* name, int flags) {
  const int fd = ::openat(dir_fd, name, flags | O_NOATIME);
  if (fd >= 0 || errno != EPERM) return fd;
  return ::openat(dir_fd, name, flags);
}

// Reads up to `size` bytes, retrying short reads and EINTR; fewer only at end of file.
Result<std::size_t> read_full(int fd, char* buffer, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, buffer + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::permanent, "cannot read: " + errno_text(errno));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Result<std::vector<std::string>> list_directory(DIR* dir) {
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) {
        return make_error(ErrorKind::permanent, "cannot list: " + errno_text(errno));
      }
      break;
    }
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  // std::string compares bytes as unsigned char (char_traits), so the order is the same on
  // every machine and locale.
  std::sort(names.begin(), names.end());
  return names;
}

// Asks the kernel to start reading `name` under `dir_fd` into the page cache, if it is a
// regular file; anything else (a directory, a link, a FIFO, a device, a name that cannot be
// opened) is left alone: a hint must never block, follow a link, open a device (opening one
// can have effects) or fail the archive.
void hint_will_need(int dir_fd, const std::string& name) {
  struct stat listed {};
  if (::fstatat(dir_fd, name.c_str(), &listed, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(listed.st_mode) || listed.st_size == 0) {
    return;
  }
  const int fd = open_noatime(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
  }
  ::close(fd);
}

bool same_inode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Why a file's two fstat results say it changed while we read it; empty when they agree.
std::string change_between(const struct stat& before, const struct stat& after) {
  std::string what;
  auto add = [&](const std::string& part) { what += (what.empty() ? "" : ", ") + part; };
  if (before.st_size != after.st_size) {
    add("size " + std::to_string(before.st_size) + " -> " + std::to_string(after.st_size) +
        " bytes");
  }
  if (before.st_mtim.tv_sec != after.st_mtim.tv_sec ||
      before.st_mtim.tv_nsec != after.st_mtim.tv_nsec) {
    add("mtime changed");
  }
  // ctime catches a write within the same mtime tick, and metadata changes after the header.
  if (before.st_ctim.tv_sec != after.st_ctim.tv_sec ||
      before.st_ctim.tv_nsec != after.st_ctim.tv_nsec) {
    add("ctime changed");
  }
  return what;
}

struct ArchiveFree {
  void operator()(struct archive* archive) const { archive_write_free(archive); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

struct EntryFree {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

// One run of write_tar.
class TarWriter {
 public:
  TarWriter(const std::filesystem::path& root, ByteSink& out, const TarOptions& options,
            const Cancellation& cancellation)
      : root_(root),
        out_(out),
        options_(options),
        cancellation_(cancellation),
        buffer_(std::max(options.read_chunk_size, kMinChunk)) {}

  // Closes an archive that run() did not close (after an error) with the output cut off, so
  // that libarchive frees its buffers without writing anything more.
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  Result<TarStats> run();

 private:
  struct PendingLink {
    std::string first_path;  // the name archived with the contents
    nlink_t names_left;      // other names not seen yet; forgotten at 0
  };

  static la_ssize_t write_callback(struct archive* archive, void* client, const void* data,
                                   size_t size);
  static int close_callback(struct archive*, void*) { return ARCHIVE_OK; }

  Result<void> open_archive();
  // Visits `names` (sorted) under `dir_fd`, whose entries' paths start with `prefix`.
  Result<void> walk(int dir_fd, const std::vector<std::string>& names, const std::string& prefix);
  Result<void> visit(int dir_fd, const std::string& name, const std::string& path);
  Result<void> add_file(int dir_fd, const std::string& name, const std::string& path,
                        const struct stat& listed);
  Result<void> add_directory(int dir_fd, const std::string& name, const std::string& path,
                             const struct stat& listed);
  Result<void> add_symlink(int dir_fd, const std::string& name, const std::string& path,
                           const struct stat& listed);
  Result<void> add_hardlink(const std::string& path, const struct stat& listed, PendingLink& link);

  archive_entry* fill_entry(const std::string& path, const struct stat& st, mode_t type);
  // Writes the header of `entry_`; `skipped` becomes true when libarchive refused this one
  // entry (ARCHIVE_FAILED) and it was recorded under OnError::skip.
  Result<void> write_header(const std::string& path, bool& skipped);
  Result<void> write_data(const char* data, std::size_t size);
  Error archive_error(std::string_view what) const;
  Result<void> cancelled() const;

  // An entry problem found before its header: skipped+recorded, or the error (ending with
  // `hint`).
  Result<void> problem(const std::string& path, std::string reason,
                       std::string_view hint = kStableHint);
  static constexpr std::string_view kStableHint =
      "make it readable and stable during the backup, or let the backup skip such files";
  // A problem found after the header: always the error.
  std::unexpected<Error> broken_after_header(const std::string& path, const std::string& reason);
  void hook(const std::string& path) const;
  const std::string& user_name(uid_t uid);
  const std::string& group_name(gid_t gid);

  const std::filesystem::path& root_;
  ByteSink& out_;
  const TarOptions& options_;
  const Cancellation& cancellation_;
  std::vector<char> buffer_;
  ArchivePtr archive_;
  EntryPtr entry_{archive_entry_new()};
  std::optional<Error> out_error_;  // the sink's first error; nothing is written after it
  bool discard_output_ = false;     // set when closing after an error: nothing more reaches out_
  std::map<std::pair<dev_t, ino_t>, PendingLink> links_;
  std::unordered_map<uid_t, std::string> users_;
  std::unordered_map<gid_t, std::string> groups_;
  // `root` as an absolute link root (empty when it cannot be made absolute: then every
  // absolute link counts as leaving the tree).
  std::vector<std::vector<std::string>> root_components_;
  TarStats stats_;
};

TarWriter::~TarWriter() {
  if (archive_ == nullptr) return;
  // After an error the archive is still open (or in libarchive's fatal state). It must not get
  // its end-of-archive blocks — an incomplete archive must not look complete — yet it must be
  // closed: libarchive 3.6 frees its output buffer only in close, so archive_write_fail() +
  // free() would leak it. With discard_output_ every write fails without reaching out_, so
  // close() stops at its first write and releases everything. After a successful close this
  // is a no-op.
  discard_output_ = true;
  archive_write_close(archive_.get());
}

la_ssize_t TarWriter::write_callback(struct archive* archive, void* client, const void* data,
                                     size_t size) {
  auto* self = static_cast<TarWriter*>(client);
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

Error TarWriter::archive_error(std::string_view what) const {
  // A failing sink surfaces in libarchive as a fatal error; report the sink's own error.
  if (out_error_) return *out_error_;
  const char* text = archive_ != nullptr ? archive_error_string(archive_.get()) : nullptr;
  return Error{ErrorKind::permanent,
               "tar of " + printable_path(root_.native()) + ": " + std::string(what) +
                   ": libarchive: " + (text != nullptr ? text : "unknown error")};
}

Result<void> TarWriter::cancelled() const {
  return make_error(ErrorKind::cancelled,
                    "tar of " + printable_path(root_.native()) + " cancelled");
}

Result<void> TarWriter::problem(const std::string& path, std::string reason,
                                std::string_view hint) {
  if (options_.on_error == OnError::skip) {
    stats_.skipped.push_back(TarSkip{path, std::move(reason)});
    return {};
  }
  return make_error(ErrorKind::permanent, "tar of " + printable_path(root_.native()) + ": " +
                                              printable_path(path) + ": " + reason +
                                              " (hint: " + std::string(hint) + ")");
}

std::unexpected<Error> TarWriter::broken_after_header(const std::string& path,
                                                      const std::string& reason) {
  return std::unexpected(Error{
      ErrorKind::permanent,
      "tar of " + printable_path(root_.native()) + ": " + printable_path(path) + ": " + reason +
          " after its header was written; the archive cannot leave it out, so it is incomplete "
          "(hint: files must not change during the backup; retry, or back up a snapshot)"});
}

void TarWriter::hook(const std::string& path) const {
  if (options_.before_read_hook) options_.before_read_hook(std::filesystem::path(path));
}

const std::string& TarWriter::user_name(uid_t uid) {
  auto found = users_.find(uid);
  if (found != users_.end()) return found->second;
  std::string name;
  std::vector<char> scratch(16384);
  for (;;) {
    passwd record{};
    passwd* result = nullptr;
    const int error = getpwuid_r(uid, &record, scratch.data(), scratch.size(), &result);
    if (error == ERANGE && scratch.size() < (std::size_t{1} << 20)) {
      scratch.resize(scratch.size() * 2);
      continue;
    }
    if (error == 0 && result != nullptr) name = result->pw_name;
    break;
  }
  return users_.emplace(uid, std::move(name)).first->second;
}

const std::string& TarWriter::group_name(gid_t gid) {
  auto found = groups_.find(gid);
  if (found != groups_.end()) return found->second;
  std::string name;
  std::vector<char> scratch(16384);
  for (;;) {
    group record{};
    group* result = nullptr;
    const int error = getgrgid_r(gid, &record, scratch.data(), scratch.size(), &result);
    if (error == ERANGE && scratch.size() < (std::size_t{1} << 20)) {
      scratch.resize(scratch.size() * 2);
      continue;
    }
    if (error == 0 && result != nullptr) name = result->gr_name;
    break;
  }
  return groups_.emplace(gid, std::move(name)).first->second;
}

archive_entry* TarWriter::fill_entry(const std::string& path, const struct stat& st, mode_t type) {
  archive_entry* entry = entry_.get();
  archive_entry_clear(entry);
  // The multibyte setter: libarchive converts from the (thread's) locale and falls back to raw
  // bytes with hdrcharset=BINARY. (The *_utf8 setters leave no multibyte form in a non-UTF-8
  // locale, and libarchive 3.6's pax writer then crashes on a NULL pathname.)
  archive_entry_copy_pathname(entry, path.c_str());
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, st.st_mode & 07777);
  archive_entry_set_uid(entry, st.st_uid);
  archive_entry_set_gid(entry, st.st_gid);
  if (const std::string& user = user_name(st.st_uid); !user.empty()) {
    archive_entry_copy_uname(entry, user.c_str());
  }
  if (const std::string& group = group_name(st.st_gid); !group.empty()) {
    archive_entry_copy_gname(entry, group.c_str());
  }
  archive_entry_set_mtime(entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  archive_entry_set_size(entry, 0);
  return entry;
}

Result<void> TarWriter::write_header(const std::string& path, bool& skipped) {
  skipped = false;
  const int status = archive_write_header(archive_.get(), entry_.get());
  // ARCHIVE_WARN: a name (or user/group name) is not valid UTF-8 and was stored as raw bytes
  // with hdrcharset=BINARY — exactly what we want, so it is not a problem.
  if (status == ARCHIVE_OK || status == ARCHIVE_WARN) {
    ++stats_.entries;
    return {};
  }
  if (status == ARCHIVE_FAILED) {
    // This entry was refused and nothing of it written; the archive is still usable.
    const char* text = archive_error_string(archive_.get());
    const std::string reason =
        std::string("cannot be stored in a pax header: ") + (text != nullptr ? text : "?");
    if (auto handled = problem(path, reason); !handled) return handled;
    skipped = true;
    return {};
  }
  return std::unexpected(archive_error("writing the header of " + printable_path(path)));
}

Result<void> TarWriter::write_data(const char* data, std::size_t size) {
  const la_ssize_t written = archive_write_data(archive_.get(), data, size);
  if (written < 0) return std::unexpected(archive_error("writing file contents"));
  if (static_cast<std::size_t>(written) != size) {
    // The pax writer truncates at the size announced in the header; we never write past it,
    // so this is a bug, not a file problem.
    return make_error(ErrorKind::permanent, "tar of " + printable_path(root_.native()) +
                                                ": libarchive accepted " + std::to_string(written) +
                                                " of " + std::to_string(size) + " bytes");
  }
  stats_.bytes += size;
  return {};
}

Result<void> TarWriter::open_archive() {
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
  if (archive_write_open2(archive_.get(), this, nullptr, &TarWriter::write_callback,
                          &TarWriter::close_callback, nullptr) != ARCHIVE_OK) {
    return std::unexpected(archive_error("opening the archive"));
  }
  return {};
}

Result<TarStats> TarWriter::run() {
  const std::string root_text = printable_path(root_.native());
  const std::string hint = " (hint: DOCUMENTS_DIR must name a directory this process can read)";
  Fd root_fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root_fd.get() < 0) {
    return make_error(ErrorKind::permanent, "cannot open documents directory " + root_text + ": " +
                                                errno_text(errno) + hint);
  }
  DirPtr root_dir(::fdopendir(root_fd.get()));
  if (root_dir == nullptr) {
    return make_error(ErrorKind::permanent, "cannot open documents directory " + root_text + ": " +
                                                errno_text(errno) + hint);
  }
  root_fd.release();  // owned by root_dir now

  // List the root before the archive exists: an unreadable root fails before any byte is
  // written.
  auto names = list_directory(root_dir.get());
  if (!names) {
    return make_error(ErrorKind::permanent, "cannot list documents directory " + root_text + ": " +
                                                names.error().message + hint);
  }
  std::error_code ignored;
  if (auto components =
          absolute_root(std::filesystem::absolute(root_, ignored).lexically_normal().native())) {
    root_components_.push_back(std::move(*components));
  }
  if (auto opened = open_archive(); !opened) return std::unexpected(opened.error());
  if (auto walked = walk(::dirfd(root_dir.get()), *names, ""); !walked) {
    return std::unexpected(walked.error());
  }
  if (cancellation_.cancelled()) return std::unexpected(cancelled().error());
  if (archive_write_close(archive_.get()) != ARCHIVE_OK) {
    return std::unexpected(archive_error("writing the end of the archive"));
  }
  return std::move(stats_);
}

Result<void> TarWriter::walk(int dir_fd, const std::vector<std::string>& names,
                             const std::string& prefix) {
  // names[0, hinted) have been announced to the kernel already.
  std::size_t hinted = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::size_t window = std::min(names.size(), i + 1 + options_.read_ahead_files);
    for (hinted = std::max(hinted, i + 1); hinted < window; ++hinted) {
      hint_will_need(dir_fd, names[hinted]);
    }
    if (auto visited = visit(dir_fd, names[i], prefix + names[i]); !visited) return visited;
  }
  return {};
}

Result<void> TarWriter::visit(int dir_fd, const std::string& name, const std::string& path) {
  if (cancellation_.cancelled()) return cancelled();
  // The restore's limits (archive/archive_policy.h), checked before the entry is opened: a
  // directory past them is left out with its subtree, so the walk never goes deeper.
  const auto depth = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) + 1;
  if (path.size() > kMaxNameBytes || depth > kMaxDepth) {
    return problem(
        path,
        path.size() > kMaxNameBytes
            ? "a name of " + std::to_string(path.size()) + " bytes, longer than " +
                  std::to_string(kMaxNameBytes) + " (PATH_MAX): no restore accepts it"
            : "more than " + std::to_string(kMaxDepth) + " levels deep: no restore accepts it",
        "shorten or flatten the path, or let the backup skip such entries");
  }
  struct stat listed {};
  if (::fstatat(dir_fd, name.c_str(), &listed, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return problem(path, "vanished before it could be read");
    return problem(path, "cannot stat: " + errno_text(errno));
  }
  switch (listed.st_mode & S_IFMT) {
    case S_IFREG:
      return add_file(dir_fd, name, path, listed);
    case S_IFDIR:
      return add_directory(dir_fd, name, path, listed);
    case S_IFLNK:
      return add_symlink(dir_fd, name, path, listed);
    case S_IFIFO:
      stats_.skipped.push_back(TarSkip{path, "fifo"});
      return {};
    case S_IFSOCK:
      stats_.skipped.push_back(TarSkip{path, "socket"});
      return {};
    case S_IFCHR:
      stats_.skipped.push_back(TarSkip{path, "character device"});
      return {};
    case S_IFBLK:
      stats_.skipped.push_back(TarSkip{path, "block device"});
      return {};
    default:
      stats_.skipped.push_back(TarSkip{path, "unknown file type"});
      return {};
  }
}

Result<void> TarWriter::add_hardlink(const std::string& path, const struct stat& listed,
                                     PendingLink& link) {
  hook(path);
  archive_entry* entry = fill_entry(path, listed, AE_IFREG);
  archive_entry_copy_hardlink(entry, link.first_path.c_str());
  bool skipped = false;
  if (auto written = write_header(path, skipped); !written) return written;
  if (skipped) return {};
  ++stats_.hardlinks;
  if (--link.names_left == 0) links_.erase({listed.st_dev, listed.st_ino});
  return {};
}

Result<void> TarWriter::add_file(int dir_fd, const std::string& name, const std::string& path,
                                 const struct stat& listed) {
  const auto inode = std::make_pair(listed.st_dev, listed.st_ino);
  if (listed.st_nlink > 1) {
    if (auto found = links_.find(inode); found != links_.end()) {
      return add_hardlink(path, listed, found->second);
    }
  }
  // O_NONBLOCK: if the name was swapped for a FIFO since fstatat, open() must not hang on it
  // (the fstat below then rejects it). No effect on regular files.
  Fd fd(open_noatime(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return problem(path, "vanished before it could be read");
    if (errno == ELOOP) return problem(path, "was replaced by a symbolic link while being read");
    return problem(path, "cannot open: " + errno_text(errno));
  }
  struct stat before {};
  if (::fstat(fd.get(), &before) != 0) return problem(path, "cannot stat: " + errno_text(errno));
  if (!S_ISREG(before.st_mode) || !same_inode(before, listed)) {
    return problem(path, "was replaced while being read");
  }
  hook(path);
  if (static_cast<std::uint64_t>(before.st_size) > buffer_.size()) {
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // a hint: its failure changes nothing
  }

  // Read the first chunk (for most documents: the whole file) before writing the header, so
  // that a read error or a change found here can still leave the file out under `skip`.
  const auto size = static_cast<std::uint64_t>(before.st_size);
  std::uint64_t left = size;
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_.size()));
  auto got = read_full(fd.get(), buffer_.data(), first);
  if (!got) return problem(path, got.error().message);
  if (*got < first) {
    return problem(path, "changed while being read (it shrank: " + std::to_string(*got) + " of " +
                             std::to_string(size) + " bytes could be read)");
  }
  left -= first;
  if (left == 0) {
    struct stat after {};
    if (::fstat(fd.get(), &after) != 0) return problem(path, "cannot stat: " + errno_text(errno));
    if (const std::string change = change_between(before, after); !change.empty()) {
      return problem(path, "changed while being read (" + change + ")");
    }
  }

  archive_entry* entry = fill_entry(path, before, AE_IFREG);
  archive_entry_set_size(entry, static_cast<la_int64_t>(size));
  bool skipped = false;
  if (auto written = write_header(path, skipped); !written) return written;
  if (skipped) return {};
  if (auto written = write_data(buffer_.data(), first); !written) return written;

  // Past the header: any problem now fails the archive, whatever on_error says.
  if (left > 0) {
    while (left > 0) {
      if (cancellation_.cancelled()) return cancelled();
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_.size()));
      auto chunk = read_full(fd.get(), buffer_.data(), want);
      if (!chunk) return broken_after_header(path, chunk.error().message);
      if (*chunk < want) {
        return broken_after_header(
            path, "changed while being read (it shrank: " + std::to_string(size - left + *chunk) +
                      " of " + std::to_string(size) + " bytes could be read)");
      }
      if (auto written = write_data(buffer_.data(), want); !written) return written;
      left -= want;
    }
    struct stat after {};
    if (::fstat(fd.get(), &after) != 0) {
      return broken_after_header(path, "cannot stat: " + errno_text(errno));
    }
    if (const std::string change = change_between(before, after); !change.empty()) {
      return broken_after_header(path, "changed while being read (" + change + ")");
    }
  }
  ++stats_.files;
  // Later names of this inode become hard-link entries to this one. Registered only now that
  // the file is really in the archive, so a skipped first name never becomes a link target.
  if (listed.st_nlink > 1) links_[inode] = PendingLink{path, listed.st_nlink - 1};
  return {};
}

Result<void> TarWriter::add_directory(int dir_fd, const std::string& name, const std::string& path,
                                      const struct stat& listed) {
  Fd fd(open_noatime(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return problem(path, "vanished before it could be read");
    if (errno == ELOOP || errno == ENOTDIR) {
      return problem(path, "was replaced while being read");
    }
    return problem(path, "cannot open directory: " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return problem(path, "cannot stat: " + errno_text(errno));
  if (!same_inode(st, listed)) return problem(path, "was replaced while being read");
  DirPtr dir(::fdopendir(fd.get()));
  if (dir == nullptr) return problem(path, "cannot open directory: " + errno_text(errno));
  fd.release();
  hook(path);
  // List before the header: an unlistable directory can still be skipped as a whole.
  auto names = list_directory(dir.get());
  if (!names) return problem(path, names.error().message);

  fill_entry(path, st, AE_IFDIR);
  bool skipped = false;
  if (auto written = write_header(path, skipped); !written) return written;
  if (skipped) return {};
  ++stats_.directories;

  return walk(::dirfd(dir.get()), *names, path + "/");
}

Result<void> TarWriter::add_symlink(int dir_fd, const std::string& name, const std::string& path,
                                    const struct stat& listed) {
  hook(path);
  // st_size is the target's length, but it can change between fstatat and readlinkat: read
  // into a buffer one byte larger and grow while it comes back full.
  std::string target(static_cast<std::size_t>(listed.st_size) + 1, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (n < 0) {
      if (errno == ENOENT) return problem(path, "vanished before it could be read");
      if (errno == EINVAL) return problem(path, "was replaced while being read");
      return problem(path, "cannot read the link: " + errno_text(errno));
    }
    if (static_cast<std::size_t>(n) < target.size()) {
      target.resize(static_cast<std::size_t>(n));
      break;
    }
    target.resize(target.size() * 2);
  }
  archive_entry* entry = fill_entry(path, listed, AE_IFLNK);
  archive_entry_copy_symlink(entry, target.c_str());
  bool skipped = false;
  if (auto written = write_header(path, skipped); !written) return written;
  if (skipped) return {};
  ++stats_.symlinks;
  // Judged like a restore judges it, with the tree's own directory as the only absolute root.
  std::vector<std::string> components;
  for (std::size_t start = 0; start <= path.size();) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    components.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  auto verdict = judge_symlink(components, target, root_components_);
  if (!verdict || verdict->leaves_tree) stats_.links_outside.add(path, target);
  return {};
}

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// Length of the valid UTF-8 sequence at the start of `text`, or 0.
std::size_t utf8_sequence(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (!is_continuation(byte)) return 0;
    code = (code << 6) | (byte & 0x3F);
  }
  // Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF.
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF)) {
    return 0;
  }
  return length;
}

}  // namespace

std::string printable_path(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(raw.size());
  while (!raw.empty()) {
    const auto byte = static_cast<unsigned char>(raw[0]);
    const std::size_t length = utf8_sequence(raw);
    if (length == 0 || byte < 0x20 || byte == 0x7F) {
      text += "\\x";
      text += kDigits[byte >> 4];
      text += kDigits[byte & 0x0F];
      raw.remove_prefix(1);
    } else if (byte == '\\') {
      text += "\\\\";
      raw.remove_prefix(1);
    } else {
      text.append(raw.substr(0, length));
      raw.remove_prefix(length);
    }
  }
  return text;
}

Result<TarStats> write_tar(const std::filesystem::path& root, ByteSink& out,
                           const TarOptions& options, const Cancellation& cancellation) {
  // The locale scope outlives the writer: libarchive picks its charset converters while
  // writing headers and frees them with the archive.
  Utf8CtypeScope utf8;
  TarWriter writer(root, out, options, cancellation);
  return writer.run();
}

}  // namespace erp::archive
