// A one-way "stop now" flag that blocking readers can wait on.
//
// Set by the signal watcher (SIGINT/SIGTERM) or by a failing part of the job;
// observed by producers (which poll wait_fd() next to their input), by everything that
// waits on the network or for memory (through token(): S3 calls and their back-off sleeps,
// curl transfers, part-buffer and upload-slot waits), and by the command, which then
// aborts its uploads and exits 128+signal.
// Thread-safe; non-copyable (owns an eventfd).
#pragma once

#include <atomic>
#include <stop_token>

namespace erp {

class Cancellation {
 public:
  Cancellation();
  ~Cancellation();
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Idempotent; the first reason (signal number, 0 = internal) wins.
  void cancel(int signal_number) noexcept;
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }
  // The signal that caused it, 0 if none.
  int signal_number() const noexcept { return signal_.load(std::memory_order_acquire); }
  // Becomes readable (POLLIN) once cancelled; for poll() next to other fds.
  int wait_fd() const noexcept { return event_fd_; }
  // Requested once cancelled, for std::stop_token waits (condition_variable_any,
  // stop_callback). Stop callbacks run on the thread that calls cancel() (the signal
  // watcher's), so they must be short and must not block.
  std::stop_token token() const noexcept { return source_.get_token(); }

 private:
  std::atomic<bool> cancelled_{false};
  std::atomic<int> signal_{0};
  int event_fd_;
  std::stop_source source_;
};

// Blocks SIGINT, SIGTERM and SIGPIPE in the calling thread (call first thing in main,
// before any thread exists, so every thread inherits the mask) and handles them on a
// dedicated thread: SIGINT/SIGTERM cancel `cancellation`; SIGPIPE is ignored so a
// closed stdout shows up as EPIPE from write().
class SignalWatcher {
 public:
  explicit SignalWatcher(Cancellation& cancellation);  // borrowed for the watcher's life
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace erp
