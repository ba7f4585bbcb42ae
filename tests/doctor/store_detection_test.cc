#include "doctor/store_detection.h"

#include <doctest/doctest.h>

using namespace erp::doctor;
using Headers = std::vector<erp::http::Header>;

TEST_CASE("each store is told by the headers it really sends") {
  struct Case {
    const char* what;
    std::vector<Headers> replies;
    StoreKind kind;
  };
  const std::vector<Case> cases = {
      // Measured: moto_server 5 (Werkzeug), on PUT and on listings.
      {"moto",
       {{{"server", "Werkzeug/3.1.8 Python/3.11.7"}, {"x-amzn-requestid", "P4LU"}}},
       StoreKind::moto},
      {"moto listing", {{{"Server", "amazon.com"}}}, StoreKind::moto},
      // Measured: s3rver 3.7 sends no Server and no request id.
      {"s3rver",
       {{{"content-type", "application/xml"}, {"date", "Mon, 07 Dec 2026 16:54:04 GMT"}}},
       StoreKind::other},
      {"gcs",
       {{{"X-GUploader-UploadID", "ABgVH8abc"}, {"Server", "UploadServer"}}},
       StoreKind::gcs},
      {"gcs by x-goog-*", {{{"x-goog-generation", "1700000000000000"}}}, StoreKind::gcs},
      {"minio",
       {{{"Server", "MinIO"}, {"X-Amz-Request-Id", "17A2B3C4D5E6F708"}}},
       StoreKind::minio},
      {"minio by header", {{{"x-minio-deployment-id", "d1"}}}, StoreKind::minio},
      {"rgw by request id",
       {{{"x-amz-request-id", "tx00000a3d1b2c4e5f60718-0065f1c2d3-1039-default"}}},
       StoreKind::rgw},
      {"rgw by x-rgw-*", {{{"X-RGW-Object-Count", "3"}}}, StoreKind::rgw},
      {"aws", {{{"Server", "AmazonS3"}, {"x-amz-request-id", "4442587FB7D0A2F9"}}}, StoreKind::aws},
      {"nothing", {}, StoreKind::other},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const StoreGuess guess = detect_store(c.replies);
    CHECK(guess.kind == c.kind);
    CHECK_FALSE(guess.evidence.empty());
  }
}

TEST_CASE("the most specific sign wins over a proxied store's own (GCS-mode front over moto)") {
  const std::vector<Headers> replies = {
      {{"Server", "Werkzeug/3.1.8 Python/3.11.7"}, {"x-amzn-requestid", "abc"}},
      {{"Server", "s3front"}, {"x-guploader-uploadid", "ABgVH8123"}},
  };
  const StoreGuess guess = detect_store(replies);
  CHECK(guess.kind == StoreKind::gcs);
  CHECK(guess.evidence == "x-guploader-uploadid: ABgVH8123");
  CHECK(display_name(guess.kind) == "Google Cloud Storage (XML API)");
  CHECK(to_string(guess.kind) == "gcs");
}

TEST_CASE("an unknown store says what its Server header was") {
  const StoreGuess guess = detect_store({{{"Server", "s3front"}}});
  CHECK(guess.kind == StoreKind::other);
  CHECK(guess.evidence == "no identifying header; Server: s3front");
}

TEST_CASE("Ceph RGW request ids have their own shape; AWS's and MinIO's do not") {
  CHECK(is_rgw_request_id("tx00000a3d1b2c4e5f60718-0065f1c2d3-1039-default"));
  CHECK(is_rgw_request_id("tx0000012345678901234ab-0065f1c2d3-0"));
  CHECK_FALSE(is_rgw_request_id("4442587FB7D0A2F9"));
  CHECK_FALSE(is_rgw_request_id("tx-0065f1c2d3-1039"));
  CHECK_FALSE(is_rgw_request_id("tx00000a3d1b2c4e5f60718"));              // no time, no id
  CHECK_FALSE(is_rgw_request_id("tx00000a3d1b2c4e5f6071z-0065f1-1039"));  // not hex
}
