// An Executor for unit tests that runs nothing by itself: submitted tasks wait in a queue until
// the test runs them (run_one/run_all on the test's thread), so a test decides exactly when
// and in which order background work happens, without threads or sleeps of its own.
//
// Thread-safe: tasks may be submitted from any thread (e.g. a producer the test runs on a
// thread of its own), and wait_until_pending() lets the test block until they are.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "core/executor.h"

namespace erp::testing {

class ManualExecutor final : public Executor {
 public:
  void submit(std::function<void()> task) override {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(task));
      ++submitted_;
    }
    changed_.notify_all();
  }

  // Tasks submitted and not yet run.
  std::size_t pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  // Tasks submitted so far, run or not.
  std::size_t submitted() const {
    std::lock_guard lock(mutex_);
    return submitted_;
  }

  // Runs the oldest queued task on the calling thread; false when none is queued.
  bool run_one() {
    std::function<void()> task;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return false;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
    return true;
  }

  // Runs queued tasks (including ones they submit) until none is left; returns how many ran.
  std::size_t run_all() {
    std::size_t ran = 0;
    while (run_one()) ++ran;
    return ran;
  }

  // Blocks until at least `count` tasks are queued.
  void wait_until_pending(std::size_t count) const {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() >= count; });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  std::size_t submitted_ = 0;
};

}  // namespace erp::testing
