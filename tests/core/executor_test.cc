// ThreadExecutor runs tasks on its own threads, in parallel up to its thread count, and runs
// every submitted task before its destructor returns; the ManualExecutor of the tests runs
// nothing until told to. Synchronisation by latches, never by sleeping.
#include "core/executor.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "fakes/manual_executor.h"

namespace erp {
namespace {

TEST_CASE("a thread executor runs tasks on threads other than the submitter's") {
  std::mutex mutex;
  std::set<std::thread::id> ran_on;
  std::latch done(3);
  {
    ThreadExecutor executor(2);
    for (int i = 0; i < 3; ++i) {
      executor.submit([&] {
        {
          std::lock_guard lock(mutex);
          ran_on.insert(std::this_thread::get_id());
        }
        done.count_down();
      });
    }
    done.wait();
  }
  CHECK_FALSE(ran_on.contains(std::this_thread::get_id()));
  CHECK(ran_on.size() <= 2);
}

TEST_CASE("a thread executor runs as many tasks at once as it has threads") {
  std::mutex mutex;
  std::condition_variable changed;
  int running = 0;
  int saw_all_three = 0;
  {
    ThreadExecutor executor(3);
    for (int i = 0; i < 3; ++i) {
      executor.submit([&] {
        std::unique_lock lock(mutex);
        ++running;
        changed.notify_all();
        // Each task waits for the other two: only three threads running at once get there.
        // The time limit only keeps a broken executor from hanging the suite.
        if (changed.wait_for(lock, std::chrono::seconds(30), [&] { return running == 3; })) {
          ++saw_all_three;
        }
      });
    }
  }  // the destructor waits for the tasks
  CHECK(saw_all_three == 3);
}

TEST_CASE("destroying a thread executor first runs every task already submitted") {
  std::atomic<int> ran{0};
  std::latch release(1);
  {
    ThreadExecutor executor(1);
    executor.submit([&] {
      release.wait();  // holds the only thread while more tasks queue up behind it
      ++ran;
    });
    for (int i = 0; i < 4; ++i) executor.submit([&] { ++ran; });
    release.count_down();
  }
  CHECK(ran.load() == 5);
}

TEST_CASE("a manual executor runs tasks only when told, oldest first") {
  testing::ManualExecutor executor;
  std::vector<int> order;
  executor.submit([&] { order.push_back(1); });
  executor.submit([&] {
    order.push_back(2);
    executor.submit([&] { order.push_back(3); });  // queued behind, run by run_all
  });
  CHECK(order.empty());
  CHECK(executor.pending() == 2);
  CHECK(executor.run_one());
  CHECK(order == std::vector<int>{1});
  CHECK(executor.run_all() == 2);
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK_FALSE(executor.run_one());
  CHECK(executor.submitted() == 3);
}

}  // namespace
}  // namespace erp
