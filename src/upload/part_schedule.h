// Part size as a pure function of the part number, so that a stream of unknown length
// fits in S3's 10,000 parts while small streams keep small buffers (SPEC §4).
//
// The schedule, with B = the first part size (S3_PART_SIZE, default 8 MiB):
//
//   parts      1 .. 1000   B        (8 MiB)    streams up to 1000 B      (~7.8 GiB) never grow
//   parts   1001 .. 1250   2 B     (16 MiB)
//   parts   1251 .. 1500   4 B     (32 MiB)
//   parts   1501 .. 1750   8 B     (64 MiB)
//   parts   1751 .. 10000  16 B   (128 MiB)    reached after 4500 B          (~35 GiB)
//
// every size clamped to S3's 5 GiB maximum. 10,000 parts hold 136,500 B: at B = 8 MiB that is
// 1,092,000 MiB ≈ 1.04 TiB (SPEC: at least 1 TiB at defaults).
//
// Why this shape: 1 TiB in 10,000 parts needs an average part of ~105 MiB, so large parts are
// unavoidable; the question is only how large the largest one gets, because a part is buffered
// whole in memory. Capping growth at 16 B makes the largest part (128 MiB) equal to the default
// S3_BUFFER_BUDGET, so a 1 TiB stream still runs at defaults (one part at a time by then), instead
// of the 4 GiB parts a "double every 1000 parts" schedule would reach. To reach 1 TiB under that
// cap almost every part must be at the cap, so the climb is short (three doublings, 250 parts
// each) and starts late (after 1000 base parts), which keeps the ERP-sized streams this tool is
// for (dumps and document trees of a few GiB) entirely at the base size: with concurrency 4,
// (4 + 1) x 8 MiB = 40 MiB of buffers per stream.
//
// The schedule and the buffer budget agree: a part is buffered whole, so no part may be larger
// than S3_BUFFER_BUDGET. The sink builds its schedule with the budget as `max_part_size`, and
// every size is capped there; a budget below 16 B lowers the largest stream (max_stream_bytes()
// says by how much, and `backup` refuses a database larger than that before it starts) instead
// of failing a stream after ~35 GiB. At defaults the cap (128 MiB) is exactly 16 B, so nothing
// changes: 1.04 TiB.
//
// Everything here is constexpr and allocation-free; thread-safe as a value.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/error.h"

namespace erp::upload {

inline constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kTiB = std::uint64_t{1} << 40;

inline constexpr int kS3MaxParts = 10'000;                 // S3 limit on parts per upload
inline constexpr std::uint64_t kS3MinPartSize = 5 * kMiB;  // S3 minimum for all but the last part
inline constexpr std::uint64_t kS3MaxPartSize = 5 * kGiB;  // S3 maximum for any part
inline constexpr std::uint64_t kDefaultFirstPartSize = 8 * kMiB;  // S3_PART_SIZE default

// Checks an operator-supplied S3_PART_SIZE: config error (with hint) unless it lies in
// [5 MiB, 5 GiB]. PartSchedule itself accepts smaller sizes so tests can use tiny parts.
Result<void> check_first_part_size(std::uint64_t bytes);

class PartSchedule {
 public:
  // `first_part_size` is clamped to [1, 5 GiB] and `max_part_size` (the buffer budget) to
  // [1, 5 GiB]; no part is larger than the cap, the first one included. Production callers pass
  // a first part accepted by check_first_part_size() and a budget of at least two first parts;
  // only then is every size within S3's [5 MiB, 5 GiB].
  constexpr explicit PartSchedule(std::uint64_t first_part_size = kDefaultFirstPartSize,
                                  std::uint64_t max_part_size = kS3MaxPartSize)
      : cap_(clamp_to_s3(max_part_size)),
        base_(std::min(clamp_to_s3(first_part_size), clamp_to_s3(max_part_size))) {}

  constexpr std::uint64_t first_part_size() const { return base_; }
  constexpr std::uint64_t max_part_size() const { return cap_; }

  // Size of part `part_number` (1..10000); 0 outside that range.
  constexpr std::uint64_t part_size(int part_number) const {
    if (part_number < 1 || part_number > kS3MaxParts) return 0;
    const Step& step = kSteps[step_index(part_number)];
    return clamp_size(base_ * step.multiplier);
  }

  // The largest part the schedule ever asks for (part 10,000): a part buffer of this size must
  // fit in the buffer budget for a stream of max_stream_bytes() to succeed.
  constexpr std::uint64_t largest_part_size() const { return part_size(kS3MaxParts); }

  // Bytes held by parts 1..part_number together (0 for part_number < 1; capped at 10,000).
  constexpr std::uint64_t bytes_through(int part_number) const {
    if (part_number < 1) return 0;
    if (part_number > kS3MaxParts) part_number = kS3MaxParts;
    std::uint64_t total = 0;
    for (int i = 0; i < kStepCount; ++i) {
      const int first = kSteps[i].first_part;
      if (part_number < first) break;
      const int last = std::min(part_number, step_last_part(i));
      total +=
          static_cast<std::uint64_t>(last - first + 1) * clamp_size(base_ * kSteps[i].multiplier);
    }
    return total;
  }

  // The most a stream can hold in 10,000 parts.
  constexpr std::uint64_t max_stream_bytes() const { return bytes_through(kS3MaxParts); }

  // How many parts a stream of `bytes` occupies: 1 for 0..part_size(1) bytes (a single PUT),
  // nullopt when it does not fit in 10,000 parts.
  constexpr std::optional<int> parts_needed(std::uint64_t bytes) const {
    if (bytes == 0) return 1;
    std::uint64_t before = 0;  // bytes held by the parts before step i
    for (int i = 0; i < kStepCount; ++i) {
      const int first = kSteps[i].first_part;
      const int count = step_last_part(i) - first + 1;
      const std::uint64_t size = clamp_size(base_ * kSteps[i].multiplier);
      const std::uint64_t in_step = static_cast<std::uint64_t>(count) * size;
      if (bytes <= before + in_step) {
        const std::uint64_t rest = bytes - before;
        return first - 1 + static_cast<int>((rest + size - 1) / size);
      }
      before += in_step;
    }
    return std::nullopt;
  }

 private:
  struct Step {
    int first_part;
    std::uint64_t multiplier;
  };
  // See the table at the top of this file.
  static constexpr Step kSteps[] = {{1, 1}, {1001, 2}, {1251, 4}, {1501, 8}, {1751, 16}};
  static constexpr int kStepCount = sizeof(kSteps) / sizeof(kSteps[0]);

  static constexpr int step_last_part(int i) {
    return i + 1 < kStepCount ? kSteps[i + 1].first_part - 1 : kS3MaxParts;
  }
  static constexpr int step_index(int part_number) {
    int i = 0;
    while (i + 1 < kStepCount && part_number >= kSteps[i + 1].first_part) ++i;
    return i;
  }
  static constexpr std::uint64_t clamp_to_s3(std::uint64_t size) {
    return size < 1 ? 1 : size > kS3MaxPartSize ? kS3MaxPartSize : size;
  }
  constexpr std::uint64_t clamp_size(std::uint64_t size) const { return size > cap_ ? cap_ : size; }

  std::uint64_t cap_;
  std::uint64_t base_;
};

}  // namespace erp::upload
