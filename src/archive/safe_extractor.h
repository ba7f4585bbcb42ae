// SafeExtractor: extracts a tar archive read by a TarReader into a directory with its own checks
// (SPEC §6 `restore docs`, issues 8 and 17), never libarchive's extraction code or flags. The
// archive is treated as hostile: nothing in it may write outside the directory.
//
// What an archive may hold — names, types, link targets, hard links, depth and length limits —
// is archive/archive_policy.h's EntryChecker, the same one verify runs: every entry is checked
// there first, also outside the subtree (an archive that holds a hostile entry anywhere is not
// restored from). This file adds what only a file system can tell and what extracting means.
//
// The commands extract into a fresh staging directory and move the result into place only after
// the whole object matched its manifest (app/restore/docs_staging.h, archive/tree_merge.h); the
// extractor itself works in any directory, and with --force semantics in a non-empty one.
//
// Every path is reached through a DirectoryChain (archive/directory_chain.h) from the target's
// fd, each directory opened with O_NOFOLLOW|O_DIRECTORY relative to its parent: an existing
// component that is a symbolic link (or anything else but a directory) fails the entry, whatever
// it points to. The chain keeps the current path's directories open, so the cost is one openat()
// per directory entered (ExtractStats::directory_opens), linear in the depth.
//
// Entry types:
//   directory — created 0700 (so that it can be filled even when its mode is read-only); its
//               mode, owner and mtime are applied by finish(), deepest first, after everything
//               below it was written. An existing directory is reused (finish() sets its
//               metadata too); an existing entry of another type fails the entry.
//   file      — openat(O_CREAT|O_EXCL|O_NOFOLLOW), content copied from read_data() in chunks,
//               then owner, mode and mtime (nanoseconds) on the open fd. A file whose content
//               could not be written completely (a read error, a truncated archive, a stop) is
//               unlinked: a half-written file is never left behind. Setuid and setgid bits are
//               dropped (ExtractStats::setid_dropped counts the files) unless keep_setid;
//               directories keep their setgid bit, which only makes new files inherit the
//               group and grants nothing.
//   symlink   — symlinkat(); then owner and mtime with AT_SYMLINK_NOFOLLOW (Linux has no link
//               modes). A link that leaves the tree (archive_policy: relative targets resolved
//               lexically, absolute ones only under ExtractOptions::absolute_link_roots) is
//               refused unless keep_links_outside, which recreates it as a link. The extractor
//               never follows a link, so any link is only ever data.
//   hardlink  — linkat() between directory fds, never following a symlink. Its first name must
//               have been extracted as a regular file (or hard link) earlier in this run: a hard
//               link to a file that was already in the target (--force) is refused.
// An entry whose name already exists: a regular file or symlink is replaced (unlinked, then
// created: never written through); a directory or anything else fails the entry.
//
// Limits from the manifest (ExtractOptions::max_content_bytes, max_entries): an archive that
// declares more content bytes or holds more entries than its manifest records is refused before
// the entry past the limit is written, so a decompression bomb cannot fill the disk.
//
// Owners are restored only when ExtractOptions::restore_owners (the commands set it when
// running as root), with fchown/fchownat(AT_SYMLINK_NOFOLLOW) before the mode (chown clears
// setuid bits).
//
// Subtree. With ExtractOptions::subtree = "mycompany", only "mycompany" and the entries below
// it are extracted, under the same relative names (DIR/mycompany/...); missing ancestors of the
// subtree are created 0755 (umask applies) without the archive's metadata. A hard link inside
// the subtree whose first name lies outside it (write_tar's first name is the byte-wise first,
// e.g. "ecm/Logos/logo.png" before "mycompany/logos/logo.png") cannot be linked, and its content
// went by in the stream: such links are collected (outside_links()) and filled by a second
// pass over the archive, extract_outside_links(), which writes the first name's content into
// the first such link inside the subtree and links the others to it.
//
// Errors: every one names the entry and fails the extraction. Kinds:
//   corrupt   — a hostile or malformed entry (archive_policy's refusals, the file-system ones
//               above), a limit exceeded, or the reader's corrupt error;
//   permanent — the target cannot be opened, a system call failed (errno text and the path);
//   cancelled — `cancellation` was set (checked before each entry and each chunk);
//   the reader's input errors unchanged (not_found, transient, ...).
// Entries extracted before an error stay where they were written (the commands write into a
// staging directory they then remove); nothing is ever written outside the target.
//
// Memory: one chunk buffer, EntryChecker's names (one per entry), the names of the regular files
// extracted so far (for hard links), and the directories' metadata. Open fds: the target, the
// directories of the current path (two chains), one file.
//
// One thread. The extractor borrows `cancellation` for its lifetime.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "archive/archive_policy.h"
#include "archive/directory_chain.h"
#include "archive/tar_reader.h"
#include "core/cancellation.h"
#include "core/error.h"

namespace erp::archive {

struct ExtractOptions {
  // Relative path of the one subtree to extract ("" = everything). Normalised like entry names;
  // "..", absolute or empty-after-normalisation values are refused by open().
  std::string subtree;
  // Absolute directories that absolute symlink targets may point into. The commands pass the
  // target directory, DOCUMENTS_DIR and each --absolute-links-under; never anything read from
  // the bucket. Default none: every absolute symlink leaves the tree. Cost of adding one: links
  // into it are restored as they were, and whoever follows them later reaches whatever is there.
  std::vector<std::string> absolute_link_roots;
  // Recreate links that leave the tree, as links (never followed, never written through).
  // Default false: such a link fails the extraction.
  bool keep_links_outside = false;
  // Keep setuid/setgid bits on files. Default false: dropped and counted.
  bool keep_setid = false;
  // chown entries to the archive's uid/gid. Default false; only meaningful as root.
  bool restore_owners = false;
  // Refuse an archive that declares more content bytes (regular files, all of the archive,
  // also outside the subtree) or holds more entries than this (the manifest's
  // uncompressed_bytes and entry counts). Default: no limit.
  std::optional<std::uint64_t> max_content_bytes;
  std::optional<std::uint64_t> max_entries;
  // Bytes per read_data()/write() of a file's content. Cost: this much memory.
  std::size_t chunk_size = std::size_t{256} << 10;
};

struct ExtractStats {
  std::uint64_t files = 0;        // regular files written (first names)
  std::uint64_t directories = 0;  // directory entries applied
  std::uint64_t symlinks = 0;
  std::uint64_t hardlinks = 0;  // further names linked (incl. those filled by the second pass)
  std::uint64_t bytes = 0;      // content bytes written
  std::uint64_t entries = 0;    // entries read (the whole archive)
  std::uint64_t outside_subtree = 0;  // entries skipped because they lie outside the subtree
  std::uint64_t in_subtree = 0;       // entries at or below the subtree (all without one)
  std::uint64_t links_outside = 0;    // links kept that leave the tree (keep_links_outside)
  std::uint64_t setid_dropped = 0;    // files whose setuid/setgid bits were dropped
  std::uint64_t declared_bytes = 0;   // content bytes the archive declared (max_content_bytes)
  std::uint64_t directory_opens = 0;  // openat() of directories: linear in the tree's depth
};

// A directory's metadata as the archive records it.
struct DirectoryMetadata {
  unsigned mode = 0755;
  std::int64_t uid = 0, gid = 0, mtime_seconds = 0;
  long mtime_nanoseconds = 0;
};

// Applies `metadata` to the directory open as `fd`: owner (when `restore_owners`), mode, mtime.
// Errors: permanent naming `shown` and `path`.
Result<void> apply_directory_metadata(int fd, const DirectoryMetadata& metadata,
                                      bool restore_owners, const std::string& shown,
                                      const std::string& path);

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

  // The archive's metadata of directory `name` (normalised), or null when the archive holds no
  // entry for it (an implicit ancestor). Valid for the extractor's lifetime.
  const DirectoryMetadata* archived_directory(const std::vector<std::string>& name) const;

  // What was done so far (a copy).
  ExtractStats stats() const;

 private:
  SafeExtractor(int target_fd, ExtractOptions options, std::vector<std::string> subtree,
                EntryChecker checker, const Cancellation& cancellation);
  Result<void> extract_entry(TarReader& reader, const TarEntry& entry, const EntryVerdict& verdict);
  Result<void> make_room(int parent, const std::string& leaf, const std::string& shown,
                         bool directory_ok);
  Result<void> write_file(TarReader& reader, const TarEntry& entry, int parent,
                          const std::string& leaf, const std::string& shown);
  Result<void> link(const std::string& existing, const std::vector<std::string>& name,
                    const std::string& shown);

  int target_fd_;
  ExtractOptions options_;
  std::vector<std::string> subtree_;  // normalised components ({} = everything)
  EntryChecker checker_;
  const Cancellation& cancellation_;
  std::vector<char> buffer_;
  DirectoryChain chain_{target_fd_};         // parents of the names written
  DirectoryChain source_chain_{target_fd_};  // parents of hard links' first names
  std::set<std::string> extracted_files_;    // normalised names of regular files written here
  std::map<std::string, std::string> skipped_links_;  // outside the subtree: name → first name
  std::map<std::string, std::vector<std::string>> outside_links_;
  std::map<std::string, std::string> deferred_links_;  // link name → its group's first name
  // Directory entries by name; iterated in reverse, every descendant comes before its ancestor.
  std::map<std::vector<std::string>, DirectoryMetadata> directories_;
  ExtractStats stats_;
};

}  // namespace erp::archive
