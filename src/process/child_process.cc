#include "process/child_process.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "core/errno_text.h"
#include "process/child_state.h"
#include "process/pipes.h"

namespace erp::process {

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
  return state_->recorded_status();
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
  return state_->recorded_status();
}

ExitStatus ChildProcess::terminate() noexcept {
  return state_->terminate(state_->terminate_grace);
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace) noexcept {
  return state_->terminate(grace);
}

std::vector<std::string> ChildProcess::stderr_tail() const {
  return state_->pump ? state_->pump->tail() : std::vector<std::string>{};
}

std::string ChildProcess::stderr_tail_text() const {
  return tail_text(stderr_tail());
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
