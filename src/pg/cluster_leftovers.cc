#include "pg/cluster_leftovers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <system_error>

#include "pg/drill_dir_lock.h"

namespace erp::pg {
namespace {

namespace fs = std::filesystem;

// The <pid> of "erp-drill-<pid>-<random>" or "erp-drill-<what>-<pid>-<random>" (<what> lower
// case letters); nullopt for any other name.
std::optional<pid_t> owner_of(const std::string& name) {
  if (!name.starts_with(kClusterDirPrefix)) return std::nullopt;
  const char* begin = name.data() + kClusterDirPrefix.size();
  const char* end = name.data() + name.size();
  if (begin != end && std::islower(static_cast<unsigned char>(*begin))) {
    while (begin != end && std::islower(static_cast<unsigned char>(*begin))) ++begin;
    if (begin == end || *begin != '-') return std::nullopt;
    ++begin;
  }
  pid_t pid = 0;
  const auto [stop, ec] = std::from_chars(begin, end, pid);
  if (ec != std::errc() || stop == begin || stop == end || *stop != '-' || stop + 1 == end ||
      pid <= 0)
    return std::nullopt;
  return pid;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// A directory fd for `path`, only when it is a real directory (not a symlink) of this user with
// mode 0700, i.e. one mkdtemp made for us; -1 otherwise.
int open_own_directory(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 07777) != 0700) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// SIGQUIT to the postmaster named by the data directory's lock file, only when it is a
// "postgres" process whose current directory is this data directory (compared by device and
// inode: no path spelling matters). Anything else — a forged or stale pid, another user's
// process (its /proc/<pid>/cwd is unreadable) — gets nothing.
void stop_postmaster(int directory_fd, const fs::path& directory) {
  struct stat data {};
  if (::fstatat(directory_fd, "data", &data, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(data.st_mode))
    return;
  std::ifstream lock(directory / "data" / "postmaster.pid");
  pid_t pid = 0;
  if (!(lock >> pid) || pid <= 0) return;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream comm(proc + "/comm");
  std::string name;
  if (!(comm >> name) || name != "postgres") return;
  struct stat cwd {};
  if (::stat((proc + "/cwd").c_str(), &cwd) != 0) return;
  if (cwd.st_dev != data.st_dev || cwd.st_ino != data.st_ino) return;
  ::kill(pid, SIGQUIT);
}

}  // namespace

std::vector<LeftoverRemoval> remove_drill_leftovers(const fs::path& work_dir) {
  struct Leftover {
    fs::path path;
    pid_t pid;
  };
  std::vector<Leftover> candidates;  // gathered first: no removal while the directory is read
  std::error_code error;
  for (fs::directory_iterator it(work_dir, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    if (const auto pid = owner_of(path.filename().string())) candidates.push_back({path, *pid});
  }
  std::vector<LeftoverRemoval> removed;
  for (const Leftover& candidate : candidates) {
    const int fd = open_own_directory(candidate.path);
    if (fd < 0) continue;
    auto lock = DrillDirLock::take(fd);
    const bool dead = !alive(candidate.pid) && candidate.pid != ::getpid();
    if (!lock || (!lock->held() && !dead)) {
      ::close(fd);
      continue;
    }
    stop_postmaster(fd, candidate.path);
    ::close(fd);
    LeftoverRemoval removal{candidate.path, {}};
    std::error_code remove_error;
    fs::remove_all(candidate.path, remove_error);
    if (remove_error) removal.problem = remove_error.message();
    removed.push_back(std::move(removal));
    // *lock (if any) is released here, after the directory is gone.
  }
  return removed;
}

void sweep_drill_leftovers(const fs::path& work_dir, Logger& log) {
  for (const LeftoverRemoval& leftover : remove_drill_leftovers(work_dir)) {
    if (leftover.problem.empty()) {
      log.info("drill: removed the directory a stopped drill left",
               {{"directory", leftover.directory.string()}});
    } else {
      log.warn("drill: could not remove the directory a stopped drill left",
               {{"directory", leftover.directory.string()}, {"error", leftover.problem}});
    }
  }
}

}  // namespace erp::pg
