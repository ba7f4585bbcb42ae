#include "archive/directory_chain.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "archive/archive_policy.h"
#include "archive/extract_errors.h"

namespace erp::archive {

Result<std::vector<std::string>> sorted_names(int dir_fd, const std::string& shown) {
  auto failed = [&](int code) {
    return make_error(ErrorKind::permanent, shown + ": cannot list: " + std::strerror(code));
  };
  const int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return failed(errno);
  DIR* dir = ::fdopendir(copy);
  if (dir == nullptr) {
    const int code = errno;
    ::close(copy);
    return failed(code);
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int code = errno;
  ::closedir(dir);
  if (code != 0) return failed(code);
  std::sort(names.begin(), names.end());
  return names;
}

void DirectoryChain::clear() {
  for (int fd : fds_) ::close(fd);
  fds_.clear();
  names_.clear();
}

Result<int> DirectoryChain::open(const std::vector<std::string>& components, std::size_t count,
                                 bool create, const std::string& shown, unsigned create_mode) {
  count = std::min(count, components.size());
  std::size_t shared = 0;
  while (shared < count && shared < names_.size() && names_[shared] == components[shared]) {
    ++shared;
  }
  while (names_.size() > shared) {
    ::close(fds_.back());
    fds_.pop_back();
    names_.pop_back();
  }
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  for (std::size_t i = shared; i < count; ++i) {
    const int parent = fds_.empty() ? root_fd_ : fds_.back();
    const std::string& name = components[i];
    ++opens_;
    int fd = ::openat(parent, name.c_str(), kFlags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(parent, name.c_str(), create_mode) != 0 && errno != EEXIST) {
        return system_error(shown, "mkdirat", join_name(components, i + 1));
      }
      ++opens_;
      fd = ::openat(parent, name.c_str(), kFlags);
    }
    if (fd < 0) {
      const int code = errno;
      struct stat st {};
      if ((code == ELOOP || code == ENOTDIR) &&
          ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        const std::string path = printable_path(join_name(components, i + 1));
        return hostile(shown, S_ISLNK(st.st_mode)
                                  ? "goes through the symbolic link '" + path + "'"
                                  : "goes through '" + path + "', which is not a directory");
      }
      errno = code;
      return system_error(shown, "openat", join_name(components, i + 1));
    }
    fds_.push_back(fd);
    names_.push_back(name);
  }
  return count == 0 ? root_fd_ : fds_.back();
}

}  // namespace erp::archive
