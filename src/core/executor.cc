#include "core/executor.h"

#include <algorithm>

namespace erp {

ThreadExecutor::ThreadExecutor(int threads) {
  const int count = std::max(1, threads);
  threads_.reserve(count);
  try {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { run(); });
  } catch (...) {
    stop_and_join();  // a half-built executor must not leave running threads behind
    throw;
  }
}

ThreadExecutor::~ThreadExecutor() {
  stop_and_join();
}

void ThreadExecutor::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void ThreadExecutor::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Stopping still drains the queue: a submitted task is a promise to run it.
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void ThreadExecutor::stop_and_join() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace erp
