#include "pg/cluster_leftovers.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <system_error>

namespace erp::pg {
namespace {

namespace fs = std::filesystem;

// The <pid> of "erp-drill-<pid>-<random>"; nullopt for any other name.
std::optional<pid_t> owner_of(const std::string& name) {
  if (!name.starts_with(kClusterDirPrefix)) return std::nullopt;
  const char* begin = name.data() + kClusterDirPrefix.size();
  const char* end = name.data() + name.size();
  pid_t pid = 0;
  const auto [stop, ec] = std::from_chars(begin, end, pid);
  if (ec != std::errc() || stop == begin || stop == end || *stop != '-' || pid <= 0)
    return std::nullopt;
  return pid;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// SIGQUIT to the postmaster named by the data directory's lock file, when it still runs as a
// "postgres" process of this user (kill fails with EPERM otherwise: nothing sent).
void stop_postmaster(const fs::path& directory) {
  std::ifstream lock(directory / "data" / "postmaster.pid");
  pid_t pid = 0;
  if (!(lock >> pid) || pid <= 0) return;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!(comm >> name) || name != "postgres") return;
  ::kill(pid, SIGQUIT);
}

}  // namespace

std::vector<LeftoverRemoval> remove_cluster_leftovers(const fs::path& work_dir,
                                                      const std::set<fs::path>& in_use) {
  std::vector<LeftoverRemoval> removed;
  std::vector<fs::path> leftovers;  // gathered first: no removal while the directory is read
  std::error_code error;
  for (fs::directory_iterator it(work_dir, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    const auto pid = owner_of(path.filename().string());
    std::error_code type_error;
    if (!pid || !it->is_directory(type_error) || in_use.contains(path)) continue;
    if (*pid != ::getpid() && alive(*pid)) continue;
    leftovers.push_back(path);
  }
  for (const fs::path& path : leftovers) {
    stop_postmaster(path);
    LeftoverRemoval removal{path, {}};
    std::error_code remove_error;
    fs::remove_all(path, remove_error);
    if (remove_error) removal.problem = remove_error.message();
    removed.push_back(std::move(removal));
  }
  return removed;
}

}  // namespace erp::pg
