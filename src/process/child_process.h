// Starting a child program with pipes, and knowing how it ended.
//
// The child gets exactly what the caller says: an explicit argv, a complete environment
// (nothing of this process's environment leaks through; secrets such as PGPASSWORD go
// there, never in argv, because /proc/<pid>/cmdline is readable by every local user),
// stdin from /dev/null or a pipe, stdout to a pipe (or /dev/null), stderr to a pipe that a
// pump thread reads line by line. Every other descriptor of this process is closed in the
// child. The child's signal mask is emptied and every disposition reset to default: the
// program blocks SIGINT/SIGTERM and ignores SIGPIPE (core/cancellation.h), and a child that
// inherited that could be neither stopped nor told its reader went away.
//
// The child runs in its own process group: a Ctrl-C on the terminal reaches only this
// program, which then stops the child in order (kill()/terminate() signal the whole group,
// so a script's own children go too).
//
// The parts: child_environment.h (the environment), exit_status.h (how it ended, in words),
// stderr_pump.h (the stderr reader), program_lookup.h and pipes.h (what spawn needs),
// child_state.h (waiting, signalling and reaping); spawn.cc starts the child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.h"
#include "core/error.h"
#include "process/child_environment.h"
#include "process/exit_status.h"
#include "process/stderr_pump.h"

namespace erp::process {

enum class Stdio {
  null,  // /dev/null
  pipe,  // a pipe whose other end this process holds
};

struct SpawnOptions {
  // A path (contains '/') or a name looked up in the PATH entry of `environment` (the
  // child's PATH, not this process's), or in /usr/local/bin:/usr/bin:/bin when it has none.
  std::string program;
  // argv[1..]; argv[0] is `program` as written. Never put a secret here (see above).
  std::vector<std::string> arguments;
  // The child's complete environment; nothing is inherited.
  ChildEnvironment environment;
  Stdio stdin_mode = Stdio::null;
  Stdio stdout_mode = Stdio::pipe;
  // Called on the stderr pump thread with each line (no trailing "\n" or "\r"), in order,
  // including a last unterminated one. Must not throw; may be empty. Lines longer than
  // kMaxStderrLine bytes arrive in pieces.
  std::function<void(std::string_view line)> on_stderr_line;
  // How many of the last stderr lines stderr_tail() keeps for error messages.
  std::size_t stderr_tail_lines = 20;
  // The name used in messages; default: the last component of `program`.
  std::string display_name;
  // Appended to a start failure as "(hint: ...)", e.g. "install postgresql-client or set PG_DUMP".
  std::string hint;
  // terminate() and the destructor send SIGTERM, then SIGKILL after this long. Costs at most
  // this much wall time when a child ignores SIGTERM.
  std::chrono::milliseconds terminate_grace{5000};
  // When >= 0: this descriptor (not owned; the caller keeps it open until spawn() returns) is
  // the child's fd 3, e.g. an in-memory file the child opens as /dev/fd/3 (pg_restore's use
  // list). Every other descriptor is closed in the child, as always.
  int inherit_as_fd3 = -1;
  // Best-effort size of the stdout pipe (F_SETPIPE_SZ). Larger means fewer wake-ups per MiB
  // streamed; costs kernel memory (not RSS) of that size.
  int stdout_pipe_size = 1 << 20;
};

// A running (or finished, not yet destroyed) child. Non-copyable, movable.
//
// Lifetime: the destructor of an unfinished child calls terminate() (SIGTERM to its
// group, SIGKILL after terminate_grace) and reaps it; it never leaves a zombie and never
// throws. The parent ends of the pipes are owned and closed by this object.
//
// A moved-from ChildProcess may only be destroyed or assigned to.
//
// Threads: one thread drives an object (spawn, reads, wait, terminate, destruction);
// kill() and stderr_tail() may also be called from other threads at any time. The stderr
// callback runs on the pump thread, which ends before wait()/terminate() return.
class ChildProcess {
 public:
  // Starts the child. Errors: the program not found or not executable → config
  // ("pg_dump not found on PATH=/usr/bin:/bin (hint: ...)"); any other failure (pipes,
  // fork limits) → permanent with the errno text.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ~ChildProcess();
  ChildProcess(ChildProcess&&) noexcept;
  // Terminates and reaps the child this object held, then takes `other`'s.
  ChildProcess& operator=(ChildProcess&&) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const;
  const std::string& name() const;

  // The parent's end of the child's stdout (read it; -1 when not a pipe or closed).
  int stdout_fd() const;
  // Closes stdout early (the child then gets EPIPE/SIGPIPE on its next write).
  void close_stdout();
  // The parent's end of the child's stdin (-1 when not a pipe or closed).
  int stdin_fd() const;
  // Writes all of `data` to the child's stdin, blocking. A child that closed its stdin (or
  // exited) gives a permanent error ("<name> stopped reading its input"), never SIGPIPE,
  // whatever this process's SIGPIPE disposition is.
  Result<void> write_stdin(std::span<const char> data);
  // Closes stdin so the child sees end of input. Idempotent.
  void close_stdin();

  // Sends `signal` to the child's process group; nothing once the child has been reaped
  // (its pid may then belong to someone else). Thread-safe.
  void kill(int signal) noexcept;

  // Blocks until the child ends, reaps it, and waits for stderr to be drained (at most
  // ~1 s more when a grandchild keeps the pipe open). Returns the same status on every call.
  // Read or close stdout first: a child blocked writing to a full pipe never ends.
  ExitStatus wait();
  // Like wait(), but returns `cancelled` as soon as `cancellation` is set; the child is then
  // still running (terminate() it, or let the destructor do it).
  Result<ExitStatus> wait(const Cancellation& cancellation);
  // The status if the child has already ended (reaping it), else nullopt. Never blocks on
  // the child (may wait ~1 s for stderr like wait()).
  std::optional<ExitStatus> try_wait();
  // SIGTERM to the group, SIGKILL after terminate_grace, reap. The status of an already
  // reaped child is returned unchanged.
  ExitStatus terminate() noexcept;
  // The same, with an explicit grace.
  ExitStatus terminate(std::chrono::milliseconds grace) noexcept;

  // The last stderr lines (oldest first). Complete once wait()/terminate() returned.
  std::vector<std::string> stderr_tail() const;
  // The tail as one line for messages: lines trimmed and joined with " | ", the oldest
  // dropped so that it stays within ~2000 bytes.
  std::string stderr_tail_text() const;
  // exit_error(name(), status, stderr_tail_text()) unless status.success().
  Result<void> check(const ExitStatus& status) const;

 private:
  struct State;
  explicit ChildProcess(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Runs a short command to completion (stdin /dev/null) and returns its stdout. Errors: those
// of spawn(); an unsuccessful end → check()'s error; more than `max_stdout` bytes of output
// → permanent (the child is terminated).
Result<std::string> run_to_completion(const SpawnOptions& options,
                                      std::size_t max_stdout = 1 << 20);

}  // namespace erp::process
