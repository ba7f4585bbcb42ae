// Differential test against botocore, the signer the AWS CLI and our test front use:
// tests/fixtures/sigv4_botocore_reference.py generates random S3 requests from a fixed
// seed (keys with every awkward character, odd queries and headers, both payload
// modes, tokens, regions) and signs them; each must sign identically here.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "codec/digest.h"
#include "s3/sigv4.h"
#include "s3/uri_encode.h"

namespace erp::s3 {
namespace {

using nlohmann::json;

// Runs the reference script and returns its JSON lines. Its stderr goes to ours, so a
// missing botocore shows up in the test output.
std::vector<json> botocore_reference(const std::string& mode, int count) {
  const std::string command = "PYTHONDONTWRITEBYTECODE=1 python3 '" ERP_SOURCE_DIR
                              "/tests/fixtures/sigv4_botocore_reference.py' --mode " +
                              mode + " --count " + std::to_string(count) + " --seed 20240229";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE_MESSAGE(pipe != nullptr, "cannot run: ", command);
  std::string output;
  char buffer[65536];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  REQUIRE_MESSAGE(status == 0,
                  "reference script failed (python3 with botocore on PATH?): ", command);

  std::vector<json> cases;
  std::size_t start = 0;
  while (start < output.size()) {
    const auto end = output.find('\n', start);
    cases.push_back(json::parse(output.substr(start, end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return cases;
}

QueryParams query_of(const json& item) {
  QueryParams query;
  for (const json& pair : item.at("query")) query.emplace_back(pair.at(0), pair.at(1));
  return query;
}

Credentials credentials_of(const json& item) {
  return {item.at("access_key_id"), Secret(item.at("secret_access_key").get<std::string>()),
          Secret(item.at("session_token").get<std::string>())};
}

std::chrono::sys_seconds time_of(const json& item) {
  return std::chrono::sys_seconds{std::chrono::seconds{item.at("time").get<long long>()}};
}

std::string bytes_from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// "/bucket/<key encoded once>": what our client puts in the URL for a key.
std::string object_path(const json& item) {
  std::string path = "/" + item.at("bucket").get<std::string>();
  if (!item.at("key").is_null()) path += "/" + uri_encode_path(item.at("key").get<std::string>());
  return path;
}

// The path part of "http://host[:port]/path?query".
std::string path_in(const std::string& url) {
  const auto path_start = url.find('/', url.find("://") + 3);
  return url.substr(path_start, url.find('?', path_start) - path_start);
}

std::string describe(const json& item, const std::string& ours) {
  return "request #" + std::to_string(item.at("index").get<int>()) + " " +
         item.at("method").get<std::string>() + " " +
         item.value("url", item.value("base_url", std::string())) +
         "\n--- botocore canonical request ---\n" +
         item.at("canonical_request").get<std::string>() + "\n--- our canonical request ---\n" +
         ours;
}

TEST_CASE("sign_request agrees with botocore's S3SigV4Auth on 1200 random S3 requests") {
  const std::vector<json> cases = botocore_reference("header", 1200);
  int compared = 0;
  int mismatches = 0;
  std::map<std::string, int> payload_modes;
  for (const json& item : cases) {
    // The key is encoded exactly as Python's quote(key, safe="/~") encodes it.
    const std::string url = item.at("url");
    CHECK_MESSAGE(path_in(url) == object_path(item), "key encoding, request #", item.at("index"));

    const std::string body = bytes_from_hex(item.at("body_hex"));
    const std::string payload_hash = item.at("payload_hash");
    if (item.at("payload_mode") == "signed") {
      CHECK_MESSAGE(codec::sha256_hex(body) == payload_hash, "body hash, request #",
                    item.at("index"));
    } else {
      CHECK(payload_hash == kUnsignedPayload);
    }
    ++payload_modes[item.at("payload_mode")];

    http::HttpRequest request{.method = item.at("method"), .url = url, .body = body};
    for (const json& header : item.at("headers")) {
      request.headers.push_back({header.at(0), header.at(1)});
    }
    // Headers botocore never saw: our signer must leave them out of the signature.
    request.headers.push_back({"Accept-Encoding", "gzip, deflate"});
    request.headers.push_back({"content-length", std::to_string(body.size())});
    request.headers.push_back({"User-Agent", "erp-backup/test"});
    request.headers.push_back({"Expect", "100-continue"});

    const Signature ours = sign_request(request, query_of(item), payload_hash, credentials_of(item),
                                        {.region = item.at("region")}, time_of(item));
    ++compared;
    if (ours.authorization != item.at("authorization")) {
      // Only the first mismatch in full: the rest are usually the same cause.
      if (mismatches++ == 0) FAIL_CHECK(describe(item, ours.canonical_request));
    }
  }
  MESSAGE("botocore differential: ", compared, " requests compared, ", mismatches, " mismatches (",
          payload_modes["signed"], " signed payloads, ", payload_modes["unsigned"],
          " UNSIGNED-PAYLOAD)");
  CHECK(compared >= 1000);
  CHECK(payload_modes["signed"] > 0);
  CHECK(payload_modes["unsigned"] > 0);
  CHECK(mismatches == 0);
}

// The query of a URL as a sorted list of its raw "name=value" pieces.
std::vector<std::string> query_pieces(const std::string& url) {
  std::vector<std::string> pieces;
  const auto question = url.find('?');
  if (question == std::string::npos) return pieces;
  std::size_t start = question + 1;
  while (true) {
    const auto end = url.find('&', start);
    pieces.push_back(url.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::ranges::sort(pieces);
  return pieces;
}

TEST_CASE("presign_url agrees with botocore's S3SigV4QueryAuth") {
  const std::vector<json> cases = botocore_reference("presign", 40);
  int compared = 0;
  for (const json& item : cases) {
    const std::string base_url = item.at("base_url");
    const std::string theirs = item.at("presigned_url");
    const std::string ours =
        presign_url(item.at("method").get<std::string>(), base_url, query_of(item),
                    credentials_of(item), {.region = item.at("region")}, time_of(item),
                    std::chrono::seconds{item.at("expires").get<long long>()});
    INFO(describe(item, "(see URLs)"), "\nbotocore: ", theirs, "\nours:     ", ours);
    CHECK(ours.substr(0, ours.find('?')) == base_url);
    // Same parameters with the same encoded values (order is free), signature included.
    CHECK(query_pieces(ours) == query_pieces(theirs));
    CHECK(ours.substr(ours.rfind("&X-Amz-Signature=")) ==
          theirs.substr(theirs.rfind("&X-Amz-Signature=")));
    ++compared;
  }
  MESSAGE("botocore presign differential: ", compared, " URLs compared");
  CHECK(compared >= 20);
}

}  // namespace
}  // namespace erp::s3
