#include "archive/safe_extractor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "archive/extract_errors.h"
#include "archive/printable_path.h"
#include "core/owned_fd.h"

namespace erp::archive {
namespace {

// A component-wise "is `path` below (or equal to) `root`".
bool starts_with(const std::vector<std::string>& path, const std::vector<std::string>& root) {
  return path.size() >= root.size() && std::equal(root.begin(), root.end(), path.begin());
}

std::vector<std::string> split(const std::string& joined) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= joined.size()) {
    const std::size_t end = std::min(joined.find('/', start), joined.size());
    parts.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

timespec to_timespec(std::int64_t seconds, long nanoseconds) {
  return timespec{static_cast<time_t>(seconds), nanoseconds};
}

}  // namespace

Result<void> apply_directory_metadata(int fd, const DirectoryMetadata& metadata,
                                      bool restore_owners, const std::string& shown,
                                      const std::string& path) {
  if (restore_owners &&
      ::fchown(fd, static_cast<uid_t>(metadata.uid), static_cast<gid_t>(metadata.gid)) != 0) {
    return system_error(shown, "fchown", path);
  }
  if (::fchmod(fd, metadata.mode & 07777) != 0) return system_error(shown, "fchmod", path);
  const timespec times[2] = {{0, UTIME_OMIT},
                             to_timespec(metadata.mtime_seconds, metadata.mtime_nanoseconds)};
  if (::futimens(fd, times) != 0) return system_error(shown, "futimens", path);
  return {};
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
  auto checker = EntryChecker::create(options.absolute_link_roots);
  if (!checker) return std::unexpected(checker.error());
  const int fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return directory_open_error("target directory", target.native(), errno);
  return std::unique_ptr<SafeExtractor>(new SafeExtractor(
      fd, std::move(options), std::move(subtree), std::move(*checker), cancellation));
}

SafeExtractor::SafeExtractor(int target_fd, ExtractOptions options,
                             std::vector<std::string> subtree, EntryChecker checker,
                             const Cancellation& cancellation)
    : target_fd_(target_fd),
      options_(std::move(options)),
      subtree_(std::move(subtree)),
      checker_(std::move(checker)),
      cancellation_(cancellation),
      buffer_(std::max<std::size_t>(options_.chunk_size, 4096)) {}

SafeExtractor::~SafeExtractor() {
  chain_.clear();
  source_chain_.clear();
  ::close(target_fd_);
}

ExtractStats SafeExtractor::stats() const {
  ExtractStats stats = stats_;
  stats.directory_opens = chain_.opens() + source_chain_.opens();
  return stats;
}

const DirectoryMetadata* SafeExtractor::archived_directory(
    const std::vector<std::string>& name) const {
  const auto found = directories_.find(name);
  return found == directories_.end() ? nullptr : &found->second;
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
  OwnedFd file(fd);
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
  unsigned mode = entry.mode & 07777;
  if (!options_.keep_setid && (mode & (S_ISUID | S_ISGID)) != 0) {
    // A setuid program restored as root into a volume an application serves is a privilege
    // it never needed (issue 17): dropped unless asked for.
    mode &= ~static_cast<unsigned>(S_ISUID | S_ISGID);
    ++stats_.setid_dropped;
  }
  if (::fchmod(fd, mode) != 0) return fail(system_error(shown, "fchmod", leaf).error());
  const timespec times[2] = {{0, UTIME_OMIT},
                             to_timespec(entry.mtime_seconds, entry.mtime_nanoseconds)};
  if (::futimens(fd, times) != 0) return fail(system_error(shown, "futimens", leaf).error());
  return {};
}

Result<void> SafeExtractor::link(const std::string& existing, const std::vector<std::string>& name,
                                 const std::string& shown) {
  const std::vector<std::string> first = split(existing);
  auto source_parent = source_chain_.open(first, first.size() - 1, false, shown);
  if (!source_parent) return std::unexpected(source_parent.error());
  auto parent = chain_.open(name, name.size() - 1, true, shown);
  if (!parent) return std::unexpected(parent.error());
  if (auto room = make_room(*parent, name.back(), shown, false); !room) return room;
  if (::linkat(*source_parent, first.back().c_str(), *parent, name.back().c_str(), 0) != 0) {
    return system_error(shown, "linkat", existing);
  }
  extracted_files_.insert(join_name(name));
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
    ++stats_.entries;
    if (options_.max_entries && stats_.entries > *options_.max_entries) {
      return hostile(entry_label((*entry)->path), "the archive holds more than the " +
                                                      std::to_string(*options_.max_entries) +
                                                      " entries its manifest records");
    }
    auto verdict = checker_.check(**entry);
    if (!verdict) return hostile(verdict.error());
    if (auto done = extract_entry(reader, **entry, *verdict); !done) return done;
  }
}

Result<void> SafeExtractor::extract_entry(TarReader& reader, const TarEntry& entry,
                                          const EntryVerdict& verdict) {
  const std::vector<std::string>& name = verdict.name;
  if (name.empty()) return {};  // "./": the target itself keeps its own mode and mtime
  const std::string shown = entry_label(entry.path);
  if (entry.type == EntryType::file) {
    stats_.declared_bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(entry.size, 0));
    if (options_.max_content_bytes && stats_.declared_bytes > *options_.max_content_bytes) {
      return hostile(shown, "the archive declares more than the " +
                                std::to_string(*options_.max_content_bytes) +
                                " content bytes its manifest records");
    }
  }
  const std::string joined = join_name(name);
  if (!starts_with(name, subtree_)) {
    ++stats_.outside_subtree;
    if (entry.type == EntryType::hardlink) skipped_links_[joined] = join_name(verdict.first);
    return {};
  }
  ++stats_.in_subtree;
  if (entry.type != EntryType::file && entry.type != EntryType::hardlink) {
    extracted_files_.erase(joined);
  }
  if (entry.type == EntryType::hardlink) {
    std::string first_name = join_name(verdict.first);
    if (auto deferred = deferred_links_.find(first_name); deferred != deferred_links_.end()) {
      first_name = deferred->second;  // a link to a name the second pass fills: same group
    }
    if (!starts_with(split(first_name), subtree_)) {
      // Outside the subtree: its content went by; the second pass brings it back. Skipped
      // links lead to the group's first name: each names an entry archived before it
      // (EntryChecker), so following them ends.
      for (auto it = skipped_links_.find(first_name); it != skipped_links_.end();
           it = skipped_links_.find(first_name)) {
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
  auto parent = chain_.open(name, name.size() - 1, true, shown);
  if (!parent) return std::unexpected(parent.error());
  const std::string& leaf = name.back();
  switch (entry.type) {
    case EntryType::directory: {
      if (auto room = make_room(*parent, leaf, shown, true); !room) return room;
      if (::mkdirat(*parent, leaf.c_str(), 0700) != 0 && errno != EEXIST) {
        return system_error(shown, "mkdirat", joined);
      }
      directories_[name] = DirectoryMetadata{entry.mode, entry.uid, entry.gid, entry.mtime_seconds,
                                             entry.mtime_nanoseconds};
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
      if (verdict.link && verdict.link->leaves_tree) {
        if (!options_.keep_links_outside) {
          return hostile(shown,
                         "a symbolic link to '" + printable_path(entry.link_target) +
                             "', outside the target directory" +
                             (verdict.link->why.empty() ? "" : " (" + verdict.link->why + ")") +
                             "; --keep-links-outside recreates such links as links");
        }
        ++stats_.links_outside;
      }
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
    if (!name) return hostile(name.error());
    const std::string joined = join_name(*name);
    const std::string shown = entry_label((*entry)->path);
    if (auto it = waiting.find(joined); it != waiting.end() && !filled.contains(it->second)) {
      return hostile(shown, "a hard link to '" + printable_path(it->second) +
                                "', which is not a file archived before it");
    }
    if ((*entry)->type != EntryType::file) continue;
    const auto group = outside_links_.find(joined);
    if (group == outside_links_.end() || filled.contains(joined)) continue;
    // The first link inside the subtree receives the content; the others are linked to it.
    const std::vector<std::string>& names = group->second;
    const std::vector<std::string> first_name = split(names.front());
    const std::string first_shown = entry_label(names.front());
    auto parent = chain_.open(first_name, first_name.size() - 1, true, first_shown);
    if (!parent) return std::unexpected(parent.error());
    if (auto room = make_room(*parent, first_name.back(), first_shown, false); !room) return room;
    if (auto written = write_file(reader, **entry, *parent, first_name.back(), first_shown);
        !written) {
      return written;
    }
    extracted_files_.insert(names.front());
    ++stats_.hardlinks;
    for (std::size_t i = 1; i < names.size(); ++i) {
      if (auto linked = link(names.front(), split(names[i]), entry_label(names[i])); !linked) {
        return linked;
      }
    }
    filled.insert(joined);
  }
  for (const auto& [first, names] : outside_links_) {
    if (!filled.contains(first)) {
      return hostile(entry_label(names.front()),
                     "a hard link to '" + printable_path(first) +
                         "', which the archive does not hold as a file");
    }
  }
  return {};
}

Result<void> SafeExtractor::finish() {
  // Deepest first: a directory's own metadata is set after everything below it was written (an
  // mtime would move, a read-only mode would refuse the writes). In reverse name order every
  // descendant comes before its ancestor, and neighbours share their path, so the chain opens
  // each directory once.
  chain_.clear();
  source_chain_.clear();
  for (auto it = directories_.rbegin(); it != directories_.rend(); ++it) {
    if (cancellation_.cancelled()) return make_error(ErrorKind::cancelled, "extraction stopped");
    const std::vector<std::string>& name = it->first;
    const std::string path = join_name(name);
    const std::string shown = entry_label(path);
    auto fd = chain_.open(name, name.size(), false, shown);
    if (!fd) return std::unexpected(fd.error());
    if (auto applied =
            apply_directory_metadata(*fd, it->second, options_.restore_owners, shown, path);
        !applied) {
      return applied;
    }
  }
  chain_.clear();
  return {};
}

}  // namespace erp::archive
