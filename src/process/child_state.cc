#include "process/child_state.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "process/pipes.h"

namespace erp::process {

ChildProcess::State::~State() = default;

bool ChildProcess::State::has_exited(bool block) {
  for (;;) {
    siginfo_t info{};
    const int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
    if (waitid(P_PID, static_cast<id_t>(pid), &info, flags) == 0) return info.si_pid == pid;
    if (errno == EINTR) continue;
    return true;  // ECHILD: someone else reaped it (SIGCHLD ignored); nothing to wait for
  }
}

void ChildProcess::State::record_exit() {
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
  if (pump) pump->finish();
}

bool ChildProcess::State::is_reaped() const {
  std::lock_guard lock(mutex);
  return reaped;
}

ExitStatus ChildProcess::State::recorded_status() const {
  std::lock_guard lock(mutex);
  return status;
}

bool ChildProcess::State::wait_for(std::chrono::milliseconds timeout) {
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

void ChildProcess::State::signal_group(int signal) noexcept {
  std::lock_guard lock(mutex);
  if (reaped || pid <= 0) return;
  // The child leads its own group; if it left it (setsid), signal at least the child.
  if (::kill(-pid, signal) != 0) ::kill(pid, signal);
}

ExitStatus ChildProcess::State::terminate(std::chrono::milliseconds grace) noexcept {
  if (!is_reaped()) {
    signal_group(SIGTERM);
    if (!wait_for(grace)) {
      signal_group(SIGKILL);
      if (has_exited(true)) record_exit();
    }
  }
  return recorded_status();
}

void ChildProcess::State::release() noexcept {
  if (!is_reaped()) terminate(terminate_grace);
  if (pump) pump->finish();  // no-op once reaped; covers a state whose child never ran
  close_fd(stdin_fd);
  close_fd(stdout_fd);
  close_fd(pidfd);
}

}  // namespace erp::process
