// S3Client's Object Lock and version operations (issue 20) over a scripted transport: the request
// line, headers, signed-header list and body of each, and how each answer is read. Every request
// also passes the harness's dialect check (s3_client_harness.h): Content-MD5 exactly where a
// checksum is required, never an x-amz-checksum-* header, what was signed is what was sent.
//
// The Content-MD5 values below are computed independently of the client (Python's hashlib:
// base64(md5(body))), so a wrong digest in codec::md5_base64 cannot agree with itself.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/memory_sink.h"
#include "s3/s3_client.h"
#include "s3/s3_client_harness.h"

namespace erp::s3 {
namespace {

using namespace client_test;

constexpr std::string_view kKey = "erp/prod/db/20261207T020000Z.dump";
constexpr std::string_view kBody = "locked body";
constexpr std::string_view kBodyMd5 = "muw8FM2HgWZtaRrOw2BpKA==";
constexpr std::string_view kRetentionBody =
    "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>GOVERNANCE</Mode>"
    "<RetainUntilDate>2026-12-09T22:15:00Z</RetainUntilDate></Retention>";
constexpr std::string_view kRetentionMd5 = "HYjDiH/zVhhTEIb6rNW23A==";
constexpr std::string_view kGcsEndpoint = "https://storage.googleapis.com";

const ObjectLock kLock{LockMode::governance,
                       std::chrono::sys_days{std::chrono::year{2026} / 12 / 9} + 22h + 15min};

bool signs(const RecordedRequest& request, std::string_view name) {
  return std::ranges::count(request.signed_headers(), name) == 1;
}

bool has_amz_lock_header(const RecordedRequest& request) {
  return request.header("x-amz-object-lock-mode") ||
         request.header("x-amz-object-lock-retain-until-date");
}

Reply head_with(std::vector<http::Header> extra) {
  extra.push_back({"Content-Length", "11"});
  extra.push_back({"ETag", "\"e1\""});
  return Reply::ok({}, std::move(extra));
}

// --- writes with a lock -----------------------------------------------------------------------

TEST_CASE("PutObject with a lock: the lock headers and Content-MD5, all signed") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e1\""}, {"x-amz-version-id", "v1"}}));
  const auto etag = harness.client.put_object(kKey, span_of(kBody), WriteCondition::none, kLock);
  REQUIRE(etag.has_value());
  CHECK(*etag == "e1");
  REQUIRE(harness.transport.request_count() == 1);
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "PUT");
  CHECK(request.path() == "/bucket/" + std::string(kKey));
  CHECK(request.query().empty());
  CHECK(request.body == kBody);
  CHECK(request.header("x-amz-object-lock-mode") == "GOVERNANCE");
  CHECK(request.header("x-amz-object-lock-retain-until-date") == "2026-12-09T22:15:00Z");
  CHECK(request.header("Content-MD5") == std::string(kBodyMd5));
  for (const std::string_view name :
       {"content-md5", "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date"}) {
    CAPTURE(name);
    CHECK(signs(request, name));
  }
  CHECK_FALSE(request.header("If-None-Match").has_value());
}

TEST_CASE("PutObject with a lock and if_absent: both the condition and the lock") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e1\""}}));
  REQUIRE(harness.client
              .put_object(kKey, span_of(kBody), WriteCondition::if_absent,
                          {LockMode::compliance, kLock.retain_until})
              .has_value());
  const RecordedRequest request = harness.request(0);
  CHECK(request.header("If-None-Match") == "*");
  CHECK(request.header("x-amz-object-lock-mode") == "COMPLIANCE");
  CHECK(request.header("Content-MD5") == std::string(kBodyMd5));
}

TEST_CASE("a retried locked PutObject re-sends the same Content-MD5") {
  Harness harness;
  harness.transport.push(Reply::s3_error(503, "SlowDown"));
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e1\""}}));
  REQUIRE(harness.client.put_object(kKey, span_of(kBody), WriteCondition::none, kLock).has_value());
  REQUIRE(harness.transport.request_count() == 2);
  CHECK(harness.request(0).header("Content-MD5") == std::string(kBodyMd5));
  CHECK(harness.request(1).header("Content-MD5") == std::string(kBodyMd5));
}

TEST_CASE("CreateMultipartUpload with a lock: the lock headers, signed; no Content-MD5") {
  Harness harness;
  harness.transport.push(Reply::ok(
      "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"));
  const auto upload = harness.client.create_multipart_upload(kKey, kLock);
  REQUIRE(upload.has_value());
  CHECK(*upload == "u1");
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "POST");
  CHECK(request.path() == "/bucket/" + std::string(kKey));
  CHECK(request.query() == "uploads");
  CHECK(request.header("x-amz-object-lock-mode") == "GOVERNANCE");
  CHECK(request.header("x-amz-object-lock-retain-until-date") == "2026-12-09T22:15:00Z");
  CHECK(signs(request, "x-amz-object-lock-mode"));
  CHECK(signs(request, "x-amz-object-lock-retain-until-date"));
  CHECK_FALSE(request.header("Content-MD5").has_value());
}

TEST_CASE("writes without a lock carry no lock header") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e1\""}}));
  harness.transport.push(Reply::ok(
      "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"));
  REQUIRE(harness.client.put_object(kKey, span_of(kBody)).has_value());
  REQUIRE(harness.client.create_multipart_upload(kKey).has_value());
  for (const RecordedRequest& request : harness.requests()) {
    CHECK_FALSE(has_amz_lock_header(request));
    CHECK_FALSE(request.header("Content-MD5").has_value());
  }
}

TEST_CASE("GCS: the lock is spelt x-goog-object-lock-*, never x-amz-object-lock-*") {
  Harness harness({.endpoint = std::string(kGcsEndpoint)});
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e1\""}}));
  harness.transport.push(Reply::ok(
      "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"));
  REQUIRE(harness.client.put_object(kKey, span_of(kBody), WriteCondition::if_absent, kLock)
              .has_value());
  REQUIRE(harness.client.create_multipart_upload(kKey, kLock).has_value());
  for (const RecordedRequest& request : harness.requests()) {
    CAPTURE(request.url);
    CHECK(request.header("x-goog-object-lock-mode") == "GOVERNANCE");
    CHECK(request.header("x-goog-object-lock-retain-until-date") == "2026-12-09T22:15:00Z");
    CHECK(signs(request, "x-goog-object-lock-mode"));
    CHECK_FALSE(has_amz_lock_header(request));
  }
  CHECK(harness.request(0).header("x-goog-if-generation-match") == "0");
  CHECK(harness.request(0).header("Content-MD5") == std::string(kBodyMd5));
}

// --- content_md5_on_uploads -------------------------------------------------------------------

TEST_CASE("content_md5_on_uploads: every PutObject and UploadPart carries Content-MD5") {
  Harness harness({.content_md5_on_uploads = true});
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e1\""}}));
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e2\""}}));
  harness.transport.push(Reply::s3_error(500, "InternalError"));  // the part is retried
  harness.transport.push(Reply::ok({}, {{"ETag", "\"p1\""}}));
  harness.transport.push(Reply::ok(
      "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"));
  REQUIRE(harness.client.put_object(kKey, span_of(kBody)).has_value());
  REQUIRE(harness.client.put_object(kKey, span_of(kBody), WriteCondition::if_absent).has_value());
  REQUIRE(harness.client.upload_part(kKey, "u1", 1, span_of("part one")).has_value());
  REQUIRE(harness.client.create_multipart_upload(kKey).has_value());
  REQUIRE(harness.transport.request_count() == 5);
  CHECK(harness.request(0).header("Content-MD5") == std::string(kBodyMd5));
  CHECK(harness.request(1).header("Content-MD5") == std::string(kBodyMd5));
  for (const std::size_t part : {2u, 3u}) {
    CAPTURE(part);
    CHECK(harness.request(part).query() == "partNumber=1&uploadId=u1");
    CHECK(harness.request(part).header("Content-MD5") == "MwPhKvR0yhHYXtKWapMpkg==");
    CHECK(signs(harness.request(part), "content-md5"));
  }
  CHECK_FALSE(harness.request(4).header("Content-MD5").has_value());  // no body to check
}

TEST_CASE("without content_md5_on_uploads an UploadPart carries no Content-MD5") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"p1\""}}));
  REQUIRE(harness.client.upload_part(kKey, "u1", 1, span_of("part one")).has_value());
  CHECK_FALSE(harness.request(0).header("Content-MD5").has_value());
}

// --- HEAD: version and lock -------------------------------------------------------------------

TEST_CASE("HeadObject reads the version id and the lock (RGW's nine fraction digits)") {
  Harness harness;
  harness.transport.push(
      head_with({{"x-amz-version-id", "---EAiIn49vn2GctX5Z9LcsJ6iHEBbb"},
                 {"x-amz-object-lock-mode", "COMPLIANCE"},
                 {"x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00.000000000Z"}}));
  const auto info = harness.client.head_object(kKey);
  REQUIRE(info.has_value());
  CHECK(info->size == 11);
  CHECK(info->version_id == "---EAiIn49vn2GctX5Z9LcsJ6iHEBbb");
  REQUIRE(info->lock.has_value());
  CHECK(info->lock->mode == LockMode::compliance);
  CHECK(info->lock->retain_until == std::chrono::sys_days{std::chrono::year{2099} / 1 / 1});
  CHECK(harness.request(0).query().empty());
}

TEST_CASE("HeadObject without lock headers: no lock; without a version: empty version id") {
  Harness harness;
  harness.transport.push(head_with({}));
  const auto info = harness.client.head_object(kKey);
  REQUIRE(info.has_value());
  CHECK_FALSE(info->lock.has_value());
  CHECK(info->version_id.empty());
}

TEST_CASE("HeadObject with a malformed retain-until date is corrupt, naming the key") {
  Harness harness;
  harness.transport.push(head_with(
      {{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", "soon"}}));
  const auto info = harness.client.head_object(kKey);
  REQUIRE_FALSE(info.has_value());
  CHECK(info.error().kind == ErrorKind::corrupt);
  CHECK(info.error().message.find(std::string(kKey)) != std::string::npos);
  CHECK(info.error().message.find("soon") != std::string::npos);
}

TEST_CASE("GetObject does not read the lock: a restore never fails on how a store spells it") {
  Harness harness;
  harness.transport.push(head_with(
      {{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", "soon"}}));
  harness.transport.push(
      Reply::with_status(206, std::string(kBody), {{"Content-Range", "bytes 0-10/11"}}));
  testing::MemorySink sink;
  REQUIRE(harness.client.get_object(kKey, sink, std::nullopt).has_value());
  CHECK(sink.data() == kBody);
}

TEST_CASE("head_object_version: HEAD ?versionId=, the lock of that version") {
  Harness harness;
  harness.transport.push(
      head_with({{"x-amz-version-id", "v1"},
                 {"x-amz-object-lock-mode", "GOVERNANCE"},
                 {"x-amz-object-lock-retain-until-date", "2026-12-09T22:15:00Z"}}));
  const auto info = harness.client.head_object_version(kKey, "v1");
  REQUIRE(info.has_value());
  CHECK(info->version_id == "v1");
  CHECK(info->lock == kLock);
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "HEAD");
  CHECK(request.path() == "/bucket/" + std::string(kKey));
  CHECK(request.query() == "versionId=v1");
}

TEST_CASE("head_object_version: a delete marker (moto's 405, RGW's 404) is not_found") {
  for (const long status : {405L, 404L}) {
    CAPTURE(status);
    Harness harness({.max_attempts = 1});
    harness.transport.push(Reply::with_status(status, {}, {{"x-amz-delete-marker", "true"}}));
    const auto info = harness.client.head_object_version(kKey, "marker 1");
    REQUIRE_FALSE(info.has_value());
    CHECK(info.error().kind == ErrorKind::not_found);
    CHECK(info.error().message.find("version marker 1") != std::string::npos);
    CHECK(harness.request(0).query() == "versionId=marker%201");
  }
}

TEST_CASE("head_object_version on GCS asks for the generation") {
  Harness harness({.endpoint = std::string(kGcsEndpoint)});
  harness.transport.push(head_with({{"x-goog-generation", "1733782500123456"}}));
  const auto info = harness.client.head_object_version(kKey, "1733782500123456");
  REQUIRE(info.has_value());
  CHECK(info->version_id == "1733782500123456");
  CHECK(harness.request(0).query() == "generation=1733782500123456");
}

// --- PutObjectRetention -----------------------------------------------------------------------

TEST_CASE("put_object_retention: PUT ?retention&versionId= with the Retention body and its MD5") {
  Harness harness;
  harness.transport.push(Reply::ok());
  REQUIRE(harness.client.put_object_retention(kKey, "v1", kLock).has_value());
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "PUT");
  CHECK(request.path() == "/bucket/" + std::string(kKey));
  CHECK(request.query() == "retention&versionId=v1");
  CHECK(request.body == kRetentionBody);
  CHECK(request.header("Content-MD5") == std::string(kRetentionMd5));
  CHECK(request.header("Content-Type") == "application/xml");
  CHECK(signs(request, "content-md5"));
  CHECK_FALSE(has_amz_lock_header(request));
}

TEST_CASE("put_object_retention without a version id addresses the current version") {
  Harness harness;
  harness.transport.push(Reply::ok());
  REQUIRE(harness.client.put_object_retention(kKey, "", kLock).has_value());
  CHECK(harness.request(0).query() == "retention");
}

TEST_CASE("put_object_retention on GCS: the same body, ?retention&generation=") {
  Harness harness({.endpoint = std::string(kGcsEndpoint)});
  harness.transport.push(Reply::ok());
  REQUIRE(harness.client.put_object_retention(kKey, "1733782500123456", kLock).has_value());
  CHECK(harness.request(0).query() == "retention&generation=1733782500123456");
  CHECK(harness.request(0).body == kRetentionBody);
  CHECK(harness.request(0).header("Content-MD5") == std::string(kRetentionMd5));
}

TEST_CASE("put_object_retention: a refusal (shortening, AccessDenied) is permanent, not retried") {
  Harness harness;
  harness.transport.push(Reply::s3_error(403, "AccessDenied", "Access Denied"));
  const auto result = harness.client.put_object_retention(kKey, "v1", kLock);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::permanent);
  CHECK(result.error().code == "AccessDenied");
  CHECK(result.error().message.find("PutObjectRetention") != std::string::npos);
  CHECK(result.error().message.find("version v1") != std::string::npos);
  CHECK(result.error().message.find("extended but not shortened") != std::string::npos);
  CHECK(harness.transport.request_count() == 1);
}

// --- ListObjectVersions -----------------------------------------------------------------------

std::string versions_page(std::string_view entries, std::string_view next_key = {},
                          std::string_view next_version = {}) {
  std::string xml = "<ListVersionsResult>";
  if (!next_key.empty()) {
    xml += "<IsTruncated>true</IsTruncated><NextKeyMarker>" + std::string(next_key) +
           "</NextKeyMarker><NextVersionIdMarker>" + std::string(next_version) +
           "</NextVersionIdMarker>";
  } else {
    xml += "<IsTruncated>false</IsTruncated>";
  }
  return xml + std::string(entries) + "</ListVersionsResult>";
}

constexpr std::string_view kVersionA =
    "<Version><Key>erp/prod/a</Key><VersionId>va</VersionId><IsLatest>true</IsLatest>"
    "<Size>1</Size></Version>";
constexpr std::string_view kMarkerB =
    "<DeleteMarker><Key>erp/prod/b</Key><VersionId>mb</VersionId><IsLatest>true</IsLatest>"
    "</DeleteMarker>";

TEST_CASE("list_object_versions: GET ?versions, follows both markers to the last page") {
  Harness harness;
  harness.transport.push(Reply::ok(versions_page(kVersionA, "erp/prod/a", "va")));
  harness.transport.push(Reply::ok(versions_page(kMarkerB)));
  const auto versions = harness.client.list_object_versions("erp/prod/");
  REQUIRE(versions.has_value());
  REQUIRE(versions->size() == 2);
  CHECK((*versions)[0].key == "erp/prod/a");
  CHECK_FALSE((*versions)[0].delete_marker);
  CHECK((*versions)[1].key == "erp/prod/b");
  CHECK((*versions)[1].delete_marker);
  REQUIRE(harness.transport.request_count() == 2);
  CHECK(harness.request(0).method == "GET");
  CHECK(harness.request(0).path() == "/bucket");
  CHECK(harness.request(0).query() == "versions&encoding-type=url&prefix=erp%2Fprod%2F");
  CHECK(harness.request(1).query() ==
        "versions&encoding-type=url&prefix=erp%2Fprod%2F&key-marker=erp%2Fprod%2Fa&"
        "version-id-marker=va");
}

TEST_CASE("list_object_versions refuses a page that hands back the markers just sent") {
  Harness harness;
  harness.transport.push(Reply::ok(versions_page(kVersionA, "erp/prod/a", "va")));
  harness.transport.push(Reply::ok(versions_page(kVersionA, "erp/prod/a", "va")));
  const auto versions = harness.client.list_object_versions("erp/prod/");
  REQUIRE_FALSE(versions.has_value());
  CHECK(versions.error().kind == ErrorKind::corrupt);
  CHECK(versions.error().message.find("pagination does not advance") != std::string::npos);
  CHECK(harness.transport.request_count() == 2);  // not a third time
}

TEST_CASE("list_object_versions: a page that is not a version listing is corrupt, naming it") {
  Harness harness;
  harness.transport.push(Reply::ok("<ListBucketResult><Name>bucket</Name></ListBucketResult>"));
  const auto versions = harness.client.list_object_versions("");
  REQUIRE_FALSE(versions.has_value());
  CHECK(versions.error().kind == ErrorKind::corrupt);
  CHECK(versions.error().message.find("s3://bucket") != std::string::npos);
  CHECK(harness.request(0).query() == "versions&encoding-type=url");
}

// --- DeleteObject of a version ----------------------------------------------------------------

TEST_CASE("delete_object_version: DELETE ?versionId=; an absent version is success") {
  Harness harness;
  harness.transport.push(Reply::with_status(204));
  harness.transport.push(
      Reply::s3_error(404, "NoSuchVersion", "The specified version does not exist."));
  REQUIRE(harness.client.delete_object_version(kKey, "v+1").has_value());
  REQUIRE(harness.client.delete_object_version(kKey, "v2").has_value());
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "DELETE");
  CHECK(request.path() == "/bucket/" + std::string(kKey));
  CHECK(request.query() == "versionId=v%2B1");
  CHECK_FALSE(request.has_body);
}

TEST_CASE("delete_object_version: a locked version's refusal is permanent AccessDenied") {
  Harness harness;
  // RGW's words; moto says "Access Denied".
  harness.transport.push(Reply::s3_error(403, "AccessDenied", "forbidden by object lock"));
  const auto result = harness.client.delete_object_version(kKey, "v1");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::permanent);
  CHECK(result.error().code == "AccessDenied");
  CHECK(result.error().message.find(std::string(kKey) + " version v1") != std::string::npos);
  CHECK(result.error().message.find("forbidden by object lock") != std::string::npos);
  CHECK(result.error().message.find("Object Lock retention that has not passed") !=
        std::string::npos);
  CHECK(harness.transport.request_count() == 1);
}

TEST_CASE("delete_object_version on GCS deletes the generation") {
  Harness harness({.endpoint = std::string(kGcsEndpoint)});
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object_version(kKey, "1733782500123456").has_value());
  CHECK(harness.request(0).query() == "generation=1733782500123456");
}

TEST_CASE("delete_object_version_bypassing_governance: the bypass header, signed") {
  Harness harness;
  harness.transport.push(Reply::with_status(204));
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object_version_bypassing_governance(kKey, "v1").has_value());
  REQUIRE(harness.client.delete_object_version(kKey, "v1").has_value());
  const RecordedRequest bypassing = harness.request(0);
  CHECK(bypassing.method == "DELETE");
  CHECK(bypassing.path() == "/bucket/" + std::string(kKey));
  CHECK(bypassing.query() == "versionId=v1");
  CHECK(bypassing.header("x-amz-bypass-governance-retention") == "true");
  CHECK(signs(bypassing, "x-amz-bypass-governance-retention"));
  CHECK_FALSE(bypassing.has_body);
  // The plain delete never asks for it.
  CHECK_FALSE(harness.request(1).header("x-amz-bypass-governance-retention").has_value());
}

TEST_CASE("delete_object_version_bypassing_governance: a refusal is permanent AccessDenied") {
  Harness harness;
  harness.transport.push(Reply::s3_error(403, "AccessDenied", "forbidden by object lock"));
  const auto result = harness.client.delete_object_version_bypassing_governance(kKey, "v1");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::permanent);
  CHECK(result.error().code == "AccessDenied");
  CHECK(harness.transport.request_count() == 1);
}

TEST_CASE("delete_object_version_bypassing_governance on GCS: x-goog- spelling, generation") {
  Harness harness({.endpoint = std::string(kGcsEndpoint)});
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object_version_bypassing_governance(kKey, "1733782500123456")
              .has_value());
  const RecordedRequest request = harness.request(0);
  CHECK(request.query() == "generation=1733782500123456");
  CHECK(request.header("x-goog-bypass-governance-retention") == "true");
  CHECK(signs(request, "x-goog-bypass-governance-retention"));
  CHECK_FALSE(request.header("x-amz-bypass-governance-retention").has_value());
}

}  // namespace
}  // namespace erp::s3
