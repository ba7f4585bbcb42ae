// Where background work runs. The multipart sink hands each part upload to an Executor
// instead of owning threads itself, so unit tests can run the uploads by hand, one at a
// time, in a chosen order and without sleeping (tests/fakes/manual_executor.h), while
// production runs them on ThreadExecutor.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace erp {

class Executor {
 public:
  virtual ~Executor() = default;

  // Queues `task` to run later, on another thread or whenever the executor's owner says
  // so; never inside submit() itself. Tasks must not throw and must not assume they run
  // at all before the executor is destroyed (a task that outlives its submitter must only
  // touch state it co-owns). Thread-safe.
  virtual void submit(std::function<void()> task) = 0;
};

// `threads` worker threads, started by the constructor, running tasks in submission order
// (each task on whichever thread is free). The destructor runs every task already
// submitted, then joins the threads, so it blocks for as long as those tasks take.
// Throws std::system_error from the constructor when a thread cannot be started (threads
// started before that are joined first). Thread-safe.
class ThreadExecutor final : public Executor {
 public:
  explicit ThreadExecutor(int threads);  // values < 1 count as 1
  ~ThreadExecutor() override;
  ThreadExecutor(const ThreadExecutor&) = delete;
  ThreadExecutor& operator=(const ThreadExecutor&) = delete;

  void submit(std::function<void()> task) override;

 private:
  void run();
  void stop_and_join() noexcept;

  std::mutex mutex_;
  std::condition_variable ready_;  // a task was queued, or stopping_
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: joined before the members they use go
};

}  // namespace erp
