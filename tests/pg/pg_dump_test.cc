// run_pg_dump and friends: version checks (pure), failure modes proven with fake pg_dump
// scripts, and a real pg_dump against the test server whose output pg_restore accepts.
#include "pg/pg_dump.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fakes/pg_test_server.h"
#include "pg/database_info.h"
#include "pg/seeded_database.h"

namespace erp::pg {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::PgTestServer;
using testing::TempDir;

constexpr std::string_view kFakePassword = "pw-Fake-Q93-zz";

// Collects everything written; fails the nth write when asked to.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(int fail_on_write = 0) : fail_on_write_(fail_on_write) {}
  Result<void> write(std::span<const char> data) override {
    if (++writes_ == fail_on_write_) {
      return make_error(ErrorKind::transient, "part upload failed: 503 SlowDown");
    }
    data_.append(data.data(), data.size());
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}
  const std::string& data() const { return data_; }
  int writes() const { return writes_; }

 private:
  int fail_on_write_;
  int writes_ = 0;
  std::string data_;
};

// Cancels `cancellation` when the first bytes arrive: a signal in the middle of a dump,
// without guessing when the dump is running.
class CancelOnFirstWrite final : public ByteSink {
 public:
  CancelOnFirstWrite(Cancellation& cancellation, int signal_number)
      : cancellation_(cancellation), signal_number_(signal_number) {}
  Result<void> write(std::span<const char>) override {
    cancellation_.cancel(signal_number_);
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}

 private:
  Cancellation& cancellation_;
  int signal_number_;
};

// Gathers stderr lines from the pump thread.
struct Lines {
  std::mutex mutex;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> callback() {
    return [this](std::string_view line) {
      std::lock_guard lock(mutex);
      lines.emplace_back(line);
    };
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mutex);
    return lines;
  }
};

// A /bin/sh script standing in for pg_dump: answers --version like pg_dump 15.4, otherwise
// runs `body` with $DIR set to its own directory (for files the test reads afterwards).
class FakePgDump {
 public:
  explicit FakePgDump(const std::string& body) {
    path_ = dir_.write_file("pg_dump",
                            "#!/bin/sh\n"
                            "DIR='" +
                                dir_.path().string() +
                                "'\n"
                                "if [ \"$1\" = --version ]; then\n"
                                "  echo 'pg_dump (PostgreSQL) 15.4 (fake)'; exit 0\n"
                                "fi\n" +
                                body + "\n",
                            /*executable=*/true);
  }
  const std::string& path() const { return path_; }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_.path() / name, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  TempDir dir_{"erp-fake-pg-dump-"};
  std::string path_;
};

PgDumpOptions fake_options(const FakePgDump& fake) {
  PgDumpOptions options;
  options.program = fake.path();
  options.settings.params = {{"host", "127.0.0.1"},  {"port", "5999"},
                             {"dbname", "dolibarr"}, {"user", "backup"},
                             {"sslmode", "disable"}, {"options", "-c statement_timeout=0"}};
  options.settings.password = Secret(std::string(kFakePassword));
  options.base_environment = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C"}};
  options.terminate_grace = 1000ms;
  return options;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool is_gone(pid_t pid) {
  return waitpid(pid, nullptr, WNOHANG) == -1 && ::kill(pid, 0) == -1 && errno == ESRCH;
}

// ---------------------------------------------------------------------------------------------
// Versions

TEST_CASE("pg_dump versions: the major version of a version string") {
  CHECK(pg_major_version("15.4") == 15);
  CHECK(pg_major_version("17beta1") == 17);
  CHECK(pg_major_version("9.6.24") == 9);
  const auto bad = pg_major_version("devel");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::config);
}

TEST_CASE("pg_dump versions: server_version_num is spelled the way PostgreSQL does") {
  CHECK(format_server_version(150004) == "15.4");
  CHECK(format_server_version(170000) == "17.0");
  CHECK(format_server_version(90624) == "9.6.24");
}

TEST_CASE("pg_dump versions: an older pg_dump is refused with both versions and a hint") {
  CHECK(check_dump_compatible(15, 150004));
  CHECK(check_dump_compatible(16, 150004));  // newer pg_dump dumps older servers
  CHECK(check_dump_compatible(15, 90624));
  const auto refused = check_dump_compatible(14, 150004);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::config);
  CHECK(refused.error().message ==
        "pg_dump 14 is older than the PostgreSQL server 15.4 and cannot dump it (hint: install "
        "postgresql-client-15 or newer, or set PG_DUMP to a pg_dump of major version 15 or "
        "later)");
}

TEST_CASE("pg_dump versions: pg_dump_version parses a (fake) pg_dump's answer") {
  FakePgDump fake("exit 3");
  const auto version = pg_dump_version(fake.path());
  REQUIRE_MESSAGE(version, version.error().message);
  CHECK(*version == "15.4");
}

TEST_CASE("pg_dump versions: a program that is not pg_dump is refused") {
  TempDir dir;
  const std::string path = dir.write_file("pg_dump", "#!/bin/sh\necho 'hello'\n", true);
  const auto version = pg_dump_version(path);
  REQUIRE_FALSE(version);
  CHECK(version.error().kind == ErrorKind::config);
  CHECK(version.error().message ==
        path +
            " --version printed \"hello\", not a pg_dump version (hint: install "
            "postgresql-client or set PG_DUMP)");
}

TEST_CASE("pg_dump versions: pg_dump missing from the child's PATH is a config error with a hint") {
  const auto version = pg_dump_version("pg_dump", {{"PATH", "/nonexistent"}});
  REQUIRE_FALSE(version);
  CHECK(version.error().kind == ErrorKind::config);
  CHECK(version.error().message ==
        "pg_dump not found on PATH=/nonexistent (hint: install postgresql-client or set PG_DUMP)");

  PgDumpOptions options;
  options.program = "/nonexistent/pg_dump";
  StringSink out;
  Cancellation cancellation;
  const auto dumped = run_pg_dump(options, out, {}, cancellation);
  REQUIRE_FALSE(dumped);
  CHECK(dumped.error().kind == ErrorKind::config);
  CHECK(dumped.error().message ==
        "pg_dump not found at /nonexistent/pg_dump (hint: install postgresql-client or set "
        "PG_DUMP)");
}

// ---------------------------------------------------------------------------------------------
// run_pg_dump with fakes

TEST_CASE("run_pg_dump: the stream, byte for byte, with the version in the stats") {
  FakePgDump fake("printf 'PGDMP'; head -c 1000000 /dev/zero | tr '\\0' d; printf 'end'");
  StringSink out;
  Cancellation cancellation;
  const auto stats = run_pg_dump(fake_options(fake), out, {}, cancellation);
  REQUIRE_MESSAGE(stats, stats.error().message);
  CHECK(stats->bytes == 1000008);
  CHECK(out.data().size() == 1000008);
  CHECK(out.data().starts_with("PGDMPddd"));
  CHECK(out.data().ends_with("dend"));
  CHECK(stats->exit_status.success());
  CHECK(stats->pg_dump_version == "15.4");
}

TEST_CASE("run_pg_dump: argv holds no password; the environment has PGPASSWORD and read-only") {
  FakePgDump fake(
      "printf '%s\\n' \"$@\" > \"$DIR/args\"\n"
      "cat /proc/$$/cmdline > \"$DIR/cmdline\"\n"
      "env > \"$DIR/env\"\n"
      "printf PGDMP");
  PgDumpOptions options = fake_options(fake);
  options.extra_arguments = {"--exclude-table-data=llx_session"};
  // Database settings come from `settings` only: these must not reach the child.
  options.base_environment["PGPASSWORD"] = "leaked-from-base";
  options.base_environment["PGHOST"] = "wrong-host";
  StringSink out;
  Cancellation cancellation;
  const auto stats = run_pg_dump(options, out, {}, cancellation);
  REQUIRE_MESSAGE(stats, stats.error().message);

  CHECK(split_lines(fake.read("args")) ==
        std::vector<std::string>{"--format=custom", "--no-password",
                                 "--exclude-table-data=llx_session"});
  const std::string cmdline = fake.read("cmdline");
  CHECK(cmdline.find("--no-password") != std::string::npos);
  CHECK(cmdline.find(kFakePassword) == std::string::npos);

  std::set<std::string> environment;
  for (const std::string& line : split_lines(fake.read("env"))) {
    if (!line.starts_with("PWD=")) environment.insert(line);  // the shell adds PWD itself
  }
  CHECK(environment == std::set<std::string>{
                           "PATH=/usr/bin:/bin",
                           "LANG=C",
                           "PGHOST=127.0.0.1",
                           "PGPORT=5999",
                           "PGDATABASE=dolibarr",
                           "PGUSER=backup",
                           "PGSSLMODE=disable",
                           "PGOPTIONS=-c statement_timeout=0 -c default_transaction_read_only=on",
                           "PGPASSWORD=" + std::string(kFakePassword),
                       });
}

TEST_CASE("run_pg_dump: PGOPTIONS is just the read-only default when the settings have none") {
  FakePgDump fake("echo \"$PGOPTIONS\" > \"$DIR/options\"; printf PGDMP");
  PgDumpOptions options = fake_options(fake);
  options.settings.params.erase("options");
  StringSink out;
  Cancellation cancellation;
  REQUIRE(run_pg_dump(options, out, {}, cancellation));
  CHECK(fake.read("options") == "-c default_transaction_read_only=on\n");
}

TEST_CASE("run_pg_dump: without the belt PGOPTIONS is the settings' own, or unset") {
  FakePgDump fake("echo \"${PGOPTIONS-unset}\" > \"$DIR/options\"; printf PGDMP");
  PgDumpOptions options = fake_options(fake);
  options.read_only_default = false;  // the pre-flight found the options parameter refused
  StringSink out;
  Cancellation cancellation;
  REQUIRE(run_pg_dump(options, out, {}, cancellation));
  CHECK(fake.read("options") == "-c statement_timeout=0\n");
  options.settings.params.erase("options");
  REQUIRE(run_pg_dump(options, out, {}, cancellation));
  CHECK(fake.read("options") == "unset\n");
}

TEST_CASE("run_pg_dump: data then exit 1 fails with the stderr tail and the bytes streamed") {
  FakePgDump fake(
      "printf 'PGDMP-partial'\n"
      "echo 'pg_dump: error: query failed: ERROR:  permission denied for table llx_user' >&2\n"
      "echo 'pg_dump: detail: Query was: LOCK TABLE public.llx_user IN ACCESS SHARE MODE' >&2\n"
      "exit 1");
  StringSink out;
  Lines lines;
  Cancellation cancellation;
  const auto stats = run_pg_dump(fake_options(fake), out, lines.callback(), cancellation);
  REQUIRE_FALSE(stats);
  CHECK(stats.error().kind == ErrorKind::permanent);
  CHECK(stats.error().message ==
        "pg_dump exited with status 1 after streaming 13 bytes: pg_dump: error: query failed: "
        "ERROR:  permission denied for table llx_user | pg_dump: detail: Query was: LOCK TABLE "
        "public.llx_user IN ACCESS SHARE MODE");
  CHECK(out.data() == "PGDMP-partial");  // written; the caller aborts the sink
  CHECK(lines.get().size() == 2);
}

TEST_CASE("run_pg_dump: a pg_dump killed by SIGKILL fails naming the signal") {
  FakePgDump fake("printf PGDMP; echo 'out of memory, probably' >&2; kill -KILL $$");
  StringSink out;
  Cancellation cancellation;
  const auto stats = run_pg_dump(fake_options(fake), out, {}, cancellation);
  REQUIRE_FALSE(stats);
  CHECK(stats.error().kind == ErrorKind::permanent);
  CHECK(stats.error().message ==
        "pg_dump was killed by signal 9 (SIGKILL) after streaming 5 bytes: out of memory, "
        "probably");
}

TEST_CASE("run_pg_dump: output without the PGDMP signature is corrupt and never reaches the sink") {
  FakePgDump fake("printf 'hello world, this is plain SQL'; sleep 30");
  StringSink out;
  Cancellation cancellation;
  const auto start = Clock::now();
  const auto stats = run_pg_dump(fake_options(fake), out, {}, cancellation);
  REQUIRE_FALSE(stats);
  CHECK(Clock::now() - start < 3s);  // the child is stopped, not waited for
  CHECK(stats.error().kind == ErrorKind::corrupt);
  CHECK(stats.error().message ==
        "pg_dump output does not start with the custom-format signature PGDMP (it starts with "
        "\"hello\") (hint: extra pg_dump arguments must not change --format or add --file)");
  CHECK(out.writes() == 0);
}

TEST_CASE("run_pg_dump: the signature may arrive split across reads") {
  // Reads of one byte split the signature whatever the pipe holds: no timing involved.
  FakePgDump fake("printf 'PG'; printf 'D'; printf 'MP rest'");
  StringSink out;
  Cancellation cancellation;
  PgDumpOptions options = fake_options(fake);
  options.read_size = 1;
  const auto stats = run_pg_dump(options, out, {}, cancellation);
  REQUIRE_MESSAGE(stats, stats.error().message);
  CHECK(out.data() == "PGDMP rest");
  CHECK(out.writes() == 6);  // the signature once it was whole, then each byte as it came
}

TEST_CASE("run_pg_dump: a successful exit with (almost) no output is corrupt") {
  FakePgDump fake("printf 'PGD'");
  StringSink out;
  Cancellation cancellation;
  const auto stats = run_pg_dump(fake_options(fake), out, {}, cancellation);
  REQUIRE_FALSE(stats);
  CHECK(stats.error().kind == ErrorKind::corrupt);
  CHECK(stats.error().message ==
        "pg_dump exited successfully but wrote only 3 bytes, not a custom-format archive");
}

TEST_CASE("run_pg_dump: the password is redacted from stderr lines and from the error") {
  FakePgDump fake("echo \"connecting with $PGPASSWORD\" >&2; exit 2");
  StringSink out;
  Lines lines;
  Cancellation cancellation;
  const auto stats = run_pg_dump(fake_options(fake), out, lines.callback(), cancellation);
  REQUIRE_FALSE(stats);
  CHECK(lines.get() == std::vector<std::string>{"connecting with <redacted>"});
  CHECK(stats.error().message ==
        "pg_dump exited with status 2 after streaming 0 bytes: connecting with <redacted>");
}

TEST_CASE("run_pg_dump: cancellation mid-dump kills pg_dump and returns cancelled promptly") {
  // The signal arrives while pg_dump is running: the moment its first bytes reach the sink.
  FakePgDump fake("echo $$ > \"$DIR/pid\"; printf PGDMP; exec sleep 30");
  Cancellation cancellation;
  CancelOnFirstWrite out(cancellation, SIGTERM);
  const auto start = Clock::now();
  const auto stats = run_pg_dump(fake_options(fake), out, {}, cancellation);
  const auto took = Clock::now() - start;
  REQUIRE_FALSE(stats);
  CHECK(stats.error().kind == ErrorKind::cancelled);
  CHECK(stats.error().message == "pg_dump cancelled after streaming 5 bytes");
  CHECK(took < 1500ms);
  const pid_t pid = std::stoi(fake.read("pid"));
  CHECK(is_gone(pid));
}

TEST_CASE("run_pg_dump: cancelled before it starts, nothing runs") {
  FakePgDump fake("touch \"$DIR/ran\"; printf PGDMP");
  StringSink out;
  Cancellation cancellation;
  cancellation.cancel(SIGINT);
  const auto stats = run_pg_dump(fake_options(fake), out, {}, cancellation);
  REQUIRE_FALSE(stats);
  CHECK(stats.error().kind == ErrorKind::cancelled);
  CHECK(fake.read("ran").empty());
}

TEST_CASE("run_pg_dump: a failing sink stops pg_dump and its error comes back, kind kept") {
  FakePgDump fake("echo $$ > \"$DIR/pid\"; printf PGDMP; exec sleep 30");
  StringSink out(/*fail_on_write=*/1);
  Cancellation cancellation;
  const auto start = Clock::now();
  const auto stats = run_pg_dump(fake_options(fake), out, {}, cancellation);
  REQUIRE_FALSE(stats);
  CHECK(Clock::now() - start < 1500ms);
  CHECK(stats.error().kind == ErrorKind::transient);
  CHECK(stats.error().message ==
        "writing pg_dump output after 0 bytes: part upload failed: 503 SlowDown");
  CHECK(is_gone(std::stoi(fake.read("pid"))));
}

// ---------------------------------------------------------------------------------------------
// Against the real server

PgDumpOptions real_options(const PgTestServer& server) {
  PgDumpOptions options;
  options.settings = server.settings();
  options.base_environment = {{"PATH", server.bin_dir() + ":/usr/bin:/bin"}, {"LANG", "C"}};
  return options;
}

TEST_CASE("run_pg_dump (real pg_dump): the archive streams and pg_restore --list accepts it") {
  PgTestServer& server = testing::seeded_server();
  StringSink out;
  Lines lines;
  Cancellation cancellation;
  const auto stats = run_pg_dump(real_options(server), out, lines.callback(), cancellation);
  REQUIRE_MESSAGE(stats, stats.error().message);
  CHECK(out.data().starts_with("PGDMP"));
  CHECK(stats->bytes == out.data().size());
  CHECK(stats->exit_status.success());
  const auto major = pg_major_version(stats->pg_dump_version);
  REQUIRE(major);
  const auto info = inspect_database(server.settings());
  REQUIRE(info);
  CHECK(check_dump_compatible(*major, info->server_version_num));

  // Fed through a pipe, as restore and verify will: no file anywhere.
  process::SpawnOptions restore;
  restore.program = "pg_restore";
  restore.arguments = {"--list"};
  restore.environment.set("PATH", server.bin_dir() + ":/usr/bin:/bin");
  restore.stdin_mode = process::Stdio::pipe;
  auto child = process::ChildProcess::spawn(restore);
  REQUIRE_MESSAGE(child, child.error().message);
  Result<void> fed;
  std::thread feeder([&] {
    fed = child->write_stdin(out.data());
    child->close_stdin();
  });
  std::string listing;
  char buffer[4096];
  for (ssize_t n; (n = ::read(child->stdout_fd(), buffer, sizeof buffer)) > 0;) {
    listing.append(buffer, static_cast<std::size_t>(n));
  }
  feeder.join();
  const process::ExitStatus status = child->wait();
  CHECK_MESSAGE(status.success(), child->stderr_tail_text());
  CHECK(fed);
  CAPTURE(listing);
  for (const char* table : {"llx_societe", "llx_facture", "llx_user", "llxaudit"}) {
    CHECK(listing.find(std::string("TABLE public ") + table + " ") != std::string::npos);
    CHECK(listing.find(std::string("TABLE DATA public ") + table + " ") != std::string::npos);
  }
  CHECK(listing.find("VIEW public llx_societe_names") != std::string::npos);
}

TEST_CASE("run_pg_dump (real pg_dump): a wrong password fails with pg_dump's words, no password") {
  PgTestServer& server = testing::seeded_server();
  PgDumpOptions options = real_options(server);
  options.settings.password = Secret(std::string("Wrong-pw-9vQz"));
  StringSink out;
  Cancellation cancellation;
  const auto stats = run_pg_dump(options, out, {}, cancellation);
  REQUIRE_FALSE(stats);
  CAPTURE(stats.error().message);
  CHECK(stats.error().kind == ErrorKind::permanent);
  CHECK(
      stats.error().message.starts_with("pg_dump exited with status 1 after streaming 0 bytes: "
                                        "pg_dump: error: connection to server at"));
  CHECK(stats.error().message.find("password authentication failed for user "
                                   "\"erp_backup_test\"") != std::string::npos);
  CHECK(stats.error().message.find("Wrong-pw-9vQz") == std::string::npos);
  CHECK(out.writes() == 0);
}

TEST_CASE("run_pg_dump (real psql as pg_dump): the child's session really is read-only") {
  // A libpq client given exactly pg_dump's environment: it connects with PGPASSWORD and
  // PGOPTIONS, sees default_transaction_read_only=on, and cannot write.
  PgTestServer& server = testing::seeded_server();
  FakePgDump fake(
      "psql -X -A -t -c 'SHOW default_transaction_read_only' >&2\n"
      "psql -X -q -c 'CREATE TABLE written_by_backup (x int)' 2>&1 | sed 's/^/psql: /' >&2\n"
      "printf PGDMP");
  PgDumpOptions options = real_options(server);
  options.program = fake.path();
  StringSink out;
  Lines lines;
  Cancellation cancellation;
  const auto stats = run_pg_dump(options, out, lines.callback(), cancellation);
  REQUIRE_MESSAGE(stats, stats.error().message);
  const std::vector<std::string> seen = lines.get();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "on");
  CHECK(seen[1] == "psql: ERROR:  cannot execute CREATE TABLE in a read-only transaction");
}

}  // namespace
}  // namespace erp::pg
