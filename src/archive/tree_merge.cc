#include "archive/tree_merge.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "archive/directory_chain.h"
#include "archive/printable_path.h"
#include "core/owned_fd.h"

namespace erp::archive {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr std::size_t kListedConflicts = 10;

std::unexpected<Error> call_failed(const std::string& shown, const char* call,
                                   const std::string& path) {
  const int code = errno;
  return make_error(ErrorKind::permanent,
                    shown + ": " + call + " " + printable_path(path) + ": " + std::strerror(code));
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISREG(mode)) return "a file";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a special file";
}

bool owned(const struct stat& st) {
  return ::geteuid() == 0 || st.st_uid == ::geteuid();
}

}  // namespace

Result<void> move_entry(int from_fd, const std::string& from_name, int to_fd,
                        const std::string& to_name, const std::string& shown) {
  struct stat st {};
  if (::fstatat(from_fd, from_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return call_failed(shown, "fstatat", from_name);
  }
  const bool open_up = S_ISDIR(st.st_mode) && (st.st_mode & S_IWUSR) == 0;
  // Moving a directory to another parent rewrites its ".." entry, which needs write permission
  // on the directory itself. fstatat said it is a directory (fchmodat has no NOFOLLOW for it).
  if (open_up && ::fchmodat(from_fd, from_name.c_str(), (st.st_mode & 07777) | S_IRWXU, 0) != 0) {
    return call_failed(shown, "fchmodat", from_name);
  }
  if (::renameat(from_fd, from_name.c_str(), to_fd, to_name.c_str()) != 0) {
    const auto failed = call_failed(shown, "renameat", to_name);
    if (open_up) ::fchmodat(from_fd, from_name.c_str(), st.st_mode & 07777, 0);
    return failed;
  }
  if (S_ISDIR(st.st_mode)) {
    if (open_up && ::fchmodat(to_fd, to_name.c_str(), st.st_mode & 07777, 0) != 0) {
      return call_failed(shown, "fchmodat", to_name);
    }
    // The rename may have moved the directory's own mtime (its ".." changed): put it back.
    const timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
    if (::utimensat(to_fd, to_name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return call_failed(shown, "utimensat", to_name);
    }
  }
  return {};
}

struct TreeMerge::Planner {
  TreeMerge& merge;
  const DirectoryLookup& archived;
  dev_t staged_device;
  std::vector<std::string> conflicts;
  std::uint64_t conflict_count = 0;

  void conflict(const std::vector<std::string>& path, const std::string& why) {
    if (conflicts.size() < kListedConflicts) {
      conflicts.push_back("'" + printable_path(join_name(path)) + "': " + why);
    }
    ++conflict_count;
  }

  Result<void> walk(int staged_fd, int target_fd, std::vector<std::string>& path,
                    const std::string& shown) {
    auto names = sorted_names(staged_fd, shown);
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
      path.push_back(name);
      auto done = visit(staged_fd, target_fd, name, path, shown);
      path.pop_back();
      if (!done) return done;
    }
    return {};
  }

  Result<void> visit(int staged_fd, int target_fd, const std::string& name,
                     std::vector<std::string>& path, const std::string& shown) {
    struct stat staged {
    }, target{};
    if (::fstatat(staged_fd, name.c_str(), &staged, AT_SYMLINK_NOFOLLOW) != 0) {
      return call_failed(shown, "fstatat", join_name(path));
    }
    if (::fstatat(target_fd, name.c_str(), &target, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return call_failed(shown, "fstatat", join_name(path));
      merge.steps_.push_back(Step{Action::move, path});
      return {};
    }
    const bool staged_dir = S_ISDIR(staged.st_mode);
    if (!staged_dir && (S_ISREG(target.st_mode) || S_ISLNK(target.st_mode))) {
      merge.steps_.push_back(Step{Action::replace, path});
      return {};
    }
    if (!staged_dir || !S_ISDIR(target.st_mode)) {
      conflict(path, std::string("the target holds ") + kind_of(target.st_mode) +
                         " where the archive has " + kind_of(staged.st_mode));
      return {};
    }
    if (target.st_dev != staged_device) {
      conflict(path, "another file system is mounted there (a rename cannot cross it)");
      return {};
    }
    // A staged directory is ours, whatever mode the archive gave it; apply() opens it up too.
    if ((staged.st_mode & S_IRWXU) != S_IRWXU) ::fchmodat(staged_fd, name.c_str(), 0700, 0);
    OwnedFd staged_child(::openat(staged_fd, name.c_str(), kDirectoryFlags));
    if (staged_child.get() < 0) return call_failed(shown, "openat", join_name(path));
    OwnedFd target_child(::openat(target_fd, name.c_str(), kDirectoryFlags));
    if (target_child.get() < 0) {
      if (errno != EACCES) return call_failed(shown, "openat", join_name(path));
      conflict(path, "the target's directory cannot be read by uid " + std::to_string(::geteuid()));
      return {};
    }
    const bool writable = ::faccessat(target_child.get(), ".", W_OK | X_OK, AT_EACCESS) == 0;
    if (!writable && !owned(target)) {
      conflict(path, "the target's directory can be neither written nor chmod'ed by uid " +
                         std::to_string(::geteuid()));
      return {};
    }
    if (archived(path) != nullptr && !owned(target)) {
      conflict(path, "the target's directory belongs to uid " + std::to_string(target.st_uid) +
                         ": the archive's mode and mtime cannot be set on it");
      return {};
    }
    if (auto below = walk(staged_child.get(), target_child.get(), path, shown); !below) {
      return below;
    }
    merge.steps_.push_back(Step{Action::merge_directory, path,
                                static_cast<unsigned>(target.st_mode & 07777), !writable});
    return {};
  }
};

Result<TreeMerge> TreeMerge::plan(int staged_fd, int target_fd, const std::string& target_shown,
                                  const DirectoryLookup& archived) {
  TreeMerge merge;
  struct stat staged {};
  if (::fstat(staged_fd, &staged) != 0) return call_failed(target_shown, "fstat", "staging");
  Planner planner{merge, archived, staged.st_dev, {}, 0};
  std::vector<std::string> path;
  if (auto walked = planner.walk(staged_fd, target_fd, path, target_shown); !walked) {
    return std::unexpected(walked.error());
  }
  if (!merge.steps_.empty() && ::faccessat(target_fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
    planner.conflict({"."},
                     "the target directory is not writable by uid " + std::to_string(::geteuid()));
  }
  if (planner.conflict_count > 0) {
    std::string text = target_shown +
                       ": the archive cannot be moved into place without removing "
                       "what the target holds (" +
                       std::to_string(planner.conflict_count) + " conflict" +
                       (planner.conflict_count == 1 ? "" : "s") + "): ";
    for (std::size_t i = 0; i < planner.conflicts.size(); ++i) {
      text += (i ? "; " : "") + planner.conflicts[i];
    }
    if (planner.conflict_count > planner.conflicts.size()) text += "; ...";
    text += "; nothing in the target was changed";
    return make_error(ErrorKind::permanent, text);
  }
  return merge;
}

Result<void> TreeMerge::apply(int staged_fd, int target_fd, const DirectoryLookup& archived,
                              bool restore_owners) {
  DirectoryChain staged(staged_fd), target(target_fd);
  const std::size_t total = steps_.size();
  auto failed = [&](const Error& error) -> std::unexpected<Error> {
    return make_error(ErrorKind::permanent,
                      error.message + " (after " + std::to_string(moved_) + " of the " +
                          std::to_string(total) +
                          " planned moves; hint: fix the cause and run the restore again with "
                          "--force, which completes it)");
  };
  // Directories that were merged are opened up first, parents before children: the staged
  // ones so that their entries can be moved out (finish() may have made them read-only), the
  // target's read-only ones that the plan found we own so that entries can be moved in.
  std::vector<const Step*> merged;
  for (const Step& step : steps_) {
    if (step.action == Action::merge_directory) merged.push_back(&step);
  }
  std::sort(merged.begin(), merged.end(),
            [](const Step* a, const Step* b) { return a->path < b->path; });
  for (const Step* step : merged) {
    const std::string shown = entry_label(join_name(step->path));
    const std::string& leaf = step->path.back();
    // By name from the parent: a directory without permissions cannot be opened to fchmod it.
    // The plan saw both as directories, and neither side is changed by anyone else meanwhile.
    auto staged_parent = staged.open(step->path, step->path.size() - 1, false, shown);
    if (!staged_parent) return failed(staged_parent.error());
    if (::fchmodat(*staged_parent, leaf.c_str(), 0700, 0) != 0) {
      return failed(call_failed(shown, "fchmodat", "(staged) " + join_name(step->path)).error());
    }
    if (step->open_up) {
      auto target_parent = target.open(step->path, step->path.size() - 1, false, shown);
      if (!target_parent) return failed(target_parent.error());
      if (::fchmodat(*target_parent, leaf.c_str(), step->target_mode | S_IRWXU, 0) != 0) {
        return failed(call_failed(shown, "fchmodat", join_name(step->path)).error());
      }
    }
  }
  for (const Step& step : steps_) {
    const std::string shown = entry_label(join_name(step.path));
    const std::size_t parent_depth = step.path.size() - 1;
    if (step.action == Action::merge_directory) {
      auto fd = target.open(step.path, step.path.size(), false, shown);
      if (!fd) return failed(fd.error());
      if (const DirectoryMetadata* metadata = archived(step.path)) {
        if (auto applied = apply_directory_metadata(*fd, *metadata, restore_owners, shown,
                                                    join_name(step.path));
            !applied) {
          return failed(applied.error());
        }
      } else if (step.open_up && ::fchmod(*fd, step.target_mode) != 0) {
        return failed(call_failed(shown, "fchmod", join_name(step.path)).error());
      }
      continue;
    }
    auto from = staged.open(step.path, parent_depth, false, shown);
    if (!from) return failed(from.error());
    auto to = target.open(step.path, parent_depth, false, shown);
    if (!to) return failed(to.error());
    if (auto moved = move_entry(*from, step.path.back(), *to, step.path.back(), shown); !moved) {
      return failed(moved.error());
    }
    ++moved_;
    if (step.action == Action::replace) ++replaced_;
  }
  return {};
}

}  // namespace erp::archive
