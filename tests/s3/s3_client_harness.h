// The scripted-transport harness of the S3 client's tests (s3_client_test.cc,
// s3_client_lock_test.cc): one S3Client over a ScriptedTransport with a fixed clock and a
// recording sleeper, which checks every request it saw against SPEC §4's dialect when it goes
// away (check_dialect): header auth, the payload hash, no checksum or chunked headers,
// Content-MD5 exactly where a checksum is required, and that what was signed is what was sent.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "codec/digest.h"
#include "core/clock.h"
#include "fakes/scripted_transport.h"
#include "s3/s3_client.h"
#include "s3/sigv4.h"
#include "s3/uri_encode.h"

namespace erp::s3::client_test {

using namespace std::chrono_literals;
using testing::RecordedRequest;
using testing::Reply;
using testing::ScriptedTransport;

inline constexpr std::string_view kKeyId = "AKIDEXAMPLE";
inline constexpr std::string_view kSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr std::string_view kToken = "FwoGZXIvYXdzEXAMPLE//session+token=";
inline constexpr std::string_view kAmzDate = "20260102T030405Z";
inline constexpr std::string_view kHttpEndpoint = "http://127.0.0.1:9000";
inline constexpr std::string_view kHttpsEndpoint = "https://s3.eu-west-3.amazonaws.com";

inline const std::chrono::sys_seconds kNow =
    std::chrono::sys_days{std::chrono::year{2026} / 1 / 2} + 3h + 4min + 5s;

inline bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::span<const char> span_of(std::string_view data) {
  return {data.data(), data.size()};
}

// The decoded form of a wire query ("a=b&c" -> {{"a","b"},{"c",""}}), in wire order.
inline QueryParams decode_query(std::string_view query) {
  QueryParams params;
  std::size_t at = 0;
  while (at < query.size()) {
    const std::size_t end = std::min(query.find('&', at), query.size());
    const std::string_view pair = query.substr(at, end - at);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      params.emplace_back(uri_decode(pair), "");
    } else {
      params.emplace_back(uri_decode(pair.substr(0, equals)), uri_decode(pair.substr(equals + 1)));
    }
    at = end + 1;
  }
  return params;
}

struct Setup {
  std::string endpoint = std::string(kHttpEndpoint);
  AddressingStyle addressing = AddressingStyle::path;
  PayloadSigning payload_signing = PayloadSigning::automatic;
  bool session_token = false;
  bool content_md5_on_uploads = false;  // S3ClientOptions::content_md5_on_uploads
  int max_attempts = 4;
  std::stop_token stop;            // the client's stop signal (the job's, in production)
  std::function<void()> on_sleep;  // runs inside each back-off, e.g. to request the stop
  // The client may correct its clock or region (skew and region tests): requests may then be
  // signed at another time or for another region than kNow/us-east-1.
  bool corrections = false;
  std::function<void(std::chrono::seconds)> on_clock_corrected;
  std::function<void(const std::string&)> on_region_corrected;
};

inline Credentials credentials(bool with_token) {
  return {std::string(kKeyId), Secret(std::string(kSecretKey)),
          with_token ? Secret(std::string(kToken)) : Secret()};
}

inline const SigningScope kScope{.region = "us-east-1", .service = "s3"};

// One client over one scripted transport. On destruction checks every request made.
class Harness {
 public:
  explicit Harness(Setup setup = {})
      : setup_(std::move(setup)),
        pool_(transport.factory()),
        client(S3ClientOptions{.endpoint = setup_.endpoint,
                               .bucket = "bucket",
                               .addressing = setup_.addressing,
                               .scope = kScope,
                               .payload_signing = setup_.payload_signing,
                               .retry = {.max_attempts = setup_.max_attempts,
                                         .base_delay = 100ms,
                                         .max_delay = 1s},
                               .stop = setup_.stop,
                               .on_clock_corrected = setup_.on_clock_corrected,
                               .on_region_corrected = setup_.on_region_corrected,
                               .content_md5_on_uploads = setup_.content_md5_on_uploads},
               credentials(setup_.session_token), pool_, clock_,
               [this](std::chrono::milliseconds delay, std::stop_token stop) {
                 {
                   std::lock_guard lock(sleeps_mutex_);
                   sleeps_.push_back(delay);
                 }
                 if (setup_.on_sleep) setup_.on_sleep();
                 return !stop.stop_requested();  // a real sleep ends at once on a stop
               }) {}

  ~Harness() {
    if (std::uncaught_exceptions() > 0) return;  // a REQUIRE already failed the test
    for (const RecordedRequest& request : transport.requests()) check_dialect(request);
  }

  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard lock(sleeps_mutex_);
    return sleeps_;
  }
  std::vector<RecordedRequest> requests() const { return transport.requests(); }
  RecordedRequest request(std::size_t index) const { return transport.request(index); }

  // What x-amz-content-sha256 must say for `request` under this setup.
  std::string expected_payload_hash(const RecordedRequest& request) const {
    if (!request.has_body) return std::string(kEmptyPayloadSha256);
    switch (setup_.payload_signing) {
      case PayloadSigning::always:
        return codec::sha256_hex(span_of(request.body));
      case PayloadSigning::never:
        return std::string(kUnsignedPayload);
      case PayloadSigning::automatic:
        break;
    }
    return setup_.endpoint.starts_with("https://") ? std::string(kUnsignedPayload)
                                                   : codec::sha256_hex(span_of(request.body));
  }

  // Where the dialect sends Content-MD5: DeleteObjects, PutObjectRetention, a PutObject carrying
  // a lock and, with content_md5_on_uploads, every PutObject and UploadPart.
  bool needs_content_md5(const RecordedRequest& request) const {
    const std::string query = request.query();
    const bool put_object = request.method == "PUT" && query.empty();
    const bool upload_part = request.method == "PUT" && query.starts_with("partNumber=");
    const bool locked = request.header("x-amz-object-lock-mode").has_value() ||
                        request.header("x-goog-object-lock-mode").has_value();
    if (request.method == "POST" && query == "delete") return true;
    if (request.method == "PUT" && query.starts_with("retention")) return true;
    if (put_object && locked) return true;
    return setup_.content_md5_on_uploads && (put_object || upload_part);
  }

  // SPEC §4's dialect, for one request.
  void check_dialect(const RecordedRequest& request) const {
    CAPTURE(request.method);
    CAPTURE(request.url);
    // Header auth with the fixed clock.
    // CHECK, not REQUIRE: this runs in a destructor.
    const auto authorization = request.header("Authorization");
    CHECK(authorization.has_value());
    if (!authorization) return;
    if (setup_.corrections) {
      CHECK(authorization->starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    } else {
      CHECK(
          authorization->starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/"
                                     "us-east-1/s3/aws4_request, SignedHeaders="));
      CHECK(request.header("x-amz-date") == std::string(kAmzDate));
    }

    // The payload hash: the body's over HTTP, UNSIGNED-PAYLOAD over HTTPS, never STREAMING-*.
    const auto payload_hash = request.header("x-amz-content-sha256");
    CHECK(payload_hash.has_value());
    if (!payload_hash) return;
    CHECK(*payload_hash == expected_payload_hash(request));
    CHECK_FALSE(payload_hash->starts_with("STREAMING-"));

    // Headers the dialect never sends.
    for (const http::Header& header : request.headers) {
      CAPTURE(header.name);
      CHECK_FALSE(lower(header.name).starts_with("x-amz-checksum-"));
      CHECK_FALSE(iequals(header.name, "x-amz-sdk-checksum-algorithm"));
      CHECK_FALSE(iequals(header.name, "x-amz-trailer"));
      CHECK_FALSE(iequals(header.name, "x-amz-decoded-content-length"));
      CHECK_FALSE(iequals(header.name, "Content-Encoding"));
      CHECK(request.header_count(header.name) == 1);  // nothing doubled, even on retries
    }

    // Content-MD5 exactly where a checksum is required, and then the MD5 of the body sent.
    CHECK(request.header("Content-MD5").has_value() == needs_content_md5(request));
    if (request.header("Content-MD5")) {
      CHECK(request.header("Content-MD5") == codec::md5_base64(span_of(request.body)));
    }

    // The session token, sent and signed, only when there is one.
    CHECK(request.header("x-amz-security-token").has_value() == setup_.session_token);
    if (setup_.session_token) {
      CHECK(request.header("x-amz-security-token") == std::string(kToken));
    }

    // Signed: host and the amz headers; never User-Agent or Accept-Encoding.
    const auto signed_headers = request.signed_headers();
    for (const std::string_view name : {"host", "x-amz-content-sha256", "x-amz-date"}) {
      CHECK(std::ranges::count(signed_headers, name) == 1);
    }
    CHECK(std::ranges::count(signed_headers, "x-amz-security-token") ==
          (setup_.session_token ? 1 : 0));
    CHECK(std::ranges::count(signed_headers, "user-agent") == 0);
    CHECK(std::ranges::count(signed_headers, "accept-encoding") == 0);

    // What was signed is what was sent: signing the recorded request again, with the query
    // read back from the URL, gives the same Authorization.
    http::HttpRequest resent{.method = request.method,
                             .url = request.url,
                             .headers = request.headers,
                             .body = span_of(request.body),
                             .has_body = request.has_body};
    // A corrected request is signed at its own x-amz-date for the region its scope names.
    SigningScope scope = kScope;
    std::chrono::sys_seconds signed_at = kNow;
    if (setup_.corrections) {
      const std::string date = request.header("x-amz-date").value_or("");
      std::tm tm{};
      REQUIRE(strptime(date.c_str(), "%Y%m%dT%H%M%SZ", &tm) != nullptr);
      signed_at = std::chrono::sys_seconds{std::chrono::seconds{timegm(&tm)}};
      const std::size_t day = authorization->find('/') + 1;
      const std::size_t region = authorization->find('/', day) + 1;
      scope.region = authorization->substr(region, authorization->find('/', region) - region);
    }
    const Signature again = sign_request(resent, decode_query(request.query()), *payload_hash,
                                         credentials(setup_.session_token), scope, signed_at);
    CHECK(again.authorization == *authorization);
  }

  ScriptedTransport transport;

 private:
  Setup setup_;
  http::TransportPool pool_;
  FixedClock clock_{kNow};
  mutable std::mutex sleeps_mutex_;
  std::vector<std::chrono::milliseconds> sleeps_;

 public:
  S3Client client;
};

}  // namespace erp::s3::client_test
