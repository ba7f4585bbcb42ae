// ChildProcess: what the child gets (argv, exactly its environment, fds 0-2 only, a clean
// signal state), how its end is reported, and that it never outlives its object.
#include "process/child_process.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
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
#include <type_traits>
#include <vector>

#include "fakes/temp_dir.h"

namespace erp::process {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

static_assert(!std::is_copy_constructible_v<ChildProcess>);
static_assert(std::is_nothrow_move_constructible_v<ChildProcess>);
static_assert(!std::is_copy_constructible_v<ChildEnvironment>, "it may hold credentials");

SpawnOptions shell(const std::string& script) {
  SpawnOptions options;
  options.program = "/bin/sh";
  options.arguments = {"-c", script};
  options.environment.set("PATH", "/usr/bin:/bin");
  return options;
}

ChildProcess spawn_ok(const SpawnOptions& options) {
  auto child = ChildProcess::spawn(options);
  REQUIRE_MESSAGE(child.has_value(), child.error().message);
  return std::move(*child);
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

std::string read_proc(pid_t pid, const char* what) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + what, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Not running: gone, or a zombie waiting for someone else (init) to reap it.
bool is_dead(pid_t pid) {
  if (::kill(pid, 0) == -1 && errno == ESRCH) return true;
  const std::string stat = read_proc(pid, "stat");
  const auto end_of_name = stat.rfind(')');
  return end_of_name != std::string::npos && stat.compare(end_of_name, 3, ") Z") == 0;
}

bool is_gone(pid_t pid) {
  // Reaped (not our child any more) and not running: no zombie left behind.
  const bool not_child = waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD;
  const bool not_running = ::kill(pid, 0) == -1 && errno == ESRCH;
  return not_child && not_running;
}

TEST_CASE("ChildProcess: the exit code is reported as it is") {
  for (const int code : {0, 1, 3, 255}) {
    CAPTURE(code);
    ChildProcess child = spawn_ok(shell("exit " + std::to_string(code)));
    const ExitStatus status = child.wait();
    CHECK(status == ExitStatus{.exit_code = code, .signal = 0});
    CHECK(status.success() == (code == 0));
    const auto checked = child.check(status);
    CHECK(checked.has_value() == (code == 0));
    if (!checked) {
      CHECK(checked.error().kind == ErrorKind::permanent);
      CHECK(checked.error().message == "sh exited with status " + std::to_string(code));
    }
  }
}

TEST_CASE("ChildProcess: a child killed by a signal reports the signal by number and name") {
  ChildProcess child = spawn_ok(shell("echo about to die >&2; kill -KILL $$"));
  const ExitStatus status = child.wait();
  CHECK(status.signal == SIGKILL);
  CHECK_FALSE(status.success());
  CHECK(status.describe() == "was killed by signal 9 (SIGKILL)");
  const auto checked = child.check(status);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message == "sh was killed by signal 9 (SIGKILL): about to die");
}

TEST_CASE("ChildProcess: signal names, and numbers without one") {
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(SIGPIPE) == "SIGPIPE");
  CHECK(signal_name(1000) == "signal 1000");
}

TEST_CASE("ChildProcess: stdout is a pipe the parent reads to the end") {
  ChildProcess child = spawn_ok(shell("printf 'hello\\nworld'"));
  CHECK(read_all(child.stdout_fd()) == "hello\nworld");
  CHECK(child.wait().success());
}

TEST_CASE("ChildProcess: stdout to /dev/null gives no pipe") {
  SpawnOptions options = shell("echo ignored");
  options.stdout_mode = Stdio::null;
  ChildProcess child = spawn_ok(options);
  CHECK(child.stdout_fd() == -1);
  CHECK(child.wait().success());
}

TEST_CASE(
    "ChildProcess: every stderr line reaches the callback in order; the tail keeps the last") {
  std::mutex mutex;
  std::vector<std::string> seen;
  SpawnOptions options = shell(
      "i=1; while [ $i -le 30 ]; do echo \"line $i\" >&2; i=$((i+1)); done;"
      "printf 'crlf\\r\\n' >&2; printf 'no newline at the end' >&2; exit 2");
  options.on_stderr_line = [&](std::string_view line) {
    std::lock_guard lock(mutex);
    seen.emplace_back(line);
  };
  ChildProcess child = spawn_ok(options);
  const ExitStatus status = child.wait();
  CHECK(status.exit_code == 2);

  std::vector<std::string> expected;
  for (int i = 1; i <= 30; ++i) expected.push_back("line " + std::to_string(i));
  expected.push_back("crlf");
  expected.push_back("no newline at the end");
  {
    std::lock_guard lock(mutex);
    CHECK(seen == expected);  // complete once wait() returned
  }
  const std::vector<std::string> tail = child.stderr_tail();
  CHECK(tail == std::vector<std::string>(expected.end() - 20, expected.end()));
  const std::string text = child.stderr_tail_text();
  CHECK(text.starts_with("line 13 | line 14 | "));
  CHECK(text.ends_with("line 30 | crlf | no newline at the end"));
  const auto checked = child.check(status);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message == "sh exited with status 2: " + text);
}

TEST_CASE("ChildProcess: a very long stderr line arrives in pieces of at most kMaxStderrLine") {
  std::vector<std::size_t> sizes;
  SpawnOptions options = shell("head -c 10000 /dev/zero | tr '\\0' x >&2; echo >&2; echo end >&2");
  options.on_stderr_line = [&](std::string_view line) { sizes.push_back(line.size()); };
  ChildProcess child = spawn_ok(options);
  CHECK(child.wait().success());
  CHECK(sizes ==
        std::vector<std::size_t>{kMaxStderrLine, kMaxStderrLine, 10000 - 2 * kMaxStderrLine, 3});
}

TEST_CASE("ChildProcess: the tail text stays short and keeps the newest lines") {
  SpawnOptions options = shell(
      "i=1; while [ $i -le 20 ]; do head -c 300 /dev/zero | tr '\\0' a >&2; echo \" $i\" >&2;"
      "i=$((i+1)); done");
  ChildProcess child = spawn_ok(options);
  CHECK(child.wait().success());
  const std::string text = child.stderr_tail_text();
  CHECK(text.size() <= 2100);
  CHECK(text.ends_with(" 20"));
}

TEST_CASE("ChildProcess: the environment is exactly the one given, and argv carries none of it") {
  SpawnOptions options;
  options.program = "cat";  // found through the child's PATH; blocks on stdin until closed
  options.stdin_mode = Stdio::pipe;
  options.environment.set("PATH", "/usr/bin:/bin");
  options.environment.set("LANG", "C");
  options.environment.set_secret("PGPASSWORD", Secret(std::string("pw-Kx81-in-env-only")));
  ChildProcess child = spawn_ok(options);

  // posix_spawn returns once the child is inside execve, before the new image has its
  // environment in place: wait until cat has echoed a byte, so /proc shows the real thing.
  REQUIRE(child.write_stdin(std::string("x\n")));
  REQUIRE(read_line(child.stdout_fd()) == "x");
  const std::string environ = read_proc(child.pid(), "environ");
  const std::string cmdline = read_proc(child.pid(), "cmdline");
  using namespace std::string_literals;
  CHECK(environ == "PATH=/usr/bin:/bin\0LANG=C\0PGPASSWORD=pw-Kx81-in-env-only\0"s);
  CHECK(cmdline == "cat\0"s);
  CHECK(cmdline.find("pw-Kx81") == std::string::npos);

  child.close_stdin();
  CHECK(child.wait().success());
}

TEST_CASE("ChildProcess: nothing of the parent's environment leaks into the child") {
  setenv("ERP_PARENT_ONLY", "leak", 1);
  SpawnOptions options;
  options.program = "/usr/bin/env";
  ChildProcess child = spawn_ok(options);
  CHECK(read_all(child.stdout_fd()).empty());
  CHECK(child.wait().success());
  unsetenv("ERP_PARENT_ONLY");
}

TEST_CASE("ChildProcess: only stdin, stdout and stderr are open in the child") {
  // A descriptor opened without O_CLOEXEC, as a careless library would.
  const int leaky = open("/dev/null", O_RDONLY);
  REQUIRE(leaky >= 0);
  ChildProcess child = spawn_ok(shell("ls /proc/$$/fd"));
  std::istringstream listing(read_all(child.stdout_fd()));
  std::set<std::string> fds;
  for (std::string fd; listing >> fd;) fds.insert(fd);
  CHECK(child.wait().success());
  close(leaky);
  CHECK(fds == std::set<std::string>{"0", "1", "2"});
}

TEST_CASE("ChildProcess: the child starts with an empty signal mask and default dispositions") {
  // The program blocks SIGTERM and ignores SIGPIPE (core/cancellation.cc); do the same here
  // so that the test proves the child does not inherit either.
  sigset_t term, previous_mask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &previous_mask);
  const auto previous_pipe = signal(SIGPIPE, SIG_IGN);

  ChildProcess by_term = spawn_ok(shell("kill -TERM $$; sleep 5"));
  ChildProcess by_pipe = spawn_ok(shell("kill -PIPE $$; sleep 5"));
  // grep reads its own status (a shell's would show the mask it sets around its forks).
  SpawnOptions grep;
  grep.program = "/bin/grep";
  grep.arguments = {"-E", "^(SigBlk|SigIgn):", "/proc/self/status"};
  ChildProcess reports = spawn_ok(grep);
  std::istringstream status_lines(read_all(reports.stdout_fd()));
  CHECK(by_term.wait().signal == SIGTERM);
  CHECK(by_pipe.wait().signal == SIGPIPE);
  CHECK(reports.wait().success());
  std::string blocked, ignored;
  status_lines >> blocked >> blocked >> ignored >> ignored;
  CHECK(blocked == "0000000000000000");
  // Signals 1-31 at their defaults. glibc's posix_spawn leaves its two internal real-time
  // signals (32, 33: bits 0x180000000) ignored by design; every glibc program reinstalls them.
  CHECK((std::stoull(ignored, nullptr, 16) & 0x7fffffffULL) == 0);

  signal(SIGPIPE, previous_pipe);
  pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
}

TEST_CASE("ChildProcess: the child leads its own process group") {
  ChildProcess child = spawn_ok(shell("cut -d' ' -f5 /proc/$$/stat"));
  const std::string pgid = read_all(child.stdout_fd());
  CHECK(child.wait().success());
  CHECK(std::stoi(pgid) == child.pid());
}

TEST_CASE("ChildProcess: a program that cannot be started is named, with the PATH and the hint") {
  SUBCASE("a bare name not on the child's PATH") {
    SpawnOptions options;
    options.program = "erp-no-such-program";
    options.environment.set("PATH", "/nonexistent:/usr/bin");
    options.hint = "install it";
    const auto child = ChildProcess::spawn(options);
    REQUIRE_FALSE(child);
    CHECK(child.error().kind == ErrorKind::config);
    CHECK(child.error().message ==
          "erp-no-such-program not found on PATH=/nonexistent:/usr/bin (hint: install it)");
  }
  SUBCASE("without PATH, the default one is searched, never the parent's") {
    SpawnOptions options;
    options.program = "erp-no-such-program";
    const auto child = ChildProcess::spawn(options);
    REQUIRE_FALSE(child);
    CHECK(child.error().message ==
          "erp-no-such-program not found on PATH=/usr/local/bin:/usr/bin:/bin");
  }
  SUBCASE("a path that does not exist") {
    SpawnOptions options;
    options.program = "/nonexistent/pg_dump";
    options.hint = "install postgresql-client or set PG_DUMP";
    const auto child = ChildProcess::spawn(options);
    REQUIRE_FALSE(child);
    CHECK(child.error().kind == ErrorKind::config);
    CHECK(child.error().message ==
          "pg_dump not found at /nonexistent/pg_dump (hint: install postgresql-client or set "
          "PG_DUMP)");
  }
  SUBCASE("a file that is not executable") {
    testing::TempDir dir;
    SpawnOptions options;
    options.program = dir.write_file("tool", "#!/bin/sh\n", /*executable=*/false);
    const auto child = ChildProcess::spawn(options);
    REQUIRE_FALSE(child);
    CHECK(child.error().kind == ErrorKind::config);
    CHECK(child.error().message.starts_with("cannot start tool (" + options.program + "): "));
    CHECK(child.error().message.find("Permission denied") != std::string::npos);
  }
}

TEST_CASE("ChildProcess: the destructor terminates and reaps an unfinished child") {
  pid_t pid = -1;
  const auto start = Clock::now();
  {
    ChildProcess child = spawn_ok(shell("sleep 30"));
    pid = child.pid();
    CHECK(::kill(pid, 0) == 0);
  }
  CHECK(Clock::now() - start < 2s);
  CHECK(is_gone(pid));
}

TEST_CASE("ChildProcess: terminate() escalates to SIGKILL when SIGTERM is ignored") {
  SpawnOptions options = shell("trap '' TERM; echo ready; while :; do sleep 0.05; done");
  options.terminate_grace = 200ms;
  ChildProcess child = spawn_ok(options);
  REQUIRE(read_line(child.stdout_fd()) == "ready");
  const auto start = Clock::now();
  const ExitStatus status = child.terminate();
  const auto took = Clock::now() - start;
  CHECK(status.signal == SIGKILL);
  CHECK(took >= 200ms);
  CHECK(took < 1500ms);
  CHECK(is_gone(child.pid()));
}

TEST_CASE("ChildProcess: the destructor escalates too, within its bound") {
  SpawnOptions options = shell("trap '' TERM; echo ready; while :; do sleep 0.05; done");
  options.terminate_grace = 200ms;
  pid_t pid = -1;
  const auto start = Clock::now();
  {
    ChildProcess child = spawn_ok(options);
    pid = child.pid();
    REQUIRE(read_line(child.stdout_fd()) == "ready");
  }
  CHECK(Clock::now() - start < 1500ms);
  CHECK(is_gone(pid));
}

TEST_CASE("ChildProcess: kill() signals the child; wait() returns the same status every time") {
  ChildProcess child = spawn_ok(shell("sleep 30"));
  CHECK_FALSE(child.try_wait().has_value());
  child.kill(SIGUSR1);
  const ExitStatus status = child.wait();
  CHECK(status.signal == SIGUSR1);
  CHECK(child.wait() == status);
  CHECK(child.try_wait() == status);
  CHECK(child.terminate() == status);
  child.kill(SIGKILL);  // after the reap: nothing, and no one else's process
  CHECK(child.wait() == status);
}

TEST_CASE("ChildProcess: kill() reaches the whole process group") {
  ChildProcess child = spawn_ok(shell("sleep 30 & echo $!; wait"));
  const pid_t grandchild = std::stoi(read_line(child.stdout_fd()));
  child.kill(SIGTERM);
  CHECK(child.wait().signal == SIGTERM);
  // The grandchild was ours only through the group; init reaps it, so poll briefly.
  const auto deadline = Clock::now() + 2s;
  while (!is_dead(grandchild) && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  CHECK(is_dead(grandchild));
}

TEST_CASE(
    "ChildProcess: wait(cancellation) returns cancelled promptly and leaves the child running") {
  Cancellation cancellation;
  ChildProcess child = spawn_ok(shell("sleep 30"));
  // Cancelled from another thread, before or while wait() blocks: either way wait()
  // must end with `cancelled` long before the child would.
  std::thread canceller([&] { cancellation.cancel(SIGTERM); });
  const auto start = Clock::now();
  const auto status = child.wait(cancellation);
  const auto took = Clock::now() - start;
  canceller.join();
  REQUIRE_FALSE(status);
  CHECK(status.error().kind == ErrorKind::cancelled);
  CHECK(took < 1s);
  CHECK_FALSE(child.try_wait().has_value());
  CHECK(child.terminate().signal == SIGTERM);
}

TEST_CASE("ChildProcess: wait(cancellation) returns the status of a child that ends") {
  Cancellation cancellation;
  ChildProcess child = spawn_ok(shell("sleep 0.1; exit 4"));
  const auto status = child.wait(cancellation);
  REQUIRE(status);
  CHECK(status->exit_code == 4);
}

TEST_CASE("ChildProcess: write_stdin feeds the child, and close_stdin ends its input") {
  SpawnOptions options;
  options.program = "/bin/cat";
  options.stdin_mode = Stdio::pipe;
  ChildProcess child = spawn_ok(options);
  // More than a pipe holds, so the writer must wait for the reader: read on another thread.
  const std::string data(300000, 'z');
  std::string echoed;
  std::thread reader([&] { echoed = read_all(child.stdout_fd()); });
  CHECK(child.write_stdin(data));
  child.close_stdin();
  reader.join();
  CHECK(echoed == data);
  CHECK(child.wait().success());
}

TEST_CASE("ChildProcess: writing to a child that stopped reading is an error, not SIGPIPE") {
  // Default SIGPIPE action would kill this test binary; write_stdin must not let it.
  const auto previous = signal(SIGPIPE, SIG_DFL);
  SpawnOptions options = shell("exit 0");
  options.stdin_mode = Stdio::pipe;
  ChildProcess child = spawn_ok(options);
  CHECK(child.wait().success());
  const auto written = child.write_stdin(std::string(10, 'x'));
  REQUIRE_FALSE(written);
  CHECK(written.error().kind == ErrorKind::permanent);
  CHECK(written.error().message == "sh stopped reading its input");
  sigset_t pending;
  sigpending(&pending);
  CHECK(sigismember(&pending, SIGPIPE) == 0);
  signal(SIGPIPE, previous);
}

TEST_CASE("ChildProcess: a grandchild holding stderr open does not hang wait()") {
  ChildProcess child = spawn_ok(shell("sleep 3 >/dev/null & echo done >&2; exit 0"));
  const auto start = Clock::now();
  CHECK(child.wait().success());
  CHECK(Clock::now() - start < 2s);
  CHECK(child.stderr_tail() == std::vector<std::string>{"done"});
}

TEST_CASE("ChildProcess: moving carries the child; assigning over one reaps the old") {
  ChildProcess first = spawn_ok(shell("exit 7"));
  ChildProcess moved(std::move(first));
  CHECK(moved.wait().exit_code == 7);

  ChildProcess running = spawn_ok(shell("sleep 30"));
  const pid_t old_pid = running.pid();
  running = spawn_ok(shell("exit 5"));
  CHECK(is_gone(old_pid));
  CHECK(running.wait().exit_code == 5);
}

TEST_CASE("ChildProcess: an inherited descriptor is the child's fd 3, and nothing else leaks") {
  const int memory = memfd_create("use-list", MFD_CLOEXEC);
  REQUIRE(memory >= 0);
  const std::string content = "215; 1259 16385 TABLE public llx_societe erp\n";
  REQUIRE(::write(memory, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  const int unrelated = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: still must not leak
  REQUIRE(unrelated >= 0);
  SpawnOptions options = shell("cat /dev/fd/3; ls /proc/self/fd | sort -n | tr '\\n' ' '");
  options.inherit_as_fd3 = memory;
  const auto output = run_to_completion(options);
  ::close(memory);
  ::close(unrelated);
  REQUIRE_MESSAGE(output.has_value(), output.error().message);
  CHECK(output->starts_with(content));
  // 0, 1, 2, 3 and the descriptor ls itself opens to list the directory: nothing more.
  CHECK(output->substr(content.size()) == "0 1 2 3 4 ");
}

TEST_CASE("ChildProcess: run_to_completion returns stdout, or the failure with stderr") {
  const auto ok = run_to_completion(shell("echo out; echo err >&2"));
  REQUIRE(ok);
  CHECK(*ok == "out\n");

  const auto failed = run_to_completion(shell("echo partial; echo 'it broke' >&2; exit 3"));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message == "sh exited with status 3: it broke");

  const auto too_much = run_to_completion(shell("head -c 5000 /dev/zero; sleep 30"), 1000);
  REQUIRE_FALSE(too_much);
  CHECK(too_much.error().message == "sh wrote more than 1000 bytes to stdout");
}

TEST_CASE("process::ChildEnvironment: set replaces in place, unset removes, secrets are redacted") {
  ChildEnvironment environment;
  environment.set("A", "1");
  environment.set_secret("PGPASSWORD", Secret(std::string("hunter2-secret")));
  environment.set("B", "x=y");
  environment.set("A", "2");
  environment.set("", "ignored");
  environment.set("BAD=NAME", "ignored");
  CHECK(environment.size() == 3);
  CHECK(environment.get("A") == "2");
  CHECK(environment.get("B") == "x=y");
  CHECK(environment.get("PGPASSWORD") == "hunter2-secret");
  CHECK_FALSE(environment.get("C").has_value());
  CHECK(environment.redacted() == "A=2\nPGPASSWORD=<redacted>\nB=x=y\n");

  const std::vector<char*> envp = environment.envp();
  REQUIRE(envp.size() == 4);
  CHECK(std::string(envp[0]) == "A=2");
  CHECK(std::string(envp[1]) == "PGPASSWORD=hunter2-secret");
  CHECK(envp[3] == nullptr);

  environment.unset("PGPASSWORD");
  CHECK(environment.size() == 2);
  CHECK(environment.redacted() == "A=2\nB=x=y\n");

  ChildEnvironment moved(std::move(environment));
  CHECK(moved.get("B") == "x=y");
  CHECK(environment.size() == 0);  // NOLINT(bugprone-use-after-move): the moved-from state
}

}  // namespace
}  // namespace erp::process
