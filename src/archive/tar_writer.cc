#include "archive/tar_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

#include "archive/owner_names.h"
#include "archive/pax_stream.h"
#include "archive/source_tree.h"
#include "archive/utf8_ctype_scope.h"
#include "core/errno_text.h"
#include "core/owned_fd.h"

namespace erp::archive {
namespace {

constexpr std::size_t kMinChunk = 4096;

// One run of write_tar.
class TarWriter {
 public:
  TarWriter(const std::filesystem::path& root, ByteSink& out, const TarOptions& options,
            const Cancellation& cancellation)
      : root_(root),
        options_(options),
        cancellation_(cancellation),
        buffer_(std::max(options.read_chunk_size, kMinChunk)),
        archive_(out, "tar of " + printable_path(root.native())) {}

  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  Result<TarStats> run();

 private:
  struct PendingLink {
    std::string first_path;  // the name archived with the contents
    nlink_t names_left;      // other names not seen yet; forgotten at 0
  };

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
  // Writes the header of the stream's entry; `skipped` becomes true when libarchive refused this
  // one entry (ARCHIVE_FAILED) and it was recorded under OnError::skip.
  Result<void> write_header(const std::string& path, bool& skipped);
  Result<void> write_data(const char* data, std::size_t size);
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

  const std::filesystem::path& root_;
  const TarOptions& options_;
  const Cancellation& cancellation_;
  std::vector<char> buffer_;
  PaxStream archive_;
  std::map<std::pair<dev_t, ino_t>, PendingLink> links_;
  OwnerNames owners_;
  // `root` as an absolute link root (empty when it cannot be made absolute: then every
  // absolute link counts as leaving the tree).
  std::vector<std::vector<std::string>> root_components_;
  TarStats stats_;
};

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

archive_entry* TarWriter::fill_entry(const std::string& path, const struct stat& st, mode_t type) {
  archive_entry* entry = archive_.entry();
  archive_entry_clear(entry);
  // The multibyte setter: libarchive converts from the (thread's) locale and falls back to raw
  // bytes with hdrcharset=BINARY. (The *_utf8 setters leave no multibyte form in a non-UTF-8
  // locale, and libarchive 3.6's pax writer then crashes on a NULL pathname.)
  archive_entry_copy_pathname(entry, path.c_str());
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, st.st_mode & 07777);
  archive_entry_set_uid(entry, st.st_uid);
  archive_entry_set_gid(entry, st.st_gid);
  if (const std::string& user = owners_.user(st.st_uid); !user.empty()) {
    archive_entry_copy_uname(entry, user.c_str());
  }
  if (const std::string& group = owners_.group(st.st_gid); !group.empty()) {
    archive_entry_copy_gname(entry, group.c_str());
  }
  archive_entry_set_mtime(entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  archive_entry_set_size(entry, 0);
  return entry;
}

Result<void> TarWriter::write_header(const std::string& path, bool& skipped) {
  skipped = false;
  auto refused = archive_.write_header(printable_path(path));
  if (!refused) return std::unexpected(refused.error());
  if (!*refused) {
    ++stats_.entries;
    return {};
  }
  if (auto handled = problem(path, **refused); !handled) return handled;
  skipped = true;
  return {};
}

Result<void> TarWriter::write_data(const char* data, std::size_t size) {
  if (auto written = archive_.write_data(data, size); !written) return written;
  stats_.bytes += size;
  return {};
}

Result<TarStats> TarWriter::run() {
  const std::string root_text = printable_path(root_.native());
  const std::string hint = " (hint: DOCUMENTS_DIR must name a directory this process can read)";
  OwnedFd root_fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
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
  if (auto opened = archive_.open(); !opened) return std::unexpected(opened.error());
  if (auto walked = walk(::dirfd(root_dir.get()), *names, ""); !walked) {
    return std::unexpected(walked.error());
  }
  if (cancellation_.cancelled()) return std::unexpected(cancelled().error());
  if (auto closed = archive_.close(); !closed) return std::unexpected(closed.error());
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
    default:
      stats_.skipped.push_back(TarSkip{path, std::string(special_file_kind(listed.st_mode))});
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
  OwnedFd fd(open_noatime(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
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
  OwnedFd fd(open_noatime(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
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

}  // namespace

Result<TarStats> write_tar(const std::filesystem::path& root, ByteSink& out,
                           const TarOptions& options, const Cancellation& cancellation) {
  // The locale scope outlives the writer: libarchive picks its charset converters while
  // writing headers and frees them with the archive.
  Utf8CtypeScope utf8;
  TarWriter writer(root, out, options, cancellation);
  return writer.run();
}

}  // namespace erp::archive
