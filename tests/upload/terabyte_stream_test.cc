// SPEC §4 at full scale: a 1 TiB stream at the default settings (8 MiB first part, 4 parts in
// flight, 128 MiB budget) runs through the real multipart sink into a store that counts bytes
// instead of keeping them, and never holds more part memory than the budget.
//
// It copies 1 TiB into part buffers (about a minute and a half of one core), so it lives in
// the "slow" suite, which ctest runs as its own entry beside the other unit tests.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "upload/buffer_pool.h"
#include "upload/multipart_sink.h"
#include "upload/part_schedule.h"

namespace erp::upload {
namespace {

// Counts what reaches it. Thread-safe (parts arrive from the sink's workers).
class CountingStore final : public s3::ObjectStore {
 public:
  const std::string& bucket() const override { return bucket_; }
  Result<std::string> put_object(std::string_view, std::span<const char> body) override {
    bytes_ += body.size();
    return std::string("single");
  }
  Result<std::string> create_multipart_upload(std::string_view) override {
    ++creates_;
    return std::string("upload-1");
  }
  Result<std::string> upload_part(std::string_view, std::string_view, int part_number,
                                  std::span<const char> body) override {
    bytes_ += body.size();
    std::lock_guard lock(mutex_);
    part_sizes_[part_number] = body.size();
    return "etag-" + std::to_string(part_number);
  }
  Result<std::string> complete_multipart_upload(
      std::string_view, std::string_view, const std::vector<s3::CompletedPart>& parts) override {
    completed_parts_ = parts.size();
    return std::string("final");
  }
  Result<void> abort_multipart_upload(std::string_view, std::string_view) override {
    ++aborts_;
    return {};
  }
  Result<std::vector<s3::MultipartUpload>> list_multipart_uploads(std::string_view) override {
    return std::vector<s3::MultipartUpload>{};
  }
  Result<s3::ListPage> list_objects_v2(std::string_view, std::string_view, std::string_view,
                                       int) override {
    return s3::ListPage{};
  }
  Result<s3::ObjectInfo> head_object(std::string_view) override {
    return make_error(ErrorKind::not_found, "absent");
  }
  Result<void> get_object(std::string_view, ByteSink&, std::optional<s3::ByteRange>) override {
    return make_error(ErrorKind::not_found, "absent");
  }
  Result<void> delete_object(std::string_view) override { return {}; }
  Result<std::vector<s3::DeleteFailure>> delete_objects(const std::vector<std::string>&) override {
    return std::vector<s3::DeleteFailure>{};
  }

  std::uint64_t bytes() const { return bytes_; }
  int creates() const { return creates_; }
  int aborts() const { return aborts_; }
  std::size_t completed_parts() const { return completed_parts_; }
  std::map<int, std::uint64_t> part_sizes() const {
    std::lock_guard lock(mutex_);
    return part_sizes_;
  }

 private:
  const std::string bucket_ = "counting";
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<int> creates_{0};
  std::atomic<int> aborts_{0};
  std::atomic<std::size_t> completed_parts_{0};
  mutable std::mutex mutex_;
  std::map<int, std::uint64_t> part_sizes_;
};

}  // namespace

TEST_SUITE("slow") {
  TEST_CASE("a 1 TiB stream at default settings runs through the sink within the budget") {
    CountingStore store;
    BufferPool pool;  // S3_BUFFER_BUDGET default
    MultipartSink sink(store, pool, "erp/prod/db/20261130T000000Z.dump");  // defaults
    const PartSchedule schedule(kDefaultFirstPartSize, pool.budget());

    const std::vector<char> chunk(8 * kMiB, 'x');
    const std::span<const char> data(chunk.data(), chunk.size());
    for (std::uint64_t written = 0; written < kTiB; written += chunk.size()) {
      const auto result = sink.write(data);
      REQUIRE_MESSAGE(result.has_value(), result.error().message);
    }
    const auto finished = sink.finish();
    REQUIRE_MESSAGE(finished.has_value(), finished.error().message);

    CHECK(store.bytes() == kTiB);
    CHECK(store.creates() == 1);
    CHECK(store.aborts() == 0);
    const int expected_parts = schedule.parts_needed(kTiB).value();
    CHECK(expected_parts <= kS3MaxParts);
    CHECK(store.completed_parts() == static_cast<std::size_t>(expected_parts));
    const auto sizes = store.part_sizes();
    REQUIRE(sizes.size() == static_cast<std::size_t>(expected_parts));
    for (const auto& [number, size] : sizes) {
      if (number < expected_parts) {
        REQUIRE(size == schedule.part_size(number));
      } else {
        CHECK(size <= schedule.part_size(number));  // the last part holds the remainder
      }
    }
    CHECK(sink.stats().largest_part == 128 * kMiB);
    CHECK(pool.high_water() <= pool.budget());
    CHECK(sink.stats().peak_buffer_bytes <= pool.budget());
  }
}

}  // namespace erp::upload
