// The read-ahead of `restore db` (app/restore/restore_db_read_ahead.h): what fill() holds comes
// first, then the rest, every byte once, in order.
#include "app/restore/restore_db_read_ahead.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace erp::app {
namespace {

// A source over a string, at most `step` bytes per read; counts its reads.
class StringSource final : public ByteSource {
 public:
  StringSource(std::string data, std::size_t step) : data_(std::move(data)), step_(step) {}
  Result<std::size_t> read(std::span<char> buffer) override {
    ++reads;
    const std::size_t n = std::min({buffer.size(), step_, data_.size() - offset_});
    std::memcpy(buffer.data(), data_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  int reads = 0;

 private:
  std::string data_;
  std::size_t step_;
  std::size_t offset_ = 0;
};

std::string read_all(ByteSource& source, std::size_t chunk) {
  std::string out;
  std::string buffer(chunk, '\0');
  for (;;) {
    auto got = source.read(buffer);
    REQUIRE(got);
    if (*got == 0) return out;
    out.append(buffer.data(), *got);
  }
}

}  // namespace

TEST_CASE("the read-ahead holds the first bytes, then passes the rest through") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += std::to_string(i) + ",";
  StringSource source(data, 7);
  ReadAhead ahead(source);
  REQUIRE(ahead.fill(100));
  const int reads_for_fill = source.reads;
  CHECK(reads_for_fill == 15);  // 100 bytes, 7 at a time
  CHECK(read_all(ahead, 33) == data);
}

TEST_CASE("a source shorter than the read-ahead ends where it ends") {
  StringSource source("PGDMP", 64);
  ReadAhead ahead(source);
  REQUIRE(ahead.fill(1 << 20));
  CHECK(read_all(ahead, 2) == "PGDMP");
  StringSource empty("", 64);
  ReadAhead nothing(empty);
  REQUIRE(nothing.fill(10));
  CHECK(read_all(nothing, 4).empty());
}

}  // namespace erp::app
