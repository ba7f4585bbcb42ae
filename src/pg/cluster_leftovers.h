// What a SIGKILLed drill leaves in DRILL_WORK_DIR, and removing it (pg/embedded_cluster.h,
// app/drill/private_dir.h).
//
// A drill makes "<work dir>/erp-drill-<pid>-<random>" (its embedded cluster) and
// "erp-drill-<what>-<pid>-<random>" (extracted documents, a scratch dump: personal data), each
// with mkdtemp (a directory of this user, mode 0700) holding a locked kDrillLockName
// (pg/drill_dir_lock.h). DRILL_WORK_DIR may be world-writable (/tmp), so a name proves nothing.
// An entry is a leftover, and removed, only when all of these hold:
//  - it is a real directory (never a symlink: looked at with O_NOFOLLOW), owned by geteuid(),
//    mode exactly 0700 — what mkdtemp made for this user; another user's entry is not touched;
//  - its lock can be taken (flock LOCK_EX|LOCK_NB): its run is gone, in whatever PID namespace
//    it ran. The lock is held, fd open, until the directory is removed;
//  - or it has no lock file at all (made before locks existed, or its run was killed between
//    mkdtemp and creating the lock) and its <pid> is not alive and not this process's pid. A
//    run of another PID namespace in that instant between mkdtemp and the lock could lose its
//    directory; accepted (it fails at once, it does not corrupt anything).
// The postmaster of a cluster leftover may still run (it is in a process group of its own, so
// the SIGKILL did not reach it). It gets SIGQUIT (immediate shutdown) before the directory goes
// only when the pid in data/postmaster.pid is a process called "postgres" whose current
// directory (/proc/<pid>/cwd) is that leftover's data directory — a postmaster chdirs there; a
// stale or forged pid (another cluster's postmaster, a backend after a reboot) gets nothing. A
// postmaster whose lock file is gone shuts itself down within a minute anyway.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/logger.h"

namespace erp::pg {

inline constexpr std::string_view kClusterDirPrefix = "erp-drill-";

struct LeftoverRemoval {
  std::filesystem::path directory;
  std::string problem;  // empty: removed
};

// Removes the leftovers in `work_dir` (both kinds, as above). Never throws; an unreadable work
// dir gives nothing (creating the new directory then reports it). The directories of this
// process are locked by it, so they are never taken for leftovers.
std::vector<LeftoverRemoval> remove_drill_leftovers(const std::filesystem::path& work_dir);

// remove_drill_leftovers, each removal logged (info; warn when it failed). Called before a drill
// makes its first directory, whichever DRILL_TARGET: EmbeddedCluster::start, and
// app/drill/drill_target.h for DRILL_TARGET=restore (which still extracts the documents there).
void sweep_drill_leftovers(const std::filesystem::path& work_dir, Logger& log);

}  // namespace erp::pg
