// write_tar: streams a pax tar of a directory tree (DOCUMENTS_DIR) into a ByteSink, reading
// each file once, in chunks, without staging anything on disk (SPEC §1, §4).
//
// What goes into the archive, in a deterministic order (names sorted byte-wise, a directory's
// entry before its contents; the root itself has no entry):
//   - regular files with their contents; a second (third, ...) name of a file with several hard
//     links becomes a hard-link entry pointing to the first name archived;
//   - directories; symbolic links as links (never followed, their targets stored as is, even
//     absolute or dangling ones);
//   - for every entry: mode (permission bits incl. setuid/setgid/sticky), uid/gid and the user
//     and group names when they resolve, mtime with nanoseconds. No atime/ctime, ACLs or xattrs.
// Format: POSIX pax (libarchive's full "pax", not "pax_restricted": the restricted writer drops
// sub-second mtimes unless an entry needs a pax header for another reason). An entry gets a pax
// extended header only when it needs one (sub-second mtime, long or non-ASCII name, large ids);
// everything else is plain ustar.
// Entry paths are relative to `root`: no leading "/", no "." or ".." components. Names are
// stored byte for byte: valid UTF-8 as standard pax `path`, anything else (a non-UTF-8 name)
// as raw bytes marked `hdrcharset=BINARY` (GNU tar extracts those correctly and warns
// "Ignoring unknown extended header keyword 'hdrcharset'"). Long names and deep paths use pax
// extended headers; there is no length limit beyond the file system's.
// Sockets, FIFOs and device files are not archived: they are listed in TarStats::skipped
// under either OnError mode.
//
// Limits (archive/archive_policy.h): a name longer than kMaxNameBytes (PATH_MAX) or more than
// kMaxDepth levels deep would be refused by every restore, so it is an entry problem like an
// unreadable file (OnError below): under `fail` the archive fails naming it, under `skip` it is
// left out (a directory: with its subtree) and listed. The walk never goes deeper than that,
// so it holds at most kMaxDepth directories open.
//
// Symbolic links that leave the tree — a relative target that climbs out of `root`, an absolute
// one not under `root` itself (both judged lexically, archive_policy's judge_symlink) — are
// archived like any other link and counted in TarStats::links_outside (the first ones by
// name), so that the manifest records them and a restore can refuse them before writing.
//
// Read-only: nothing under `root` is modified. Files and directories are opened with O_NOFOLLOW
// and O_NOATIME (falling back without O_NOATIME where the kernel refuses it: files owned by
// another user without CAP_FOWNER), so a backup does not even touch access times where it can.
// The exception is symbolic links: readlink() updates a link's atime and Linux offers no way
// around it.
//
// A file that cannot be archived faithfully — it vanished between listing and opening, cannot
// be opened or read (EACCES, EIO, ...), was replaced, or changed while it was read (its size,
// mtime or ctime differ between the fstat before and after reading, or fewer bytes than its
// size could be read) — is handled by TarOptions::on_error:
//   fail (default): write_tar returns a permanent error naming the path and the reason;
//   skip: the entry (a directory: with its whole subtree) is left out and listed in
//         TarStats::skipped with the reason.
// Problems are detected before the entry's header is written where possible: the file is
// opened, fstat'ed and its first chunk (for files up to read_chunk_size: all of it, plus the
// closing fstat) read before its header. A problem found after the header (a file larger than
// one chunk that fails or changes later) cannot be skipped — a header cannot be un-written — so
// it fails the stream even under `skip`; the error says why.
//
// Output and its life cycle: write_tar writes the whole archive (entries and the end-of-archive
// blocks, padded to 10 KiB records like GNU tar) with out.write(), and never calls out.finish()
// or out.abort(): the caller owns the chain. On success it should finish `out`; on an error it
// must abort `out` (the archive is incomplete).
//
// Returns the counts (TarStats). Errors:
//   permanent — `root` cannot be opened or listed (the message names it and ends with a hint);
//               an entry problem under `fail`, or after its header under `skip`; a libarchive
//               failure;
//   cancelled — `cancellation` was set; checked before every entry and every chunk;
//   `out`'s own error, unchanged, when a write to it fails.
//
// Read-ahead: see TarOptions::read_ahead_files; hints never change what is archived.
//
// Memory: one chunk buffer (read_chunk_size), libarchive's 10 KiB record buffer, the sorted
// names of the directories on the current path, and the paths of hard-linked files whose other
// names have not been seen yet. Open file descriptors: one per directory level plus one file.
//
// Thread: runs entirely on the calling thread, which it switches to a C.UTF-8 LC_CTYPE (with
// uselocale(), restored before returning) so that libarchive recognises UTF-8 names whatever
// the process locale; the process-wide locale is never changed. `root`, `out`, `options` and
// `cancellation` are borrowed for the duration of the call.
//
// The parts: source_tree.h (reading the tree), owner_names.h, pax_stream.h (libarchive),
// utf8_ctype_scope.h, printable_path.h; tar_writer.cc walks the tree and decides per entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive_policy.h"
#include "archive/printable_path.h"
#include "core/byte_stream.h"
#include "core/cancellation.h"
#include "core/error.h"

namespace erp::archive {

enum class OnError {
  fail,  // the first unreadable/changing/vanished entry fails the archive (default)
  skip,  // such entries are left out and listed in TarStats::skipped
};

struct TarOptions {
  // What to do with an entry that cannot be archived faithfully (see the file comment).
  // Default fail: a backup never silently misses a document. Cost of skip: an archive that
  // is complete except for the listed entries.
  OnError on_error = OnError::fail;
  // Bytes per read() of a file's contents (values < 4096 count as 4096). Default 1 MiB. Cost:
  // this much memory; files up to this size are fully checked before their header is written
  // (so `skip` can leave them out cleanly), larger ones only up to their first chunk.
  std::size_t read_chunk_size = std::size_t{1} << 20;
  // How many of the next names of the directory being walked are announced to the kernel
  // (posix_fadvise WILLNEED) before each regular file is read, so that their pages are read
  // from disk while the current file is compressed and uploaded. 0: no hints. Default 8.
  // Cost: one extra open/fstat/close per hinted file (a few microseconds) and nothing kept in
  // memory; a file not yet cached is read once by the kernel either way. Files larger than one
  // chunk are also read with POSIX_FADV_SEQUENTIAL (a larger kernel read-ahead window).
  std::size_t read_ahead_files = 8;
  // For tests only; leave empty in production. Called with an entry's path relative to `root`
  // after the entry was stat'ed (and, for files and directories, opened and fstat'ed) and
  // before its contents, listing or link target are read and before its header is written.
  // A test uses it to change, replace or remove files at exactly that moment.
  std::function<void(const std::filesystem::path& relative_path)> before_read_hook;
};

// An entry left out of the archive.
struct TarSkip {
  std::string path;    // relative to root, raw bytes (may be non-UTF-8: see printable_path)
  std::string reason;  // e.g. "fifo", "vanished before it could be read",
                       // "cannot open: Permission denied", "changed while being read (...)"
};

struct TarStats {
  std::uint64_t files = 0;        // regular files archived with their contents
  std::uint64_t directories = 0;  // directory entries (the root has none)
  std::uint64_t symlinks = 0;     // symbolic link entries
  std::uint64_t hardlinks = 0;    // hard-link entries (second and later names of a file)
  std::uint64_t bytes = 0;        // content bytes of the regular files (uncompressed)
  std::uint64_t entries = 0;      // all entries written: files + directories + symlinks + hardlinks
  std::vector<TarSkip> skipped;   // special files always; problem entries under OnError::skip
  LinksOutside links_outside;     // symbolic links whose target leaves the tree
};

Result<TarStats> write_tar(const std::filesystem::path& root, ByteSink& out,
                           const TarOptions& options, const Cancellation& cancellation);

}  // namespace erp::archive
