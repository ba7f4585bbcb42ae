// What a ChildProcess holds (process/child_process.h): the child's pid, the parent's pipe
// ends, the stderr pump, and the waiting, signalling and reaping.
//
// Reaping is the delicate part: a pid, once reaped, may be reused by an unrelated process, so
// a signal must never be sent after it. Waiting therefore never reaps as a side effect
// (waitid with WNOWAIT); the one reap happens in record_exit() under the mutex that also
// guards signal_group(), so no kill() can slip in between the pid being released and `reaped`
// being set.
//
// Threads: one thread drives a State; signal_group() and the pump's tail may be used from
// any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "process/child_process.h"
#include "process/stderr_pump.h"

namespace erp::process {

// Poll interval when pidfd_open is unavailable (old kernels, seccomp).
inline constexpr std::chrono::milliseconds kReapPollInterval{10};

struct ChildProcess::State {
  std::string name;
  pid_t pid = -1;
  int pidfd = -1;  // -1 when the kernel does not offer pidfd_open; then we poll
  int stdin_fd = -1;
  int stdout_fd = -1;
  std::optional<StderrPump> pump;  // set by spawn before the State is handed out
  std::chrono::milliseconds terminate_grace{5000};

  // Guards reaped/status (so kill() never signals a reaped pid).
  mutable std::mutex mutex;
  bool reaped = false;
  ExitStatus status;

  ~State();

  // Whether the child has ended, without reaping it (WNOWAIT), so that kill() stays safe
  // until record_exit() has run under the mutex. `block`: wait for the end.
  bool has_exited(bool block);
  // Reaps a child that has_exited(), records its status and drains its stderr.
  void record_exit();
  bool is_reaped() const;
  // The recorded status (meaningful once reaped).
  ExitStatus recorded_status() const;
  // Waits up to `timeout` for the end; true when it has ended (and has been reaped).
  bool wait_for(std::chrono::milliseconds timeout);
  // `signal` to the child's group (or the child alone, if it left its group); nothing once
  // reaped.
  void signal_group(int signal) noexcept;
  // SIGTERM, SIGKILL after `grace`, reap; the status (unchanged for a reaped child).
  ExitStatus terminate(std::chrono::milliseconds grace) noexcept;
  // Terminates an unfinished child, drains stderr and closes every descriptor.
  void release() noexcept;
};

}  // namespace erp::process
