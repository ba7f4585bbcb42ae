// What the S3 client, and the multipart sink above it, make of replies that are odd but valid
// (issue 18): they never delete anything nor call a committed object failed; a reply that really
// is unreadable fails loudly, naming the operation, the key, the HTTP status and the code.
// The parsers' own samples, with their sources, are in xml_replies_samples_test.cc; the stores
// here are scripted after them (no sockets, no sleeping).
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "codec/digest.h"
#include "fakes/random_bytes.h"
#include "fakes/scripted_transport.h"
#include "s3/etag.h"
#include "s3/s3_client.h"
#include "upload/buffer_pool.h"
#include "upload/multipart_sink.h"

namespace erp::s3 {
namespace {

using namespace std::chrono_literals;
using testing::RecordedRequest;
using testing::Reply;
using testing::ScriptedTransport;

constexpr std::string_view kKey = "erp/prod/db/20261130T020000Z.dump";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// One client over a scripted transport: path style over plain HTTP, 3 attempts, no waiting.
struct Scripted {
  ScriptedTransport transport;
  http::TransportPool pool{transport.factory()};
  FixedClock clock{std::chrono::sys_days{std::chrono::year{2026} / 11 / 30}};
  S3Client client{
      S3ClientOptions{.endpoint = "http://127.0.0.1:7480",
                      .bucket = "erp-backups",
                      .scope = {.region = "us-east-1", .service = "s3"},
                      .retry = {.max_attempts = 3, .base_delay = 1ms, .max_delay = 1ms}},
      Credentials{"AKIDEXAMPLE", Secret(std::string("secret")), Secret()}, pool, clock,
      [](std::chrono::milliseconds, std::stop_token) { return true; }};

  std::size_t count(std::string_view method) const {
    std::size_t n = 0;
    for (const RecordedRequest& request : transport.requests()) n += request.method == method;
    return n;
  }
};

// Ceph RGW 16 as issue 18 measured it: multipart uploads work, but CompleteMultipartUpload
// answers <ETag></ETag>; errors carry an empty <Message>. `stored_size` is what HEAD reports for
// the assembled object (the real size, unless a test says otherwise).
class RgwLike {
 public:
  explicit RgwLike(Scripted& s3, std::optional<std::uint64_t> stored_size = std::nullopt)
      : stored_size_(stored_size) {
    s3.transport.set_responder([this](const RecordedRequest& request) { return answer(request); });
  }

 private:
  Reply answer(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    const std::string query = request.query();
    if (request.method == "POST" && query == "uploads") {
      return Reply::ok(
          R"(<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult )"
          R"(xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>erp-backups</Bucket>)"
          R"(<Key>erp/prod/db/20261130T020000Z.dump</Key>)"
          R"(<UploadId>2~q0Xn3Wm9B7kQy0Zr2sVt1uH5pLcD8eF6</UploadId>)"
          R"(</InitiateMultipartUploadResult>)");
    }
    if (request.method == "PUT" && query.starts_with("partNumber=")) {
      const int number = std::stoi(query.substr(11));
      const std::string etag = codec::md5_hex(request.body);
      if (parts_.size() < static_cast<std::size_t>(number)) parts_.resize(number);
      parts_[number - 1] = {number, etag};
      bytes_ += request.body.size();
      return Reply::ok({}, {{"ETag", "\"" + etag + "\""}});
    }
    if (request.method == "POST" && query.starts_with("uploadId=")) {
      completed_ = true;
      return Reply::ok(
          R"(<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult )"
          R"(xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>erp-backups</Bucket>)"
          R"(<Key>erp/prod/db/20261130T020000Z.dump</Key><ETag></ETag>)"
          R"(</CompleteMultipartUploadResult>)");
    }
    if (request.method == "HEAD" && completed_) {
      return Reply::ok({}, {{"Content-Length", std::to_string(stored_size_.value_or(bytes_))},
                            {"ETag", "\"" + multipart_etag(parts_).value_or("") + "\""}});
    }
    // An abort after the complete, a DELETE, anything else: RGW's NoSuchUpload/NoSuchKey.
    return Reply::with_status(
        404, R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code>)"
             R"(<Message></Message><BucketName>erp-backups</BucketName>)"
             R"(<RequestId>tx000001-0065f0e1a2-1016-default</RequestId>)"
             R"(<HostId>1016-default-default</HostId></Error>)");
  }

  std::mutex mutex_;
  std::optional<std::uint64_t> stored_size_;
  std::vector<CompletedPart> parts_;
  std::uint64_t bytes_ = 0;
  bool completed_ = false;
};

upload::MultipartSinkOptions small_parts() {
  upload::MultipartSinkOptions options;
  options.first_part_size = 1024;
  options.concurrency = 2;
  return options;
}

}  // namespace

// --- CompleteMultipartUpload without an ETag (Ceph RGW 16) --------------------------------------

TEST_CASE("the client hands RGW's complete answer over as success without an ETag") {
  Scripted s3;
  RgwLike rgw(s3);
  const auto etag = s3.client.complete_multipart_upload(kKey, "2~q0Xn3Wm9B7kQy0Zr2sVt1uH5pLcD8eF6",
                                                        {{1, "5d41402abc4b2a76b9719d911017c592"}});
  REQUIRE(etag.has_value());
  CHECK(etag->empty());
  CHECK(s3.transport.request_count() == 1);  // not retried: it is not a failure
}

TEST_CASE("a stream to RGW is confirmed by one HEAD and kept: nothing is deleted (issue 18)") {
  // a836947 deleted the object RGW had just assembled here, and exited 1.
  Scripted s3;
  RgwLike rgw(s3);
  upload::BufferPool pool(1 << 20);
  const std::string data = testing::random_bytes(5000, 18);
  upload::MultipartSink sink(s3.client, pool, std::string(kKey), small_parts());
  REQUIRE(sink.write({data.data(), data.size()}).has_value());
  const auto finished = sink.finish();
  REQUIRE_MESSAGE(finished.has_value(), finished.error().message);
  const auto stats = sink.stats();
  CHECK(stats.multipart);
  CHECK(stats.finished);
  CHECK(is_multipart_etag(stats.etag));  // HEAD's ETag, recorded for the manifest
  REQUIRE(stats.confirmed_by_reading.has_value());
  CHECK(contains(stats.confirmed_by_reading->message, "the answer had no ETag"));
  CHECK(s3.count("HEAD") == 1);
  CHECK(s3.count("DELETE") == 0);  // neither the object nor (completed) upload
}

TEST_CASE("an RGW object of another size after an ETag-less complete fails, and stays") {
  Scripted s3;
  RgwLike rgw(s3, /*stored_size=*/4999);
  upload::BufferPool pool(1 << 20);
  const std::string data = testing::random_bytes(5000, 19);
  upload::MultipartSink sink(s3.client, pool, std::string(kKey), small_parts());
  REQUIRE(sink.write({data.data(), data.size()}).has_value());
  const auto finished = sink.finish();
  REQUIRE_FALSE(finished.has_value());
  CHECK(contains(finished.error().message, "the answer had no ETag"));
  CHECK(contains(finished.error().message, "holds another object (4999 bytes"));
  CHECK(contains(finished.error().message, "left untouched"));
  // The abort that follows finds the upload completed (RGW: 404 NoSuchUpload) and stops there.
  for (const RecordedRequest& request : s3.transport.requests()) {
    CAPTURE(request.url);
    CHECK_FALSE((request.method == "DELETE" && !contains(request.query(), "uploadId=")));
  }
}

// --- error replies: code, HTTP status, operation and key, whatever the body
// -----------------------

TEST_CASE("RGW's empty <Message> reads \"HTTP 404 NoSuchUpload (no message)\"") {
  Scripted s3;
  s3.transport.push(Reply::with_status(
      404, R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code>)"
           R"(<Message></Message><BucketName>erp-backups</BucketName>)"
           R"(<RequestId>tx00000d3a1f6f0c6a8b7c2-0065f0e1a2-1016-default</RequestId>)"
           R"(<HostId>1016-default-default</HostId></Error>)"));
  const auto aborted = s3.client.abort_multipart_upload(kKey, "2~q0Xn3Wm9B7kQy0Zr2sVt1uH5pLcD8eF6");
  REQUIRE_FALSE(aborted.has_value());
  CHECK(aborted.error().kind == ErrorKind::not_found);
  CHECK(aborted.error().code == "NoSuchUpload");
  CHECK(contains(aborted.error().message, "AbortMultipartUpload s3://erp-backups/" +
                                              std::string(kKey) +
                                              ": HTTP 404 NoSuchUpload (no message) (request id "
                                              "tx00000d3a1f6f0c6a8b7c2-0065f0e1a2-1016-default)"));
}

TEST_CASE("the hint for a known code is kept when the store sends no message") {
  Scripted s3;
  s3.transport.push(Reply::with_status(
      403, R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>)"
           R"(<Message></Message><RequestId>tx0000077b2d1c0e9f4a3b1-default</RequestId></Error>)"));
  const auto put = s3.client.put_object(kKey, std::span<const char>("x", 1));
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code == "SignatureDoesNotMatch");
  CHECK(contains(put.error().message, "HTTP 403 SignatureDoesNotMatch (no message)"));
  CHECK(contains(put.error().message, "(hint: check AWS_SECRET_ACCESS_KEY"));
}

TEST_CASE("a reply with no body at all (HEAD) names the status and says the body was empty") {
  Scripted s3;
  s3.transport.push(Reply::with_status(403));
  const auto head = s3.client.head_object(kKey);
  REQUIRE_FALSE(head.has_value());
  CHECK(head.error().kind == ErrorKind::permanent);
  CHECK(head.error().code == "HTTP403");
  CHECK(contains(head.error().message,
                 "HeadObject s3://erp-backups/" + std::string(kKey) + ": HTTP 403 (empty body)"));
}

TEST_CASE("a proxy's HTML page is quoted in the error, the status is its code") {
  Scripted s3;
  const std::string page =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
      "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
      "</body>\r\n</html>\r\n";
  s3.transport.push(Reply::with_status(502, page));
  s3.transport.push(Reply::with_status(502, page));
  s3.transport.push(Reply::with_status(502, page));
  const auto list = s3.client.list_objects_v2("erp/prod/", "", "", 0);
  REQUIRE_FALSE(list.has_value());
  CHECK(list.error().kind == ErrorKind::transient);
  CHECK(list.error().code == "HTTP502");
  CHECK(contains(list.error().message,
                 "ListObjectsV2 s3://erp-backups: HTTP 502 (the body is "
                 "not an S3 <Error> document: \"<html>  <head><title>502 "
                 "Bad Gateway</title>"));
  CHECK(contains(list.error().message, "(gave up after 3 attempts)"));
}

TEST_CASE("a 200 reply that is an <Error> is that error, with the key and the code") {
  Scripted s3;
  s3.transport.push(
      Reply::ok(R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>)"
                R"(<Message></Message></Error>)"));
  const auto created = s3.client.create_multipart_upload(kKey);
  REQUIRE_FALSE(created.has_value());
  CHECK(created.error().kind == ErrorKind::permanent);
  CHECK(created.error().code == "AccessDenied");
  CHECK(contains(created.error().message,
                 "s3://erp-backups/" + std::string(kKey) +
                     ": CreateMultipartUpload answered HTTP 200 with <Error> AccessDenied "
                     "(no message)"));
}

// --- ListObjectsV2
// ----------------------------------------------------------------------------------

TEST_CASE("a listing whose continuation token does not move is corrupt, not an endless loop") {
  Scripted s3;
  const std::string page =
      "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>erp/prod/a</Key>"
      "<Size>1</Size></Contents><NextContinuationToken>same</NextContinuationToken>"
      "</ListBucketResult>";
  s3.transport.push(Reply::ok(page));
  s3.transport.push(Reply::ok(page));
  const auto first = s3.client.list_objects_v2("erp/prod/", "", "", 0);
  REQUIRE(first.has_value());
  CHECK(first->next_continuation_token == "same");
  const auto second = s3.client.list_objects_v2("erp/prod/", "same", "", 0);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().kind == ErrorKind::corrupt);
  CHECK(contains(second.error().message, "pagination does not advance"));
  CHECK(contains(second.error().message, "s3://erp-backups prefix 'erp/prod/'"));
}

TEST_CASE("listings ask for encoding-type=url and decode what comes back so encoded") {
  Scripted s3;
  // moto's answer (xml_replies_samples_test.cc), for a key holding a CR, which XML could not
  // carry as it is.
  s3.transport.push(Reply::ok(
      R"(<?xml version="1.0" encoding="utf-8"?>)"
      "\n"
      R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false)"
      R"(</IsTruncated><Contents><Key>erp/prod/odd/line%0Dbreak.txt</Key>)"
      R"(<LastModified>2026-12-07T16:51:32.000Z</LastModified><ETag>)"
      R"("a2b6f2a6066ed8700d83335fc50a2b8e"</ETag><Size>3</Size><StorageClass>STANDARD)"
      R"(</StorageClass></Contents><Name>erp-backups</Name><Prefix>erp/prod/odd/</Prefix>)"
      R"(<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><KeyCount>1</KeyCount>)"
      R"(</ListBucketResult>)"));
  const auto page = s3.client.list_objects_v2("erp/prod/odd/", "", "", 0);
  REQUIRE(page.has_value());
  REQUIRE(page->objects.size() == 1);
  CHECK(page->objects[0].key == "erp/prod/odd/line\rbreak.txt");
  CHECK(contains(s3.transport.request(0).query(), "encoding-type=url"));
}

// --- DeleteObjects
// --------------------------------------------------------------------------------

TEST_CASE("RGW's refused delete is reported with the S3 code; nothing else is retried") {
  Scripted s3;
  s3.transport.push(Reply::ok(
      R"(<?xml version="1.0" encoding="UTF-8"?><DeleteResult )"
      R"(xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Error>)"
      R"(<Key>erp/prod/db/20261101T020000Z.dump</Key><VersionId></VersionId><Code>403</Code>)"
      R"(<Message>AccessDenied</Message></Error></DeleteResult>)"));
  const auto failures = s3.client.delete_objects(
      {"erp/prod/db/20261101T020000Z.dump", "erp/prod/manifests/20261101T020000Z.json"});
  REQUIRE(failures.has_value());
  REQUIRE(failures->size() == 1);
  CHECK((*failures)[0].key == "erp/prod/db/20261101T020000Z.dump");
  CHECK((*failures)[0].code == "AccessDenied");
  CHECK(s3.transport.request_count() == 1);
}

TEST_CASE("a refusal for a key the request did not name is kept and marked, never dropped") {
  Scripted s3;
  s3.transport.push(
      Reply::ok("<DeleteResult><Error><Key>erp/prod/db/x.dump\n</Key><Code>AccessDenied</Code>"
                "<Message>Access Denied</Message></Error></DeleteResult>"));
  const auto failures = s3.client.delete_objects({"erp/prod/db/x.dump\r"});
  REQUIRE(failures.has_value());
  REQUIRE(failures->size() == 1);
  CHECK((*failures)[0].code == "AccessDenied");
  CHECK((*failures)[0].message ==
        "Access Denied; the store named a key this request did not ask to delete");
}

TEST_CASE("DeleteObjects answered 200 <Error>NotImplemented falls back to single deletes") {
  Scripted s3;
  s3.transport.push(
      Reply::ok("<?xml version='1.0' encoding='UTF-8'?><Error><Code>NotImplemented</Code>"
                "<Message>A header or query you provided requested a function that is not "
                "implemented.</Message></Error>"));
  s3.transport.push(Reply::with_status(204));
  s3.transport.push(Reply::with_status(204));
  const auto failures = s3.client.delete_objects({"erp/prod/a", "erp/prod/b"});
  REQUIRE(failures.has_value());
  CHECK(failures->empty());
  CHECK(s3.count("DELETE") == 2);
}

TEST_CASE("a DeleteObjects answer that cannot be read fails, naming the bucket and the body") {
  Scripted s3;
  s3.transport.push(Reply::ok("<html><body>captive portal</body></html>"));
  const auto failures = s3.client.delete_objects({"erp/prod/a"});
  REQUIRE_FALSE(failures.has_value());
  CHECK(failures.error().kind == ErrorKind::corrupt);
  CHECK(contains(failures.error().message, "s3://erp-backups: DeleteObjects reply is <html>"));
  CHECK(contains(failures.error().message, "captive portal"));
}

}  // namespace erp::s3
