#include "archive/directory_chain.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "archive/archive_policy.h"
#include "archive/extract_errors.h"

namespace erp::archive {

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
