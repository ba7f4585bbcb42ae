#include "archive/source_tree.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "core/errno_text.h"

namespace erp::archive {

int open_noatime(int dir_fd, const char* name, int flags) {
  const int fd = ::openat(dir_fd, name, flags | O_NOATIME);
  if (fd >= 0 || errno != EPERM) return fd;
  return ::openat(dir_fd, name, flags);
}

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

// Opening a device can have effects, so only a regular file is opened.
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

std::string_view special_file_kind(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    case S_IFCHR:
      return "character device";
    case S_IFBLK:
      return "block device";
    default:
      return "unknown file type";
  }
}

bool same_inode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

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

}  // namespace erp::archive
