#include "process/child_process.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace erp::process {

namespace {

// Used when the child's environment has no PATH; the same places execvp would search,
// minus the current directory.
constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";
// How long wait() gives a grandchild that inherited stderr to let go of it after the child
// itself has ended, before the pump stops reading. Bounded so a stray `sleep &` in a script
// cannot hang the program.
constexpr std::chrono::milliseconds kStderrDrainBound{1000};
// Poll interval when pidfd_open is unavailable (old kernels, seccomp).
constexpr std::chrono::milliseconds kReapPollInterval{10};
constexpr std::size_t kTailTextBytes = 2000;

std::string errno_text(int error) {
  return std::strerror(error);
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void cleanse(std::string& text) noexcept {
  // Wipe the whole capacity: a shrunk string may still hold old bytes past its size.
  if (text.capacity() > 0) {
    text.resize(text.capacity());
    OPENSSL_cleanse(text.data(), text.size());
  }
  text.clear();
}

// A descriptor >= 3 with close-on-exec, so that dup2 onto 0/1/2 in the child never becomes a
// no-op dup2(fd, fd) that would keep close-on-exec set.
Result<int> above_stdio(int fd) {
  if (fd >= 3) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int error = errno;
  ::close(fd);
  if (moved < 0)
    return make_error(ErrorKind::permanent, "fcntl(F_DUPFD_CLOEXEC): " + errno_text(error));
  return moved;
}

struct Pipe {
  int read = -1;
  int write = -1;
  void close_both() noexcept {
    close_fd(read);
    close_fd(write);
  }
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return make_error(ErrorKind::permanent, "pipe2: " + errno_text(errno));
  Pipe pipe;
  auto read_end = above_stdio(fds[0]);
  if (!read_end) {
    ::close(fds[1]);
    return std::unexpected(read_end.error());
  }
  pipe.read = *read_end;
  auto write_end = above_stdio(fds[1]);
  if (!write_end) {
    close_fd(pipe.read);
    return std::unexpected(write_end.error());
  }
  pipe.write = *write_end;
  return pipe;
}

std::string basename_of(std::string_view program) {
  const auto slash = program.rfind('/');
  return std::string(slash == std::string_view::npos ? program : program.substr(slash + 1));
}

std::string with_hint(std::string message, const std::string& hint) {
  if (!hint.empty()) message += " (hint: " + hint + ")";
  return message;
}

// Finds `program` the way execvp would, but in the child's PATH rather than ours.
Result<std::string> resolve_program(const SpawnOptions& options, const std::string& name) {
  if (options.program.empty()) {
    return make_error(ErrorKind::config, with_hint("no program to start", options.hint));
  }
  if (options.program.find('/') != std::string::npos) return options.program;
  const std::string search(options.environment.get("PATH").value_or(kDefaultPath));
  std::string not_executable;
  std::size_t begin = 0;
  while (begin <= search.size()) {
    std::size_t end = search.find(':', begin);
    if (end == std::string::npos) end = search.size();
    const std::string dir = search.substr(begin, end - begin);
    begin = end + 1;
    if (dir.empty()) continue;  // "" means the current directory to execvp; never wanted here
    std::string candidate = dir + "/" + options.program;
    struct stat info {};
    if (stat(candidate.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (not_executable.empty()) not_executable = candidate;
  }
  if (!not_executable.empty()) {
    return make_error(ErrorKind::config, with_hint("cannot run " + name + " (" + not_executable +
                                                       "): " + errno_text(EACCES),
                                                   options.hint));
  }
  return make_error(ErrorKind::config,
                    with_hint(name + " not found on PATH=" + search, options.hint));
}

Error spawn_error(const SpawnOptions& options, const std::string& name, const std::string& path,
                  int error) {
  if (error == ENOENT) {
    return Error{ErrorKind::config, with_hint(name + " not found at " + path, options.hint)};
  }
  const bool operator_fixable = error == EACCES || error == ENOEXEC || error == ENOTDIR;
  return Error{
      operator_fixable ? ErrorKind::config : ErrorKind::permanent,
      with_hint("cannot start " + name + " (" + path + "): " + errno_text(error), options.hint)};
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ChildEnvironment

ChildEnvironment::Entry::~Entry() {
  cleanse(text);
}

const ChildEnvironment::Entry* ChildEnvironment::find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (std::string_view(entry->text).substr(0, entry->name_size) == name) return entry.get();
  }
  return nullptr;
}

void ChildEnvironment::put(std::string_view name, std::string_view value, bool secret) {
  if (name.empty() || name.find('=') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return;
  }
  auto entry = std::make_unique<Entry>();
  entry->text.reserve(name.size() + 1 + value.size());
  entry->text.append(name).append("=").append(value);
  entry->name_size = name.size();
  entry->secret = secret;
  for (auto& existing : entries_) {
    if (std::string_view(existing->text).substr(0, existing->name_size) == name) {
      existing = std::move(entry);  // the old entry wipes itself
      return;
    }
  }
  entries_.push_back(std::move(entry));
}

void ChildEnvironment::set(std::string_view name, std::string_view value) {
  put(name, value, false);
}

void ChildEnvironment::set_secret(std::string_view name, const Secret& value) {
  put(name, value.reveal(), true);
}

void ChildEnvironment::unset(std::string_view name) {
  std::erase_if(entries_, [name](const std::unique_ptr<Entry>& entry) {
    return std::string_view(entry->text).substr(0, entry->name_size) == name;
  });
}

std::optional<std::string_view> ChildEnvironment::get(std::string_view name) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return std::nullopt;
  return std::string_view(entry->text).substr(entry->name_size + 1);
}

std::string ChildEnvironment::redacted() const {
  std::string out;
  for (const auto& entry : entries_) {
    if (entry->secret) {
      out.append(entry->text, 0, entry->name_size + 1).append(Secret::kRedacted);
    } else {
      out += entry->text;
    }
    out += '\n';
  }
  return out;
}

std::vector<char*> ChildEnvironment::envp() const {
  std::vector<char*> pointers;
  pointers.reserve(entries_.size() + 1);
  // execve's prototype takes char* const[] for historical reasons; it does not write.
  for (const auto& entry : entries_) pointers.push_back(const_cast<char*>(entry->text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// ---------------------------------------------------------------------------------------------
// Exit status and messages

std::string signal_name(int signal) {
  if (const char* abbreviation = sigabbrev_np(signal)) return std::string("SIG") + abbreviation;
  return "signal " + std::to_string(signal);
}

std::string ExitStatus::describe() const {
  if (signal != 0) {
    return "was killed by signal " + std::to_string(signal) + " (" + signal_name(signal) + ")";
  }
  return "exited with status " + std::to_string(exit_code);
}

Error exit_error(std::string_view name, const ExitStatus& status, std::string_view stderr_tail,
                 std::string_view detail) {
  std::string message = std::string(name) + " " + status.describe() + std::string(detail);
  if (!stderr_tail.empty()) message += ": " + std::string(stderr_tail);
  return Error{ErrorKind::permanent, std::move(message)};
}

// ---------------------------------------------------------------------------------------------
// ChildProcess

struct ChildProcess::State {
  std::string name;
  pid_t pid = -1;
  int pidfd = -1;  // -1 when the kernel does not offer pidfd_open; then we poll
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int pump_stop_fd = -1;  // eventfd: tells the pump to stop waiting for EOF
  std::chrono::milliseconds terminate_grace{5000};

  // Guards reaped/status (so kill() never signals a reaped pid) and the tail.
  mutable std::mutex mutex;
  bool reaped = false;
  ExitStatus status;
  std::deque<std::string> tail;
  std::size_t tail_lines = 20;

  std::function<void(std::string_view)> on_line;
  std::thread pump;
  std::mutex pump_mutex;
  std::condition_variable pump_cv;
  bool pump_done = false;

  void emit(std::string& line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    {
      std::lock_guard lock(mutex);
      if (tail_lines > 0) {
        tail.push_back(line);
        while (tail.size() > tail_lines) tail.pop_front();
      }
    }
    if (on_line) {
      try {
        on_line(line);
      } catch (...) {
        // The callback's contract says it does not throw; a thread must not die of it.
      }
    }
    line.clear();
  }

  void feed(std::string& line, std::string_view chunk) {
    while (!chunk.empty()) {
      const auto newline = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, newline);
      const std::size_t room = kMaxStderrLine - line.size();
      if (piece.size() > room) {
        // A line longer than the cap: hand over what fits and go on with the rest.
        line.append(piece.substr(0, room));
        emit(line);
        chunk.remove_prefix(room);
        continue;
      }
      line.append(piece);
      if (newline == std::string_view::npos) return;
      emit(line);
      chunk.remove_prefix(newline + 1);
    }
  }

  void run_pump() {
    std::string line;
    char buffer[4096];
    bool stop = false;
    for (;;) {
      pollfd fds[2] = {{stderr_fd, POLLIN, 0}, {pump_stop_fd, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents != 0) {
        // Asked to stop: take what is already in the pipe, without waiting for more.
        fcntl(stderr_fd, F_SETFL, fcntl(stderr_fd, F_GETFL) | O_NONBLOCK);
        stop = true;
      }
      const ssize_t n = ::read(stderr_fd, buffer, sizeof buffer);
      if (n > 0) {
        feed(line, std::string_view(buffer, static_cast<std::size_t>(n)));
        if (!stop) continue;
        while (true) {
          const ssize_t more = ::read(stderr_fd, buffer, sizeof buffer);
          if (more <= 0) break;
          feed(line, std::string_view(buffer, static_cast<std::size_t>(more)));
        }
        break;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // EOF, EAGAIN after a stop, or a read error: nothing more will come
    }
    if (!line.empty()) emit(line);
    std::lock_guard lock(pump_mutex);
    pump_done = true;
    pump_cv.notify_all();
  }

  void finish_pump() noexcept {
    if (!pump.joinable()) return;
    {
      std::unique_lock lock(pump_mutex);
      if (!pump_cv.wait_for(lock, kStderrDrainBound, [this] { return pump_done; })) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = ::write(pump_stop_fd, &one, sizeof one);
      }
    }
    pump.join();
    close_fd(stderr_fd);
    close_fd(pump_stop_fd);
  }

  // Whether the child has ended, without reaping it (WNOWAIT), so that kill() stays safe
  // until record_exit() has run under the mutex.
  bool has_exited(bool block) {
    for (;;) {
      siginfo_t info{};
      const int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
      if (waitid(P_PID, static_cast<id_t>(pid), &info, flags) == 0) return info.si_pid == pid;
      if (errno == EINTR) continue;
      return true;  // ECHILD: someone else reaped it (SIGCHLD ignored); nothing to wait for
    }
  }

  // Reaps a child that has_exited(); under the mutex, so that no kill() can slip in
  // between the pid being released and `reaped` being set.
  void record_exit() {
    {
      std::lock_guard lock(mutex);
      int raw = 0;
      pid_t got;
      do {
        got = waitpid(pid, &raw, 0);
      } while (got < 0 && errno == EINTR);
      if (got == pid && WIFSIGNALED(raw)) {
        status = ExitStatus{.exit_code = -1, .signal = WTERMSIG(raw)};
      } else if (got == pid && WIFEXITED(raw)) {
        status = ExitStatus{.exit_code = WEXITSTATUS(raw), .signal = 0};
      } else {
        status = ExitStatus{.exit_code = -1, .signal = 0};  // reaped elsewhere; unknown
      }
      reaped = true;
    }
    close_fd(pidfd);
    finish_pump();
  }

  bool is_reaped() const {
    std::lock_guard lock(mutex);
    return reaped;
  }

  // Waits up to `timeout` for the end; true when it has ended (and has been reaped).
  bool wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (is_reaped()) return true;
      if (has_exited(false)) {
        record_exit();
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (pidfd >= 0) {
        pollfd fd{pidfd, POLLIN, 0};
        poll(&fd, 1, static_cast<int>(left.count()) + 1);
      } else {
        std::this_thread::sleep_for(std::min(left, kReapPollInterval));
      }
    }
  }

  void signal_group(int signal) noexcept {
    std::lock_guard lock(mutex);
    if (reaped || pid <= 0) return;
    // The child leads its own group; if it left it (setsid), signal at least the child.
    if (::kill(-pid, signal) != 0) ::kill(pid, signal);
  }

  ExitStatus terminate(std::chrono::milliseconds grace) noexcept {
    if (!is_reaped()) {
      signal_group(SIGTERM);
      if (!wait_for(grace)) {
        signal_group(SIGKILL);
        if (has_exited(true)) record_exit();
      }
    }
    std::lock_guard lock(mutex);
    return status;
  }

  void release() noexcept {
    if (!is_reaped()) terminate(terminate_grace);
    finish_pump();  // no-op once reaped; covers a state that never had a child
    close_fd(stdin_fd);
    close_fd(stdout_fd);
    close_fd(stderr_fd);
    close_fd(pump_stop_fd);
    close_fd(pidfd);
  }
};

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  const std::string name =
      options.display_name.empty() ? basename_of(options.program) : options.display_name;
  auto path = resolve_program(options, name);
  if (!path) return std::unexpected(path.error());

  Pipe in, out, err;
  auto cleanup = [&] {
    in.close_both();
    out.close_both();
    err.close_both();
  };
  if (options.stdin_mode == Stdio::pipe) {
    auto made = make_pipe();
    if (!made) return std::unexpected(made.error());
    in = *made;
  }
  if (options.stdout_mode == Stdio::pipe) {
    auto made = make_pipe();
    if (!made) {
      cleanup();
      return std::unexpected(made.error());
    }
    out = *made;
  }
  {
    auto made = make_pipe();
    if (!made) {
      cleanup();
      return std::unexpected(made.error());
    }
    err = *made;
  }
  const int stop_fd = eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) {
    cleanup();
    return make_error(ErrorKind::permanent, "eventfd: " + errno_text(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in.read >= 0) {
    posix_spawn_file_actions_adddup2(&actions, in.read, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (out.write >= 0) {
    posix_spawn_file_actions_adddup2(&actions, out.write, STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, err.write, STDERR_FILENO);
  // The inherited descriptor goes to 3 from a copy above 9, so that dup2 never meets itself
  // (which would keep close-on-exec) nor a pipe end that still sits at 3.
  int fd3_copy = -1;
  if (options.inherit_as_fd3 >= 0) {
    fd3_copy = fcntl(options.inherit_as_fd3, F_DUPFD_CLOEXEC, 10);
    if (fd3_copy < 0) {
      const int error = errno;
      posix_spawn_file_actions_destroy(&actions);
      close(stop_fd);
      cleanup();
      return make_error(ErrorKind::permanent, "fcntl(F_DUPFD_CLOEXEC): " + errno_text(error));
    }
    posix_spawn_file_actions_adddup2(&actions, fd3_copy, 3);
  }
  // Everything else goes, whether or not its opener remembered O_CLOEXEC (libraries and
  // other threads open descriptors too).
  posix_spawn_file_actions_addclosefrom_np(&actions, fd3_copy >= 0 ? 4 : 3);

  // The child starts with nothing blocked and every signal at its default action: this
  // program blocks SIGINT/SIGTERM and ignores SIGPIPE, and exec would pass both on. (glibc
  // keeps its two internal real-time signals, 32 and 33, ignored; its programs reset them.)
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> argv;
  argv.reserve(options.arguments.size() + 2);
  argv.push_back(const_cast<char*>(options.program.c_str()));
  for (const std::string& argument : options.arguments) {
    argv.push_back(const_cast<char*>(argument.c_str()));
  }
  argv.push_back(nullptr);
  const std::vector<char*> envp = options.environment.envp();

  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, path->c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  // The child's ends now live in the child only.
  close_fd(in.read);
  close_fd(out.write);
  close_fd(err.write);
  if (fd3_copy >= 0) ::close(fd3_copy);
  if (spawned != 0) {
    cleanup();
    ::close(stop_fd);
    return std::unexpected(spawn_error(options, name, *path, spawned));
  }

  auto state = std::make_unique<State>();
  state->name = name;
  state->pid = pid;
  state->pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by design
  state->stdin_fd = in.write;
  state->stdout_fd = out.read;
  state->stderr_fd = err.read;
  state->pump_stop_fd = stop_fd;
  state->terminate_grace = options.terminate_grace;
  state->tail_lines = options.stderr_tail_lines;
  state->on_line = options.on_stderr_line;
  if (state->stdout_fd >= 0 && options.stdout_pipe_size > 0) {
    fcntl(state->stdout_fd, F_SETPIPE_SZ, options.stdout_pipe_size);  // best effort
  }
  State* raw = state.get();
  try {
    raw->pump = std::thread([raw] { raw->run_pump(); });
  } catch (const std::system_error& error) {
    // No pump, no way to drain stderr: stop the child rather than let it block.
    ChildProcess child(std::move(state));
    child.terminate(std::chrono::milliseconds(0));
    return make_error(ErrorKind::permanent,
                      "cannot start a stderr reader for " + name + ": " + error.what());
  }
  return ChildProcess(std::move(state));
}

ChildProcess::ChildProcess(std::unique_ptr<State> state) : state_(std::move(state)) {}

ChildProcess::~ChildProcess() {
  if (state_) state_->release();
}

ChildProcess::ChildProcess(ChildProcess&&) noexcept = default;

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (state_) state_->release();
    state_ = std::move(other.state_);
  }
  return *this;
}

pid_t ChildProcess::pid() const {
  return state_->pid;
}
const std::string& ChildProcess::name() const {
  return state_->name;
}
int ChildProcess::stdout_fd() const {
  return state_->stdout_fd;
}
void ChildProcess::close_stdout() {
  close_fd(state_->stdout_fd);
}
int ChildProcess::stdin_fd() const {
  return state_->stdin_fd;
}
void ChildProcess::close_stdin() {
  close_fd(state_->stdin_fd);
}

Result<void> ChildProcess::write_stdin(std::span<const char> data) {
  if (state_->stdin_fd < 0) {
    return make_error(ErrorKind::permanent, state_->name + "'s input is not open");
  }
  // Block SIGPIPE for this thread during the write and swallow the one a broken pipe
  // raises, so EPIPE comes back as an error even where SIGPIPE's action is to terminate.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  sigset_t pending;
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE) == 1;

  int error = 0;
  while (!data.empty()) {
    const ssize_t n = ::write(state_->stdin_fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  if (error == EPIPE && !already_pending) {
    const timespec no_wait{};
    while (sigtimedwait(&pipe_signal, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (error == EPIPE) {
    return make_error(ErrorKind::permanent, state_->name + " stopped reading its input");
  }
  if (error != 0) {
    return make_error(ErrorKind::permanent,
                      "writing to " + state_->name + "'s input: " + errno_text(error));
  }
  return {};
}

void ChildProcess::kill(int signal) noexcept {
  state_->signal_group(signal);
}

ExitStatus ChildProcess::wait() {
  if (!state_->is_reaped()) {
    if (state_->has_exited(true)) state_->record_exit();
  }
  std::lock_guard lock(state_->mutex);
  return state_->status;
}

Result<ExitStatus> ChildProcess::wait(const Cancellation& cancellation) {
  for (;;) {
    if (auto status = try_wait()) return *status;
    if (cancellation.cancelled()) {
      return make_error(ErrorKind::cancelled, "stopped waiting for " + state_->name);
    }
    pollfd fds[2] = {{cancellation.wait_fd(), POLLIN, 0}, {state_->pidfd, POLLIN, 0}};
    const int count = state_->pidfd >= 0 ? 2 : 1;
    const int timeout = state_->pidfd >= 0 ? -1 : static_cast<int>(kReapPollInterval.count());
    poll(fds, count, timeout);
  }
}

std::optional<ExitStatus> ChildProcess::try_wait() {
  if (!state_->is_reaped()) {
    if (!state_->has_exited(false)) return std::nullopt;
    state_->record_exit();
  }
  std::lock_guard lock(state_->mutex);
  return state_->status;
}

ExitStatus ChildProcess::terminate() noexcept {
  return state_->terminate(state_->terminate_grace);
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace) noexcept {
  return state_->terminate(grace);
}

std::vector<std::string> ChildProcess::stderr_tail() const {
  std::lock_guard lock(state_->mutex);
  return {state_->tail.begin(), state_->tail.end()};
}

std::string ChildProcess::stderr_tail_text() const {
  const std::vector<std::string> lines = stderr_tail();
  // Newest lines matter most (the error is usually last): walk backwards within the budget.
  std::vector<std::string_view> kept;
  std::size_t bytes = 0;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const std::string_view line = trim(*it);
    if (line.empty()) continue;
    if (!kept.empty() && bytes + line.size() + 3 > kTailTextBytes) break;
    kept.push_back(line.substr(0, kTailTextBytes));
    bytes += line.size() + 3;
  }
  std::string text;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    if (!text.empty()) text += " | ";
    text.append(*it);
  }
  return text;
}

Result<void> ChildProcess::check(const ExitStatus& status) const {
  if (status.success()) return {};
  return std::unexpected(exit_error(state_->name, status, stderr_tail_text()));
}

Result<std::string> run_to_completion(const SpawnOptions& options, std::size_t max_stdout) {
  auto child = ChildProcess::spawn(options);
  if (!child) return std::unexpected(child.error());
  child->close_stdin();
  std::string output;
  if (child->stdout_fd() >= 0) {
    char buffer[16384];
    for (;;) {
      const ssize_t n = ::read(child->stdout_fd(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        child->terminate();
        return make_error(ErrorKind::permanent,
                          "reading the output of " + child->name() + ": " + errno_text(error));
      }
      if (n == 0) break;
      if (output.size() + static_cast<std::size_t>(n) > max_stdout) {
        child->terminate();
        return make_error(
            ErrorKind::permanent,
            child->name() + " wrote more than " + std::to_string(max_stdout) + " bytes to stdout");
      }
      output.append(buffer, static_cast<std::size_t>(n));
    }
  }
  const ExitStatus status = child->wait();
  if (auto checked = child->check(status); !checked) return std::unexpected(checked.error());
  return output;
}

}  // namespace erp::process
