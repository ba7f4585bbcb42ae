// ChildProcess::spawn (process/child_process.h): the pipes, posix_spawn's file actions and
// attributes, and the hand-over of everything to a ChildProcess::State.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>
#include <vector>

#include "core/errno_text.h"
#include "process/child_process.h"
#include "process/child_state.h"
#include "process/pipes.h"
#include "process/program_lookup.h"

namespace erp::process {
namespace {

// The three pipes of a child (stdin and stdout only when asked for) and the pump's stop
// signal; whatever is still held when it goes is closed.
struct ChildPipes {
  Pipe in, out, err;
  int stop_fd = -1;  // eventfd that tells the stderr pump to stop waiting for EOF

  ChildPipes() = default;
  ChildPipes(const ChildPipes&) = delete;
  ChildPipes& operator=(const ChildPipes&) = delete;
  ~ChildPipes() {
    in.close_both();
    out.close_both();
    err.close_both();
    close_fd(stop_fd);
  }

  Result<void> open(const SpawnOptions& options) {
    if (options.stdin_mode == Stdio::pipe) {
      auto made = make_pipe();
      if (!made) return std::unexpected(made.error());
      in = *made;
    }
    if (options.stdout_mode == Stdio::pipe) {
      auto made = make_pipe();
      if (!made) return std::unexpected(made.error());
      out = *made;
    }
    auto made = make_pipe();
    if (!made) return std::unexpected(made.error());
    err = *made;
    stop_fd = eventfd(0, EFD_CLOEXEC);
    if (stop_fd < 0) return make_error(ErrorKind::permanent, "eventfd: " + errno_text(errno));
    return {};
  }

  // Closes the ends that belong to the child (it has its own copies once started).
  void close_child_ends() noexcept {
    close_fd(in.read);
    close_fd(out.write);
    close_fd(err.write);
  }
};

// posix_spawn's file actions and attributes for one child, destroyed with the object.
class SpawnPlan {
 public:
  SpawnPlan() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attributes_);
  }
  ~SpawnPlan() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
    close_fd(fd3_copy_);
  }
  SpawnPlan(const SpawnPlan&) = delete;
  SpawnPlan& operator=(const SpawnPlan&) = delete;

  // stdin, stdout and stderr: the pipes' child ends, or /dev/null; `inherit_as_fd3` as fd 3;
  // every other descriptor closed.
  Result<void> set_descriptors(const ChildPipes& pipes, int inherit_as_fd3) {
    if (pipes.in.read >= 0) {
      posix_spawn_file_actions_adddup2(&actions_, pipes.in.read, STDIN_FILENO);
    } else {
      posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    if (pipes.out.write >= 0) {
      posix_spawn_file_actions_adddup2(&actions_, pipes.out.write, STDOUT_FILENO);
    } else {
      posix_spawn_file_actions_addopen(&actions_, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&actions_, pipes.err.write, STDERR_FILENO);
    // The inherited descriptor goes to 3 from a copy above 9, so that dup2 never meets itself
    // (which would keep close-on-exec) nor a pipe end that still sits at 3.
    if (inherit_as_fd3 >= 0) {
      fd3_copy_ = fcntl(inherit_as_fd3, F_DUPFD_CLOEXEC, 10);
      if (fd3_copy_ < 0) {
        return make_error(ErrorKind::permanent, "fcntl(F_DUPFD_CLOEXEC): " + errno_text(errno));
      }
      posix_spawn_file_actions_adddup2(&actions_, fd3_copy_, 3);
    }
    // Everything else goes, whether or not its opener remembered O_CLOEXEC (libraries and
    // other threads open descriptors too).
    posix_spawn_file_actions_addclosefrom_np(&actions_, fd3_copy_ >= 0 ? 4 : 3);
    return {};
  }

  // The child starts with nothing blocked and every signal at its default action: this
  // program blocks SIGINT/SIGTERM and ignores SIGPIPE, and exec would pass both on. (glibc
  // keeps its two internal real-time signals, 32 and 33, ignored; its programs reset them.)
  // It leads a process group of its own.
  void set_signals_and_group() {
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes_, &none);
    posix_spawnattr_setsigdefault(&attributes_, &all);
    posix_spawnattr_setpgroup(&attributes_, 0);
    posix_spawnattr_setflags(
        &attributes_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  }

  // Starts `path`; posix_spawn's error number (0 on success). The fd 3 copy is closed after.
  int spawn(pid_t& pid, const std::string& path, const SpawnOptions& options) {
    std::vector<char*> argv;
    argv.reserve(options.arguments.size() + 2);
    argv.push_back(const_cast<char*>(options.program.c_str()));
    for (const std::string& argument : options.arguments) {
      argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);
    const std::vector<char*> envp = options.environment.envp();
    const int spawned =
        posix_spawn(&pid, path.c_str(), &actions_, &attributes_, argv.data(), envp.data());
    close_fd(fd3_copy_);
    return spawned;
  }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
  int fd3_copy_ = -1;
};

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  const std::string name =
      options.display_name.empty() ? basename_of(options.program) : options.display_name;
  auto path = resolve_program(options.program, options.environment, name, options.hint);
  if (!path) return std::unexpected(path.error());

  ChildPipes pipes;
  if (auto opened = pipes.open(options); !opened) return std::unexpected(opened.error());
  pid_t pid = -1;
  int spawned = 0;
  {
    SpawnPlan plan;
    if (auto set = plan.set_descriptors(pipes, options.inherit_as_fd3); !set) {
      return std::unexpected(set.error());
    }
    plan.set_signals_and_group();
    spawned = plan.spawn(pid, *path, options);
  }
  // The child's ends now live in the child only.
  pipes.close_child_ends();
  if (spawned != 0) return std::unexpected(spawn_error(name, *path, spawned, options.hint));

  auto state = std::make_unique<State>();
  state->name = name;
  state->pid = pid;
  state->pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by design
  state->stdin_fd = std::exchange(pipes.in.write, -1);
  state->stdout_fd = std::exchange(pipes.out.read, -1);
  state->terminate_grace = options.terminate_grace;
  state->pump.emplace(OwnedFd(std::exchange(pipes.err.read, -1)),
                      OwnedFd(std::exchange(pipes.stop_fd, -1)), options.stderr_tail_lines,
                      options.on_stderr_line);
  if (state->stdout_fd >= 0 && options.stdout_pipe_size > 0) {
    fcntl(state->stdout_fd, F_SETPIPE_SZ, options.stdout_pipe_size);  // best effort
  }
  if (auto started = state->pump->start(); !started) {
    // No pump, no way to drain stderr: stop the child rather than let it block.
    ChildProcess child(std::move(state));
    child.terminate(std::chrono::milliseconds(0));
    return make_error(ErrorKind::permanent,
                      "cannot start a stderr reader for " + name + ": " + started.error().message);
  }
  return ChildProcess(std::move(state));
}

}  // namespace erp::process
