// What a SIGKILLed drill leaves in DRILL_WORK_DIR, and removing it (pg/embedded_cluster.h).
//
// Each embedded cluster lives in "<work dir>/erp-drill-<pid>-<random>". A directory of that
// name is a leftover when no process <pid> is alive, or when <pid> is this process and the
// directory is not one it is using (in a container every run may be pid 1, and an emptyDir
// survives a container's restart). The postmaster of a leftover may still run (it is in a
// process group of its own, so the SIGKILL did not reach it): when its postmaster.pid names a
// live process called "postgres", it gets SIGQUIT (immediate shutdown) before the directory
// goes; a postmaster whose lock file is gone shuts itself down within a minute anyway.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace erp::pg {

inline constexpr std::string_view kClusterDirPrefix = "erp-drill-";

struct LeftoverRemoval {
  std::filesystem::path directory;
  std::string problem;  // empty: removed
};

// Removes the leftovers in `work_dir`, never one in `in_use`. Never throws; an unreadable
// work dir gives nothing (creating the new directory then reports it).
std::vector<LeftoverRemoval> remove_cluster_leftovers(
    const std::filesystem::path& work_dir, const std::set<std::filesystem::path>& in_use);

}  // namespace erp::pg
