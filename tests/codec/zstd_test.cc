#include <doctest/doctest.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "codec/zstd_sink.h"
#include "codec/zstd_source.h"
#include "fakes/memory_sink.h"
#include "fakes/random_bytes.h"

namespace erp::codec {
namespace {

using testing::MemorySink;
using testing::MemorySource;

using testing::random_bytes;

// Text-like data: words from a small vocabulary, so it compresses well but not trivially.
std::string compressible_bytes(std::size_t size, std::uint64_t seed) {
  static const char* const kWords[] = {
      "invoice ", "customer ", "2026-11-26 ", "total: ", "EUR ", "1234.56 ", "\n", "llx_facture "};
  std::mt19937_64 random(seed);
  std::string data;
  data.reserve(size + 16);
  while (data.size() < size) data += kWords[random() % 8];
  data.resize(size);
  return data;
}

// Writes `data` in odd pieces cycling through a few sizes (1 byte to ~100 KiB).
Result<void> write_in_odd_pieces(ByteSink& sink, const std::string& data) {
  static constexpr std::size_t kPieces[] = {1, 7, 4093, 131, 65537, 3, 100001};
  std::size_t at = 0;
  for (std::size_t i = 0; at < data.size(); ++i) {
    const std::size_t size = std::min(kPieces[i % std::size(kPieces)], data.size() - at);
    if (auto written = sink.write(std::span<const char>(data.data() + at, size)); !written) {
      return written;
    }
    at += size;
  }
  return {};
}

std::string compress(const std::string& data, ZstdSinkOptions options = {}) {
  MemorySink out;
  auto sink = ZstdSink::create(out, options);
  REQUIRE(sink);
  REQUIRE(write_in_odd_pieces(**sink, data));
  REQUIRE((*sink)->finish());
  CHECK((*sink)->bytes_in() == data.size());
  CHECK((*sink)->bytes_out() == out.data().size());
  CHECK(out.finish_calls() == 1);
  CHECK(out.largest_write() <= ZSTD_CStreamOutSize());
  return out.data();
}

// Reads `source` to the end with reads of varying odd sizes.
Result<std::string> read_all(ByteSource& source) {
  static constexpr std::size_t kReads[] = {1, 5000, 3, 131073, 77};
  std::string result;
  std::string buffer(131073, '\0');
  for (std::size_t i = 0;; ++i) {
    const std::size_t size = kReads[i % std::size(kReads)];
    auto got = source.read(std::span<char>(buffer.data(), size));
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return result;
    result.append(buffer.data(), *got);
  }
}

Result<std::string> decompress(const std::string& compressed, std::size_t max_read = 4097) {
  MemorySource input(compressed, max_read);
  auto source = ZstdSource::create(input);
  REQUIRE(source);
  return read_all(**source);
}

TEST_CASE(
    "ZstdSink output decompresses to the input through ZstdSource, for every size and level") {
  struct Case {
    const char* name;
    std::string data;
    int level;
    int workers;
  };
  const Case cases[] = {
      {"0 bytes", "", 3, 0},
      {"1 byte", "x", 3, 0},
      {"10 MiB random, single-threaded", random_bytes(10 << 20, 1), 3, 0},
      {"10 MiB compressible, single-threaded", compressible_bytes(10 << 20, 2), 3, 0},
      {"10 MiB random, 2 workers", random_bytes(10 << 20, 3), 3, 2},
      {"10 MiB compressible, 2 workers", compressible_bytes(10 << 20, 4), 3, 2},
      {"10 MiB compressible, level 1, 2 workers", compressible_bytes(10 << 20, 5), 1, 2},
      {"1 MiB compressible, level 19", compressible_bytes(1 << 20, 6), 19, 0},
      {"10 MiB compressible, level -5", compressible_bytes(10 << 20, 7), -5, 0},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    const std::string compressed = compress(c.data, {.level = c.level, .workers = c.workers});
    auto round_trip = decompress(compressed);
    if (!round_trip) FAIL(round_trip.error().message);
    CHECK(round_trip->size() == c.data.size());
    CHECK(*round_trip == c.data);
  }
}

TEST_CASE("zstd: compressible data shrinks and random data grows only by framing overhead") {
  const std::string text = compressible_bytes(4 << 20, 8);
  CHECK(compress(text).size() < text.size() / 5);
  const std::string noise = random_bytes(4 << 20, 9);
  CHECK(compress(noise).size() < noise.size() + noise.size() / 1000 + 64);
}

TEST_CASE("zstd: workers default to the hardware threads and are honoured when asked") {
  MemorySink out;
  auto by_default = ZstdSink::create(out);
  REQUIRE(by_default);
  const int hardware = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  CHECK((*by_default)->workers() == hardware);
  auto two = ZstdSink::create(out, {.level = 3, .workers = 2});
  REQUIRE(two);
  CHECK((*two)->workers() == 2);
  auto none = ZstdSink::create(out, {.level = 3, .workers = 0});
  REQUIRE(none);
  CHECK((*none)->workers() == 0);
}

TEST_CASE("zstd: a truncated or damaged frame is corrupt, and so is an empty input") {
  const std::string data = compressible_bytes(1 << 20, 10) + random_bytes(1 << 20, 11);
  const std::string compressed = compress(data);
  struct Case {
    const char* name;
    std::string input;
  };
  std::string flipped = compressed;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x40);
  std::string bad_checksum = compressed;
  bad_checksum.back() = static_cast<char>(bad_checksum.back() ^ 0x01);
  const Case cases[] = {
      {"empty input", ""},
      {"only the magic number", compressed.substr(0, 4)},
      {"cut in the middle", compressed.substr(0, compressed.size() / 2)},
      {"last byte missing", compressed.substr(0, compressed.size() - 1)},
      {"a byte flipped in the middle", flipped},
      {"a byte of the checksum flipped", bad_checksum},
      {"not zstd at all", "this is plain text, not a zstd frame"},
      {"garbage after a complete frame", compressed + "garbage"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    MemorySource input(c.input, 4097);
    auto source = ZstdSource::create(input);
    REQUIRE(source);
    auto result = read_all(**source);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::corrupt);
    CHECK(result.error().message.starts_with("zstd: "));
    // The error sticks.
    char byte = 0;
    auto again = (*source)->read(std::span<char>(&byte, 1));
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::corrupt);
  }
}

TEST_CASE("ZstdSource reads concatenated frames as one stream and reports the end repeatedly") {
  const std::string first = compressible_bytes(300000, 12);
  const std::string second = random_bytes(200000, 13);
  MemorySource input(compress(first) + compress(second), 1000);
  auto source = ZstdSource::create(input);
  REQUIRE(source);
  auto result = read_all(**source);
  REQUIRE(result);
  CHECK(*result == first + second);
  char byte = 0;
  auto end = (*source)->read(std::span<char>(&byte, 1));
  REQUIRE(end);
  CHECK(*end == 0);
}

TEST_CASE("ZstdSource passes the input's own error through unchanged") {
  const std::string compressed = compress(random_bytes(1 << 20, 14));
  MemorySource input(compressed, 4096);
  input.fail_after(100000, Error{ErrorKind::transient, "connection reset", "reset"});
  auto source = ZstdSource::create(input);
  REQUIRE(source);
  auto result = read_all(**source);
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::transient);
  CHECK(result.error().message == "connection reset");
}

TEST_CASE("ZstdSink output is a standard frame: the zstd CLI decompresses it") {
  const std::string data = compressible_bytes(3 << 20, 15) + random_bytes(1 << 20, 16);
  for (const int workers : {0, 2}) {
    CAPTURE(workers);
    const std::string compressed = compress(data, {.level = 3, .workers = workers});
    char name[] = "/tmp/erp-zstd-test-XXXXXX";
    const int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    {
      std::ofstream file(name, std::ios::binary);
      file.write(compressed.data(), static_cast<std::streamsize>(compressed.size()));
    }
    const std::string command = std::string("zstd -q -d -c ") + name;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buffer[65536];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    CHECK(pclose(pipe) == 0);
    std::filesystem::remove(name);
    CHECK(output.size() == data.size());
    CHECK(output == data);
  }
}

TEST_CASE("zstd: a failing next sink's error comes back unchanged; abort reaches it once") {
  MemorySink out;
  out.fail_on_write(1, Error{ErrorKind::transient, "part 1 failed"});
  auto sink = ZstdSink::create(out, {.level = 3, .workers = 0});
  REQUIRE(sink);
  // Random data fills the 128 KiB output buffer quickly, which forces the first write to next.
  const auto written = write_in_odd_pieces(**sink, random_bytes(1 << 20, 17));
  REQUIRE_FALSE(written);
  CHECK(written.error().kind == ErrorKind::transient);
  CHECK(written.error().message == "part 1 failed");
  CHECK_FALSE((*sink)->write(std::span<const char>("x", 1)));
  CHECK_FALSE((*sink)->finish());
  CHECK(out.finish_calls() == 0);
  (*sink)->abort();
  (*sink)->abort();
  CHECK(out.abort_calls() == 1);
}

TEST_CASE("zstd: finish and abort are forwarded exactly once, abort not after a finish") {
  MemorySink out;
  auto sink = ZstdSink::create(out, {.level = 3, .workers = 2});
  REQUIRE(sink);
  REQUIRE((*sink)->write(std::span<const char>("hello", 5)));
  REQUIRE((*sink)->finish());
  CHECK_FALSE((*sink)->finish());
  (*sink)->abort();
  CHECK(out.finish_calls() == 1);
  CHECK(out.abort_calls() == 0);

  MemorySink aborted_out;
  auto aborted = ZstdSink::create(aborted_out, {.level = 3, .workers = 2});
  REQUIRE(aborted);
  REQUIRE((*aborted)->write(std::span<const char>("hello", 5)));
  (*aborted)->abort();
  (*aborted)->abort();
  CHECK(aborted_out.abort_calls() == 1);
  CHECK(aborted_out.finish_calls() == 0);
  CHECK_FALSE((*aborted)->write(std::span<const char>("x", 1)));

  MemorySink failing_finish;
  failing_finish.fail_on_finish(Error{ErrorKind::permanent, "complete failed"});
  auto sink2 = ZstdSink::create(failing_finish, {.level = 3, .workers = 0});
  REQUIRE(sink2);
  const auto finished = (*sink2)->finish();
  REQUIRE_FALSE(finished);
  CHECK(finished.error().message == "complete failed");
  (*sink2)->abort();
  CHECK(failing_finish.abort_calls() == 1);
}

}  // namespace
}  // namespace erp::codec
