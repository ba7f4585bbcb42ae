// run_pg_restore_file: the file as fd 3, the use list on stdin, -j, and pg_restore's own error
// count (a stand-in pg_restore: a shell script that records what it got).
#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/cancellation.h"
#include "fakes/temp_dir.h"
#include "pg/pg_restore.h"

namespace erp::pg {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Records its arguments, its stdin (the use list) and /dev/fd/3 (the archive, read twice as
// -j workers reopen it), then reports `errors` error lines and pg_restore's own count `counted`.
std::string fake_pg_restore(const testing::TempDir& dir, int errors, int counted) {
  std::string script = "#!/bin/sh\nd=" + dir.path().string() +
                       "\necho \"$@\" > $d/args\ncat > $d/use-list\ncat /dev/fd/3 > $d/archive\n"
                       "cat /dev/fd/3 > $d/archive-again\n";
  for (int i = 0; i < errors; ++i) {
    script +=
        "echo 'pg_restore: from TOC entry 215; 1259 16385 TABLE public t erp' >&2\n"
        "echo 'pg_restore: error: could not execute query: ERROR:  boom' >&2\n";
  }
  script += "echo 'pg_restore: warning: errors ignored on restore: " + std::to_string(counted) +
            "' >&2\nexit 1\n";
  return dir.write_file("pg_restore", script, /*executable=*/true);
}

PgRestoreOptions options_for(const std::string& program, int archive_fd) {
  PgRestoreOptions options;
  options.program = program;
  options.base_environment = {{"PATH", "/usr/bin:/bin"}};
  options.target.params = {
      {"host", "127.0.0.1"}, {"port", "5432"}, {"user", "u"}, {"dbname", "sandbox"}};
  options.use_list = "215; 1259 16385 TABLE public t erp\n;216; 1259 16390 TABLE public x erp\n";
  options.application_name = "erp-backup restore 1";
  options.archive_fd = archive_fd;
  options.jobs = 2;
  return options;
}

}  // namespace

TEST_CASE("pg_restore -j reads the file as /dev/fd/3 and the use list on its stdin") {
  testing::TempDir dir;
  const std::string archive = "PGDMP archive bytes\n";
  const int fd = ::open(dir.path().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, archive.data(), archive.size(), 0) == static_cast<ssize_t>(archive.size()));
  const PgRestoreOptions options = options_for(fake_pg_restore(dir, 2, 2), fd);
  Cancellation cancellation;
  auto run = run_pg_restore_file(options, nullptr, cancellation);
  ::close(fd);
  REQUIRE_MESSAGE(run.has_value(), run.error().message);
  CHECK(read_text(dir.path() / "args").find("--jobs=2 -L /dev/stdin /dev/fd/3") !=
        std::string::npos);
  CHECK(read_text(dir.path() / "args").find("--no-privileges") == std::string::npos);
  CHECK(read_text(dir.path() / "use-list") == options.use_list);
  CHECK(read_text(dir.path() / "archive") == archive);
  CHECK(read_text(dir.path() / "archive-again") == archive);  // reopened from its start
  CHECK(run->exit_status.exit_code == 1);
  CHECK(run->errors_seen == 2);
  REQUIRE(run->errors.size() == 2);
  CHECK(run->errors[0].toc_id == 215);
  REQUIRE(run->errors_reported.has_value());
  CHECK(*run->errors_reported == 2);
}

TEST_CASE("pg_restore's own count is reported even when fewer error lines could be read") {
  testing::TempDir dir;
  const int fd = ::open(dir.path().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  Cancellation cancellation;
  auto run =
      run_pg_restore_file(options_for(fake_pg_restore(dir, 1, 3), fd), nullptr, cancellation);
  ::close(fd);
  REQUIRE_MESSAGE(run.has_value(), run.error().message);
  CHECK(run->errors_seen == 1);
  CHECK(run->errors_reported == std::optional<int>(3));
}

TEST_CASE("pg_restore --no-privileges only when asked (the drill's own cluster has no roles)") {
  testing::TempDir dir;
  const int fd = ::open(dir.path().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  PgRestoreOptions options = options_for(fake_pg_restore(dir, 0, 0), fd);
  options.no_privileges = true;
  Cancellation cancellation;
  auto run = run_pg_restore_file(options, nullptr, cancellation);
  ::close(fd);
  REQUIRE_MESSAGE(run.has_value(), run.error().message);
  CHECK(read_text(dir.path() / "args").find("--no-owner --no-password") == 0);
  CHECK(read_text(dir.path() / "args").find("--no-privileges") != std::string::npos);
}

}  // namespace erp::pg
