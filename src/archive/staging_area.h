// StagingArea: where a restore builds what it will later move into a directory, inside that very
// directory — on its file system, so that putting things in place is a rename(), never a copy
// (issue 17: nothing in a non-empty target changes until the whole object matched its
// manifest). The directory itself is never renamed, so it may be a mount point.
//
// Layout of one staging directory, made by create():
//   DIR/.erp-staging-<LABEL>-<16 hex digits>/
//       ERP-BACKUP-STAGING   marker: what this is, and that it may be deleted when no restore runs
//       tree/                the extraction root (tree_path())
//       old/                 refresh-sandbox: the subtree it replaces, until the swap is done
// The random part makes two runs' names differ even when their pids are equal (two pods).
//
// Lock. open() takes flock(LOCK_EX|LOCK_NB) on DIR, held for the object's lifetime: a second
// erp-backup restore into the same directory fails at once (permanent, naming DIR). Where the
// file system has no flock (some NFS mounts), locked() is false and the caller warns.
//
// Leftovers. A run that was killed (SIGKILL, a node lost) leaves its staging directory behind.
// open() lists every directory of DIR named ".erp-staging-*" that holds the marker
// (leftovers()); remove_leftovers() deletes them, and only when locked(): without the lock a
// leftover may be another run's live staging, so it is only reported. A leftover that holds
// old/ — a subtree an interrupted refresh-sandbox had taken out — is never removed here:
// refresh-sandbox puts it back (or drops it once a newer copy is in place) first.
//
// The destructor removes the staging directory if it still exists (best effort, errors
// ignored: discard() reports them). Until mark_changed(), removing it also gives DIR back the
// mtime it had when open() saw it: a restore that failed leaves DIR exactly as it was. Sizes:
// staging holds one copy of what is extracted, so the target's file system needs that much free
// space until the move.
//
// Errors: permanent naming the path and the system call. One thread.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace erp::archive {

inline constexpr std::string_view kStagingPrefix = ".erp-staging-";
inline constexpr std::string_view kStagingMarker = "ERP-BACKUP-STAGING";

class StagingArea {
 public:
  // Opens `dir` (an existing directory; a symbolic link is refused), locks it, lists leftovers.
  // Errors: not_found for a missing `dir`; permanent otherwise (another run holds the lock).
  static Result<std::unique_ptr<StagingArea>> open(const std::filesystem::path& dir);
  ~StagingArea();
  StagingArea(const StagingArea&) = delete;
  StagingArea& operator=(const StagingArea&) = delete;

  int dir_fd() const { return dir_fd_; }
  const std::filesystem::path& dir() const { return dir_; }
  bool locked() const { return locked_; }
  const std::vector<std::string>& leftovers() const { return leftovers_; }
  // Removes every leftover but those holding old/ (they stay in leftovers()). Errors:
  // permanent, or when not locked().
  Result<void> remove_leftovers();

  // Makes a fresh staging directory (label: e.g. the set's ID). Call once.
  Result<void> create(std::string_view label);
  const std::string& name() const { return name_; }  // ".erp-staging-…", relative to dir()
  int staging_fd() const { return staging_fd_; }
  int tree_fd() const { return tree_fd_; }
  std::filesystem::path tree_path() const { return dir_ / name_ / "tree"; }
  // Removes the staging directory and everything in it.
  Result<void> discard();
  // Says that DIR's own entries are about to change (the move into place begins): DIR's mtime
  // is no longer put back.
  void mark_changed() { changed_ = true; }
  // Leaves the staging directory where it is (it holds something that must not be lost): the
  // destructor will not remove it.
  void keep();

 private:
  StagingArea(std::filesystem::path dir, int dir_fd, bool locked);

  std::filesystem::path dir_;
  int dir_fd_;
  bool locked_;
  std::vector<std::string> leftovers_;
  std::string name_;
  int staging_fd_ = -1;
  int tree_fd_ = -1;
  struct timespec dir_mtime_ {};
  bool changed_ = false;
};

// Whether `name` in the directory `dir_fd` is a staging directory (a directory named
// kStagingPrefix… holding the marker file).
bool is_staging_directory(int dir_fd, const std::string& name);

// rm -rf of `name` below `parent_fd`, never following a symbolic link; directories without
// permissions (a read-only one from the archive) are opened up first. A missing name is no
// error. Errors: permanent naming `shown` and the entry. Open fds: one per level.
Result<void> remove_tree(int parent_fd, const std::string& name, const std::string& shown);

}  // namespace erp::archive
