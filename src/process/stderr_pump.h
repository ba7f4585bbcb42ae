// The reader of a child's stderr (process/child_process.h): a thread reads the pipe, cuts it
// into lines (no trailing "\n" or "\r"; longer than kMaxStderrLine: in pieces; a last
// unterminated line included), hands each to the caller's callback in order and keeps the last
// few for error messages.
//
// Lifetime: start() once; finish() waits for the end of the pipe, but at most
// kStderrDrainBound: a grandchild that inherited stderr and keeps it open (a script's stray
// `sleep &`) must not hang the program, so after the bound the pump takes what is already in
// the pipe and stops. finish() is idempotent and the destructor calls it.
//
// Threads: the callback runs on the pump's thread; tail() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/owned_fd.h"

namespace erp::process {

inline constexpr std::size_t kMaxStderrLine = 4096;

// How long finish() gives a grandchild that inherited stderr to let go of it after the child
// itself has ended, before the pump stops reading.
inline constexpr std::chrono::milliseconds kStderrDrainBound{1000};

class StderrPump {
 public:
  using LineCallback = std::function<void(std::string_view line)>;

  // Owns `stderr_fd` (the parent's read end of the child's stderr) and `stop_fd` (an eventfd,
  // the signal to stop waiting for the end of the pipe). `on_line` must not throw
  // (an exception is swallowed: the thread must not die of it); may be empty. The last
  // `tail_lines` lines are kept.
  StderrPump(OwnedFd stderr_fd, OwnedFd stop_fd, std::size_t tail_lines, LineCallback on_line);
  ~StderrPump();
  StderrPump(const StderrPump&) = delete;
  StderrPump& operator=(const StderrPump&) = delete;

  // Starts the thread. Errors: permanent, when no thread can be had.
  Result<void> start();
  // Waits for the end of stderr (bounded, see above), joins the thread and closes the pipe.
  void finish() noexcept;
  // The last lines, oldest first. Complete once finish() returned.
  std::vector<std::string> tail() const;

 private:
  void run();
  void feed(std::string& line, std::string_view chunk);
  void emit(std::string& line);

  OwnedFd fd_;
  OwnedFd stop_fd_;  // eventfd: tells the thread to stop waiting for EOF
  std::size_t tail_lines_;
  LineCallback on_line_;
  mutable std::mutex tail_mutex_;
  std::deque<std::string> tail_;
  std::thread thread_;
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

// `lines` (oldest first) as one line for messages: each trimmed, empty ones dropped, joined
// with " | ", the oldest dropped so that it stays within ~2000 bytes (the newest matter most:
// the error is usually last).
std::string tail_text(const std::vector<std::string>& lines);

}  // namespace erp::process
