#include "upload/part_schedule.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace erp::upload {
namespace {

struct SizeAt {
  int part_number;
  std::uint64_t size;
};

}  // namespace

TEST_CASE("at the default part size 10,000 parts hold at least 1 TiB") {
  const PartSchedule schedule;
  CHECK(schedule.first_part_size() == 8 * kMiB);
  CHECK(schedule.max_stream_bytes() >= kTiB);
  // 1000 x 8 + 250 x (16 + 32 + 64) + 8250 x 128 MiB
  CHECK(schedule.max_stream_bytes() == std::uint64_t{1'092'000} * kMiB);
}

TEST_CASE("the default schedule keeps 1000 parts at 8 MiB, then doubles three times to 128 MiB") {
  const PartSchedule schedule;
  const SizeAt table[] = {
      {1, 8 * kMiB},     {2, 8 * kMiB},      {1000, 8 * kMiB},   {1001, 16 * kMiB},
      {1250, 16 * kMiB}, {1251, 32 * kMiB},  {1500, 32 * kMiB},  {1501, 64 * kMiB},
      {1750, 64 * kMiB}, {1751, 128 * kMiB}, {5000, 128 * kMiB}, {10000, 128 * kMiB},
  };
  for (const auto& row : table) {
    CAPTURE(row.part_number);
    CHECK(schedule.part_size(row.part_number) == row.size);
  }
  CHECK(schedule.largest_part_size() == 128 * kMiB);
}

TEST_CASE("bytes held through a part number, at defaults") {
  const PartSchedule schedule;
  CHECK(schedule.bytes_through(0) == 0);
  CHECK(schedule.bytes_through(1) == 8 * kMiB);
  CHECK(schedule.bytes_through(1000) == 8000 * kMiB);
  CHECK(schedule.bytes_through(1001) == 8016 * kMiB);
  CHECK(schedule.bytes_through(1750) == 36000 * kMiB);  // where parts reach 128 MiB (~35 GiB)
  CHECK(schedule.bytes_through(10000) == schedule.max_stream_bytes());
  CHECK(schedule.bytes_through(20000) == schedule.max_stream_bytes());
}

TEST_CASE("for every S3-valid first part size, sizes stay within S3's limits and never shrink") {
  const std::uint64_t bases[] = {kS3MinPartSize, 8 * kMiB,   64 * kMiB,
                                 100 * kMiB + 1, 512 * kMiB, kS3MaxPartSize};
  for (std::uint64_t base : bases) {
    CAPTURE(base);
    REQUIRE(check_first_part_size(base).has_value());
    const PartSchedule schedule(base);
    CHECK(schedule.part_size(1) == base);
    std::uint64_t previous = 0;
    std::uint64_t total = 0;
    bool all_ok = true;
    for (int n = 1; n <= kS3MaxParts; ++n) {
      const std::uint64_t size = schedule.part_size(n);
      total += size;
      if (size < kS3MinPartSize || size > kS3MaxPartSize || size < previous ||
          schedule.bytes_through(n) != total) {
        all_ok = false;
        CAPTURE(n);
        CHECK(size >= kS3MinPartSize);
        CHECK(size <= kS3MaxPartSize);
        CHECK(size >= previous);
        CHECK(schedule.bytes_through(n) == total);
        break;
      }
      previous = size;
    }
    CHECK(all_ok);
    CHECK(schedule.max_stream_bytes() == total);
    CHECK(schedule.largest_part_size() == previous);
  }
}

TEST_CASE("the maximum stream size scales with the first part size, capped by S3's 5 GiB parts") {
  struct Row {
    std::uint64_t base;
    std::uint64_t largest;
    std::uint64_t max_bytes;
  };
  const Row table[] = {
      {5 * kMiB, 80 * kMiB, std::uint64_t{136'500} * 5 * kMiB},   // ~0.65 TiB
      {8 * kMiB, 128 * kMiB, std::uint64_t{136'500} * 8 * kMiB},  // ~1.04 TiB
      {64 * kMiB, 1 * kGiB, std::uint64_t{136'500} * 64 * kMiB},  // ~8.3 TiB
      // 16 x 512 MiB would be 8 GiB: the last 8250 parts are clamped to 5 GiB.
      {512 * kMiB, 5 * kGiB, (1000 + 2 * 250 + 4 * 250 + 8 * 250) * 512 * kMiB + 8250 * 5 * kGiB},
      {5 * kGiB, 5 * kGiB, std::uint64_t{10'000} * 5 * kGiB},
  };
  for (const auto& row : table) {
    CAPTURE(row.base);
    const PartSchedule schedule(row.base);
    CHECK(schedule.largest_part_size() == row.largest);
    CHECK(schedule.max_stream_bytes() == row.max_bytes);
  }
}

TEST_CASE("parts_needed is the smallest part count that holds the bytes") {
  const PartSchedule schedule;
  CHECK(schedule.parts_needed(0) == 1);  // an empty object is still one PUT
  CHECK(schedule.parts_needed(1) == 1);
  CHECK(schedule.parts_needed(8 * kMiB) == 1);
  CHECK(schedule.parts_needed(8 * kMiB + 1) == 2);
  CHECK(schedule.parts_needed(8000 * kMiB) == 1000);
  CHECK(schedule.parts_needed(8000 * kMiB + 1) == 1001);
  CHECK(schedule.parts_needed(8016 * kMiB) == 1001);
  CHECK(schedule.parts_needed(kTiB) == 9661);  // 1750 + ceil((1 TiB - 36000 MiB) / 128 MiB)
  CHECK(schedule.parts_needed(schedule.max_stream_bytes()) == kS3MaxParts);
  CHECK_FALSE(schedule.parts_needed(schedule.max_stream_bytes() + 1).has_value());

  // The same boundary property at every step edge, for several first part sizes.
  for (std::uint64_t base : {std::uint64_t{1}, std::uint64_t{3}, 5 * kMiB, 64 * kMiB}) {
    const PartSchedule other(base);
    for (int n : {1, 2, 999, 1000, 1001, 1250, 1251, 1500, 1501, 1750, 1751, 9999}) {
      CAPTURE(base);
      CAPTURE(n);
      CHECK(other.parts_needed(other.bytes_through(n)) == n);
      CHECK(other.parts_needed(other.bytes_through(n) + 1) == n + 1);
    }
  }
}

TEST_CASE("part numbers outside 1..10000 have no size") {
  const PartSchedule schedule;
  CHECK(schedule.part_size(0) == 0);
  CHECK(schedule.part_size(-1) == 0);
  CHECK(schedule.part_size(kS3MaxParts + 1) == 0);
}

TEST_CASE("tiny first part sizes are allowed for tests and follow the same shape") {
  const PartSchedule schedule(1);
  CHECK(schedule.part_size(1000) == 1);
  CHECK(schedule.part_size(1001) == 2);
  CHECK(schedule.part_size(1251) == 4);
  CHECK(schedule.part_size(1501) == 8);
  CHECK(schedule.part_size(1751) == 16);
  CHECK(schedule.max_stream_bytes() == 136'500);
  CHECK(PartSchedule(0).first_part_size() == 1);  // clamped, never a zero-sized part
}

TEST_CASE("check_first_part_size accepts S3's range and names the setting otherwise") {
  CHECK(check_first_part_size(5 * kMiB).has_value());
  CHECK(check_first_part_size(5 * kGiB).has_value());
  for (std::uint64_t bad : {std::uint64_t{0}, 5 * kMiB - 1, 5 * kGiB + 1}) {
    CAPTURE(bad);
    auto checked = check_first_part_size(bad);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().kind == ErrorKind::config);
    CHECK(checked.error().message.find("S3_PART_SIZE") != std::string::npos);
    CHECK(checked.error().message.find("hint:") != std::string::npos);
  }
}

TEST_CASE("the schedule is a compile-time function") {
  static_assert(PartSchedule{}.part_size(1) == 8 * kMiB);
  static_assert(PartSchedule{}.max_stream_bytes() >= kTiB);
  static_assert(PartSchedule{}.parts_needed(0) == 1);
  CHECK(true);
}

}  // namespace erp::upload

namespace erp::upload {

TEST_CASE("the budget caps every part, and the largest stream shrinks with it") {
  // Budgets an operator might set, with the default first part and with others.
  const std::uint64_t firsts[] = {5 * kMiB, 8 * kMiB, 16 * kMiB, 64 * kMiB};
  const std::uint64_t budgets[] = {16 * kMiB,  32 * kMiB,  64 * kMiB, 100 * kMiB,
                                   128 * kMiB, 256 * kMiB, 1 * kGiB,  8 * kGiB};
  for (std::uint64_t first : firsts) {
    std::uint64_t previous_max = 0;
    for (std::uint64_t budget : budgets) {
      if (budget < 2 * first) continue;  // refused by the configuration
      CAPTURE(first);
      CAPTURE(budget);
      const PartSchedule schedule(first, budget);
      std::uint64_t total = 0;
      for (int part = 1; part <= kS3MaxParts; ++part) {
        const std::uint64_t size = schedule.part_size(part);
        REQUIRE(size <= budget);          // every part fits in the budget...
        REQUIRE(size <= kS3MaxPartSize);  // ...and in S3's limit
        if (part < kS3MaxParts) REQUIRE(size >= kS3MinPartSize);
        total += size;
      }
      CHECK(schedule.largest_part_size() <= budget);
      CHECK(schedule.max_stream_bytes() == total);         // what it says it carries, it carries
      CHECK(schedule.max_stream_bytes() >= previous_max);  // a larger budget never carries less
      previous_max = schedule.max_stream_bytes();
    }
  }
}

TEST_CASE("at the default budget the cap changes nothing; below it the largest stream says so") {
  CHECK(PartSchedule(8 * kMiB, 128 * kMiB).max_stream_bytes() ==
        PartSchedule(8 * kMiB).max_stream_bytes());
  // 64 MiB budget: parts stop growing at 64 MiB, so 1750 parts then 8250 x 64 MiB.
  const PartSchedule half(8 * kMiB, 64 * kMiB);
  CHECK(half.largest_part_size() == 64 * kMiB);
  CHECK(half.max_stream_bytes() ==
        std::uint64_t{1000} * 8 * kMiB + 250 * (16 + 32 + 64) * kMiB + 8250 * 64 * kMiB);
  CHECK(half.max_stream_bytes() < kTiB);
  CHECK(half.parts_needed(half.max_stream_bytes()) == kS3MaxParts);
  CHECK_FALSE(half.parts_needed(half.max_stream_bytes() + 1).has_value());
}

}  // namespace erp::upload
