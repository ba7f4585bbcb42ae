// The stop signal's building blocks: a sleep that a stop cuts short, a token that fires when
// either of two does, and the Cancellation's token. Timing checks are upper bounds far above
// what the code needs (a stop wakes in microseconds; the bound is seconds) and far below the
// delay that would pass without it (a minute).
#include "core/stop.h"

#include <doctest/doctest.h>

#include <chrono>
#include <latch>
#include <stop_token>
#include <thread>

#include "core/cancellation.h"

namespace erp {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("a sleep whose stop is already requested returns false at once") {
  std::stop_source source;
  source.request_stop();
  const auto start = Clock::now();
  CHECK_FALSE(sleep_unless_stopped(60s, source.get_token()));
  CHECK(Clock::now() - start < 1s);
}

TEST_CASE("a stop during a long sleep ends it promptly") {
  std::stop_source source;
  std::latch about_to_sleep(1);
  bool slept_fully = true;
  Clock::duration took{};
  std::thread sleeper([&] {
    const auto start = Clock::now();
    about_to_sleep.count_down();
    slept_fully = sleep_unless_stopped(60s, source.get_token());
    took = Clock::now() - start;
  });
  about_to_sleep.wait();
  source.request_stop();
  sleeper.join();
  CHECK_FALSE(slept_fully);
  CHECK(took < 5s);  // not the minute it was asked to sleep
}

TEST_CASE("an unstopped sleep lasts the whole delay and returns true") {
  const auto start = Clock::now();
  CHECK(sleep_unless_stopped(20ms, {}));  // a default token can never be stopped
  CHECK(Clock::now() - start >= 20ms);
}

TEST_CASE("AnyStop is requested when either token is, and only then") {
  for (const int which : {0, 1}) {
    CAPTURE(which);
    std::stop_source first;
    std::stop_source second;
    const AnyStop any(first.get_token(), second.get_token());
    CHECK(any.token().stop_possible());
    CHECK_FALSE(any.token().stop_requested());
    (which == 0 ? first : second).request_stop();
    CHECK(any.token().stop_requested());
  }
}

TEST_CASE("AnyStop built from an already requested token starts requested") {
  std::stop_source requested;
  requested.request_stop();
  const AnyStop any(std::stop_token{}, requested.get_token());
  CHECK(any.token().stop_requested());
}

TEST_CASE("AnyStop wakes a sleep on either token") {
  std::stop_source job;
  std::stop_source own;
  const AnyStop any(job.get_token(), own.get_token());
  std::latch about_to_sleep(1);
  bool slept_fully = true;
  std::thread sleeper([&] {
    about_to_sleep.count_down();
    slept_fully = sleep_unless_stopped(60s, any.token());
  });
  about_to_sleep.wait();
  job.request_stop();
  sleeper.join();
  CHECK_FALSE(slept_fully);
  CHECK_FALSE(own.stop_requested());  // forwarding goes one way only
}

TEST_CASE("cancelling requests the Cancellation's token and keeps the first signal") {
  Cancellation cancellation;
  const std::stop_token token = cancellation.token();
  CHECK(token.stop_possible());
  CHECK_FALSE(token.stop_requested());
  cancellation.cancel(15);
  cancellation.cancel(2);
  CHECK(token.stop_requested());
  CHECK(cancellation.cancelled());
  CHECK(cancellation.signal_number() == 15);
}

TEST_CASE("cancelling ends a sleep on the Cancellation's token") {
  Cancellation cancellation;
  std::latch about_to_sleep(1);
  bool slept_fully = true;
  std::thread sleeper([&] {
    about_to_sleep.count_down();
    slept_fully = sleep_unless_stopped(60s, cancellation.token());
  });
  about_to_sleep.wait();
  cancellation.cancel(15);
  sleeper.join();
  CHECK_FALSE(slept_fully);
}

}  // namespace
}  // namespace erp
