// SafeExtractor: extracts a tar archive read by a TarReader into a target directory with its
// own checks (SPEC §6 `restore docs`, issue 8), never libarchive's extraction code or flags.
// The archive is treated as hostile: a backup bucket is writable by more parties than the
// documents volume, so nothing in an archive may write outside the target directory.
//
// Names. An entry's name is split at '/'; empty and "." components are dropped ("./a//b" is
// "a/b"). Refused, naming the entry: an empty name, an absolute name, a ".." component, a
// non-directory whose name is only "." components. A directory entry that names the target
// itself ("." or "./") is ignored: the target's own mode and mtime are left alone.
//
// Every path is reached by an openat() chain from the target's fd, each directory opened with
// O_NOFOLLOW|O_DIRECTORY relative to its parent: an existing component that is a symbolic link
// (or anything else but a directory) fails the entry ("goes through the symbolic link a/b"),
// whatever it points to, even inside the target. So the classic attacks — a symlink to "/" and
// then "link/etc/passwd"; a symlink `d` replaced by a directory entry `d` later in the archive
// and then `d/x` — are refused, and no check-then-use race through a link exists.
//
// Entry types:
//   directory — created 0700 (so that it can be filled even when its mode is read-only); its
//               mode, owner and mtime are applied by finish(), deepest first, after everything
//               below it was written. An existing directory is reused (its metadata is set by
//               finish() too); an existing entry of another type fails the entry.
//   file      — openat(O_CREAT|O_EXCL|O_NOFOLLOW), content copied from read_data() in chunks
//               (no staging), then owner, mode and mtime (nanoseconds) on the open fd.
//   symlink   — symlinkat(); then owner and mtime with AT_SYMLINK_NOFOLLOW (Linux has no link
//               modes). The target must stay inside the target directory: a relative target
//               is resolved lexically from the link's own directory (`a/b/l -> ../../x` is "x";
//               `l -> ..` escapes and is refused); an absolute target is refused unless it lies
//               under one of ExtractOptions::absolute_link_roots (lexically normalised). The
//               extractor never follows a link, so an allowed link is only ever data.
//   hardlink  — linkat() between directory fds, never following a symlink. The first name
//               is checked like an entry name and must have been extracted as a regular file
//               (or hard link) earlier in this run: a hard link to a name outside the target, to
//               a file that was already in the target (--force) or to a later entry is refused.
//   other     — device nodes, FIFOs, sockets: refused (the backup never writes them).
// Name and type checks apply to every entry, also outside the subtree: an archive holding a
// hostile entry anywhere is not restored from. Link targets are checked where extracted.
// An entry whose name already exists: a regular file or symlink is replaced (unlinked, then
// created: never written through); a directory or anything else fails the entry. This is what
// --force allows in a non-empty target, and what a repeated name inside one archive does.
//
// Owners are restored only when ExtractOptions::restore_owners (the command sets it when
// running as root), with fchown/fchownat(AT_SYMLINK_NOFOLLOW) before the mode (chown clears
// setuid bits). Modes include setuid/setgid/sticky.
//
// Subtree. With ExtractOptions::subtree = "mycompany", only "mycompany" and the entries below
// it are extracted, under the same relative names (DIR/mycompany/...); missing ancestors of the
// subtree are created 0755 (umask applies) without the archive's metadata. A hard link inside
// the subtree whose first name lies outside it (write_tar's first name is the byte-wise first,
// e.g. "ecm/Logos/logo.png" before "mycompany/logos/logo.png") cannot be linked, and its content
// went by in the stream: such links are collected (outside_links()) and filled by a second
// pass over the archive, extract_outside_links(), which writes the first name's content into
// the first such link inside the subtree and links the others to it. The cost is a second read
// of the archive up to that file, paid only when such links exist.
//
// Errors: every one names the entry (printable_path) and fails the extraction. Kinds:
//   corrupt   — a hostile or malformed entry (the kinds above), or the reader's corrupt error;
//   permanent — the target cannot be opened, a system call failed (errno text and the path);
//   cancelled — `cancellation` was set (checked before each entry and each chunk);
//   the reader's input errors unchanged (not_found, transient, ...).
// Entries extracted before an error stay in the target (removing them would need the very
// path walks the error may have been about); nothing is ever written outside the target.
//
// Memory: one chunk buffer, the names of the regular files extracted so far (for hard links),
// and the directories awaiting their metadata. Open fds: the target, one cached parent
// directory and one file.
//
// One thread. The extractor borrows `cancellation` for its lifetime.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "archive/tar_reader.h"
#include "core/cancellation.h"
#include "core/error.h"

namespace erp::archive {

struct ExtractOptions {
  // Relative path of the one subtree to extract ("" = everything). Normalised like entry names;
  // "..", absolute or empty-after-normalisation values are refused by open().
  std::string subtree;
  // Absolute directories that absolute symlink targets may point into (e.g. the documents root
  // the application serves the tree from, /var/www/documents). Default none: every absolute
  // symlink is refused. Cost of adding one: links into that directory are restored as they
  // were, and whoever follows them later reaches whatever is there.
  std::vector<std::string> absolute_link_roots;
  // chown entries to the archive's uid/gid. Default false; only meaningful as root.
  bool restore_owners = false;
  // Bytes per read_data()/write() of a file's content. Cost: this much memory.
  std::size_t chunk_size = std::size_t{256} << 10;
};

struct ExtractStats {
  std::uint64_t files = 0;        // regular files written (first names)
  std::uint64_t directories = 0;  // directory entries applied
  std::uint64_t symlinks = 0;
  std::uint64_t hardlinks = 0;  // further names linked (incl. those filled by the second pass)
  std::uint64_t bytes = 0;      // content bytes written
  std::uint64_t outside_subtree = 0;  // entries skipped because they lie outside the subtree
};

class SafeExtractor {
 public:
  // Opens `target` (an existing directory; a symlink is refused) for extraction. Errors:
  // not_found / permanent for the target, corrupt for a malformed subtree or link root.
  static Result<std::unique_ptr<SafeExtractor>> open(const std::filesystem::path& target,
                                                     ExtractOptions options,
                                                     const Cancellation& cancellation);
  ~SafeExtractor();
  SafeExtractor(const SafeExtractor&) = delete;
  SafeExtractor& operator=(const SafeExtractor&) = delete;

  // Extracts every entry of `reader` (under the subtree), to the end of the archive.
  Result<void> extract(TarReader& reader);

  // Hard links inside the subtree whose first name lies outside it: first name → link names,
  // in archive order. Empty without a subtree.
  const std::map<std::string, std::vector<std::string>>& outside_links() const {
    return outside_links_;
  }
  // Second pass over the same archive (a fresh reader): fills outside_links(). Reads until
  // every first name was found. Errors: corrupt when a first name is not a regular file
  // archived before its link; otherwise those of extract().
  Result<void> extract_outside_links(TarReader& reader);

  // Applies the directories' modes, owners and mtimes, deepest first. Call once, last.
  Result<void> finish();

  const ExtractStats& stats() const { return stats_; }

 private:
  struct PendingDirectory {
    std::string path;
    unsigned mode;
    std::int64_t uid, gid, mtime_seconds;
    long mtime_nanoseconds;
  };

  SafeExtractor(int target_fd, ExtractOptions options, std::vector<std::string> subtree,
                std::vector<std::vector<std::string>> link_roots, const Cancellation& cancellation);
  Result<void> extract_entry(TarReader& reader, const TarEntry& entry,
                             const std::vector<std::string>& name);
  Result<int> open_parent(const std::vector<std::string>& name, const std::string& shown);
  Result<void> make_room(int parent, const std::string& leaf, const std::string& shown,
                         bool directory_ok);
  Result<void> write_file(TarReader& reader, const TarEntry& entry, int parent,
                          const std::string& leaf, const std::string& shown);
  Result<void> check_symlink_target(const TarEntry& entry, const std::vector<std::string>& name,
                                    const std::string& shown) const;
  Result<void> link(const std::string& existing, const std::vector<std::string>& name,
                    const std::string& shown);

  int target_fd_;
  ExtractOptions options_;
  std::vector<std::string> subtree_;  // normalised components ({} = everything)
  std::vector<std::vector<std::string>> link_roots_;
  const Cancellation& cancellation_;
  std::vector<char> buffer_;
  std::set<std::string> extracted_files_;  // normalised names of regular files written here
  std::map<std::string, std::string> skipped_links_;  // outside the subtree: name → first name
  std::map<std::string, std::vector<std::string>> outside_links_;
  std::map<std::string, std::string> deferred_links_;  // link name → its group's first name
  std::vector<PendingDirectory> directories_;
  // The last parent directory opened, kept open: archives list a directory's entries together.
  std::string cached_parent_;
  int cached_parent_fd_ = -1;
  ExtractStats stats_;
};

// Splits and normalises an entry name: "./a//b/" → {"a", "b"}; "." → {}. Errors: corrupt for an
// empty or absolute name or a ".." component (the message names the entry).
Result<std::vector<std::string>> normalise_entry_name(std::string_view name);

}  // namespace erp::archive
