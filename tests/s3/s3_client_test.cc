// The S3 client over a scripted transport: what goes on the wire for every operation
// (method, URL, headers, body, signature) and what the client makes of each answer
// (retries, errors, pagination, batching, resumed downloads). No sockets, no sleeping:
// the clock is fixed and the sleeper records.
//
// Every request any test here makes is also checked against the dialect of SPEC §4 when
// its Harness goes away (check_dialect below), so a new header or payload mode anywhere
// in the client shows up here.
#include "s3/s3_client.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <pugixml.hpp>

#include "codec/digest.h"
#include "fakes/random_bytes.h"
#include "fakes/scripted_transport.h"
#include "s3/s3_client_harness.h"
#include "s3/uri_encode.h"
#include "s3/xml_replies.h"

namespace erp::s3 {
namespace {

using namespace client_test;
using namespace std::chrono_literals;
using testing::RecordedRequest;
using testing::Reply;
using testing::ScriptedTransport;

constexpr std::string_view kKey = "erp/prod/db/20260102T030405Z.dump";
// A key with everything that must be encoded exactly once and never normalised.
constexpr std::string_view kAwkwardKey = "a b+c/\xC3\xBC//x";
constexpr std::string_view kAwkwardPath = "a%20b%2Bc/%C3%BC//x";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

using testing::random_bytes;

// The <Key>s of a DeleteObjects body.
std::vector<std::string> delete_keys(std::string_view xml) {
  pugi::xml_document doc;
  REQUIRE(static_cast<bool>(doc.load_buffer(xml.data(), xml.size())));
  std::vector<std::string> keys;
  for (const auto& object : doc.document_element().children("Object")) {
    keys.emplace_back(object.child("Key").text().as_string());
  }
  return keys;
}

std::vector<std::string> numbered_keys(std::size_t count) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < count; ++i) keys.push_back("erp/prod/docs/" + std::to_string(i));
  return keys;
}

// Collects what a GET delivers; can be told to refuse bytes.
class StringSink final : public ByteSink {
 public:
  Result<void> write(std::span<const char> data) override {
    if (fail_with_) return std::unexpected(*fail_with_);
    bytes.append(data.data(), data.size());
    ++writes;
    return {};
  }
  Result<void> finish() override {
    finished = true;
    return {};
  }
  void abort() noexcept override { aborted = true; }
  void fail_with(Error error) { fail_with_ = std::move(error); }

  std::string bytes;
  int writes = 0;
  bool finished = false;
  bool aborted = false;

 private:
  std::optional<Error> fail_with_;
};

// An object server for HEAD and ranged GETs pinned with If-Match, as S3 answers them.
ScriptedTransport::Responder serve_object(std::string data, std::string etag) {
  return [data = std::move(data), etag = std::move(etag)](const RecordedRequest& request) {
    if (request.method == "HEAD") {
      return Reply::ok({}, {{"Content-Length", std::to_string(data.size())},
                            {"ETag", "\"" + etag + "\""},
                            {"Last-Modified", "Fri, 02 Jan 2026 03:04:05 GMT"}});
    }
    if (request.method != "GET") return Reply::s3_error(405, "MethodNotAllowed");
    if (const auto if_match = request.header("If-Match");
        if_match && *if_match != "\"" + etag + "\"") {
      return Reply::s3_error(412, "PreconditionFailed", "At least one precondition failed");
    }
    const auto range = request.header("Range");
    if (!range) return Reply::ok(data);
    const std::size_t dash = range->find('-');
    const std::size_t first = std::stoull(range->substr(6, dash - 6));
    const std::size_t last = std::stoull(range->substr(dash + 1));
    return Reply::with_status(
        206, data.substr(first, last - first + 1),
        {{"Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                               std::to_string(data.size())}});
  };
}

Reply head_reply(std::size_t size, std::string_view etag) {
  return Reply::ok(
      {}, {{"Content-Length", std::to_string(size)}, {"ETag", "\"" + std::string(etag) + "\""}});
}

std::string list_uploads_page(std::vector<MultipartUpload> uploads,
                              std::optional<std::pair<std::string, std::string>> next) {
  std::string xml = "<ListMultipartUploadsResult><Bucket>bucket</Bucket>";
  xml += next ? "<IsTruncated>true</IsTruncated>" : "<IsTruncated>false</IsTruncated>";
  if (next) {
    xml += "<NextKeyMarker>" + next->first + "</NextKeyMarker><NextUploadIdMarker>" + next->second +
           "</NextUploadIdMarker>";
  }
  for (const auto& upload : uploads) {
    xml += "<Upload><Key>" + upload.key + "</Key><UploadId>" + upload.upload_id +
           "</UploadId></Upload>";
  }
  return xml + "</ListMultipartUploadsResult>";
}

constexpr std::string_view kCompleteResult =
    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Bucket>bucket</Bucket><Key>k</Key><ETag>\"final-etag-2\"</ETag>"
    "</CompleteMultipartUploadResult>";

std::string error_document(std::string_view code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) +
         "</Code><Message>late failure</Message><RequestId>REQ123</RequestId></Error>";
}

// --- URLs --------------------------------------------------------------------------------

TEST_CASE("path style: the key is encoded exactly once under /bucket and never normalised") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
  REQUIRE(harness.client.put_object(kAwkwardKey, span_of("x")).has_value());
  CHECK(harness.request(0).url ==
        std::string(kHttpEndpoint) + "/bucket/" + std::string(kAwkwardPath));
  CHECK(harness.request(0).path() == "/bucket/" + std::string(kAwkwardPath));
}

TEST_CASE("virtual host style: the bucket moves into the host name") {
  Harness harness(
      {.endpoint = std::string(kHttpsEndpoint), .addressing = AddressingStyle::virtual_host});
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
  harness.transport.push(
      Reply::ok("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"));
  harness.transport.push(Reply::ok("<DeleteResult/>"));
  harness.transport.push(Reply::ok(list_uploads_page({}, {})));
  REQUIRE(harness.client.put_object(kAwkwardKey, span_of("x")).has_value());
  REQUIRE(harness.client.list_objects_v2("", "", "", 0).has_value());
  REQUIRE(harness.client.delete_objects({"k"}).has_value());
  REQUIRE(harness.client.list_multipart_uploads("").has_value());
  CHECK(harness.request(0).url ==
        "https://bucket.s3.eu-west-3.amazonaws.com/" + std::string(kAwkwardPath));
  CHECK(harness.request(1).url ==
        "https://bucket.s3.eu-west-3.amazonaws.com/?list-type=2&encoding-type=url");
  CHECK(harness.request(2).url == "https://bucket.s3.eu-west-3.amazonaws.com/?delete");
  CHECK(harness.request(3).url == "https://bucket.s3.eu-west-3.amazonaws.com/?uploads");
}

TEST_CASE("dot segments and doubled slashes in a key reach the server as written") {
  Harness harness;
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object("a/./b/../c//d/").has_value());
  CHECK(harness.request(0).path() == "/bucket/a/./b/../c//d/");
}

TEST_CASE("a trailing slash on the endpoint does not double the path's slash") {
  Harness harness({.endpoint = std::string(kHttpEndpoint) + "/"});
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object("k").has_value());
  CHECK(harness.request(0).url == std::string(kHttpEndpoint) + "/bucket/k");
}

// --- each operation on the wire -------------------------------------------------------------

TEST_CASE("PutObject: PUT of the body to the key, returning the unquoted ETag") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"0cc175b9c0f1b6a831c399e269772661\""}}));
  const auto etag = harness.client.put_object(kKey, span_of("a"));
  REQUIRE(etag.has_value());
  CHECK(*etag == "0cc175b9c0f1b6a831c399e269772661");
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "PUT");
  CHECK(request.url == std::string(kHttpEndpoint) + "/bucket/" + std::string(kKey));
  CHECK(request.body == "a");
  CHECK(request.has_body);
  CHECK(request.header("Content-Type") == "application/octet-stream");
}

TEST_CASE("an empty PutObject still sends a body of length zero") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"d41d8cd98f00b204e9800998ecf8427e\""}}));
  REQUIRE(harness.client.put_object(kKey, {}).has_value());
  CHECK(harness.request(0).has_body);
  CHECK(harness.request(0).body.empty());
}

TEST_CASE("CreateMultipartUpload: POST to ?uploads, bare, returning the UploadId") {
  Harness harness;
  harness.transport.push(
      Reply::ok("<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key>"
                "<UploadId>upload/id+1=</UploadId></InitiateMultipartUploadResult>"));
  const auto upload_id = harness.client.create_multipart_upload(kKey);
  REQUIRE(upload_id.has_value());
  CHECK(*upload_id == "upload/id+1=");
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "POST");
  CHECK(request.url == std::string(kHttpEndpoint) + "/bucket/" + std::string(kKey) + "?uploads");
  CHECK(request.body.empty());
}

TEST_CASE("CreateMultipartUpload answered without an UploadId is corrupt, naming the key") {
  Harness harness;
  harness.transport.push(Reply::ok("<html>proxy</html>"));
  const auto upload_id = harness.client.create_multipart_upload(kKey);
  REQUIRE_FALSE(upload_id.has_value());
  CHECK(upload_id.error().kind == ErrorKind::corrupt);
  CHECK(contains(upload_id.error().message, "s3://bucket/" + std::string(kKey)));
}

TEST_CASE("UploadPart: PUT with partNumber and the encoded uploadId, returning the ETag") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"etag", "\"part-etag\""}}));
  const std::string body = random_bytes(4096, 1);
  const auto etag = harness.client.upload_part(kKey, "upload/id+1=", 3, span_of(body));
  REQUIRE(etag.has_value());
  CHECK(*etag == "part-etag");
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "PUT");
  CHECK(request.path() == "/bucket/" + std::string(kKey));
  CHECK(request.query() == "partNumber=3&uploadId=upload%2Fid%2B1%3D");
  CHECK(request.body == body);
}

TEST_CASE("UploadPart answered without an ETag is corrupt, naming key and part") {
  Harness harness;
  harness.transport.push(Reply::ok());
  const auto etag = harness.client.upload_part(kKey, "u", 7, span_of("data"));
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::corrupt);
  CHECK(contains(etag.error().message, "s3://bucket/" + std::string(kKey)));
  CHECK(contains(etag.error().message, "part 7"));
}

TEST_CASE("CompleteMultipartUpload: POST of the part list to ?uploadId, returning the ETag") {
  Harness harness;
  harness.transport.push(Reply::ok(std::string(kCompleteResult)));
  const std::vector<CompletedPart> parts = {{1, "e1"}, {2, "e2"}};
  const auto etag = harness.client.complete_multipart_upload(kKey, "u-1", parts);
  REQUIRE(etag.has_value());
  CHECK(*etag == "final-etag-2");
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "POST");
  CHECK(request.query() == "uploadId=u-1");
  CHECK(request.header("Content-Type") == "application/xml");
  CHECK(request.body == build_complete_multipart_upload(parts));
}

// --- conditional writes (WriteCondition::if_absent) -----------------------------------------

TEST_CASE("a conditional PutObject and CompleteMultipartUpload send a signed If-None-Match: *") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"0cc175b9c0f1b6a831c399e269772661\""}}));
  harness.transport.push(Reply::ok(std::string(kCompleteResult)));
  REQUIRE(harness.client.put_object(kKey, span_of("a"), WriteCondition::if_absent).has_value());
  REQUIRE(
      harness.client.complete_multipart_upload(kKey, "u-1", {{1, "e1"}}, WriteCondition::if_absent)
          .has_value());
  for (std::size_t i = 0; i < 2; ++i) {
    const RecordedRequest request = harness.request(i);
    CAPTURE(request.method);
    CHECK(request.header("If-None-Match") == "*");
    CHECK(std::ranges::count(request.signed_headers(), "if-none-match") == 1);
    CHECK_FALSE(request.header("x-goog-if-generation-match").has_value());
  }
}

TEST_CASE("unconditional writes send no precondition") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"ETag", "\"0cc175b9c0f1b6a831c399e269772661\""}}));
  harness.transport.push(Reply::ok({}, {{"ETag", "\"0cc175b9c0f1b6a831c399e269772661\""}}));
  harness.transport.push(Reply::ok(std::string(kCompleteResult)));
  REQUIRE(harness.client.put_object(kKey, span_of("a")).has_value());
  REQUIRE(harness.client.put_object(kKey, span_of("a"), WriteCondition::none).has_value());
  REQUIRE(harness.client.complete_multipart_upload(kKey, "u-1", {{1, "e1"}}).has_value());
  for (const RecordedRequest& request : harness.requests()) {
    CHECK_FALSE(request.header("If-None-Match").has_value());
    CHECK_FALSE(request.header("x-goog-if-generation-match").has_value());
  }
}

TEST_CASE("to Google Cloud Storage a conditional write sends x-goog-if-generation-match: 0") {
  for (const std::string endpoint :
       {"https://storage.googleapis.com", "https://bucket.storage.googleapis.com:443"}) {
    CAPTURE(endpoint);
    Harness harness(Setup{.endpoint = endpoint});
    harness.transport.push(Reply::ok({}, {{"ETag", "\"0cc175b9c0f1b6a831c399e269772661\""}}));
    harness.transport.push(Reply::ok(std::string(kCompleteResult)));
    REQUIRE(harness.client.put_object(kKey, span_of("a"), WriteCondition::if_absent).has_value());
    REQUIRE(harness.client
                .complete_multipart_upload(kKey, "u-1", {{1, "e1"}}, WriteCondition::if_absent)
                .has_value());
    for (const RecordedRequest& request : harness.requests()) {
      CHECK(request.header("x-goog-if-generation-match") == "0");
      CHECK(std::ranges::count(request.signed_headers(), "x-goog-if-generation-match") == 1);
      CHECK_FALSE(request.header("If-None-Match").has_value());
    }
  }
  // A host that merely contains the name is not GCS.
  Harness harness(Setup{.endpoint = "https://storage.googleapis.com.example.org"});
  harness.transport.push(Reply::ok({}, {{"ETag", "\"0cc175b9c0f1b6a831c399e269772661\""}}));
  REQUIRE(harness.client.put_object(kKey, span_of("a"), WriteCondition::if_absent).has_value());
  CHECK(harness.request(0).header("If-None-Match") == "*");
}

TEST_CASE("a refused precondition is a permanent PreconditionFailed, not retried") {
  Harness harness;
  harness.transport.push(Reply::s3_error(
      412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"));
  const auto put = harness.client.put_object(kKey, span_of("a"), WriteCondition::if_absent);
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().kind == ErrorKind::permanent);
  CHECK(put.error().code == "PreconditionFailed");
  CHECK(is_write_conflict_code(put.error().code));
  CHECK(contains(put.error().message, std::string(kKey)));
  CHECK(harness.requests().size() == 1);
}

TEST_CASE("delete_object_after_stop goes out after the stop: once, with its own 5 s deadline") {
  std::stop_source job;
  job.request_stop();
  Harness harness({.max_attempts = 7, .stop = job.get_token()});
  harness.transport.push(Reply::s3_error(503, "SlowDown"));
  CHECK_FALSE(harness.client.delete_object_after_stop(kKey).has_value());  // not retried
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object_after_stop(kKey).has_value());
  REQUIRE(harness.transport.request_count() == 2);
  const RecordedRequest request = harness.request(1);
  CHECK(request.method == "DELETE");
  CHECK(request.path() == "/bucket/" + std::string(kKey));
  CHECK(request.timeout == 5s);
  CHECK_FALSE(request.stoppable);
  // The ordinary DELETE ends at once on the stop, sending nothing.
  CHECK_FALSE(harness.client.delete_object(kKey).has_value());
  CHECK(harness.transport.request_count() == 2);
}

TEST_CASE("AbortMultipartUpload: DELETE to ?uploadId; a vanished upload is not_found") {
  Harness harness;
  harness.transport.push(Reply::with_status(204));
  harness.transport.push(
      Reply::s3_error(404, "NoSuchUpload", "The specified upload does not exist"));
  REQUIRE(harness.client.abort_multipart_upload(kKey, "u-1").has_value());
  const auto gone = harness.client.abort_multipart_upload(kKey, "u-2");
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().kind == ErrorKind::not_found);
  CHECK(harness.request(0).method == "DELETE");
  CHECK(harness.request(0).url ==
        std::string(kHttpEndpoint) + "/bucket/" + std::string(kKey) + "?uploadId=u-1");
}

TEST_CASE("ListObjectsV2: GET on the bucket with every parameter encoded") {
  Harness harness;
  const std::string reply =
      "<ListBucketResult><IsTruncated>true</IsTruncated>"
      "<Contents><Key>erp/prod/a</Key><Size>5</Size><ETag>\"x\"</ETag></Contents>"
      "<CommonPrefixes><Prefix>erp/prod/db/</Prefix></CommonPrefixes>"
      "<NextContinuationToken>next/token=</NextContinuationToken></ListBucketResult>";
  harness.transport.push(Reply::ok(reply));
  harness.transport.push(Reply::ok(reply));
  const auto page = harness.client.list_objects_v2("erp/prod/", "token/+=", "/", 100);
  REQUIRE(page.has_value());
  CHECK(page->objects.size() == 1);
  CHECK(page->objects[0].etag == "x");
  CHECK(page->common_prefixes == std::vector<std::string>{"erp/prod/db/"});
  CHECK(page->next_continuation_token == "next/token=");
  REQUIRE(harness.client.list_objects_v2("", "", "", 0).has_value());

  CHECK(harness.request(0).method == "GET");
  CHECK(harness.request(0).url ==
        std::string(kHttpEndpoint) +
            "/bucket?list-type=2&encoding-type=url&prefix=erp%2Fprod%2F"
            "&continuation-token=token%2F%2B%3D&delimiter=%2F&max-keys=100");
  CHECK(harness.request(1).url ==
        std::string(kHttpEndpoint) + "/bucket?list-type=2&encoding-type=url");
}

TEST_CASE("ListObjectsV2 answered with something else is corrupt, naming the bucket") {
  Harness harness;
  harness.transport.push(Reply::ok("<html><body>captive portal</body></html>"));
  const auto page = harness.client.list_objects_v2("erp/", "", "", 0);
  REQUIRE_FALSE(page.has_value());
  CHECK(page.error().kind == ErrorKind::corrupt);
  CHECK(contains(page.error().message, "s3://bucket"));
}

TEST_CASE("HeadObject: HEAD of the key, reading size, ETag and Last-Modified") {
  Harness harness;
  harness.transport.push(Reply::ok({}, {{"content-length", "12345"},
                                        {"ETag", "\"abc-3\""},
                                        {"Last-Modified", "Fri, 02 Jan 2026 03:04:05 GMT"}}));
  const auto info = harness.client.head_object(kAwkwardKey);
  REQUIRE(info.has_value());
  CHECK(info->key == kAwkwardKey);
  CHECK(info->size == 12345);
  CHECK(info->etag == "abc-3");
  CHECK(info->last_modified == "Fri, 02 Jan 2026 03:04:05 GMT");
  CHECK(harness.request(0).method == "HEAD");
  CHECK(harness.request(0).path() == "/bucket/" + std::string(kAwkwardPath));
  CHECK_FALSE(harness.request(0).has_body);
}

TEST_CASE("HeadObject: a 404 (which has no body) is not_found; no Content-Length is corrupt") {
  Harness harness;
  harness.transport.push(Reply::with_status(404));
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
  const auto absent = harness.client.head_object(kKey);
  REQUIRE_FALSE(absent.has_value());
  CHECK(absent.error().kind == ErrorKind::not_found);
  const auto odd = harness.client.head_object(kKey);
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().kind == ErrorKind::corrupt);
}

TEST_CASE("DeleteObject: DELETE of the key; an absent key is success too") {
  Harness harness;
  harness.transport.push(Reply::with_status(204));
  harness.transport.push(Reply::s3_error(404, "NoSuchKey"));
  CHECK(harness.client.delete_object(kKey).has_value());
  CHECK(harness.client.delete_object(kKey).has_value());
  CHECK(harness.request(0).method == "DELETE");
  CHECK(harness.request(0).url == std::string(kHttpEndpoint) + "/bucket/" + std::string(kKey));
}

TEST_CASE("DeleteObjects: POST to ?delete, bare, with Content-MD5 of the XML body") {
  Harness harness;
  harness.transport.push(Reply::ok("<DeleteResult/>"));
  const std::vector<std::string> keys = {"erp/prod/db/1.dump", "a & <b>", std::string(kAwkwardKey)};
  const auto failures = harness.client.delete_objects(keys);
  REQUIRE(failures.has_value());
  CHECK(failures->empty());
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "POST");
  CHECK(request.url == std::string(kHttpEndpoint) + "/bucket?delete");
  CHECK(request.header("Content-Type") == "application/xml");
  CHECK(request.header("Content-MD5") == codec::md5_base64(span_of(request.body)));
  CHECK(request.body == build_delete_objects(keys));
  CHECK(delete_keys(request.body) == keys);
}

TEST_CASE("DeleteObjects of no keys sends nothing") {
  Harness harness;
  const auto failures = harness.client.delete_objects({});
  REQUIRE(failures.has_value());
  CHECK(failures->empty());
  CHECK(harness.transport.request_count() == 0);
}

TEST_CASE("presign: a GET URL for the key, encoded once, signed for the given time") {
  Harness harness({.session_token = true});
  const std::string url = harness.client.presign("GET", kAwkwardKey, 3600s).value();
  CHECK(url.starts_with(std::string(kHttpEndpoint) + "/bucket/" + std::string(kAwkwardPath) + "?"));
  CHECK(contains(url, "X-Amz-Algorithm=AWS4-HMAC-SHA256"));
  CHECK(contains(url, "X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Fus-east-1%2Fs3%2Faws4_request"));
  CHECK(contains(url, "X-Amz-Date=20260102T030405Z"));
  CHECK(contains(url, "X-Amz-Expires=3600"));
  CHECK(contains(url, "X-Amz-SignedHeaders=host"));
  CHECK(contains(url, "X-Amz-Security-Token=" + uri_encode(kToken)));
  CHECK(contains(url, "&X-Amz-Signature="));
  CHECK(harness.transport.request_count() == 0);
}

// --- payload signing and credentials -------------------------------------------------------

TEST_CASE("over http:// the body's SHA-256 is signed; over https:// UNSIGNED-PAYLOAD") {
  const std::string body = "Welcome to Amazon S3.";
  SUBCASE("http") {
    Harness harness({.endpoint = std::string(kHttpEndpoint)});
    harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
    REQUIRE(harness.client.put_object(kKey, span_of(body)).has_value());
    CHECK(harness.request(0).header("x-amz-content-sha256") ==
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  }
  SUBCASE("https") {
    Harness harness({.endpoint = std::string(kHttpsEndpoint)});
    harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
    REQUIRE(harness.client.put_object(kKey, span_of(body)).has_value());
    CHECK(harness.request(0).header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD");
  }
}

TEST_CASE("S3_PAYLOAD_SIGNING=always hashes over https://, never skips it over http://") {
  const std::string body = "Welcome to Amazon S3.";
  SUBCASE("always") {
    Harness harness(
        {.endpoint = std::string(kHttpsEndpoint), .payload_signing = PayloadSigning::always});
    harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
    REQUIRE(harness.client.upload_part(kKey, "u", 1, span_of(body)).has_value());
    CHECK(harness.request(0).header("x-amz-content-sha256") ==
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  }
  SUBCASE("never") {
    Harness harness(
        {.endpoint = std::string(kHttpEndpoint), .payload_signing = PayloadSigning::never});
    harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
    REQUIRE(harness.client.upload_part(kKey, "u", 1, span_of(body)).has_value());
    CHECK(harness.request(0).header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD");
  }
}

TEST_CASE("a request without a body signs the SHA-256 of the empty body") {
  for (const std::string_view endpoint : {kHttpEndpoint, kHttpsEndpoint}) {
    CAPTURE(endpoint);
    Harness harness({.endpoint = std::string(endpoint)});
    harness.transport.push(Reply::with_status(204));
    REQUIRE(harness.client.delete_object(kKey).has_value());
    CHECK(harness.request(0).header("x-amz-content-sha256") == std::string(kEmptyPayloadSha256));
  }
}

TEST_CASE("with a session token every request carries and signs x-amz-security-token") {
  Harness harness({.session_token = true});
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.put_object(kKey, span_of("x")).has_value());
  REQUIRE(harness.client.delete_object(kKey).has_value());
  for (const RecordedRequest& request : harness.requests()) {
    CHECK(request.header("x-amz-security-token") == std::string(kToken));
    CHECK(std::ranges::count(request.signed_headers(), "x-amz-security-token") == 1);
  }
}

TEST_CASE("the request headers a client adds are signed, User-Agent is not among them") {
  Harness harness;
  harness.transport.push(Reply::ok("<DeleteResult/>"));
  REQUIRE(harness.client.delete_objects({"k"}).has_value());
  CHECK(harness.request(0).signed_headers() ==
        std::vector<std::string>{"content-md5", "content-type", "host", "x-amz-content-sha256",
                                 "x-amz-date"});
  CHECK_FALSE(harness.request(0).header("User-Agent").has_value());
  CHECK_FALSE(harness.request(0).header("Accept-Encoding").has_value());
}

// --- retries and errors ---------------------------------------------------------------------

TEST_CASE("a 503 is retried and the same body bytes are sent again") {
  Harness harness;
  const std::string body = random_bytes(10'000, 2);
  harness.transport.push(
      Reply::s3_error(503, "ServiceUnavailable", "Please reduce your request rate."));
  harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
  const auto etag = harness.client.upload_part(kKey, "u", 2, span_of(body));
  REQUIRE(etag.has_value());
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == body);
  CHECK(requests[1].body == body);
  CHECK(requests[1].url == requests[0].url);
  REQUIRE(harness.sleeps().size() == 1);
  CHECK(harness.sleeps()[0] <= 100ms);
}

TEST_CASE("transient answers are retried: SlowDown, 500, 429 and a connection reset") {
  for (const Reply& failure :
       {Reply::s3_error(503, "SlowDown", "Please reduce your request rate."),
        Reply::s3_error(400, "RequestTimeout", "Your socket connection timed out"),
        Reply::with_status(500), Reply::with_status(429), Reply::transport_error()}) {
    CAPTURE(failure.status);
    Harness harness;
    harness.transport.push(failure);
    harness.transport.push(Reply::ok({}, {{"ETag", "\"e\""}}));
    CHECK(harness.client.put_object(kKey, span_of("x")).has_value());
    CHECK(harness.transport.request_count() == 2);
    CHECK(harness.sleeps().size() == 1);
  }
}

TEST_CASE("transient failures give up after max_attempts, saying so") {
  Harness harness({.max_attempts = 3});
  for (int i = 0; i < 3; ++i) harness.transport.push(Reply::s3_error(503, "SlowDown", "slow"));
  const auto etag = harness.client.put_object(kKey, span_of("x"));
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::transient);
  CHECK(etag.error().code == "SlowDown");
  CHECK(contains(etag.error().message, "(gave up after 3 attempts)"));
  CHECK(harness.transport.request_count() == 3);
  CHECK(harness.sleeps().size() == 2);
}

TEST_CASE(
    "403 AccessDenied is one request and an error naming operation, object, code, message "
    "and request id") {
  Harness harness;
  harness.transport.push(Reply::s3_error(403, "AccessDenied", "Access Denied", "4442587FB7D0A2F9"));
  const auto etag = harness.client.put_object(kKey, span_of("x"));
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::permanent);
  CHECK(etag.error().code == "AccessDenied");
  const std::string& message = etag.error().message;
  CHECK(contains(message, "PutObject"));
  CHECK(contains(message, "s3://bucket/" + std::string(kKey)));
  CHECK(contains(message, "HTTP 403"));
  CHECK(contains(message, "AccessDenied"));
  CHECK(contains(message, "Access Denied"));
  CHECK(contains(message, "4442587FB7D0A2F9"));
  CHECK(contains(message, "(hint:"));
  CHECK(harness.transport.request_count() == 1);
  CHECK(harness.sleeps().empty());
}

TEST_CASE("a transport error names the operation and the object") {
  Harness harness({.max_attempts = 1});
  harness.transport.push(Reply::transport_error({ErrorKind::permanent, "SSL certificate problem"}));
  const auto etag = harness.client.upload_part(kKey, "u", 1, span_of("x"));
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::permanent);
  CHECK(contains(etag.error().message, "UploadPart s3://bucket/" + std::string(kKey)));
  CHECK(contains(etag.error().message, "SSL certificate problem"));
}

TEST_CASE("an error without an XML body is classified by its status and keeps it as the code") {
  Harness harness;
  harness.transport.push(Reply::with_status(403, "<html>Forbidden</html>"));
  const auto etag = harness.client.put_object(kKey, span_of("x"));
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::permanent);
  CHECK(etag.error().code == "HTTP403");
  CHECK(contains(etag.error().message, "HTTP 403"));
}

TEST_CASE("404 NoSuchKey is not_found; NoSuchBucket is permanent with a hint") {
  Harness harness;
  harness.transport.push(Reply::s3_error(404, "NoSuchKey", "The specified key does not exist."));
  harness.transport.push(
      Reply::s3_error(404, "NoSuchBucket", "The specified bucket does not exist"));
  const auto no_key = harness.client.list_objects_v2("", "", "", 0);
  REQUIRE_FALSE(no_key.has_value());
  CHECK(no_key.error().kind == ErrorKind::not_found);
  CHECK(no_key.error().code == "NoSuchKey");
  const auto no_bucket = harness.client.list_objects_v2("", "", "", 0);
  REQUIRE_FALSE(no_bucket.has_value());
  CHECK(no_bucket.error().kind == ErrorKind::permanent);
  CHECK(contains(no_bucket.error().message, "ListObjectsV2 s3://bucket"));
  CHECK(contains(no_bucket.error().message, "(hint: check S3_BUCKET"));
  CHECK(harness.transport.request_count() == 2);
}

TEST_CASE("SignatureDoesNotMatch points at the secret, region and addressing style") {
  Harness harness;
  harness.transport.push(Reply::s3_error(403, "SignatureDoesNotMatch",
                                         "The request signature we calculated does not match"));
  const auto etag = harness.client.put_object(kKey, span_of("x"));
  REQUIRE_FALSE(etag.has_value());
  CHECK(contains(etag.error().message, "AWS_SECRET_ACCESS_KEY"));
  CHECK_FALSE(contains(etag.error().message, kSecretKey));
}

TEST_CASE("a request signed for the wrong region names the region the server expects") {
  Harness harness;
  harness.transport.push(Reply::with_status(
      400,
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is "
      "malformed; the region 'us-east-1' is wrong; expecting 'eu-west-3'</Message>"
      "<Region>eu-west-3</Region></Error>"));
  harness.transport.push(Reply::with_status(
      301, "<Error><Code>PermanentRedirect</Code><Message>use the endpoint</Message></Error>",
      {{"x-amz-bucket-region", "ap-south-1"}}));
  const auto wrong = harness.client.list_objects_v2("erp/prod/", "", "", 1);
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == "AuthorizationHeaderMalformed");
  CHECK(wrong.error().kind == ErrorKind::permanent);
  CHECK(contains(wrong.error().message, "set AWS_REGION=eu-west-3"));
  const auto moved = harness.client.list_objects_v2("erp/prod/", "", "", 1);
  REQUIRE_FALSE(moved.has_value());
  CHECK(moved.error().code == "PermanentRedirect");
  CHECK(contains(moved.error().message, "set AWS_REGION=ap-south-1"));
  CHECK(harness.transport.request_count() == 2);
}

// The server's clock is 20 minutes ahead of the signing clock (kNow), said by <ServerTime>.
Reply skewed_by_server_time() {
  return Reply::with_status(
      403,
      "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request "
      "time and the current time is too large.</Message><RequestTime>20260102T030405Z"
      "</RequestTime><ServerTime>2026-01-02T03:24:05Z</ServerTime></Error>");
}

TEST_CASE("RequestTimeTooSkewed is corrected by the server's clock and retried once") {
  std::vector<std::chrono::seconds> reported;
  Harness harness({.corrections = true, .on_clock_corrected = [&](std::chrono::seconds offset) {
                     reported.push_back(offset);
                   }});
  harness.transport.push(skewed_by_server_time());
  harness.transport.push(Reply::with_status(204));
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object(kKey).has_value());
  REQUIRE(harness.transport.request_count() == 2);
  CHECK(harness.request(0).header("x-amz-date") == std::string(kAmzDate));
  CHECK(harness.request(1).header("x-amz-date") == std::string("20260102T032405Z"));
  CHECK(contains(harness.request(1).header("Authorization").value_or(""), "/20260102/us-east-1/"));
  CHECK(harness.sleeps().empty());  // a correction, not a back-off
  REQUIRE(reported.size() == 1);
  CHECK(reported[0] == 1200s);
  CHECK(harness.client.clock_offset() == 1200s);
  // Later requests are signed with the corrected clock from the start.
  REQUIRE(harness.client.delete_object(kKey).has_value());
  CHECK(harness.request(2).header("x-amz-date") == std::string("20260102T032405Z"));
}

TEST_CASE(
    "RequestTimeTooSkewed twice is the answer: it shows by how much this host's clock is "
    "off") {
  int reports = 0;
  Harness harness(
      {.corrections = true, .on_clock_corrected = [&](std::chrono::seconds) { ++reports; }});
  harness.transport.push(skewed_by_server_time());
  harness.transport.push(skewed_by_server_time());
  const auto behind = harness.client.list_objects_v2("", "", "", 1);
  REQUIRE_FALSE(behind.has_value());
  CHECK(behind.error().code == "RequestTimeTooSkewed");
  // Measured against this host's own clock, not the corrected one.
  CHECK(contains(behind.error().message, "1200 s behind the server's (clock offset 1200 s)"));
  CHECK(harness.transport.request_count() == 2);
  CHECK(reports == 1);
}

TEST_CASE("RequestTimeTooSkewed with only a Date header is corrected by it") {
  Harness harness({.corrections = true});
  // The server's clock is 20 minutes behind, said only by the Date header (as some S3
  // implementations answer).
  const Reply skewed = Reply::with_status(
      403, "<Error><Code>RequestTimeTooSkewed</Code><Message>too skewed</Message></Error>",
      {{"Date", "Fri, 02 Jan 2026 02:44:05 GMT"}});
  harness.transport.push(skewed);
  harness.transport.push(skewed);
  const auto ahead = harness.client.list_objects_v2("", "", "", 1);
  REQUIRE_FALSE(ahead.has_value());
  CHECK(ahead.error().code == "RequestTimeTooSkewed");
  CHECK(contains(ahead.error().message, "1200 s ahead of the server's (clock offset -1200 s)"));
  REQUIRE(harness.transport.request_count() == 2);
  CHECK(harness.request(1).header("x-amz-date") == std::string("20260102T024405Z"));
  CHECK(harness.client.clock_offset() == -1200s);
}

TEST_CASE("an AWS endpoint naming the bucket's region is retried once in that region") {
  std::vector<std::string> regions;
  Harness harness(
      {.endpoint = "https://s3.us-east-1.amazonaws.com",
       .corrections = true,
       .on_region_corrected = [&](const std::string& region) { regions.push_back(region); }});
  harness.transport.push(Reply::with_status(
      400,
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
      "wrong; expecting 'eu-west-3'</Message><Region>eu-west-3</Region></Error>"));
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.delete_object(kKey).has_value());
  REQUIRE(harness.transport.request_count() == 2);
  const RecordedRequest retried = harness.request(1);
  CHECK(retried.url.starts_with("https://s3.eu-west-3.amazonaws.com/bucket/"));
  CHECK(contains(retried.header("Authorization").value_or(""), "/eu-west-3/s3/aws4_request"));
  CHECK(regions == std::vector<std::string>{"eu-west-3"});
}

TEST_CASE("a store that is not AWS naming another region is not retried, only hinted") {
  Harness harness({.corrections = true});
  harness.transport.push(Reply::with_status(
      400,
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>wrong region</Message>"
      "<Region>eu-west-3</Region></Error>"));
  const auto result = harness.client.delete_object(kKey);
  REQUIRE_FALSE(result.has_value());
  CHECK(contains(result.error().message, "set AWS_REGION=eu-west-3"));
  CHECK(harness.transport.request_count() == 1);
}

// A provider whose keys change between requests: the client asks before every request.
class RotatingProvider final : public CredentialsProvider {
 public:
  Result<CredentialsPtr> current() override {
    ++calls;
    if (fail) return make_error(ErrorKind::transient, "web identity (AWS_ROLE_ARN): STS down");
    return std::make_shared<const Credentials>(
        Credentials{"AKIDEXAMPLE", Secret("secret-" + std::to_string(calls)), Secret()});
  }
  std::string_view name() const override { return "rotating"; }
  int calls = 0;
  bool fail = false;
};

TEST_CASE(
    "the client asks its provider for keys before every request, and a provider error "
    "names the provider and is not retried again") {
  ScriptedTransport transport;
  http::TransportPool pool(transport.factory());
  auto provider = std::make_shared<RotatingProvider>();
  const FixedClock clock{kNow};
  S3Client client(S3ClientOptions{.endpoint = std::string(kHttpEndpoint),
                                  .bucket = "bucket",
                                  .scope = kScope,
                                  .retry = {.max_attempts = 3}},
                  provider, pool, clock,
                  [](std::chrono::milliseconds, std::stop_token) { return true; });
  transport.push(Reply::with_status(204));
  transport.push(Reply::with_status(204));
  REQUIRE(client.delete_object(kKey).has_value());
  REQUIRE(client.delete_object(kKey).has_value());
  CHECK(provider->calls == 2);
  // Different secrets, so different signatures for the same request at the same time.
  CHECK(transport.request(0).header("Authorization") !=
        transport.request(1).header("Authorization"));

  provider->fail = true;
  const auto failed = client.delete_object(kKey);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().kind == ErrorKind::permanent);
  CHECK(contains(failed.error().message, "web identity (AWS_ROLE_ARN)"));
  CHECK(provider->calls == 3);
  CHECK(transport.request_count() == 2);
}

// --- CompleteMultipartUpload's 200-with-<Error> ----------------------------------------------

TEST_CASE("CompleteMultipartUpload answered 200 with <Error>InternalError is retried") {
  Harness harness;
  harness.transport.push(Reply::ok(error_document("InternalError")));
  harness.transport.push(Reply::ok(std::string(kCompleteResult)));
  const auto etag = harness.client.complete_multipart_upload(kKey, "u-1", {{1, "e1"}});
  REQUIRE(etag.has_value());
  CHECK(*etag == "final-etag-2");
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].body == requests[0].body);
  CHECK(harness.sleeps().size() == 1);
}

TEST_CASE("CompleteMultipartUpload answered 200 with <Error>AccessDenied is a permanent error") {
  Harness harness;
  harness.transport.push(Reply::ok(error_document("AccessDenied")));
  const auto etag = harness.client.complete_multipart_upload(kKey, "u-1", {{1, "e1"}});
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::permanent);
  CHECK(etag.error().code == "AccessDenied");
  CHECK(contains(etag.error().message, "s3://bucket/" + std::string(kKey)));
  CHECK(contains(etag.error().message, "REQ123"));
  CHECK(harness.transport.request_count() == 1);
}

TEST_CASE("CompleteMultipartUpload answered 200 with <Error>InternalError every time gives up") {
  Harness harness({.max_attempts = 2});
  harness.transport.push(Reply::ok(error_document("InternalError")));
  harness.transport.push(Reply::ok(error_document("InternalError")));
  const auto etag = harness.client.complete_multipart_upload(kKey, "u-1", {{1, "e1"}});
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::transient);
  CHECK(etag.error().code == "InternalError");
  CHECK(contains(etag.error().message, "(gave up after 2 attempts)"));
}

// --- DeleteObjects: batching, fallback, failures ---------------------------------------------

TEST_CASE("DeleteObjects sends at most 1000 keys per request: 2500 keys are 3 requests") {
  Harness harness;
  harness.transport.set_responder(
      [](const RecordedRequest&) { return Reply::ok("<DeleteResult/>"); });
  const std::vector<std::string> keys = numbered_keys(2500);
  const auto failures = harness.client.delete_objects(keys);
  REQUIRE(failures.has_value());
  CHECK(failures->empty());
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 3);
  std::vector<std::string> sent;
  for (const RecordedRequest& request : requests) {
    CHECK(request.query() == "delete");
    const auto batch = delete_keys(request.body);
    CHECK(batch.size() <= 1000);
    sent.insert(sent.end(), batch.begin(), batch.end());
  }
  CHECK(delete_keys(requests[0].body).size() == 1000);
  CHECK(delete_keys(requests[1].body).size() == 1000);
  CHECK(delete_keys(requests[2].body).size() == 500);
  CHECK(sent == keys);
}

TEST_CASE("DeleteObjects returns the keys the store refused, from every batch") {
  Harness harness;
  harness.transport.push(Reply::ok(
      "<DeleteResult><Deleted><Key>erp/prod/docs/0</Key></Deleted>"
      "<Error><Key>erp/prod/docs/1</Key><Code>AccessDenied</Code><Message>Access Denied</Message>"
      "</Error></DeleteResult>"));
  harness.transport.push(
      Reply::ok("<DeleteResult><Error><Key>erp/prod/docs/1500</Key><Code>InternalError</Code>"
                "<Message>try again</Message></Error></DeleteResult>"));
  const auto failures = harness.client.delete_objects(numbered_keys(1501));
  REQUIRE(failures.has_value());
  REQUIRE(failures->size() == 2);
  CHECK((*failures)[0].key == "erp/prod/docs/1");
  CHECK((*failures)[0].code == "AccessDenied");
  CHECK((*failures)[0].message == "Access Denied");
  CHECK((*failures)[1].key == "erp/prod/docs/1500");
  CHECK((*failures)[1].code == "InternalError");
}

TEST_CASE("DeleteObjects answered NotImplemented falls back to one DELETE per key") {
  for (const Reply& not_implemented :
       {Reply::s3_error(501, "NotImplemented",
                        "A header you provided implies functionality "
                        "that is not implemented"),
        Reply::with_status(501)}) {
    CAPTURE(not_implemented.body);
    Harness harness;
    harness.transport.push(not_implemented);
    harness.transport.set_responder([](const RecordedRequest& request) {
      return request.method == "DELETE" ? Reply::with_status(204) : Reply::with_status(500);
    });
    const std::vector<std::string> keys = {"erp/prod/a", std::string(kAwkwardKey), "erp/prod/c"};
    const auto failures = harness.client.delete_objects(keys);
    REQUIRE(failures.has_value());
    CHECK(failures->empty());
    const auto requests = harness.requests();
    REQUIRE(requests.size() == 1 + keys.size());
    CHECK(requests[0].method == "POST");
    CHECK(harness.sleeps().empty());  // NotImplemented is not worth retrying
    for (std::size_t i = 0; i < keys.size(); ++i) {
      CAPTURE(i);
      CHECK(requests[i + 1].method == "DELETE");
      CHECK(requests[i + 1].path() == "/bucket/" + uri_encode_path(keys[i]));
      CHECK(requests[i + 1].query().empty());
    }
  }
}

TEST_CASE("the per-key fallback covers every key after the batch that was refused") {
  Harness harness;
  harness.transport.push(Reply::ok("<DeleteResult/>"));
  harness.transport.push(Reply::s3_error(501, "NotImplemented"));
  harness.transport.set_responder([](const RecordedRequest& request) {
    return request.method == "DELETE" ? Reply::with_status(204) : Reply::with_status(500);
  });
  const std::vector<std::string> keys = numbered_keys(1200);
  const auto failures = harness.client.delete_objects(keys);
  REQUIRE(failures.has_value());
  CHECK(failures->empty());
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 2 + 200);
  CHECK(requests[2].path() == "/bucket/erp/prod/docs/1000");
  CHECK(requests.back().path() == "/bucket/erp/prod/docs/1199");
}

// ObjectStore::delete_objects "Returns the keys the store refused": the batch path reports a
// refused key as a DeleteFailure and goes on; the per-key fallback (GCS) should do the same
// instead of abandoning the remaining keys with an error.
TEST_CASE(
    "in the per-key fallback a refused key is a failure and the other keys are still "
    "deleted") {
  Harness harness;
  harness.transport.push(Reply::s3_error(501, "NotImplemented"));
  harness.transport.set_responder([](const RecordedRequest& request) {
    if (request.method != "DELETE") return Reply::with_status(500);
    if (request.path().ends_with("/held")) {
      return Reply::s3_error(403, "AccessDenied", "Object is under a retention hold");
    }
    return Reply::with_status(204);
  });
  const auto failures = harness.client.delete_objects({"erp/a", "erp/held", "erp/c"});
  REQUIRE(failures.has_value());
  REQUIRE(failures->size() == 1);
  CHECK((*failures)[0].key == "erp/held");
  CHECK((*failures)[0].code == "AccessDenied");
  CHECK(harness.transport.request_count() == 4);
}

TEST_CASE("DeleteObjects refused for another reason is an error, without a fallback") {
  Harness harness;
  harness.transport.push(Reply::s3_error(403, "AccessDenied", "Access Denied"));
  const auto failures = harness.client.delete_objects({"a", "b"});
  REQUIRE_FALSE(failures.has_value());
  CHECK(failures.error().kind == ErrorKind::permanent);
  CHECK(contains(failures.error().message, "DeleteObjects s3://bucket"));
  CHECK(harness.transport.request_count() == 1);
}

// --- ListMultipartUploads ------------------------------------------------------------------

TEST_CASE("ListMultipartUploads: GET on ?uploads, following NextKeyMarker/NextUploadIdMarker") {
  Harness harness;
  harness.transport.push(Reply::ok(
      list_uploads_page({{"erp/prod/db/a.dump", "u1"}, {"erp/prod/db/b.dump", "u2"}},
                        std::pair<std::string, std::string>{"erp/prod/db/b.dump", "u2"})));
  harness.transport.push(Reply::ok(list_uploads_page({{"erp/prod/docs/c.tar.zst", "u3"}}, {})));
  const auto uploads = harness.client.list_multipart_uploads("erp/prod/");
  REQUIRE(uploads.has_value());
  REQUIRE(uploads->size() == 3);
  CHECK((*uploads)[0].key == "erp/prod/db/a.dump");
  CHECK((*uploads)[0].upload_id == "u1");
  CHECK((*uploads)[2].key == "erp/prod/docs/c.tar.zst");
  CHECK((*uploads)[2].upload_id == "u3");
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].url == std::string(kHttpEndpoint) + "/bucket?uploads&prefix=erp%2Fprod%2F");
  CHECK(requests[1].query() ==
        "uploads&prefix=erp%2Fprod%2F&key-marker=erp%2Fprod%2Fdb%2Fb.dump&upload-id-marker=u2");
}

TEST_CASE("ListMultipartUploads hands each upload's Initiated time through") {
  Harness harness;
  harness.transport.push(
      Reply::ok("<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                "<Upload><Key>erp/prod/db/a.dump</Key><UploadId>u1</UploadId>"
                "<Initiated>2026-11-29T02:00:00.000Z</Initiated></Upload>"
                "<Upload><Key>erp/prod/db/b.dump</Key><UploadId>u2</UploadId></Upload>"
                "</ListMultipartUploadsResult>"));
  const auto uploads = harness.client.list_multipart_uploads("erp/prod/");
  REQUIRE(uploads.has_value());
  REQUIRE(uploads->size() == 2);
  CHECK((*uploads)[0].initiated ==
        std::chrono::sys_days{std::chrono::year{2026} / 11 / 29} + std::chrono::hours{2});
  CHECK_FALSE((*uploads)[1].initiated.has_value());
}

TEST_CASE("ListMultipartUploads without a prefix lists the whole bucket") {
  Harness harness;
  harness.transport.push(Reply::ok(list_uploads_page({}, {})));
  const auto uploads = harness.client.list_multipart_uploads("");
  REQUIRE(uploads.has_value());
  CHECK(uploads->empty());
  CHECK(harness.request(0).url == std::string(kHttpEndpoint) + "/bucket?uploads");
}

TEST_CASE("ListMultipartUploads whose markers do not advance is corrupt, not an endless loop") {
  Harness harness;
  const auto page = list_uploads_page({{"k", "u"}}, std::pair<std::string, std::string>{"k", "u"});
  harness.transport.push(Reply::ok(page));
  harness.transport.push(Reply::ok(page));
  const auto uploads = harness.client.list_multipart_uploads("erp/");
  REQUIRE_FALSE(uploads.has_value());
  CHECK(uploads.error().kind == ErrorKind::corrupt);
  CHECK(harness.transport.request_count() == 2);
}

// A truncated page must say where to continue. Without NextKeyMarker the client continues
// from "" - the first page again - and with a server that keeps answering so it never
// ends. (parse_list_objects_v2 already treats the same case as corrupt.)
TEST_CASE("a truncated ListMultipartUploads page without NextKeyMarker is corrupt") {
  Harness harness;
  auto answered = std::make_shared<std::atomic<int>>(0);
  harness.transport.set_responder([answered](const RecordedRequest& request) {
    // Stops the test's server from feeding an endless loop.
    if (++*answered > 10) return Reply::transport_error({ErrorKind::permanent, "looping"});
    if (contains(request.query(), "key-marker=k1")) {
      return Reply::ok(
          "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
          "<Upload><Key>k2</Key><UploadId>u2</UploadId></Upload></ListMultipartUploadsResult>");
    }
    return Reply::ok(
        list_uploads_page({{"k1", "u1"}}, std::pair<std::string, std::string>{"k1", "u1"}));
  });
  const auto uploads = harness.client.list_multipart_uploads("");
  REQUIRE_FALSE(uploads.has_value());
  CHECK(uploads.error().kind == ErrorKind::corrupt);
  CHECK(harness.transport.request_count() == 2);
}

// --- GetObject ---------------------------------------------------------------------------------

TEST_CASE("GetObject: HEAD pins size and ETag, then one ranged GET with If-Match") {
  Harness harness;
  const std::string data = random_bytes(1000, 3);
  harness.transport.set_responder(serve_object(data, "etag-1"));
  StringSink sink;
  REQUIRE(harness.client.get_object(kAwkwardKey, sink, std::nullopt).has_value());
  CHECK(sink.bytes == data);
  CHECK_FALSE(sink.finished);  // the caller finishes or aborts the sink
  CHECK_FALSE(sink.aborted);
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "HEAD");
  CHECK(requests[1].method == "GET");
  CHECK(requests[1].path() == "/bucket/" + std::string(kAwkwardPath));
  CHECK(requests[1].header("Range") == "bytes=0-999");
  CHECK(requests[1].header("If-Match") == "\"etag-1\"");
  CHECK(requests[1].had_sink);
  CHECK(std::ranges::count(requests[1].signed_headers(), "range") == 1);
  CHECK(std::ranges::count(requests[1].signed_headers(), "if-match") == 1);
}

TEST_CASE("GetObject of a range asks for that range only") {
  Harness harness;
  const std::string data = random_bytes(1000, 4);
  harness.transport.set_responder(serve_object(data, "etag-1"));
  SUBCASE("closed range") {
    StringSink sink;
    REQUIRE(harness.client.get_object(kKey, sink, ByteRange{100, 199}).has_value());
    CHECK(sink.bytes == data.substr(100, 100));
    CHECK(harness.request(1).header("Range") == "bytes=100-199");
  }
  SUBCASE("open range") {
    StringSink sink;
    REQUIRE(harness.client.get_object(kKey, sink, ByteRange{900, std::nullopt}).has_value());
    CHECK(sink.bytes == data.substr(900));
    CHECK(harness.request(1).header("Range") == "bytes=900-999");
  }
  SUBCASE("a range past the end is clamped to the object") {
    StringSink sink;
    REQUIRE(harness.client.get_object(kKey, sink, ByteRange{990, 5000}).has_value());
    CHECK(sink.bytes == data.substr(990));
    CHECK(harness.request(1).header("Range") == "bytes=990-999");
  }
}

TEST_CASE("a GET broken after N bytes resumes at byte N and the sink gets every byte once") {
  Harness harness;
  harness.transport.set_chunk_size(64);
  const std::string data = random_bytes(1000, 5);
  harness.transport.push(head_reply(data.size(), "etag-1"));
  harness.transport.push(Reply::broken_body(data.substr(0, 300)));
  harness.transport.set_responder(serve_object(data, "etag-1"));
  StringSink sink;
  REQUIRE(harness.client.get_object(kKey, sink, std::nullopt).has_value());
  CHECK(sink.bytes == data);
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].header("Range") == "bytes=0-999");
  CHECK(requests[2].header("Range") == "bytes=300-999");
  CHECK(requests[2].header("If-Match") == "\"etag-1\"");
  CHECK(harness.sleeps().size() == 1);
}

TEST_CASE("a ranged GET broken twice resumes from where each attempt stopped") {
  Harness harness;
  const std::string data = random_bytes(1000, 6);
  harness.transport.push(head_reply(data.size(), "etag-1"));
  harness.transport.push(Reply::broken_body(data.substr(100, 50)));
  harness.transport.push(Reply::broken_body(data.substr(150, 1)));
  harness.transport.set_responder(serve_object(data, "etag-1"));
  StringSink sink;
  REQUIRE(harness.client.get_object(kKey, sink, ByteRange{100, 499}).has_value());
  CHECK(sink.bytes == data.substr(100, 400));
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[1].header("Range") == "bytes=100-499");
  CHECK(requests[2].header("Range") == "bytes=150-499");
  CHECK(requests[3].header("Range") == "bytes=151-499");
}

TEST_CASE("a GET that breaks before any byte is simply sent again") {
  Harness harness;
  const std::string data = random_bytes(10, 7);
  harness.transport.push(head_reply(data.size(), "etag-1"));
  harness.transport.push(Reply::transport_error());
  harness.transport.push(Reply::s3_error(503, "SlowDown"));
  harness.transport.set_responder(serve_object(data, "etag-1"));
  StringSink sink;
  REQUIRE(harness.client.get_object(kKey, sink, std::nullopt).has_value());
  CHECK(sink.bytes == data);
  const auto requests = harness.requests();
  REQUIRE(requests.size() == 4);
  for (std::size_t i = 1; i < requests.size(); ++i)
    CHECK(requests[i].header("Range") == "bytes=0-9");
}

TEST_CASE("an object replaced between attempts fails the GET instead of mixing two objects") {
  Harness harness;
  const std::string data = random_bytes(1000, 8);
  harness.transport.push(head_reply(data.size(), "etag-1"));
  harness.transport.push(Reply::broken_body(data.substr(0, 300)));
  harness.transport.set_responder(serve_object(random_bytes(1000, 9), "etag-2"));
  StringSink sink;
  const auto result = harness.client.get_object(kKey, sink, std::nullopt);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::permanent);
  CHECK(result.error().code == "PreconditionFailed");
  CHECK(sink.bytes == data.substr(0, 300));
}

TEST_CASE("a body shorter than the object is a corrupt error, not a short success") {
  Harness harness;
  const std::string data = random_bytes(1000, 10);
  harness.transport.push(head_reply(data.size(), "etag-1"));
  harness.transport.push(Reply::with_status(206, data.substr(0, 999)));
  StringSink sink;
  const auto result = harness.client.get_object(kKey, sink, std::nullopt);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::corrupt);
  CHECK(contains(result.error().message, "s3://bucket/" + std::string(kKey)));
  CHECK(contains(result.error().message, "999"));
  CHECK(contains(result.error().message, "1000"));
}

// A server (or proxy) that ignores Range on the resumed request sends the whole object
// again. The client cannot take those bytes back from the sink, but it must not report
// success.
TEST_CASE("a resumed GET answered with the whole object (Range ignored) is not a success") {
  Harness harness;
  const std::string data = random_bytes(1000, 12);
  harness.transport.push(head_reply(data.size(), "etag-1"));
  harness.transport.push(Reply::broken_body(data.substr(0, 300)));
  harness.transport.push(Reply::ok(data));
  StringSink sink;
  const auto result = harness.client.get_object(kKey, sink, std::nullopt);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::corrupt);
}

TEST_CASE("a body longer than the object is a corrupt error too") {
  Harness harness;
  harness.transport.push(head_reply(10, "etag-1"));
  harness.transport.push(Reply::ok(std::string(20, 'x')));
  StringSink sink;
  const auto result = harness.client.get_object(kKey, sink, std::nullopt);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::corrupt);
}

TEST_CASE("a zero-length object is a HEAD and no GET") {
  Harness harness;
  harness.transport.push(head_reply(0, "d41d8cd98f00b204e9800998ecf8427e"));
  StringSink sink;
  REQUIRE(harness.client.get_object(kKey, sink, std::nullopt).has_value());
  CHECK(sink.bytes.empty());
  CHECK(sink.writes == 0);
  REQUIRE(harness.transport.request_count() == 1);
  CHECK(harness.request(0).method == "HEAD");
}

TEST_CASE("GetObject of an absent key is not_found after the HEAD alone") {
  Harness harness;
  harness.transport.push(Reply::with_status(404));
  StringSink sink;
  const auto result = harness.client.get_object(kKey, sink, std::nullopt);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::not_found);
  CHECK(harness.transport.request_count() == 1);
}

TEST_CASE("a sink that refuses bytes stops the GET with the sink's error, not retried") {
  Harness harness;
  const std::string data = random_bytes(100, 11);
  harness.transport.set_responder(serve_object(data, "etag-1"));
  StringSink sink;
  sink.fail_with({ErrorKind::cancelled, "pg_restore exited"});
  const auto result = harness.client.get_object(kKey, sink, std::nullopt);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(contains(result.error().message, "pg_restore exited"));
  CHECK(contains(result.error().message, "GetObject s3://bucket/" + std::string(kKey)));
  CHECK(harness.transport.request_count() == 2);
}

// --- concurrency --------------------------------------------------------------------------------

TEST_CASE("parts uploaded from several threads each get their own answer") {
  Harness harness;
  harness.transport.set_responder([](const RecordedRequest& request) {
    const std::string part = decode_query(request.query()).at(0).second;
    return Reply::ok({}, {{"ETag", "\"etag-of-" + part + "-" + request.body + "\""}});
  });
  constexpr int kThreads = 8;
  constexpr int kPartsPerThread = 25;
  std::vector<std::string> wrong;
  std::mutex wrong_mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPartsPerThread; ++i) {
        const int part = t * kPartsPerThread + i + 1;
        const std::string body = "body" + std::to_string(part);
        const auto etag = harness.client.upload_part(kKey, "u", part, span_of(body));
        const std::string expected = "etag-of-" + std::to_string(part) + "-" + body;
        if (!etag || *etag != expected) {
          std::lock_guard lock(wrong_mutex);
          wrong.push_back(std::to_string(part));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong.empty());
  CHECK(harness.transport.request_count() == kThreads * kPartsPerThread);
}

// --- stopping -------------------------------------------------------------------------------

TEST_CASE("the client's stop ends a retried call during its back-off, with cancelled") {
  std::stop_source job;
  Harness harness({.max_attempts = 7, .stop = job.get_token(), .on_sleep = [&job] {
                     job.request_stop();
                   }});  // SIGTERM during the back-off
  harness.transport.set_responder(
      [](const RecordedRequest&) { return Reply::s3_error(503, "SlowDown", "Reduce your rate"); });
  const auto etag = harness.client.upload_part(kKey, "u", 3, span_of("data"));
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::cancelled);
  CHECK(contains(etag.error().message, "UploadPart"));
  CHECK(contains(etag.error().message, "SlowDown"));
  CHECK(contains(etag.error().message, "not retried after attempt 1"));
  CHECK(harness.transport.request_count() == 1);  // no attempt after the stop
  CHECK(harness.sleeps().size() == 1);
  CHECK(harness.request(0).stoppable);  // the transfer itself was given the stop too
}

TEST_CASE("after the client's stop no request is sent and the call is cancelled") {
  std::stop_source job;
  job.request_stop();
  Harness harness({.stop = job.get_token()});
  const auto put = harness.client.put_object(kKey, span_of("data"));
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().kind == ErrorKind::cancelled);
  CHECK(contains(put.error().message, "PutObject"));
  CHECK(contains(put.error().message, std::string(kKey)));
  const auto listed = harness.client.list_objects_v2("erp/", "", "", 0);
  REQUIRE_FALSE(listed.has_value());
  CHECK(listed.error().kind == ErrorKind::cancelled);
  CHECK(harness.transport.request_count() == 0);
  CHECK(harness.sleeps().empty());
}

TEST_CASE("upload_part's own stop ends it like the client's, the client's stop untouched") {
  std::stop_source job;
  std::stop_source part;
  Harness harness({.max_attempts = 7, .stop = job.get_token(), .on_sleep = [&part] {
                     part.request_stop();
                   }});  // the sink aborts meanwhile
  harness.transport.set_responder([](const RecordedRequest&) { return Reply::transport_error(); });
  const auto etag = harness.client.upload_part(kKey, "u", 1, span_of("data"), part.get_token());
  REQUIRE_FALSE(etag.has_value());
  CHECK(etag.error().kind == ErrorKind::cancelled);
  CHECK(harness.transport.request_count() == 1);
  CHECK_FALSE(job.stop_requested());
  // The client still works for everyone else.
  harness.transport.set_responder([](const RecordedRequest&) {
    return Reply::ok({}, {{"ETag", "\"e\""}});
  });
  CHECK(harness.client.upload_part(kKey, "u", 2, span_of("data")).has_value());
}

TEST_CASE("an abort still goes out after the stop: once, with its own 5 s deadline") {
  std::stop_source job;
  job.request_stop();
  Harness harness({.max_attempts = 7, .stop = job.get_token()});
  harness.transport.push(Reply::with_status(204));
  REQUIRE(harness.client.abort_multipart_upload(kKey, "u-1").has_value());
  const RecordedRequest request = harness.request(0);
  CHECK(request.method == "DELETE");
  CHECK(request.query() == "uploadId=u-1");
  CHECK(request.timeout == 5s);    // a stalled endpoint holds the exit this long at most
  CHECK_FALSE(request.stoppable);  // the job's stop, already requested, does not cancel it
}

TEST_CASE("a failed abort is not retried, even when the failure is transient") {
  Harness harness({.max_attempts = 7});
  harness.transport.set_responder([](const RecordedRequest&) {
    return Reply::transport_error({ErrorKind::transient, "Operation timed out"});
  });
  const auto aborted = harness.client.abort_multipart_upload(kKey, "u-1");
  REQUIRE_FALSE(aborted.has_value());
  CHECK(aborted.error().kind == ErrorKind::transient);
  CHECK(contains(aborted.error().message, "AbortMultipartUpload"));
  CHECK(contains(aborted.error().message, "gave up after 1 attempts"));
  CHECK(harness.transport.request_count() == 1);
  CHECK(harness.sleeps().empty());
}

}  // namespace
}  // namespace erp::s3
