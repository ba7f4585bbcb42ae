#include "upload/part_schedule.h"

#include <string>

namespace erp::upload {

// The promises of the schedule, checked by the compiler: SPEC §4 wants at least 1 TiB at the
// default first part size, and the largest part at defaults should not exceed the default
// S3_BUFFER_BUDGET (128 MiB) so that such a stream can actually be buffered.
static_assert(PartSchedule{}.max_stream_bytes() >= kTiB);
static_assert(PartSchedule{}.largest_part_size() == 128 * kMiB);
static_assert(PartSchedule{kS3MinPartSize}.part_size(1) >= kS3MinPartSize);
static_assert(PartSchedule{kS3MaxPartSize}.largest_part_size() <= kS3MaxPartSize);

Result<void> check_first_part_size(std::uint64_t bytes) {
  if (bytes < kS3MinPartSize || bytes > kS3MaxPartSize) {
    return make_error(ErrorKind::config,
                      "S3_PART_SIZE=" + std::to_string(bytes) +
                          " bytes is outside S3's part size limits (hint: use a size between "
                          "5MiB and 5GiB; the default is 8MiB)");
  }
  return {};
}

}  // namespace erp::upload
