#include "codec/sha256_tap.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>

#include "codec/digest.h"
#include "fakes/memory_sink.h"
#include "fakes/random_bytes.h"

namespace erp::codec {
namespace {

using testing::MemorySink;

using testing::random_bytes;

std::span<const char> span_of(const std::string& data) {
  return {data.data(), data.size()};
}

TEST_CASE("Sha256Tap: hash and count equal sha256_hex of everything written, in any pieces") {
  struct Case {
    const char* name;
    std::string data;
    std::size_t piece;
  };
  const Case cases[] = {
      {"nothing", "", 1},
      {"abc in one write", "abc", 3},
      {"abc byte by byte", "abc", 1},
      {"1 MiB + 3 random bytes in odd pieces", random_bytes((1 << 20) + 3, 7), 4099},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    MemorySink next;
    Sha256Tap tap(next);
    for (std::size_t at = 0; at < c.data.size(); at += c.piece) {
      const std::size_t size = std::min(c.piece, c.data.size() - at);
      REQUIRE(tap.write(std::span<const char>(c.data.data() + at, size)));
    }
    CHECK(tap.hex().empty());
    REQUIRE(tap.finish());
    CHECK(tap.hex() == sha256_hex(span_of(c.data)));
    CHECK(tap.bytes() == c.data.size());
    CHECK(next.data() == c.data);
  }
  // The well-known vector, so the test does not only compare the tap with its own helper.
  MemorySink next;
  Sha256Tap tap(next);
  REQUIRE(tap.write(span_of(std::string("abc"))));
  REQUIRE(tap.finish());
  CHECK(tap.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Sha256Tap: finish is forwarded exactly once; abort after a finish does nothing") {
  MemorySink next;
  Sha256Tap tap(next);
  REQUIRE(tap.write(span_of(std::string("data"))));
  REQUIRE(tap.finish());
  CHECK(next.finish_calls() == 1);
  const auto again = tap.finish();
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::permanent);
  CHECK(next.finish_calls() == 1);
  tap.abort();
  tap.abort();
  CHECK(next.abort_calls() == 0);
  CHECK_FALSE(tap.write(span_of(std::string("late"))));
  CHECK(next.data() == "data");
}

TEST_CASE("Sha256Tap: abort is forwarded exactly once and closes the tap") {
  MemorySink next;
  Sha256Tap tap(next);
  REQUIRE(tap.write(span_of(std::string("partial"))));
  tap.abort();
  tap.abort();
  CHECK(next.abort_calls() == 1);
  CHECK(next.finish_calls() == 0);
  CHECK_FALSE(tap.write(span_of(std::string("more"))));
  CHECK_FALSE(tap.finish());
  CHECK(next.finish_calls() == 0);
}

TEST_CASE("Sha256Tap: a failing next write is returned unchanged and not counted") {
  MemorySink next;
  next.fail_on_write(2, Error{ErrorKind::transient, "part 3 failed", "SlowDown"});
  Sha256Tap tap(next);
  REQUIRE(tap.write(span_of(std::string("first"))));
  const auto failed = tap.write(span_of(std::string("second")));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().kind == ErrorKind::transient);
  CHECK(failed.error().message == "part 3 failed");
  CHECK(failed.error().code == "SlowDown");
  CHECK(tap.bytes() == 5);
  tap.abort();
  CHECK(next.abort_calls() == 1);
}

TEST_CASE("Sha256Tap: a failed finish of next leaves the abort to be forwarded, once") {
  MemorySink next;
  next.fail_on_finish(Error{ErrorKind::permanent, "complete failed"});
  Sha256Tap tap(next);
  REQUIRE(tap.write(span_of(std::string("x"))));
  const auto finished = tap.finish();
  REQUIRE_FALSE(finished);
  CHECK(finished.error().message == "complete failed");
  CHECK(next.finish_calls() == 1);
  tap.abort();
  tap.abort();
  CHECK(next.abort_calls() == 1);
}

}  // namespace
}  // namespace erp::codec
