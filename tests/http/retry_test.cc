// The one retry policy: capped exponential backoff with full jitter, retrying transient
// errors only, saying how many attempts it made when it gives up, and never retrying after a
// stop. A recording Sleeper stands in for the clock; the one test that uses the real,
// cancellable sleep proves that a stop cuts a minute of back-off short.
#include "http/retry.h"

#include <doctest/doctest.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <latch>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace erp::http {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Records every delay instead of waiting.
struct RecordingSleeper {
  std::vector<milliseconds> delays;
  Sleeper sleeper() {
    return [this](milliseconds delay, std::stop_token) {
      delays.push_back(delay);
      return true;
    };
  }
};

const RetryPolicy kDefaults;

// The largest backoff before attempt `attempt + 1` under the default policy.
milliseconds ceiling(int attempt) {
  const auto grown = kDefaults.base_delay.count() << (attempt - 1);
  return milliseconds(std::min<std::int64_t>(grown, kDefaults.max_delay.count()));
}

// --- backoff_delay ----------------------------------------------------------------------

TEST_CASE("the defaults allow 7 attempts, starting at 250 ms and capped at 20 s") {
  CHECK(kDefaults.max_attempts == 7);
  CHECK(kDefaults.base_delay == 250ms);
  CHECK(kDefaults.max_delay == 20s);
}

TEST_CASE("the backoff ceiling doubles with each attempt until max_delay") {
  // random = ceiling hits the top of the jitter range exactly.
  const std::pair<int, milliseconds> cases[] = {
      {1, 250ms},  {2, 500ms},   {3, 1000ms},  {4, 2000ms},  {5, 4000ms},
      {6, 8000ms}, {7, 16000ms}, {8, 20000ms}, {9, 20000ms}, {30, 20000ms},
  };
  for (const auto& [attempt, top] : cases) {
    CAPTURE(attempt);
    CHECK(backoff_delay(kDefaults, attempt, static_cast<std::uint64_t>(top.count())) == top);
  }
}

TEST_CASE("full jitter: the backoff covers 0 to the ceiling inclusive") {
  for (int attempt = 1; attempt <= 10; ++attempt) {
    CAPTURE(attempt);
    const auto top = static_cast<std::uint64_t>(ceiling(attempt).count());
    CHECK(backoff_delay(kDefaults, attempt, 0) == 0ms);
    CHECK(backoff_delay(kDefaults, attempt, top) == milliseconds(top));
    CHECK(backoff_delay(kDefaults, attempt, top + 1) == 0ms);  // wraps, never exceeds
    CHECK(backoff_delay(kDefaults, attempt, top / 2) == milliseconds(top / 2));
  }
}

TEST_CASE("the backoff never exceeds max_delay nor its attempt's ceiling, whatever the random") {
  std::mt19937_64 random(20260101);
  for (int attempt = 1; attempt <= 64; ++attempt) {
    CAPTURE(attempt);
    const milliseconds top = attempt <= 30 ? ceiling(attempt) : kDefaults.max_delay;
    for (int draw = 0; draw < 200; ++draw) {
      const milliseconds delay = backoff_delay(kDefaults, attempt, random());
      REQUIRE(delay >= 0ms);
      REQUIRE(delay <= top);
    }
    CHECK(backoff_delay(kDefaults, attempt, UINT64_MAX) <= kDefaults.max_delay);
  }
}

TEST_CASE("large attempt numbers neither overflow nor exceed max_delay") {
  for (const int attempt : {1, 31, 62, 63, 64, 1000, INT_MAX}) {
    CAPTURE(attempt);
    for (const std::uint64_t random :
         {std::uint64_t{0}, std::uint64_t{19'999}, std::uint64_t{20'000}, UINT64_MAX}) {
      const milliseconds delay = backoff_delay(kDefaults, attempt, random);
      CHECK(delay >= 0ms);
      CHECK(delay <= kDefaults.max_delay);
    }
  }
}

TEST_CASE("the spread of the backoff grows with the attempt") {
  std::mt19937_64 random(7);
  milliseconds previous_max{-1};
  for (int attempt = 1; attempt <= 8; ++attempt) {
    CAPTURE(attempt);
    milliseconds largest{0};
    for (int draw = 0; draw < 2000; ++draw) {
      largest = std::max(largest, backoff_delay(kDefaults, attempt, random()));
    }
    CHECK(largest > previous_max);
    CHECK(largest >= ceiling(attempt) * 9 / 10);  // 2000 uniform draws reach the top decile
    previous_max = largest;
  }
}

TEST_CASE("a zero base delay never waits") {
  const RetryPolicy policy{.max_attempts = 3, .base_delay = 0ms, .max_delay = 1s};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    CHECK(backoff_delay(policy, attempt, 12345) == 0ms);
  }
}

// --- with_retries -------------------------------------------------------------------------

TEST_CASE("a first success is returned at once, without sleeping") {
  RecordingSleeper sleeps;
  int attempts = 0;
  const Result<int> result =
      with_retries<int>(kDefaults, sleeps.sleeper(), {}, [&]() -> Result<int> {
        ++attempts;
        return 42;
      });
  REQUIRE(result.has_value());
  CHECK(*result == 42);
  CHECK(attempts == 1);
  CHECK(sleeps.delays.empty());
}

TEST_CASE("transient failures are retried until success, sleeping a bounded backoff between") {
  RecordingSleeper sleeps;
  int attempts = 0;
  const Result<std::string> result =
      with_retries<std::string>(kDefaults, sleeps.sleeper(), {}, [&]() -> Result<std::string> {
        if (++attempts < 4) return make_error(ErrorKind::transient, "reset");
        return std::string("done on attempt ") + std::to_string(attempts);
      });
  REQUIRE(result.has_value());
  CHECK(*result == "done on attempt 4");
  CHECK(attempts == 4);
  REQUIRE(sleeps.delays.size() == 3);
  for (std::size_t i = 0; i < sleeps.delays.size(); ++i) {
    CAPTURE(i);
    CHECK(sleeps.delays[i] >= 0ms);
    CHECK(sleeps.delays[i] <= ceiling(static_cast<int>(i) + 1));
  }
}

TEST_CASE("with_retries works for Result<void> too") {
  RecordingSleeper sleeps;
  int attempts = 0;
  const Result<void> result =
      with_retries<void>(kDefaults, sleeps.sleeper(), {}, [&]() -> Result<void> {
        if (++attempts < 2) return make_error(ErrorKind::transient, "timeout");
        return {};
      });
  CHECK(result.has_value());
  CHECK(attempts == 2);
  CHECK(sleeps.delays.size() == 1);
}

TEST_CASE("a non-transient error stops at once and is returned unchanged") {
  for (const ErrorKind kind : {ErrorKind::permanent, ErrorKind::not_found, ErrorKind::config,
                               ErrorKind::corrupt, ErrorKind::cancelled}) {
    CAPTURE(to_string(kind));
    RecordingSleeper sleeps;
    int attempts = 0;
    const Result<int> result =
        with_retries<int>(kDefaults, sleeps.sleeper(), {}, [&]() -> Result<int> {
          ++attempts;
          return make_error(kind, "PutObject s3://b/k: HTTP 403 AccessDenied", "AccessDenied");
        });
    REQUIRE_FALSE(result.has_value());
    CHECK(attempts == 1);
    CHECK(sleeps.delays.empty());
    CHECK(result.error().kind == kind);
    CHECK(result.error().message == "PutObject s3://b/k: HTTP 403 AccessDenied");
    CHECK(result.error().code == "AccessDenied");
  }
}

TEST_CASE("a permanent error after transient ones stops the retries there") {
  RecordingSleeper sleeps;
  int attempts = 0;
  const Result<int> result =
      with_retries<int>(kDefaults, sleeps.sleeper(), {}, [&]() -> Result<int> {
        if (++attempts < 3) return make_error(ErrorKind::transient, "503");
        return make_error(ErrorKind::not_found, "NoSuchUpload");
      });
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::not_found);
  CHECK_FALSE(contains(result.error().message, "gave up"));
  CHECK(attempts == 3);
  CHECK(sleeps.delays.size() == 2);
}

TEST_CASE("after max_attempts transient failures it gives up, saying how many attempts it made") {
  for (const int max_attempts : {1, 3, 7}) {
    CAPTURE(max_attempts);
    const RetryPolicy policy{.max_attempts = max_attempts};
    RecordingSleeper sleeps;
    int attempts = 0;
    const Result<int> result =
        with_retries<int>(policy, sleeps.sleeper(), {}, [&]() -> Result<int> {
          ++attempts;
          return make_error(ErrorKind::transient, "UploadPart s3://b/k part 3: HTTP 503 SlowDown",
                            "SlowDown");
        });
    REQUIRE_FALSE(result.has_value());
    CHECK(attempts == max_attempts);
    CHECK(sleeps.delays.size() == static_cast<std::size_t>(max_attempts - 1));
    CHECK(result.error().kind == ErrorKind::transient);
    CHECK(result.error().code == "SlowDown");
    CHECK(result.error().message ==
          "UploadPart s3://b/k part 3: HTTP 503 SlowDown (gave up after " +
              std::to_string(max_attempts) + " attempts)");
  }
}

TEST_CASE("sleeps between many attempts stay within max_delay") {
  const RetryPolicy policy{.max_attempts = 20, .base_delay = 100ms, .max_delay = 800ms};
  RecordingSleeper sleeps;
  const Result<int> result = with_retries<int>(policy, sleeps.sleeper(), {}, [&]() -> Result<int> {
    return make_error(ErrorKind::transient, "reset");
  });
  REQUIRE_FALSE(result.has_value());
  REQUIRE(sleeps.delays.size() == 19);
  for (const milliseconds delay : sleeps.delays) CHECK(delay <= 800ms);
}

TEST_CASE("the attempt callable keeps its state between attempts") {
  RecordingSleeper sleeps;
  std::vector<int> offsets_seen;
  int offset = 0;
  const Result<int> result =
      with_retries<int>(kDefaults, sleeps.sleeper(), {}, [&]() -> Result<int> {
        offsets_seen.push_back(offset);
        offset += 10;  // e.g. bytes delivered before the connection broke
        if (offset < 30) return make_error(ErrorKind::transient, "reset");
        return offset;
      });
  REQUIRE(result.has_value());
  CHECK(offsets_seen == std::vector<int>{0, 10, 20});
}

// --- stopping --------------------------------------------------------------------------

TEST_CASE("a stop during a back-off ends the retries at once with cancelled") {
  // A real, cancellable sleep of a minute; the stop comes from another thread once the first
  // attempt has failed, i.e. while (or just before) the loop sleeps.
  const RetryPolicy policy{.max_attempts = 7, .base_delay = 60s, .max_delay = 60s};
  std::stop_source stop;
  std::latch first_failed(1);
  int attempts = 0;
  std::optional<Result<int>> result;
  const auto start = std::chrono::steady_clock::now();
  std::thread caller([&] {
    // Full jitter may draw a short back-off; a sleeper that never sleeps less than a minute
    // makes the test independent of the draw.
    const Sleeper long_sleep = [](milliseconds, std::stop_token token) {
      return sleep_for_real(60s, std::move(token));
    };
    result = with_retries<int>(policy, long_sleep, stop.get_token(), [&]() -> Result<int> {
      ++attempts;
      first_failed.count_down();
      return make_error(ErrorKind::transient, "PUT part 3: Operation timed out", "timeout");
    });
  });
  first_failed.wait();
  stop.request_stop();
  caller.join();

  CHECK(std::chrono::steady_clock::now() - start < 10s);  // not the minute of back-off
  CHECK(attempts == 1);
  REQUIRE(result.has_value());
  REQUIRE_FALSE(result->has_value());
  CHECK(result->error().kind == ErrorKind::cancelled);
  CHECK(result->error().code == "timeout");  // the last attempt's error, kept
  CHECK(contains(result->error().message, "PUT part 3: Operation timed out"));
  CHECK(contains(result->error().message, "stopped; not retried after attempt 1"));
}

TEST_CASE("a transient failure after the stop is not retried and nothing sleeps") {
  RecordingSleeper sleeps;
  std::stop_source stop;
  int attempts = 0;
  const Result<int> result =
      with_retries<int>(kDefaults, sleeps.sleeper(), stop.get_token(), [&]() -> Result<int> {
        ++attempts;
        stop.request_stop();  // e.g. SIGTERM while the request was on the wire
        return make_error(ErrorKind::transient, "reset");
      });
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(attempts == 1);
  CHECK(sleeps.delays.empty());
}

TEST_CASE("a cancelled attempt is returned as it is, never retried") {
  RecordingSleeper sleeps;
  int attempts = 0;
  const Result<int> result =
      with_retries<int>(kDefaults, sleeps.sleeper(), {}, [&]() -> Result<int> {
        ++attempts;
        return make_error(ErrorKind::cancelled, "HTTP PUT stopped during the transfer");
      });
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(result.error().message == "HTTP PUT stopped during the transfer");
  CHECK(attempts == 1);
  CHECK(sleeps.delays.empty());
}

TEST_CASE("a sleeper reporting a stop ends the retries with cancelled") {
  int attempts = 0;
  const Sleeper interrupted = [](milliseconds, std::stop_token) { return false; };
  const Result<int> result = with_retries<int>(kDefaults, interrupted, {}, [&]() -> Result<int> {
    ++attempts;
    return make_error(ErrorKind::transient, "503 SlowDown");
  });
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(attempts == 1);
}

TEST_CASE("sleep_for_real waits at least the given delay") {
  const auto start = std::chrono::steady_clock::now();
  CHECK(sleep_for_real(5ms, {}));
  CHECK(std::chrono::steady_clock::now() - start >= 5ms);
}

}  // namespace
}  // namespace erp::http
