// How write_tar (archive/tar_writer.h) reads the tree it archives: without following links,
// without touching access times where the kernel allows, in a byte-wise sorted order, and
// noticing a file that changes while it is read. Read-only: nothing here modifies the tree.
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace erp::archive {

// Owns a DIR* (and through it the directory's descriptor).
struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// Opens `name` under `dir_fd` with O_NOATIME when the kernel allows it (the caller owns the
// file or has CAP_FOWNER), else without: reading must work either way, not touching atimes is
// a courtesy. Returns the descriptor or -1 with errno set, like openat.
int open_noatime(int dir_fd, const char* name, int flags);

// Reads up to `size` bytes, retrying short reads and EINTR; fewer only at end of file.
// Errors: permanent, "cannot read: <errno text>".
Result<std::size_t> read_full(int fd, char* buffer, std::size_t size);

// The names in `dir` without "." and "..", sorted byte-wise (the same order on every machine
// and locale). Errors: permanent, "cannot list: <errno text>".
Result<std::vector<std::string>> list_directory(DIR* dir);

// Asks the kernel to start reading `name` under `dir_fd` into the page cache, if it is a
// non-empty regular file; anything else (a directory, a link, a FIFO, a device, a name that
// cannot be opened) is left alone: a hint never blocks, follows a link, opens a device or
// fails.
void hint_will_need(int dir_fd, const std::string& name);

// What a file that is neither regular, a directory nor a symbolic link is called where
// write_tar lists it as left out: "fifo", "socket", "character device", "block device", or
// "unknown file type".
std::string_view special_file_kind(mode_t mode);

// Whether two stat results are of the same file (device and inode).
bool same_inode(const struct stat& a, const struct stat& b);

// Why a file's two fstat results say it changed while it was read ("size 10 -> 12 bytes,
// mtime changed"); empty when they agree. ctime counts too: it catches a write within the same
// mtime tick and metadata changes.
std::string change_between(const struct stat& before, const struct stat& after);

}  // namespace erp::archive
