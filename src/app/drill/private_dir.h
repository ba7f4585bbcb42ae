// A directory of the drill's own inside its work directory (DRILL_WORK_DIR): the documents are
// extracted into one, the dump for --jobs is downloaded into another. Made with mkdtemp (mode
// 0700, a name no other run can take: "erp-drill-<what>-<pid>-XXXXXX"), removed with everything
// in it when the object goes — on success, on failure and on SIGTERM (the command unwinds). It
// holds a lock file (pg/drill_dir_lock.h) locked until the directory is removed: a SIGKILLed
// drill leaves the directory with its lock free, and the next drill's embedded cluster start
// removes it (pg/cluster_leftovers.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "pg/drill_dir_lock.h"

namespace erp::app {

class PrivateDir {
 public:
  // Errors: config when `work_dir` is missing or not writable (naming DRILL_WORK_DIR);
  // permanent for any other mkdtemp failure, or when its lock file cannot be made.
  static Result<std::unique_ptr<PrivateDir>> make(const std::filesystem::path& work_dir,
                                                  std::string_view what);
  ~PrivateDir();  // remove(), errors ignored
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Removes the directory and everything in it (idempotent). Errors: permanent naming the entry.
  Result<void> remove();

 private:
  PrivateDir(std::filesystem::path path, pg::DrillDirLock lock)
      : path_(std::move(path)), lock_(std::move(lock)) {}
  std::filesystem::path path_;
  pg::DrillDirLock lock_;  // released once the directory is removed
  bool removed_ = false;
};

}  // namespace erp::app
