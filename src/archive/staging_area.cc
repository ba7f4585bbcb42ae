#include "archive/staging_area.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "archive/directory_chain.h"
#include "archive/extract_errors.h"
#include "archive/printable_path.h"

namespace erp::archive {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

constexpr std::string_view kMarkerText =
    "This directory was made by erp-backup (restore docs / refresh-sandbox) to stage documents\n"
    "before moving them into place. A run removes it when it ends; one left behind belongs to\n"
    "a run that was killed. It holds no documents of this directory: delete it when no\n"
    "restore runs (the next restore into this directory does so itself).\n";

std::unexpected<Error> failure(const std::string& what, const std::filesystem::path& path) {
  const int code = errno;
  return make_error(ErrorKind::permanent,
                    what + " " + printable_path(path.native()) + ": " + std::strerror(code));
}

std::string random_hex() {
  unsigned char bytes[8] = {};
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0x0F];
  }
  // Without getrandom (never on Linux ≥ 3.17) the pid still separates runs on one host.
  if (got < sizeof bytes) hex += "-" + std::to_string(::getpid());
  return hex;
}

}  // namespace

bool is_staging_directory(int dir_fd, const std::string& name) {
  if (!name.starts_with(kStagingPrefix)) return false;
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
    return false;
  }
  const std::string marker = name + "/" + std::string(kStagingMarker);
  return ::fstatat(dir_fd, marker.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

Result<void> remove_tree(int parent_fd, const std::string& name, const std::string& shown) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return make_error(ErrorKind::permanent,
                      shown + ": fstatat " + printable_path(name) + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return make_error(ErrorKind::permanent,
                        shown + ": unlinkat " + printable_path(name) + ": " + std::strerror(errno));
    }
    return {};
  }
  // A read-only directory from the archive cannot be emptied until it is writable (for a
  // non-root owner); fstatat said it is a directory, and it is ours to remove.
  if ((st.st_mode & S_IRWXU) != S_IRWXU) ::fchmodat(parent_fd, name.c_str(), 0700, 0);
  const int fd = ::openat(parent_fd, name.c_str(), kDirectoryFlags);
  if (fd < 0) {
    return make_error(ErrorKind::permanent,
                      shown + ": openat " + printable_path(name) + ": " + std::strerror(errno));
  }
  auto names = sorted_names(fd, shown);
  Result<void> result;
  if (!names) {
    result = std::unexpected(names.error());
  } else {
    for (const std::string& child : *names) {
      result = remove_tree(fd, child, shown);
      if (!result) break;
    }
  }
  ::close(fd);
  if (!result) return result;
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return make_error(ErrorKind::permanent,
                      shown + ": rmdir " + printable_path(name) + ": " + std::strerror(errno));
  }
  return {};
}

Result<std::unique_ptr<StagingArea>> StagingArea::open(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), kDirectoryFlags);
  if (fd < 0) return directory_open_error("directory", dir.native(), errno);
  bool locked = true;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int code = errno;
    if (code == EWOULDBLOCK) {
      ::close(fd);
      return make_error(ErrorKind::permanent,
                        "another erp-backup restore is running into " +
                            printable_path(dir.native()) +
                            " (it holds the directory's lock; hint: wait for it to end)");
    }
    locked = false;  // no flock on this file system: the caller warns
  }
  std::unique_ptr<StagingArea> area(new StagingArea(dir, fd, locked));
  struct stat st {};
  if (::fstat(fd, &st) == 0) area->dir_mtime_ = st.st_mtim;
  auto names = sorted_names(fd, printable_path(dir.native()));
  if (!names) return std::unexpected(names.error());
  for (const std::string& name : *names) {
    if (is_staging_directory(fd, name)) area->leftovers_.push_back(name);
  }
  return area;
}

StagingArea::StagingArea(std::filesystem::path dir, int dir_fd, bool locked)
    : dir_(std::move(dir)), dir_fd_(dir_fd), locked_(locked) {}

StagingArea::~StagingArea() {
  (void)discard();
  ::close(dir_fd_);  // releases the lock
}

Result<void> StagingArea::remove_leftovers() {
  if (!locked_) {
    return make_error(ErrorKind::permanent, "not removing staging directories left in " +
                                                printable_path(dir_.native()) +
                                                ": the directory could not be locked");
  }
  std::vector<std::string> kept;
  for (const std::string& name : leftovers_) {
    struct stat st {};
    if (::fstatat(dir_fd_, (name + "/old").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      kept.push_back(name);
      continue;
    }
    if (auto removed = remove_tree(dir_fd_, name, printable_path((dir_ / name).native()));
        !removed) {
      return removed;
    }
  }
  leftovers_ = std::move(kept);
  return {};
}

Result<void> StagingArea::create(std::string_view label) {
  name_ = std::string(kStagingPrefix) + std::string(label) + "-" + random_hex();
  const std::filesystem::path path = dir_ / name_;
  if (::mkdirat(dir_fd_, name_.c_str(), 0700) != 0) {
    const auto error = failure("cannot create the staging directory", path);
    name_.clear();
    return error;
  }
  staging_fd_ = ::openat(dir_fd_, name_.c_str(), kDirectoryFlags);
  if (staging_fd_ < 0) return failure("cannot open the staging directory", path);
  const int marker = ::openat(staging_fd_, std::string(kStagingMarker).c_str(),
                              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (marker < 0) return failure("cannot create", path / kStagingMarker);
  const bool written = ::write(marker, kMarkerText.data(), kMarkerText.size()) ==
                       static_cast<ssize_t>(kMarkerText.size());
  ::close(marker);
  if (!written) return failure("cannot write", path / kStagingMarker);
  // The extraction root: its entries move into place, never the root itself.
  if (::mkdirat(staging_fd_, "tree", 0700) != 0) return failure("cannot create", path / "tree");
  tree_fd_ = ::openat(staging_fd_, "tree", kDirectoryFlags);
  if (tree_fd_ < 0) return failure("cannot open", path / "tree");
  return {};
}

void StagingArea::keep() {
  for (int* fd : {&tree_fd_, &staging_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  name_.clear();
}

Result<void> StagingArea::discard() {
  if (name_.empty()) return {};
  for (int* fd : {&tree_fd_, &staging_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  auto removed = remove_tree(dir_fd_, name_, printable_path((dir_ / name_).native()));
  if (!removed) return removed;
  name_.clear();
  if (!changed_) {
    // Creating and removing the staging directory moved DIR's mtime; nothing else changed.
    const timespec times[2] = {{0, UTIME_OMIT}, dir_mtime_};
    ::futimens(dir_fd_, times);
  }
  return {};
}

}  // namespace erp::archive
