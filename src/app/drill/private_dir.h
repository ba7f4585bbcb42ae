// A directory of the drill's own inside its work directory (DRILL_WORK_DIR): the documents are
// extracted into one, the dump for --jobs is downloaded into another. Made with mkdtemp (mode
// 0700, a name no other run can take: "erp-drill-<what>-<pid>-XXXXXX"), removed with everything
// in it when the object goes — on success, on failure and on SIGTERM (the command unwinds). A
// SIGKILLed drill leaves it; the name says which pid made it.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/error.h"

namespace erp::app {

class PrivateDir {
 public:
  // Errors: config when `work_dir` is missing or not writable (naming DRILL_WORK_DIR);
  // permanent for any other mkdtemp failure.
  static Result<std::unique_ptr<PrivateDir>> make(const std::filesystem::path& work_dir,
                                                  std::string_view what);
  ~PrivateDir();  // remove(), errors ignored
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Removes the directory and everything in it (idempotent). Errors: permanent naming the entry.
  Result<void> remove();

 private:
  explicit PrivateDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
  bool removed_ = false;
};

}  // namespace erp::app
