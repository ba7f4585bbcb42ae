#include "pg/drill_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace erp::pg {

Result<DrillDirLock> DrillDirLock::create(const std::filesystem::path& directory) {
  const std::filesystem::path staged = directory / (std::string(kDrillLockName) + ".new");
  const std::filesystem::path final_path = directory / kDrillLockName;
  const int fd = ::open(staged.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorKind::permanent,
                      "cannot create " + staged.string() + ": " + std::strerror(errno));
  }
  DrillDirLock lock(fd);
  // Locked before it gets its name: a sweep never sees kDrillLockName unlocked while we live.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(staged.c_str(), final_path.c_str()) != 0) {
    const int code = errno;
    ::unlink(staged.c_str());
    return make_error(ErrorKind::permanent,
                      "cannot lock " + final_path.string() + ": " + std::strerror(code));
  }
  return lock;
}

Result<DrillDirLock> DrillDirLock::take(int directory_fd) {
  const std::string name(kDrillLockName);
  const int fd = ::openat(directory_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return DrillDirLock();
    return make_error(ErrorKind::permanent, name + ": " + std::strerror(errno));
  }
  DrillDirLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    return make_error(ErrorKind::permanent, name + ": " + std::strerror(errno));
  return lock;
}

DrillDirLock& DrillDirLock::operator=(DrillDirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void DrillDirLock::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace erp::pg
