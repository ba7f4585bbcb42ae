// S3Client's read-only bucket settings (s3_client.h, "Bucket settings") over a scripted
// transport: what goes on the wire and how each answer is read.
#include <doctest/doctest.h>

#include <string>

#include "fakes/scripted_transport.h"
#include "s3/s3_client.h"

using namespace erp;
using namespace erp::s3;
using testing::Reply;
using testing::ScriptedTransport;

namespace {

class Client {
 public:
  Client()
      : pool_(transport.factory()),
        client(S3ClientOptions{.endpoint = "http://127.0.0.1:9000",
                               .bucket = "bucket",
                               .scope = {.region = "us-east-1"},
                               .retry = {.max_attempts = 1}},
               Credentials{"AKIDEXAMPLE", Secret(std::string("secret")), Secret()}, pool_) {}

  ScriptedTransport transport;

 private:
  http::TransportPool pool_;

 public:
  S3Client client;
};

}  // namespace

TEST_CASE("GetBucketVersioning: a signed GET of ?versioning on the bucket") {
  Client c;
  c.transport.push(
      Reply::ok("<VersioningConfiguration><Status>Enabled</Status>"
                "</VersioningConfiguration>"));
  const auto versioning = c.client.get_bucket_versioning();
  REQUIRE(versioning.has_value());
  CHECK(versioning->status == VersioningStatus::enabled);
  REQUIRE(c.transport.request_count() == 1);
  const auto request = c.transport.request(0);
  CHECK(request.method == "GET");
  CHECK(request.path() == "/bucket");
  CHECK(request.query() == "versioning");
  CHECK(request.header("Authorization").has_value());
}

TEST_CASE("GetBucketVersioning: a bucket listing in reply (s3rver) is corrupt, naming the bucket") {
  Client c;
  c.transport.push(Reply::ok("<ListBucketResult><Name>bucket</Name></ListBucketResult>"));
  const auto versioning = c.client.get_bucket_versioning();
  REQUIRE_FALSE(versioning.has_value());
  CHECK(versioning.error().kind == ErrorKind::corrupt);
  CHECK(versioning.error().message.find("s3://bucket") != std::string::npos);
}

TEST_CASE("GetObjectLockConfiguration: a signed GET of ?object-lock; enabled with its rule") {
  Client c;
  c.transport.push(
      Reply::ok("<ObjectLockConfiguration><ObjectLockEnabled>Enabled"
                "</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode>"
                "<Years>10</Years></DefaultRetention></Rule>"
                "</ObjectLockConfiguration>"));
  const auto lock = c.client.get_object_lock_configuration();
  REQUIRE(lock.has_value());
  CHECK(lock->enabled);
  CHECK(lock->default_mode == "COMPLIANCE");
  CHECK(lock->default_years == 10);
  const auto request = c.transport.request(0);
  CHECK(request.method == "GET");
  CHECK(request.path() == "/bucket");
  CHECK(request.query() == "object-lock");
}

TEST_CASE("GetObjectLockConfiguration: ObjectLockConfigurationNotFoundError is \"off\"") {
  Client c;
  // moto, AWS and RGW answer a bucket without Object Lock so (404).
  c.transport.push(Reply::s3_error(404, "ObjectLockConfigurationNotFoundError",
                                   "Object Lock configuration does not exist for this bucket"));
  const auto lock = c.client.get_object_lock_configuration();
  REQUIRE(lock.has_value());
  CHECK_FALSE(lock->enabled);
}

TEST_CASE("GetObjectLockConfiguration: NotImplemented and AccessDenied are errors with codes") {
  for (const auto& [status, code] :
       {std::pair{501L, "NotImplemented"}, std::pair{403L, "AccessDenied"},
        std::pair{404L, "NoSuchBucket"}}) {
    CAPTURE(code);
    Client c;
    c.transport.push(Reply::s3_error(status, code));
    const auto lock = c.client.get_object_lock_configuration();
    REQUIRE_FALSE(lock.has_value());
    CHECK(lock.error().code == code);
  }
}
