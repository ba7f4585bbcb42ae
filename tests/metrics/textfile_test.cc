// The atomic textfile writer (metrics/textfile.h): a complete file or the previous one,
// never a partial one, and no temporary file left behind on failure.
#include "metrics/textfile.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fakes/temp_dir.h"

namespace erp::metrics {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string slurp(const fs::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    names.push_back(entry.path().filename().string());
  }
  std::ranges::sort(names);
  return names;
}

TEST_CASE("the textfile is written whole, mode 0644, with no temporary file left") {
  TempDir dir("erp-metrics-test-");
  const std::string path = (dir.path() / "erp-backup.prom").string();
  REQUIRE(write_textfile_atomically(path, "m 1\n").has_value());
  CHECK(slurp(path) == "m 1\n");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0644);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"erp-backup.prom"});
}

TEST_CASE("a second write replaces the file by rename: a reader holding the old one keeps it") {
  TempDir dir("erp-metrics-test-");
  const std::string path = (dir.path() / "erp-backup.prom").string();
  REQUIRE(write_textfile_atomically(path, "m 1\n").has_value());
  std::ifstream reader(path);  // opened before the replacement, like a collector mid-read
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  REQUIRE(write_textfile_atomically(path, "m 2\n").has_value());
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(before.st_ino != after.st_ino);  // a new inode took the name: never rewritten in place
  std::string old_text;
  std::getline(reader, old_text);
  CHECK(old_text == "m 1");
  CHECK(slurp(path) == "m 2\n");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"erp-backup.prom"});
}

TEST_CASE("a directory that does not exist is an error naming the file") {
  TempDir dir("erp-metrics-test-");
  const std::string path = (dir.path() / "missing" / "erp-backup.prom").string();
  const auto written = write_textfile_atomically(path, "m 1\n");
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().message.find("cannot create " + path + ".tmp.") == 0);
  CHECK(written.error().message.find("No such file or directory") != std::string::npos);
}

TEST_CASE("a directory nobody may create files in (sysfs, even for root) is an error") {
  const auto written = write_textfile_atomically("/sys/erp-backup-metrics-test.prom", "m 1\n");
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().message.find("cannot create /sys/erp-backup-metrics-test.prom.tmp.") == 0);
  CHECK_FALSE(fs::exists("/sys/erp-backup-metrics-test.prom"));
}

TEST_CASE(
    "a read-only directory is an error (mode 0555; root bypasses modes, so it runs as nobody)") {
  TempDir dir("erp-metrics-test-");
  fs::permissions(dir.path(), fs::perms(0555));
  const std::string path = (dir.path() / "erp-backup.prom").string();
  // Root ignores directory modes: fork, drop to nobody (65534) and write from there.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::geteuid() == 0 && ::setuid(65534) != 0) ::_exit(3);
    const auto written = write_textfile_atomically(path, "m 1\n");
    const bool named =
        !written && written.error().message.find("Permission denied") != std::string::npos;
    ::_exit(written ? 1 : (named ? 0 : 2));
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(names_in(dir.path()).empty());
}

TEST_CASE("when the rename fails the temporary file is removed and the target is untouched") {
  TempDir dir("erp-metrics-test-");
  // The target name is a non-empty directory: rename(2) of a file over it fails (EISDIR).
  const fs::path target = dir.path() / "erp-backup.prom";
  fs::create_directory(target);
  std::ofstream(target / "keep") << "x";
  const auto written = write_textfile_atomically(target.string(), "m 1\n");
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().message.find("cannot rename") == 0);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"erp-backup.prom"});
  CHECK(slurp(target / "keep") == "x");
}

TEST_CASE("read_textfile: absent is nullopt, present is its content") {
  TempDir dir("erp-metrics-test-");
  const std::string path = (dir.path() / "x.prom").string();
  auto absent = read_textfile(path);
  REQUIRE(absent.has_value());
  CHECK_FALSE(absent->has_value());
  REQUIRE(write_textfile_atomically(path, "m 3\n").has_value());
  auto present = read_textfile(path);
  REQUIRE(present.has_value());
  CHECK(**present == "m 3\n");
}

}  // namespace
}  // namespace erp::metrics
