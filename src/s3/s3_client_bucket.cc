// S3Client's read-only bucket-settings operations (s3_client.h, "Bucket settings"), kept out of
// s3_client.cc: they share only the Call machinery (s3_call.h) with the object operations.
#include "s3/bucket_configuration.h"
#include "s3/s3_call.h"
#include "s3/s3_client.h"

namespace erp::s3 {

Result<BucketVersioning> S3Client::get_bucket_versioning() {
  Call call{.operation = "GetBucketVersioning", .method = "GET", .bucket_level = true};
  call.query = {{"versioning", ""}};
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  auto versioning = parse_bucket_versioning(response->body);
  if (!versioning) return std::unexpected(versioning.error().with_context("s3://" + bucket()));
  return versioning;
}

Result<ObjectLockConfiguration> S3Client::get_object_lock_configuration() {
  Call call{.operation = "GetObjectLockConfiguration", .method = "GET", .bucket_level = true};
  call.query = {{"object-lock", ""}};
  auto response = execute(call);
  if (!response) {
    // S3's way of saying "this bucket has no Object Lock": an answer, not a failure.
    if (response.error().code == "ObjectLockConfigurationNotFoundError") {
      return ObjectLockConfiguration{};
    }
    return std::unexpected(response.error());
  }
  auto configuration = parse_object_lock_configuration(response->body);
  if (!configuration) {
    return std::unexpected(configuration.error().with_context("s3://" + bucket()));
  }
  return configuration;
}

}  // namespace erp::s3
