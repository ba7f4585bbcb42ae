#include "archive/safe_extractor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "archive/tar_writer.h"

namespace erp::archive {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::string join(const std::vector<std::string>& components, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < components.size(); ++i) {
    if (i != 0) out += '/';
    out += components[i];
  }
  return out;
}

std::string join(const std::vector<std::string>& components) {
  return join(components, components.size());
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('/', start), text.size());
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string shown_name(std::string_view raw) {
  return "tar entry '" + printable_path(raw) + "'";
}

std::unexpected<Error> hostile(const std::string& shown, const std::string& why) {
  return make_error(ErrorKind::corrupt, shown + ": " + why +
                                            " (refused: nothing was written "
                                            "outside the target directory)");
}

std::unexpected<Error> system_error(const std::string& shown, const char* call,
                                    const std::string& path) {
  const int code = errno;
  return make_error(ErrorKind::permanent,
                    shown + ": " + call + " " + printable_path(path) + ": " + std::strerror(code));
}

// An fd that is closed on destruction unless it is borrowed (the target's, the cached parent).
class Fd {
 public:
  Fd(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~Fd() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)), owned_(other.owned_) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (owned_ && fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
      owned_ = other.owned_;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
  bool owned_;
};

// Opens the directory `components[0..count)` below `root_fd`, one O_NOFOLLOW step at a time.
// Missing directories are created (0755, umask applies) when `create` is set. A component that
// exists but is not a directory — above all a symbolic link — is a hostile entry.
Result<Fd> walk(int root_fd, const std::vector<std::string>& components, std::size_t count,
                bool create, const std::string& shown) {
  Fd current(root_fd, false);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& name = components[i];
    int fd = ::openat(current.get(), name.c_str(), kDirectoryFlags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return system_error(shown, "mkdirat", join(components, i + 1));
      }
      fd = ::openat(current.get(), name.c_str(), kDirectoryFlags);
    }
    if (fd < 0) {
      const int code = errno;
      struct stat st {};
      if ((code == ELOOP || code == ENOTDIR) &&
          ::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        return hostile(shown, S_ISLNK(st.st_mode)
                                  ? "goes through the symbolic link '" +
                                        printable_path(join(components, i + 1)) + "'"
                                  : "goes through '" + printable_path(join(components, i + 1)) +
                                        "', which is not a directory");
      }
      errno = code;
      return system_error(shown, "openat", join(components, i + 1));
    }
    current = Fd(fd, true);
  }
  return current;
}

timespec to_timespec(std::int64_t seconds, long nanoseconds) {
  return timespec{static_cast<time_t>(seconds), nanoseconds};
}

// A component-wise "is `path` below (or equal to) `root`".
bool starts_with(const std::vector<std::string>& path, const std::vector<std::string>& root) {
  return path.size() >= root.size() && std::equal(root.begin(), root.end(), path.begin());
}

}  // namespace

Result<std::vector<std::string>> normalise_entry_name(std::string_view name) {
  const std::string shown = shown_name(name);
  if (name.empty()) return hostile(shown, "an empty name");
  if (name.front() == '/') return hostile(shown, "an absolute name");
  std::vector<std::string> components;
  for (std::string& part : split(name)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return hostile(shown, "a '..' component");
    components.push_back(std::move(part));
  }
  return components;
}

Result<std::unique_ptr<SafeExtractor>> SafeExtractor::open(const std::filesystem::path& target,
                                                           ExtractOptions options,
                                                           const Cancellation& cancellation) {
  std::vector<std::string> subtree;
  if (!options.subtree.empty()) {
    auto parsed = normalise_entry_name(options.subtree);
    if (!parsed || parsed->empty()) {
      return make_error(ErrorKind::corrupt,
                        "subtree '" + printable_path(options.subtree) +
                            "': not a relative path inside the archive (hint: e.g. mycompany)");
    }
    subtree = std::move(*parsed);
  }
  std::vector<std::vector<std::string>> link_roots;
  for (const std::string& root : options.absolute_link_roots) {
    std::vector<std::string> components;
    bool valid = !root.empty() && root.front() == '/';
    for (std::string& part : split(root)) {
      if (part == "..") valid = false;
      if (!part.empty() && part != ".") components.push_back(std::move(part));
    }
    if (!valid) {
      return make_error(ErrorKind::corrupt, "absolute link root '" + printable_path(root) +
                                                "': not an absolute path without '..'");
    }
    link_roots.push_back(std::move(components));
  }
  const int fd = ::open(target.c_str(), kDirectoryFlags);
  if (fd < 0) {
    const int code = errno;
    return make_error(
        code == ENOENT ? ErrorKind::not_found : ErrorKind::permanent,
        "target directory " + printable_path(target.native()) + ": " + std::strerror(code) +
            (code == ELOOP ? " (it is a symbolic link; name the real directory)" : ""));
  }
  return std::unique_ptr<SafeExtractor>(new SafeExtractor(
      fd, std::move(options), std::move(subtree), std::move(link_roots), cancellation));
}

SafeExtractor::SafeExtractor(int target_fd, ExtractOptions options,
                             std::vector<std::string> subtree,
                             std::vector<std::vector<std::string>> link_roots,
                             const Cancellation& cancellation)
    : target_fd_(target_fd),
      options_(std::move(options)),
      subtree_(std::move(subtree)),
      link_roots_(std::move(link_roots)),
      cancellation_(cancellation),
      buffer_(std::max<std::size_t>(options_.chunk_size, 4096)) {}

SafeExtractor::~SafeExtractor() {
  if (cached_parent_fd_ >= 0) ::close(cached_parent_fd_);
  ::close(target_fd_);
}

Result<int> SafeExtractor::open_parent(const std::vector<std::string>& name,
                                       const std::string& shown) {
  if (name.size() <= 1) return target_fd_;
  const std::string parent = join(name, name.size() - 1);
  // Safe to reuse: a directory is never removed or replaced by this extractor, and the fd
  // stays the directory that was checked when it was opened whatever happens to its name.
  if (cached_parent_fd_ >= 0 && cached_parent_ == parent) return cached_parent_fd_;
  auto opened = walk(target_fd_, name, name.size() - 1, true, shown);
  if (!opened) return std::unexpected(opened.error());
  const int fd = ::dup(opened->get());
  if (fd < 0) return system_error(shown, "dup", parent);
  if (cached_parent_fd_ >= 0) ::close(cached_parent_fd_);
  cached_parent_fd_ = fd;
  cached_parent_ = parent;
  return fd;
}

Result<void> SafeExtractor::make_room(int parent, const std::string& leaf, const std::string& shown,
                                      bool directory_ok) {
  struct stat st {};
  if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return system_error(shown, "fstatat", leaf);
  }
  if (S_ISDIR(st.st_mode)) {
    if (directory_ok) return {};
    return hostile(shown, "the name exists in the target as a directory");
  }
  if (directory_ok) {
    // The "symlink replaced by a directory entry" attack: a directory entry must never make
    // an existing link usable as a directory.
    return hostile(shown, S_ISLNK(st.st_mode)
                              ? "the name exists in the target as a symbolic link"
                              : "the name exists in the target and is not a directory");
  }
  if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
    return hostile(shown, "the name exists in the target as a special file");
  }
  // A regular file or a link is replaced, never written through: unlink, then create O_EXCL.
  if (::unlinkat(parent, leaf.c_str(), 0) != 0) return system_error(shown, "unlinkat", leaf);
  return {};
}

Result<void> SafeExtractor::write_file(TarReader& reader, const TarEntry& entry, int parent,
                                       const std::string& leaf, const std::string& shown) {
  const int fd =
      ::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return system_error(shown, "openat", leaf);
  Fd file(fd, true);
  auto fail = [&](Error error) -> std::unexpected<Error> {
    ::unlinkat(parent, leaf.c_str(), 0);  // a half-written file is not a restored one
    return std::unexpected(std::move(error));
  };
  for (;;) {
    if (cancellation_.cancelled()) {
      return fail(Error{ErrorKind::cancelled, shown + ": extraction stopped"});
    }
    auto n = reader.read_data(buffer_);
    if (!n) return fail(n.error().with_context(shown));
    if (*n == 0) break;
    std::size_t done = 0;
    while (done < *n) {
      const ssize_t written = ::write(fd, buffer_.data() + done, *n - done);
      if (written < 0) {
        if (errno == EINTR) continue;
        return fail(system_error(shown, "write", leaf).error());
      }
      done += static_cast<std::size_t>(written);
    }
    stats_.bytes += *n;
  }
  if (options_.restore_owners &&
      ::fchown(fd, static_cast<uid_t>(entry.uid), static_cast<gid_t>(entry.gid)) != 0) {
    return fail(system_error(shown, "fchown", leaf).error());
  }
  if (::fchmod(fd, entry.mode & 07777) != 0) {
    return fail(system_error(shown, "fchmod", leaf).error());
  }
  const timespec times[2] = {{0, UTIME_OMIT},
                             to_timespec(entry.mtime_seconds, entry.mtime_nanoseconds)};
  if (::futimens(fd, times) != 0) return fail(system_error(shown, "futimens", leaf).error());
  return {};
}

Result<void> SafeExtractor::check_symlink_target(const TarEntry& entry,
                                                 const std::vector<std::string>& name,
                                                 const std::string& shown) const {
  const std::string& target = entry.link_target;
  const std::string quoted = "symbolic link to '" + printable_path(target) + "'";
  if (target.empty()) return hostile(shown, "a symbolic link with an empty target");
  if (target.front() == '/') {
    std::vector<std::string> components;
    for (std::string& part : split(target)) {
      if (part == "..") return hostile(shown, "a " + quoted + " (an absolute target with '..')");
      if (!part.empty() && part != ".") components.push_back(std::move(part));
    }
    for (const auto& root : link_roots_) {
      if (starts_with(components, root)) return {};
    }
    return hostile(shown, "a " + quoted +
                              ", outside the target directory (hint: an absolute "
                              "target is allowed only under a link root)");
  }
  // Resolved lexically from the link's directory. '..' may only lead the target: after a name
  // it would resolve through whatever that name is (another link, say `x -> .`, turns `x/..`
  // into the target's parent), which no lexical check can see. Leading '..'s climb real
  // directories: every directory on an extracted path was opened with O_NOFOLLOW.
  std::size_t depth = name.size() - 1;  // the link's directory, relative to the target
  bool leading = true;
  for (const std::string& part : split(target)) {
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      leading = false;
      continue;
    }
    if (!leading) return hostile(shown, "a " + quoted + " ('..' after a name)");
    if (depth == 0) return hostile(shown, "a " + quoted + ", outside the target directory");
    --depth;
  }
  return {};
}

Result<void> SafeExtractor::link(const std::string& existing, const std::vector<std::string>& name,
                                 const std::string& shown) {
  auto first = normalise_entry_name(existing);
  if (!first) return std::unexpected(first.error());
  auto source_parent = walk(target_fd_, *first, first->size() - 1, false, shown);
  if (!source_parent) return std::unexpected(source_parent.error());
  auto parent = open_parent(name, shown);
  if (!parent) return std::unexpected(parent.error());
  if (auto room = make_room(*parent, name.back(), shown, false); !room) return room;
  if (::linkat(source_parent->get(), first->back().c_str(), *parent, name.back().c_str(), 0) != 0) {
    return system_error(shown, "linkat", existing);
  }
  extracted_files_.insert(join(name));
  ++stats_.hardlinks;
  return {};
}

Result<void> SafeExtractor::extract(TarReader& reader) {
  for (;;) {
    if (cancellation_.cancelled()) {
      return make_error(ErrorKind::cancelled, "extraction stopped");
    }
    auto entry = reader.next();
    if (!entry) return std::unexpected(entry.error());
    if (!*entry) return {};
    auto name = normalise_entry_name((*entry)->path);
    if (!name) return std::unexpected(name.error());
    if (auto done = extract_entry(reader, **entry, *name); !done) return done;
  }
}

Result<void> SafeExtractor::extract_entry(TarReader& reader, const TarEntry& entry,
                                          const std::vector<std::string>& name) {
  const std::string shown = shown_name(entry.path);
  // Type and name checks apply to every entry, inside the subtree or not: an archive that
  // holds a hostile entry anywhere is not restored from.
  if (entry.type == EntryType::other) {
    return hostile(shown, "a device node, FIFO or socket");
  }
  if (name.empty()) {
    if (entry.type == EntryType::directory) return {};  // "./": the target itself
    return hostile(shown, "a name that is only '.' components");
  }
  const std::string joined = join(name);
  if (!starts_with(name, subtree_)) {
    ++stats_.outside_subtree;
    if (entry.type == EntryType::hardlink) {
      auto first = normalise_entry_name(entry.link_target);
      if (!first) return std::unexpected(first.error());
      skipped_links_[joined] = join(*first);
    }
    return {};
  }
  if (entry.type != EntryType::file && entry.type != EntryType::hardlink) {
    extracted_files_.erase(joined);
  }
  if (entry.type == EntryType::hardlink) {
    auto first = normalise_entry_name(entry.link_target);
    if (!first) {
      return hostile(shown, "a hard link to '" + printable_path(entry.link_target) +
                                "': " + first.error().message);
    }
    if (first->empty()) return hostile(shown, "a hard link to the target directory itself");
    std::string first_name = join(*first);
    if (auto deferred = deferred_links_.find(first_name); deferred != deferred_links_.end()) {
      first_name = deferred->second;  // a link to a name the second pass fills: same group
    }
    if (!starts_with(split(first_name), subtree_)) {
      // Outside the subtree: its content went by; the second pass brings it back. Follow
      // skipped links to the group's first name (bounded: a hostile archive may loop them).
      std::size_t hops = 0;
      for (auto it = skipped_links_.find(first_name); it != skipped_links_.end();
           it = skipped_links_.find(first_name)) {
        if (++hops > skipped_links_.size()) {
          return hostile(shown, "a hard link into a loop of hard links outside the subtree");
        }
        first_name = it->second;
      }
      outside_links_[first_name].push_back(joined);
      deferred_links_[joined] = first_name;
      return {};
    }
    if (!extracted_files_.contains(first_name)) {
      return hostile(shown, "a hard link to '" + printable_path(entry.link_target) +
                                "', which is not a file extracted before it");
    }
    return link(first_name, name, shown);
  }
  auto parent = open_parent(name, shown);
  if (!parent) return std::unexpected(parent.error());
  const std::string& leaf = name.back();
  switch (entry.type) {
    case EntryType::directory: {
      if (auto room = make_room(*parent, leaf, shown, true); !room) return room;
      if (::mkdirat(*parent, leaf.c_str(), 0700) != 0 && errno != EEXIST) {
        return system_error(shown, "mkdirat", joined);
      }
      directories_.push_back(PendingDirectory{joined, entry.mode, entry.uid, entry.gid,
                                              entry.mtime_seconds, entry.mtime_nanoseconds});
      ++stats_.directories;
      return {};
    }
    case EntryType::file: {
      if (auto room = make_room(*parent, leaf, shown, false); !room) return room;
      if (auto written = write_file(reader, entry, *parent, leaf, shown); !written) return written;
      extracted_files_.insert(joined);
      ++stats_.files;
      return {};
    }
    case EntryType::symlink: {
      if (auto checked = check_symlink_target(entry, name, shown); !checked) return checked;
      if (auto room = make_room(*parent, leaf, shown, false); !room) return room;
      if (::symlinkat(entry.link_target.c_str(), *parent, leaf.c_str()) != 0) {
        return system_error(shown, "symlinkat", joined);
      }
      if (options_.restore_owners &&
          ::fchownat(*parent, leaf.c_str(), static_cast<uid_t>(entry.uid),
                     static_cast<gid_t>(entry.gid), AT_SYMLINK_NOFOLLOW) != 0) {
        return system_error(shown, "fchownat", joined);
      }
      const timespec times[2] = {{0, UTIME_OMIT},
                                 to_timespec(entry.mtime_seconds, entry.mtime_nanoseconds)};
      if (::utimensat(*parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
        return system_error(shown, "utimensat", joined);
      }
      ++stats_.symlinks;
      return {};
    }
    case EntryType::hardlink:
    case EntryType::other:
      break;
  }
  return {};
}

Result<void> SafeExtractor::extract_outside_links(TarReader& reader) {
  std::map<std::string, std::string> waiting;  // link name → first name, until filled
  for (const auto& [first, names] : outside_links_) {
    for (const std::string& name : names) waiting[name] = first;
  }
  std::set<std::string> filled;
  while (filled.size() < outside_links_.size()) {
    if (cancellation_.cancelled()) {
      return make_error(ErrorKind::cancelled, "extraction stopped");
    }
    auto entry = reader.next();
    if (!entry) return std::unexpected(entry.error());
    if (!*entry) break;
    auto name = normalise_entry_name((*entry)->path);
    if (!name) return std::unexpected(name.error());
    const std::string joined = join(*name);
    const std::string shown = shown_name((*entry)->path);
    if (auto it = waiting.find(joined); it != waiting.end() && !filled.contains(it->second)) {
      return hostile(shown, "a hard link to '" + printable_path(it->second) +
                                "', which is not a file archived before it");
    }
    if ((*entry)->type != EntryType::file) continue;
    const auto group = outside_links_.find(joined);
    if (group == outside_links_.end() || filled.contains(joined)) continue;
    // The first link inside the subtree receives the content; the others are linked to it.
    const std::vector<std::string>& names = group->second;
    auto first_name = normalise_entry_name(names.front());
    if (!first_name) return std::unexpected(first_name.error());
    const std::string first_shown = shown_name(names.front());
    auto parent = open_parent(*first_name, first_shown);
    if (!parent) return std::unexpected(parent.error());
    if (auto room = make_room(*parent, first_name->back(), first_shown, false); !room) return room;
    if (auto written = write_file(reader, **entry, *parent, first_name->back(), first_shown);
        !written) {
      return written;
    }
    ++stats_.hardlinks;
    for (std::size_t i = 1; i < names.size(); ++i) {
      auto other = normalise_entry_name(names[i]);
      if (!other) return std::unexpected(other.error());
      if (auto linked = link(names.front(), *other, shown_name(names[i])); !linked) return linked;
    }
    filled.insert(joined);
  }
  for (const auto& [first, names] : outside_links_) {
    if (!filled.contains(first)) {
      return hostile(shown_name(names.front()), "a hard link to '" + printable_path(first) +
                                                    "', which the archive does not hold as a file");
    }
  }
  return {};
}

Result<void> SafeExtractor::finish() {
  // Deepest first: a directory's own metadata is set after everything below it was written
  // (an mtime would move, a read-only mode would refuse the writes). Stable, so a repeated
  // directory entry's last metadata wins.
  std::stable_sort(directories_.begin(), directories_.end(), [](const auto& a, const auto& b) {
    return std::count(a.path.begin(), a.path.end(), '/') >
           std::count(b.path.begin(), b.path.end(), '/');
  });
  if (cached_parent_fd_ >= 0) {
    ::close(cached_parent_fd_);
    cached_parent_fd_ = -1;
    cached_parent_.clear();
  }
  for (const PendingDirectory& directory : directories_) {
    if (cancellation_.cancelled()) return make_error(ErrorKind::cancelled, "extraction stopped");
    const std::string shown = shown_name(directory.path);
    const std::vector<std::string> name = split(directory.path);
    auto fd = walk(target_fd_, name, name.size(), false, shown);
    if (!fd) return std::unexpected(fd.error());
    if (options_.restore_owners && ::fchown(fd->get(), static_cast<uid_t>(directory.uid),
                                            static_cast<gid_t>(directory.gid)) != 0) {
      return system_error(shown, "fchown", directory.path);
    }
    if (::fchmod(fd->get(), directory.mode & 07777) != 0) {
      return system_error(shown, "fchmod", directory.path);
    }
    const timespec times[2] = {{0, UTIME_OMIT},
                               to_timespec(directory.mtime_seconds, directory.mtime_nanoseconds)};
    if (::futimens(fd->get(), times) != 0) return system_error(shown, "futimens", directory.path);
  }
  directories_.clear();
  return {};
}

}  // namespace erp::archive
