// TreeMerge: moves a staged tree (what SafeExtractor wrote into a StagingArea, already checked
// against its manifest) into the target directory with `restore docs --force` semantics: an
// archive name that exists in the target as a regular file or symbolic link is replaced, an
// existing directory is merged into, and every name the archive does not hold stays.
//
// plan() compares the two trees and changes nothing. It refuses, listing each (up to 10) with
// the count: a directory where the archive has a file or link, a file, link or special file
// where it has a directory, a special file where it has a file; a directory of the target that
// is another file system (a mount point below the target: a rename cannot cross it); a target
// directory this process can neither write nor chmod. So nothing the plan accepted fails for
// those reasons later.
//
// apply() carries the plan out, in archive order: each name missing from the target is renamed
// into it whole (a directory with everything below it, its metadata already applied in
// staging), each file or link is renamed over the target's (rename() replaces the name
// atomically and never writes through a link), and each merged directory then gets the
// archive's mode, owner and mtime (DirectoryLookup; a directory the archive holds no entry for,
// such as an ancestor of --subtree, keeps its own mode). A read-only directory is made writable
// for the moment it needs to be and given its mode back afterwards, so nothing is left at 0700.
// apply() is not interrupted by a stop: it only renames, which takes milliseconds, and finishing
// leaves a whole tree. If a rename still fails (the disk went away), the target holds the
// entries moved so far; the error says how many, and a rerun with --force completes it.
//
// Cost: one rename per entry the target already holds or per top-most missing name; one
// fstatat per staged entry whose name exists in the target. Memory: the plan (one step per
// such name). Open fds: two directory chains (one per level). Borrows the fds. One thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "archive/safe_extractor.h"
#include "core/error.h"

namespace erp::archive {

class TreeMerge {
 public:
  using DirectoryLookup = std::function<const DirectoryMetadata*(const std::vector<std::string>&)>;

  // Errors: permanent listing the conflicts (nothing was changed), or a failed system call.
  // `archived` tells which directories will get the archive's metadata (their owner must be
  // this user, or root); borrowed for the call.
  static Result<TreeMerge> plan(int staged_fd, int target_fd, const std::string& target_shown,
                                const DirectoryLookup& archived);

  // Errors: permanent naming the entry, the call and how many entries were moved before it.
  Result<void> apply(int staged_fd, int target_fd, const DirectoryLookup& archived,
                     bool restore_owners);

  std::uint64_t moved() const { return moved_; }        // names renamed into place
  std::uint64_t replaced() const { return replaced_; }  // of which replaced a file or link

 private:
  enum class Action : unsigned char { move, replace, merge_directory };
  struct Step {
    Action action;
    std::vector<std::string> path;
    unsigned target_mode = 0;  // merge_directory: the target's mode before the merge
    bool open_up = false;      // merge_directory: not writable as it is; owned, so chmod'able
  };
  struct Planner;

  std::vector<Step> steps_;
  std::uint64_t moved_ = 0;
  std::uint64_t replaced_ = 0;
};

// Renames `from_name` in `from_fd` to `to_name` in `to_fd` (replacing a file or link there).
// A directory without write permission for its owner is opened up for the rename (moving a
// directory to another parent rewrites its ".." entry) and given its mode and mtime back.
// Errors: permanent naming `shown`.
Result<void> move_entry(int from_fd, const std::string& from_name, int to_fd,
                        const std::string& to_name, const std::string& shown);

}  // namespace erp::archive
