// The lock that says a drill directory in DRILL_WORK_DIR is in use (pg/cluster_leftovers.h).
//
// Every "erp-drill-*" directory a run makes (the embedded cluster's, the documents' and the
// scratch directory) gets a file kDrillLockName right after mkdtemp, and the run holds
// flock(LOCK_EX) on it until the directory is gone. The kernel drops the lock when the process
// dies however it dies (SIGKILL, OOM), and sees it from every PID namespace sharing the volume:
// a lock that can be taken means nobody uses the directory, which a pid cannot say (every
// container may be pid 1; a pid of another namespace looks dead here).
//
// The file is made locked: created as kDrillLockName + ".new", locked, then renamed into place,
// so a sweep that finds kDrillLockName never finds it unlocked while its run lives.
#pragma once

#include <filesystem>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace erp::pg {

inline constexpr std::string_view kDrillLockName = "erp-drill.lock";

class DrillDirLock {
 public:
  // Creates and locks `directory`/kDrillLockName (O_CLOEXEC: no child inherits the lock).
  // Errors: permanent naming the file.
  static Result<DrillDirLock> create(const std::filesystem::path& directory);
  // Takes the lock of a directory another run made, without waiting (LOCK_EX|LOCK_NB); the file
  // is opened relative to `directory_fd` and never through a symlink. Returns an empty lock
  // (held() false) when the directory has no lock file; an error when the lock is held (in use)
  // or the file cannot be opened.
  static Result<DrillDirLock> take(int directory_fd);

  DrillDirLock() = default;
  DrillDirLock(DrillDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DrillDirLock& operator=(DrillDirLock&& other) noexcept;
  DrillDirLock(const DrillDirLock&) = delete;
  DrillDirLock& operator=(const DrillDirLock&) = delete;
  ~DrillDirLock() { release(); }

  bool held() const { return fd_ >= 0; }
  // Closes the fd (dropping the lock); call it after the directory is removed, never before.
  void release();

 private:
  explicit DrillDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace erp::pg
