// pg/cluster_leftovers.h and pg/drill_dir_lock.h: which "erp-drill-*" entries of a (possibly
// world-writable) work dir the sweep removes, and whom it signals. Real directories, locks and
// child processes; the "postmaster" is a forked child renamed "postgres" (no PostgreSQL needed).
#include "pg/cluster_leftovers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fakes/temp_dir.h"
#include "pg/drill_dir_lock.h"

namespace erp::pg {
namespace {

namespace fs = std::filesystem;

// A pid that was just used and is dead now (reaped): what a SIGKILLed run's pid looks like.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// A directory as mkdtemp makes it (0700, ours), optionally with its data/ subdirectory.
fs::path make_run_dir(const fs::path& work_dir, const std::string& name, bool with_data = false) {
  const fs::path path = work_dir / name;
  fs::create_directories(with_data ? path / "data" : path);
  ::chmod(path.c_str(), 0700);
  return path;
}

// A lock file nobody holds: what a SIGKILLed run leaves.
void leave_free_lock(const fs::path& directory) {
  auto lock = DrillDirLock::create(directory);
  REQUIRE(lock);
  CHECK(fs::exists(directory / kDrillLockName));
}  // released here

// A child renamed "postgres" whose current directory is `cwd`, waiting for a signal.
pid_t fake_postmaster(const fs::path& cwd) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (::chdir(cwd.c_str()) != 0) ::_exit(3);
    ::prctl(PR_SET_NAME, "postgres", 0, 0, 0);
    for (;;) ::pause();
  }
  // Wait until the child renamed itself (the sweep looks at /proc/<pid>/comm).
  for (int i = 0; i < 2000; ++i) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (comm >> name && name == "postgres") break;
    ::usleep(1000);
  }
  return pid;
}

void write_postmaster_pid(const fs::path& directory, pid_t pid) {
  std::ofstream(directory / "data" / "postmaster.pid") << pid << "\n"
                                                       << directory / "data"
                                                       << "\n";
}

// The signal that ended `pid`, or 0 when it still ran (then it is killed and reaped).
int reap(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 2000; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
    ::usleep(1000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return 0;
}

TEST_CASE("drill leftovers: a free lock means the run is gone, whatever its pid") {
  testing::TempDir work("erp-leftovers-");
  // Named after this (live) process: the pid says "alive", the free lock says "gone".
  const fs::path mine =
      make_run_dir(work.path(), "erp-drill-" + std::to_string(::getpid()) + "-a1");
  leave_free_lock(mine);
  const auto removed = remove_drill_leftovers(work.path());
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].directory == mine);
  CHECK(removed[0].problem.empty());
  CHECK_FALSE(fs::exists(mine));
}

TEST_CASE("drill leftovers: a held lock is never swept, even under a dead or shared pid") {
  testing::TempDir work("erp-leftovers-");
  // Another container's pid 1 (or another namespace's pid, which looks dead here).
  const fs::path dead =
      make_run_dir(work.path(), "erp-drill-" + std::to_string(dead_pid()) + "-b2");
  const fs::path same =
      make_run_dir(work.path(), "erp-drill-" + std::to_string(::getpid()) + "-c3");
  const fs::path docs =
      make_run_dir(work.path(), "erp-drill-docs-" + std::to_string(dead_pid()) + "-d4");
  auto dead_lock = DrillDirLock::create(dead);
  auto same_lock = DrillDirLock::create(same);
  auto docs_lock = DrillDirLock::create(docs);
  REQUIRE((dead_lock && same_lock && docs_lock));
  CHECK(remove_drill_leftovers(work.path()).empty());
  CHECK(fs::exists(dead));
  CHECK(fs::exists(same));
  CHECK(fs::exists(docs));
  dead_lock->release();
  docs_lock->release();
  CHECK(remove_drill_leftovers(work.path()).size() == 2);
  CHECK_FALSE(fs::exists(dead));
  CHECK_FALSE(fs::exists(docs));
  CHECK(fs::exists(same));
}

TEST_CASE("drill leftovers: without a lock file only a dead pid other than ours is swept") {
  testing::TempDir work("erp-leftovers-");
  const fs::path dead =
      make_run_dir(work.path(), "erp-drill-" + std::to_string(dead_pid()) + "-e5");
  const fs::path own = make_run_dir(work.path(), "erp-drill-" + std::to_string(::getpid()) + "-f6");
  const fs::path live =
      make_run_dir(work.path(), "erp-drill-" + std::to_string(::getppid()) + "-g7");
  const auto removed = remove_drill_leftovers(work.path());
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].directory == dead);
  CHECK(fs::exists(own));
  CHECK(fs::exists(live));
}

TEST_CASE("drill leftovers: the private directories (documents, scratch) are swept too") {
  testing::TempDir work("erp-leftovers-");
  const fs::path docs =
      make_run_dir(work.path(), "erp-drill-docs-" + std::to_string(::getpid()) + "-h8");
  const fs::path scratch =
      make_run_dir(work.path(), "erp-drill-scratch-" + std::to_string(dead_pid()) + "-i9");
  leave_free_lock(docs);
  std::ofstream(docs / "payroll.pdf") << "personal data";
  // Names that are not a drill's: never touched, whatever their state.
  const fs::path other = make_run_dir(work.path(), "erp-drill-test-abc");
  const fs::path no_rest =
      make_run_dir(work.path(), "erp-drill-docs-" + std::to_string(dead_pid()));
  CHECK(remove_drill_leftovers(work.path()).size() == 2);
  CHECK_FALSE(fs::exists(docs));
  CHECK_FALSE(fs::exists(scratch));
  CHECK(fs::exists(other));
  CHECK(fs::exists(no_rest));
}

TEST_CASE("drill leftovers: only real 0700 directories of this user are candidates") {
  testing::TempDir work("erp-leftovers-");
  testing::TempDir elsewhere("erp-leftovers-target-");
  // Mode other than mkdtemp's: not ours to remove.
  const fs::path open_mode =
      make_run_dir(work.path(), "erp-drill-" + std::to_string(dead_pid()) + "-j1");
  ::chmod(open_mode.c_str(), 0755);
  // A symlink planted under a drill's name, pointing at a directory with a free lock.
  leave_free_lock(elsewhere.path());
  const fs::path link = work.path() / ("erp-drill-" + std::to_string(dead_pid()) + "-k2");
  fs::create_directory_symlink(elsewhere.path(), link);
  // A plain file under a drill's name.
  const fs::path file = work.path() / ("erp-drill-" + std::to_string(dead_pid()) + "-l3");
  std::ofstream(file) << "x";
  // Another user's directory, as it would be in a shared /tmp (chown needs root: CI runs so).
  const fs::path foreign =
      make_run_dir(work.path(), "erp-drill-" + std::to_string(dead_pid()) + "-m3");
  if (::geteuid() == 0) {
    leave_free_lock(foreign);
    REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
  } else {
    ::chmod(foreign.c_str(), 0711);  // stands in for "not what mkdtemp made for us"
  }
  CHECK(remove_drill_leftovers(work.path()).empty());
  CHECK(fs::exists(foreign));
  CHECK(fs::exists(open_mode));
  CHECK(fs::is_symlink(link));
  CHECK(fs::exists(elsewhere.path() / kDrillLockName));
  CHECK(fs::exists(file));
}

TEST_CASE("drill leftovers: SIGQUIT only to the postmaster running in the leftover's data dir") {
  testing::TempDir work("erp-leftovers-");
  SUBCASE("its own postmaster is stopped") {
    const fs::path dir =
        make_run_dir(work.path(), "erp-drill-" + std::to_string(dead_pid()) + "-m4", true);
    const pid_t postmaster = fake_postmaster(dir / "data");
    write_postmaster_pid(dir, postmaster);
    CHECK(remove_drill_leftovers(work.path()).size() == 1);
    CHECK(reap(postmaster) == SIGQUIT);
    CHECK_FALSE(fs::exists(dir));
  }
  SUBCASE("a forged or stale pid (a postgres elsewhere) gets nothing; the directory still goes") {
    const fs::path dir =
        make_run_dir(work.path(), "erp-drill-" + std::to_string(dead_pid()) + "-n5", true);
    const pid_t production = fake_postmaster(work.path());
    write_postmaster_pid(dir, production);
    CHECK(remove_drill_leftovers(work.path()).size() == 1);
    CHECK_FALSE(fs::exists(dir));
    CHECK(reap(production) == 0);  // still ran: not signalled
  }
}

TEST_CASE("drill dir lock: create holds it under its final name; take fails while held") {
  testing::TempDir dir("erp-lock-");
  auto held = DrillDirLock::create(dir.path());
  REQUIRE(held);
  CHECK(held->held());
  CHECK(fs::exists(dir.path() / kDrillLockName));
  CHECK_FALSE(fs::exists(dir.path() / (std::string(kDrillLockName) + ".new")));
  const int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK_FALSE(DrillDirLock::take(fd));
  held->release();
  auto taken = DrillDirLock::take(fd);
  REQUIRE(taken);
  CHECK(taken->held());
  taken->release();
  fs::remove(dir.path() / kDrillLockName);
  auto none = DrillDirLock::take(fd);
  REQUIRE(none);
  CHECK_FALSE(none->held());
  ::close(fd);
}

}  // namespace
}  // namespace erp::pg
