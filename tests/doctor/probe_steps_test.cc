// Two probes judged against answers a real store might give that the integration stores do not
// (Ceph RGW's empty Complete ETag, a store that assembles the wrong size, one that refuses
// conditional writes), through the real S3Client over a scripted transport: a small in-memory
// store answers, with one behaviour switched per test. test_doctor runs every probe against
// moto, s3rver and the GCS-mode front.
#include "doctor/probe_steps.h"

#include <doctest/doctest.h>

#include <map>
#include <mutex>

#include "codec/digest.h"
#include "fakes/scripted_transport.h"

using namespace erp;
using namespace erp::doctor;
using Scripted = erp::testing::Reply;
using erp::testing::RecordedRequest;
using erp::testing::ScriptedTransport;

namespace {

const std::string kRun = "erp/prod/.doctor/0123456789abcdef0123456789abcdef/";

std::span<const char> span_of(const std::string& text) {
  return {text.data(), text.size()};
}

// Objects, uploads and parts, as S3 answers for them; `complete_etag` and `honour_if_none_match`
// switch what the store does.
class MiniStore {
 public:
  enum class CompleteEtag { normal, empty, wrong_size };
  CompleteEtag complete_etag = CompleteEtag::normal;
  enum class Conditional { honoured, ignored, refused };
  Conditional conditional = Conditional::honoured;

  Scripted answer(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    const std::string key = request.path().substr(std::string("/bucket/").size());
    const std::string query = request.query();
    if (request.method == "POST" && query == "uploads") {
      return Scripted::ok(
          "<InitiateMultipartUploadResult><UploadId>u-1</UploadId>"
          "</InitiateMultipartUploadResult>");
    }
    if (request.method == "PUT" && query.starts_with("partNumber=")) {
      parts_[query.substr(11, 1)] = request.body;
      return Scripted::ok({}, {{"ETag", "\"" + codec::md5_hex(span_of(request.body)) + "\""}});
    }
    if (request.method == "POST" && query.starts_with("uploadId=")) {
      std::string whole;
      for (const auto& [number, bytes] : parts_) whole += bytes;
      if (complete_etag == CompleteEtag::wrong_size) whole.resize(whole.size() / 2);
      objects_[key] = whole;
      const std::string etag = complete_etag == CompleteEtag::empty ? "" : "\"abc-2\"";
      return Scripted::ok("<CompleteMultipartUploadResult><ETag>" + etag +
                          "</ETag></CompleteMultipartUploadResult>");
    }
    if (request.method == "HEAD") {
      const auto found = objects_.find(key);
      if (found == objects_.end()) return Scripted::with_status(404);
      return Scripted::ok({}, {{"Content-Length", std::to_string(found->second.size())}});
    }
    if (request.method == "PUT" && query.empty()) {
      const bool conditional_request = request.header("If-None-Match").has_value();
      if (conditional_request && conditional == Conditional::refused) {
        return Scripted::s3_error(501, "NotImplemented", "If-None-Match");
      }
      if (conditional_request && conditional == Conditional::honoured && objects_.contains(key)) {
        return Scripted::s3_error(412, "PreconditionFailed", "At least one precondition failed");
      }
      objects_[key] = request.body;
      return Scripted::ok({}, {{"ETag", "\"" + codec::md5_hex(span_of(request.body)) + "\""}});
    }
    return Scripted::s3_error(400, "Unexpected", request.method + " " + request.url);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, std::string> parts_;
};

struct Harness {
  Harness()
      : pool([this] {
          auto forward = transport.factory();
          return std::make_unique<RecordingTransport>(forward(), replies);
        }),
        client(s3::S3ClientOptions{.endpoint = "http://127.0.0.1:9000",
                                   .bucket = "bucket",
                                   .scope = {.region = "us-east-1"},
                                   .retry = {.max_attempts = 1}},
               s3::Credentials{"AKIDEXAMPLE", Secret(std::string("secret")), Secret()}, pool),
        ledger(kRun),
        environment{.store = client,
                    .replies = replies,
                    .corrections = corrections,
                    .config = config,
                    .clock = clock,
                    .ledger = ledger} {
    config.endpoint = "http://127.0.0.1:9000";
    transport.set_responder([this](const RecordedRequest& r) { return store.answer(r); });
  }

  MiniStore store;
  ScriptedTransport transport;
  ReplyLog replies;
  Corrections corrections;
  config::S3Config config;
  SystemClock clock;
  http::TransportPool pool;
  s3::S3Client client;
  Ledger ledger;
  ProbeEnvironment environment;
};

}  // namespace

TEST_CASE("multipart: a Complete answered with an ETag is ok") {
  Harness h;
  const Check check = probe_multipart(h.environment);
  CHECK(check.result == CheckResult::ok);
  CHECK(check.detail.find("5243904 bytes; Complete answered ETag abc-2") != std::string::npos);
  CHECK(h.ledger.open_uploads().empty());
  CHECK(h.ledger.keys() == std::vector<std::string>{kRun + "multipart"});
}

TEST_CASE(
    "multipart: Ceph RGW's empty Complete ETag is degraded, settled by HEAD, nothing deleted") {
  Harness h;
  h.store.complete_etag = MiniStore::CompleteEtag::empty;
  const Check check = probe_multipart(h.environment);
  CHECK(check.result == CheckResult::degraded);
  CHECK(check.detail.find("CompleteMultipartUpload answered 200 without an ETag") !=
        std::string::npos);
  CHECK(check.detail.find("HEAD confirmed the object") != std::string::npos);
  CHECK(check.fix.find("handled") != std::string::npos);
  for (const RecordedRequest& request : h.transport.requests()) {
    CHECK(request.method != "DELETE");  // neither the object nor the upload
  }
  CHECK(h.ledger.open_uploads().empty());
}

TEST_CASE("multipart: an assembled object of the wrong size fails") {
  Harness h;
  h.store.complete_etag = MiniStore::CompleteEtag::wrong_size;
  const Check check = probe_multipart(h.environment);
  CHECK(check.result == CheckResult::failed);
  CHECK(check.detail == "the completed object has 2621952 bytes, not 5243904");
}

TEST_CASE("conditional_put: honoured, ignored, refused") {
  {
    Harness h;
    const Check check = probe_conditional_put(h.environment);
    CHECK(check.result == CheckResult::ok);
    CHECK(
        check.detail ==
        "If-None-Match: * honoured: the second write to the key was refused (PreconditionFailed)");
  }
  {
    Harness h;
    h.store.conditional = MiniStore::Conditional::ignored;
    const Check check = probe_conditional_put(h.environment);
    CHECK(check.result == CheckResult::degraded);
    CHECK(check.fix.find("run lease") != std::string::npos);
  }
  {
    Harness h;
    h.store.conditional = MiniStore::Conditional::refused;
    const Check check = probe_conditional_put(h.environment);
    CHECK(check.result == CheckResult::failed);
    CHECK(check.detail.find("a PUT with If-None-Match: * to a free key was refused") !=
          std::string::npos);
    CHECK(check.detail.find("NotImplemented") != std::string::npos);
  }
}

TEST_CASE("pattern: different bytes at neighbouring offsets and for other seeds") {
  const auto a = pattern(4096, 1);
  const auto b = pattern(4096, 2);
  CHECK(a == pattern(4096, 1));
  CHECK(a != b);
  int repeats = 0;
  for (std::size_t i = 1; i < a.size(); ++i) repeats += a[i] == a[i - 1] ? 1 : 0;
  CHECK(repeats < 64);  // ~16 expected by chance; a constant or short cycle would give thousands
}
