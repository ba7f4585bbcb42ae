// SigV4 as the S3 client uses it: the published S3 examples, and what sign_request()
// and presign_url() add, derive and leave alone.
#include "s3/sigv4.h"
#include "codec/digest.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace erp::s3 {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;

sys_seconds utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                int second = 0) {
  return std::chrono::sys_days{std::chrono::year{year} / month / day} + std::chrono::hours{hour} +
         std::chrono::minutes{minute} + std::chrono::seconds{second};
}

// The S3 API Reference examples ("Signature Calculations for the Authorization
// Header", "Authenticating Requests: Using Query Parameters").
Credentials s3_docs_credentials() {
  return {"AKIAIOSFODNN7EXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), Secret()};
}
const SigningScope kS3DocsScope{.region = "us-east-1", .service = "s3"};
const sys_seconds kS3DocsTime = utc(2013, 5, 24);

int count_headers(const http::HttpRequest& request, std::string_view name) {
  return static_cast<int>(std::ranges::count_if(request.headers, [&](const http::Header& h) {
    return std::ranges::equal(h.name, name, [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    });
  }));
}

std::string line(std::string_view text, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = text.find('\n', start) + 1;
  return std::string(text.substr(start, text.find('\n', start) - start));
}

TEST_CASE("the S3 documentation's GET object example signs host, range and the amz headers") {
  http::HttpRequest request{.method = "GET",
                            .url = "https://examplebucket.s3.amazonaws.com/test.txt",
                            .headers = {{"Range", "bytes=0-9"}}};
  const Signature signature = sign_request(request, {}, kEmptyPayloadSha256, s3_docs_credentials(),
                                           kS3DocsScope, kS3DocsTime);
  CHECK(signature.signed_headers == "host;range;x-amz-content-sha256;x-amz-date");
  CHECK(signature.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("the S3 documentation's PUT object example signs Date and a hashed body") {
  const std::string body = "Welcome to Amazon S3.";
  const std::string payload_hash = codec::sha256_hex(body);
  CHECK(payload_hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  http::HttpRequest request{
      .method = "PUT",
      .url = "https://examplebucket.s3.amazonaws.com/test%24file.text",  // key "test$file.text"
      .headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                  {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      .body = body,
      .has_body = true};
  const Signature signature =
      sign_request(request, {}, payload_hash, s3_docs_credentials(), kS3DocsScope, kS3DocsTime);
  CHECK(signature.signed_headers ==
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  CHECK(signature.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("the S3 documentation's bucket examples sign a valueless and a listing query") {
  SUBCASE("GET /?lifecycle signs lifecycle=") {
    http::HttpRequest request{.method = "GET",
                              .url = "https://examplebucket.s3.amazonaws.com/?lifecycle"};
    const Signature signature = sign_request(request, {{"lifecycle", ""}}, kEmptyPayloadSha256,
                                             s3_docs_credentials(), kS3DocsScope, kS3DocsTime);
    CHECK(line(signature.canonical_request, 2) == "lifecycle=");
    CHECK(signature.signature ==
          "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  }
  SUBCASE("GET /?max-keys=2&prefix=J") {
    http::HttpRequest request{.method = "GET",
                              .url = "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J"};
    const Signature signature =
        sign_request(request, {{"prefix", "J"}, {"max-keys", "2"}}, kEmptyPayloadSha256,
                     s3_docs_credentials(), kS3DocsScope, kS3DocsTime);
    CHECK(line(signature.canonical_request, 2) == "max-keys=2&prefix=J");
    CHECK(signature.signature ==
          "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  }
}

TEST_CASE("the S3 documentation's presigned GET matches, signing only host") {
  const std::string url = presign_url("GET", "https://examplebucket.s3.amazonaws.com/test.txt", {},
                                      s3_docs_credentials(), kS3DocsScope, kS3DocsTime, 86400s);
  CHECK(url ==
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("a presigned URL carries the session token and the caller's query, signed") {
  Credentials credentials{"AKID", Secret("secret"), Secret("token/with+slash=")};
  const std::string url =
      presign_url("PUT", "http://127.0.0.1:9000/bucket/a%20b", {{"partNumber", "3"}}, credentials,
                  {.region = "auto"}, utc(2024, 2, 29, 23, 59, 59), 600s);
  CHECK(url.starts_with("http://127.0.0.1:9000/bucket/a%20b?X-Amz-Algorithm="));
  CHECK(url.find("&X-Amz-Security-Token=token%2Fwith%2Bslash%3D&") != std::string::npos);
  CHECK(url.find("&partNumber=3&") != std::string::npos);
  CHECK(url.find("X-Amz-Credential=AKID%2F20240229%2Fauto%2Fs3%2Faws4_request") !=
        std::string::npos);
  const auto signature_at = url.rfind("&X-Amz-Signature=");
  REQUIRE(signature_at != std::string::npos);
  CHECK(url.size() - signature_at == std::string_view("&X-Amz-Signature=").size() + 64);
}

struct HostCase {
  std::string_view url;
  std::string_view host;
  std::string_view path;
};

// libcurl's Host header for each URL (verified against curl 7.88 on the wire).
constexpr HostCase kHostCases[] = {
    {"http://127.0.0.1:9000/bucket/key", "127.0.0.1:9000", "/bucket/key"},
    {"http://minio:80/bucket/key", "minio", "/bucket/key"},      // default port: not sent
    {"https://s3.example:443/b/k", "s3.example", "/b/k"},        // default port: not sent
    {"https://s3.example:80/b/k", "s3.example:80", "/b/k"},      // 80 is not https's default
    {"http://user:pw@host:8080/b?x=1#f", "host:8080", "/b"},     // no userinfo
    {"http://[::1]:9000/bucket", "[::1]:9000", "/bucket"},       // IPv6 literal with port
    {"http://[::1]/bucket", "[::1]", "/bucket"},                 // IPv6 literal without port
    {"https://Bucket.S3.Example/k", "Bucket.S3.Example", "/k"},  // case kept, like curl
    {"https://storage.googleapis.com", "storage.googleapis.com", "/"},
    {"https://storage.googleapis.com?list-type=2", "storage.googleapis.com", "/"},
};

TEST_CASE("sign_request signs the Host libcurl will send and the path exactly as in the URL") {
  for (const HostCase& c : kHostCases) {
    INFO("url: ", std::string(c.url));
    http::HttpRequest request{.method = "GET", .url = std::string(c.url)};
    const Signature signature = sign_request(request, {}, kUnsignedPayload, s3_docs_credentials(),
                                             kS3DocsScope, kS3DocsTime);
    CHECK(line(signature.canonical_request, 1) == c.path);
    CHECK(line(signature.canonical_request, 3) == "host:" + std::string(c.host));
  }
}

TEST_CASE("an S3 path is signed as given: never normalised, never encoded again") {
  http::HttpRequest request{.method = "GET", .url = "http://h/bucket//a/./b/../c%2B%20%25/"};
  const Signature signature =
      sign_request(request, {}, kUnsignedPayload, s3_docs_credentials(), kS3DocsScope, kS3DocsTime);
  CHECK(line(signature.canonical_request, 1) == "/bucket//a/./b/../c%2B%20%25/");
}

TEST_CASE("query parameters are encoded strictly and sorted by encoded name, then value") {
  http::HttpRequest request{.method = "GET", .url = "http://h/bucket?ignored"};
  const QueryParams query = {{"prefix", "a/b c+d=e&f"},
                             {"list-type", "2"},
                             {"uploads", ""},
                             {"b", "2"},
                             {"b", "10"},
                             {"~x", "~"},
                             {"\xC3\xA9", "\xE2\x82\xAC"}};
  const Signature signature = sign_request(request, query, kUnsignedPayload, s3_docs_credentials(),
                                           kS3DocsScope, kS3DocsTime);
  CHECK(line(signature.canonical_request, 2) ==
        "%C3%A9=%E2%82%AC&b=10&b=2&list-type=2&prefix=a%2Fb%20c%2Bd%3De%26f&uploads=&~x=~");
}

TEST_CASE("sign_request adds the amz headers and Authorization, and skips hop-rewritten headers") {
  http::HttpRequest request{.method = "PUT",
                            .url = "http://127.0.0.1:9000/bucket/key",
                            .headers = {{"User-Agent", "erp-backup/0.1"},
                                        {"accept-encoding", "gzip"},
                                        {"EXPECT", "100-continue"},
                                        {"Transfer-Encoding", "chunked"},
                                        {"Content-Length", "5"},
                                        {"Content-Type", "  application/octet-stream  "},
                                        {"x-amz-meta-Note", "a   b\t c"},
                                        {"X-Amz-Meta-note", "second"}}};
  const Signature signature =
      sign_request(request, {}, kUnsignedPayload, s3_docs_credentials(), kS3DocsScope, kS3DocsTime);
  CHECK(signature.signed_headers ==
        "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-note");
  CHECK(signature.canonical_request.find("\nx-amz-meta-note:a b c,second\n") != std::string::npos);
  CHECK(signature.canonical_request.find("\ncontent-type:application/octet-stream\n") !=
        std::string::npos);
  CHECK(signature.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  // The unsigned headers are still sent, untouched.
  CHECK(count_headers(request, "user-agent") == 1);
  CHECK(count_headers(request, "content-length") == 1);
  CHECK(count_headers(request, "x-amz-date") == 1);
  CHECK(count_headers(request, "x-amz-content-sha256") == 1);
  CHECK(count_headers(request, "x-amz-security-token") == 0);
  CHECK(count_headers(request, "authorization") == 1);
  CHECK(request.headers.back().value == signature.authorization);
  CHECK(signature.authorization.starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=content-type;host;"));
}

TEST_CASE("a session token is sent and signed as x-amz-security-token") {
  Credentials credentials{"AKID", Secret("secret"), Secret("the-token")};
  http::HttpRequest request{.method = "GET", .url = "http://h/b/k"};
  const Signature signature =
      sign_request(request, {}, kUnsignedPayload, credentials, kS3DocsScope, kS3DocsTime);
  CHECK(signature.signed_headers == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  CHECK(signature.canonical_request.find("\nx-amz-security-token:the-token\n") !=
        std::string::npos);
  CHECK(count_headers(request, "x-amz-security-token") == 1);
}

TEST_CASE("signing a retried request replaces the previous signature instead of adding one") {
  Credentials credentials{"AKID", Secret("secret"), Secret("token")};
  http::HttpRequest request{.method = "PUT", .url = "http://h/b/k"};
  sign_request(request, {}, kUnsignedPayload, credentials, kS3DocsScope, kS3DocsTime);
  const Signature second =
      sign_request(request, {}, kEmptyPayloadSha256, credentials, kS3DocsScope, kS3DocsTime + 5s);

  http::HttpRequest fresh{.method = "PUT", .url = "http://h/b/k"};
  const Signature expected =
      sign_request(fresh, {}, kEmptyPayloadSha256, credentials, kS3DocsScope, kS3DocsTime + 5s);
  CHECK(second.canonical_request == expected.canonical_request);
  CHECK(second.authorization == expected.authorization);
  for (const std::string_view name :
       {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}) {
    INFO("header ", std::string(name));
    CHECK(count_headers(request, name) == 1);
  }
}

TEST_CASE("a Host header set by the caller is signed instead of the URL's host") {
  http::HttpRequest request{
      .method = "GET", .url = "http://127.0.0.1:9000/b/k", .headers = {{"Host", "bucket.example"}}};
  const Signature signature =
      sign_request(request, {}, kUnsignedPayload, s3_docs_credentials(), kS3DocsScope, kS3DocsTime);
  CHECK(line(signature.canonical_request, 3) == "host:bucket.example");
  CHECK(count_headers(request, "host") == 1);
}

TEST_CASE("amz_date and amz_day format UTC as SigV4 wants it") {
  CHECK(amz_date(utc(2015, 8, 30, 12, 36, 0)) == "20150830T123600Z");
  CHECK(amz_day(utc(2015, 8, 30, 12, 36, 0)) == "20150830");
  CHECK(amz_date(sys_seconds{}) == "19700101T000000Z");
  CHECK(amz_date(utc(2024, 2, 29, 23, 59, 59)) == "20240229T235959Z");
  CHECK(amz_date(utc(2024, 2, 29, 23, 59, 59) + 1s) == "20240301T000000Z");
  CHECK(amz_date(utc(2099, 12, 31, 1, 2, 3)) == "20991231T010203Z");
}

TEST_CASE("sha256_hex is lowercase hex SHA-256") {
  CHECK(codec::sha256_hex(std::string_view("")) == kEmptyPayloadSha256);
  CHECK(codec::sha256_hex(std::string_view("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(codec::sha256_hex(std::string_view("\0", 1)) ==
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST_CASE("normalize_path (general rules only) removes dot segments and empty segments") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "/"},
      {"/", "/"},
      {"//", "/"},
      {"/./", "/"},
      {"/example/..", "/"},
      {"/example1/example2/../..", "/"},
      {"//example//", "/example/"},
      {"/./example", "/example"},
      {"/a/./b/../c//", "/a/c/"},
      {"/../../a", "/a"},
      {"/a/b/..", "/a"},
      {"/a%2F..", "/a%2F.."},  // an escaped slash is not a separator
  };
  for (const auto& [input, expected] : cases) {
    INFO("path: ", std::string(input));
    CHECK(normalize_path(input) == expected);
  }
}

TEST_CASE("general path rules normalise and then encode the path a second time") {
  const CanonicalInput input{.method = "GET",
                             .path = "/a/../b c/%3D/",
                             .headers = {{"host", "h"}},
                             .payload_hash = std::string(kEmptyPayloadSha256),
                             .path_rules = PathRules::general};
  const Signature signature = sign(input, s3_docs_credentials(),
                                   {.region = "us-east-1", .service = "service"}, kS3DocsTime);
  CHECK(line(signature.canonical_request, 1) == "/b%20c/%253D/");
}

}  // namespace
}  // namespace erp::s3
