// The AWS SigV4 conformance vectors (tests/data/sigv4, see its README.md), walked
// folder by folder: every case is signed and each stage (canonical request, string to
// sign, signature, Authorization) is compared with the files. A case folder that
// fails is named in the failure message.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "codec/digest.h"
#include "s3/sigv4.h"
#include "s3/uri_encode.h"

namespace erp::s3 {
namespace {

namespace fs = std::filesystem;
using std::chrono::sys_seconds;

const fs::path kVectorRoot = fs::path(ERP_SOURCE_DIR) / "tests/data/sigv4";

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// "2015-08-30T12:36:00Z" (context.json) -> time point.
sys_seconds parse_iso8601(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  REQUIRE(std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &year, &month, &day, &hour, &minute,
                      &second) == 6);
  const std::chrono::sys_days date = std::chrono::year_month_day{
      std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
      std::chrono::day{static_cast<unsigned>(day)}};
  return date + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

// ----------------------------------------------------------------------------
// request.txt: "METHOD target HTTP/1.1", "Name:value" lines (continuation lines start
// with blanks: obsolete folding), then optionally a blank line and the body.

struct VectorRequest {
  std::string method;
  std::string path;   // raw, as on the request line
  QueryParams query;  // decoded
  std::vector<http::Header> headers;
  std::string body;
};

QueryParams parse_query(std::string_view raw) {
  QueryParams query;
  if (raw.empty()) return query;
  for (const std::string_view pair : split(raw, '&')) {
    const auto equals = pair.find('=');
    const std::string_view name = pair.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    query.emplace_back(uri_decode(name), uri_decode(value));
  }
  return query;
}

VectorRequest parse_request(std::string_view text) {
  VectorRequest request;
  std::string_view head = text;
  if (const auto blank = text.find("\n\n"); blank != std::string_view::npos) {
    head = text.substr(0, blank);
    request.body = std::string(text.substr(blank + 2));
  }
  if (head.ends_with('\n')) head.remove_suffix(1);
  const std::vector<std::string_view> lines = split(head, '\n');

  // Split on the first and last space: some targets hold a raw space on purpose.
  const std::string_view request_line = lines.front();
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  request.method = std::string(request_line.substr(0, first_space));
  const std::string_view target =
      request_line.substr(first_space + 1, last_space - first_space - 1);
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = parse_query(target.substr(question + 1));

  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.starts_with(' ') || line.starts_with('\t')) {
      REQUIRE(!request.headers.empty());
      request.headers.back().value += ' ';
      request.headers.back().value += trim(line);
      continue;
    }
    const auto colon = line.find(':');
    REQUIRE(colon != std::string_view::npos);
    request.headers.push_back(
        {std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
  }
  return request;
}

// The value of header `name` in a signed-request file, if present.
std::optional<std::string> header_in(std::string_view signed_request, std::string_view name) {
  for (const http::Header& header : parse_request(signed_request).headers) {
    std::string lower = header.name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) return std::string(trim(header.value));
  }
  return std::nullopt;
}

// ----------------------------------------------------------------------------
// context.json

struct VectorContext {
  std::string access_key_id;
  std::string secret_access_key;
  std::optional<std::string> token;
  bool omit_session_token = false;
  bool normalize = true;
  bool double_uri_encode = true;
  bool sign_body = false;
  std::optional<std::string> signed_body_value;
  long expiration_in_seconds = 0;
  sys_seconds timestamp;
  SigningScope scope;
};

VectorContext parse_context(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text);
  VectorContext context;
  const auto& credentials = json.at("credentials");
  context.access_key_id = credentials.at("access_key_id");
  context.secret_access_key = credentials.at("secret_access_key");
  if (credentials.contains("token")) context.token = credentials.at("token");
  context.omit_session_token = json.value("omit_session_token", false);
  context.normalize = json.at("normalize");
  context.double_uri_encode = json.value("double_uri_encode", true);
  context.sign_body = json.at("sign_body");
  if (json.contains("signed_body_value")) context.signed_body_value = json.at("signed_body_value");
  context.expiration_in_seconds = json.at("expiration_in_seconds");
  context.timestamp = parse_iso8601(json.at("timestamp"));
  context.scope = {.region = json.at("region"), .service = json.at("service")};
  return context;
}

Credentials credentials_of(const VectorContext& context) {
  return {context.access_key_id, Secret(context.secret_access_key), Secret()};
}

// The vectors describe the path with two switches; the signer has the two
// combinations real services use (PathRules::general = both on, PathRules::s3 = both
// off). The mixed ones (get-percent-single-encoded, the *-unnormalized cases) are
// built from the same pieces: transform the path here, then sign it as given.
void apply_path_rules(const VectorContext& context, std::string_view raw_path,
                      CanonicalInput& input) {
  if (context.normalize && context.double_uri_encode) {
    input.path = std::string(raw_path);
    input.path_rules = PathRules::general;
    return;
  }
  std::string path = context.normalize ? normalize_path(raw_path) : std::string(raw_path);
  if (context.double_uri_encode) path = uri_encode_path(path);
  input.path = path;
  input.path_rules = PathRules::s3;
}

bool signs_token(const VectorContext& context) {
  return context.token.has_value() && !context.omit_session_token;
}

// ----------------------------------------------------------------------------
// One variant of one case: compare every stage whose file exists.

struct Walk {
  int cases = 0;
  int variants = 0;
  int stages_compared = 0;
  std::vector<std::string> failures;  // "case/variant: stage"

  void compare(const std::string& where, std::string_view stage, const std::string& actual,
               const std::optional<std::string>& expected) {
    if (!expected) return;
    ++stages_compared;
    CHECK_MESSAGE(actual == *expected, where, ": ", stage);
    if (actual != *expected) failures.push_back(where + ": " + std::string(stage));
  }
};

void check_stages(Walk& walk, const fs::path& dir, std::string_view variant,
                  const Signature& signature) {
  const std::string where = dir.filename().string() + "/" + std::string(variant);
  const std::string prefix = std::string(variant) + "-";
  walk.compare(where, "canonical request", signature.canonical_request,
               read_text(dir / (prefix + "canonical-request.txt")));
  walk.compare(where, "string to sign", signature.string_to_sign,
               read_text(dir / (prefix + "string-to-sign.txt")));
  walk.compare(where, "signature", signature.signature,
               read_text(dir / (prefix + "signature.txt")));
  ++walk.variants;
}

void check_header_variant(Walk& walk, const fs::path& dir, const VectorContext& context,
                          const VectorRequest& request) {
  CanonicalInput input{.method = request.method, .query = request.query};
  apply_path_rules(context, request.path, input);
  input.headers = request.headers;
  input.headers.push_back({"X-Amz-Date", amz_date(context.timestamp)});
  input.payload_hash = std::string(kEmptyPayloadSha256);
  if (context.sign_body) {
    input.payload_hash = context.signed_body_value.value_or(codec::sha256_hex(request.body));
    input.headers.push_back({"x-amz-content-sha256", input.payload_hash});
  }
  if (signs_token(context)) input.headers.push_back({"X-Amz-Security-Token", *context.token});

  const Signature signature =
      sign(input, credentials_of(context), context.scope, context.timestamp);
  check_stages(walk, dir, "header", signature);
  if (const auto signed_request = read_text(dir / "header-signed-request.txt")) {
    walk.compare(dir.filename().string() + "/header", "Authorization", signature.authorization,
                 header_in(*signed_request, "authorization"));
  }
}

// The signed-header list is part of the query, so it is needed before signing.
std::string signed_header_names(const std::vector<http::Header>& headers) {
  std::vector<std::string> names;
  for (const http::Header& header : headers) {
    std::string lower = header.name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names.push_back(lower);
  }
  std::ranges::sort(names);
  const auto [first, last] = std::ranges::unique(names);
  names.erase(first, last);
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ";") + name;
  return joined;
}

void check_query_variant(Walk& walk, const fs::path& dir, const VectorContext& context,
                         const VectorRequest& request) {
  CanonicalInput input{.method = request.method, .query = request.query};
  apply_path_rules(context, request.path, input);
  input.headers = request.headers;
  // Query mode hashes the body when asked to but never adds a header or parameter for it.
  input.payload_hash =
      context.sign_body ? codec::sha256_hex(request.body) : std::string(kEmptyPayloadSha256);
  const std::string scope = amz_day(context.timestamp) + "/" + context.scope.region + "/" +
                            context.scope.service + "/aws4_request";
  input.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  input.query.emplace_back("X-Amz-Credential", context.access_key_id + "/" + scope);
  input.query.emplace_back("X-Amz-Date", amz_date(context.timestamp));
  input.query.emplace_back("X-Amz-Expires", std::to_string(context.expiration_in_seconds));
  input.query.emplace_back("X-Amz-SignedHeaders", signed_header_names(input.headers));
  if (signs_token(context)) input.query.emplace_back("X-Amz-Security-Token", *context.token);

  const Signature signature =
      sign(input, credentials_of(context), context.scope, context.timestamp);
  check_stages(walk, dir, "query", signature);
  if (const auto signed_request = read_text(dir / "query-signed-request.txt")) {
    const std::string needle = "X-Amz-Signature=" + signature.signature;
    ++walk.stages_compared;
    CHECK_MESSAGE(signed_request->find(needle) != std::string::npos, dir.filename().string(),
                  "/query: X-Amz-Signature in the signed request");
  }
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += "\n  " + line;
  return out;
}

TEST_CASE(
    "every conformance vector folder signs to the expected canonical request, "
    "string to sign and signature") {
  REQUIRE(fs::is_directory(kVectorRoot));
  Walk walk;
  for (const fs::directory_entry& entry : fs::directory_iterator(kVectorRoot)) {
    const fs::path dir = entry.path();
    if (!entry.is_directory() || !fs::exists(dir / "context.json")) continue;
    const auto context_text = read_text(dir / "context.json");
    const auto request_text = read_text(dir / "request.txt");
    REQUIRE_MESSAGE(request_text.has_value(), dir.filename().string(), ": no request.txt");
    const VectorContext context = parse_context(*context_text);
    const VectorRequest request = parse_request(*request_text);
    ++walk.cases;
    if (fs::exists(dir / "header-canonical-request.txt")) {
      check_header_variant(walk, dir, context, request);
    }
    if (fs::exists(dir / "query-canonical-request.txt")) {
      check_query_variant(walk, dir, context, request);
    }
  }
  MESSAGE("sigv4 vectors: ", walk.cases, " cases, ", walk.variants, " variants, ",
          walk.stages_compared, " stages compared");
  // 41 folders have a context.json today; fewer means the walk broke, not that it passed.
  CHECK(walk.cases >= 40);
  CHECK(walk.variants >= 80);
  CHECK_MESSAGE(walk.failures.empty(), "failing vector stages:", join_lines(walk.failures));
}

// ----------------------------------------------------------------------------
// legacy-aws4_testsuite: the 2015 suite as botocore ships it. <case>/<case>.req already
// carries X-Amz-Date; fixed parameters, general path rules, payload = sha256(body).

constexpr std::string_view kLegacySecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kLegacyToken =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

void check_legacy_case(Walk& walk, const fs::path& req_file) {
  const fs::path dir = req_file.parent_path();
  const std::string name = req_file.stem().string();
  VectorRequest request = parse_request(*read_text(req_file));
  // botocore's harness signs this one with a session token that the .req omits.
  if (name == "get-vanilla-with-session-token") {
    request.headers.push_back({"X-Amz-Security-Token", std::string(kLegacyToken)});
  }
  const CanonicalInput input{
      .method = request.method,
      .path = request.path,
      .query = request.query,
      .headers = request.headers,
      .payload_hash = codec::sha256_hex(request.body),
      .path_rules = PathRules::general,
  };
  const Credentials credentials{"AKIDEXAMPLE", Secret(std::string(kLegacySecret)), Secret()};
  const Signature signature =
      sign(input, credentials, {.region = "us-east-1", .service = "service"},
           parse_iso8601("2015-08-30T12:36:00Z"));
  const std::string where = "legacy/" + name;
  walk.compare(where, "canonical request", signature.canonical_request,
               read_text(dir / (name + ".creq")));
  walk.compare(where, "string to sign", signature.string_to_sign, read_text(dir / (name + ".sts")));
  walk.compare(where, "Authorization", signature.authorization, read_text(dir / (name + ".authz")));
  ++walk.cases;
}

TEST_CASE("every case of the legacy 2015 suite signs to its .creq, .sts and .authz") {
  Walk walk;
  for (const auto& entry :
       fs::recursive_directory_iterator(kVectorRoot / "legacy-aws4_testsuite")) {
    if (entry.is_regular_file() && entry.path().extension() == ".req") {
      check_legacy_case(walk, entry.path());
    }
  }
  MESSAGE("legacy sigv4 vectors: ", walk.cases, " cases, ", walk.stages_compared,
          " stages compared");
  CHECK(walk.cases >= 34);
  CHECK_MESSAGE(walk.failures.empty(), "failing legacy stages:", join_lines(walk.failures));
}

// ----------------------------------------------------------------------------
// The two partial smithy-rs cases, with the parameters their README section names.

std::string signature_in(std::string_view authorization) {
  const auto at = authorization.find("Signature=");
  return at == std::string_view::npos ? "" : std::string(authorization.substr(at + 10));
}

TEST_CASE("double-url-encode: a Lambda ARN path is encoded a second time") {
  const fs::path dir = kVectorRoot / "double-url-encode";
  const VectorRequest request = parse_request(*read_text(dir / "request.txt"));
  const CanonicalInput input{
      .method = request.method,
      .path = request.path,
      .headers = request.headers,
      .payload_hash = std::string(kEmptyPayloadSha256),
      .path_rules = PathRules::general,
  };
  const Credentials credentials{"AKIDEXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                Secret()};
  const Signature signature = sign(input, credentials, {.region = "us-east-2", .service = "lambda"},
                                   parse_iso8601("2021-05-11T15:40:45Z"));
  CHECK(signature.canonical_request == *read_text(dir / "header-canonical-request.txt"));
  std::string string_to_sign = *read_text(dir / "header-string-to-sign.txt");
  if (string_to_sign.ends_with('\n')) string_to_sign.pop_back();  // the one file with a newline
  CHECK(signature.string_to_sign == string_to_sign);
  const auto authorization =
      header_in(*read_text(dir / "header-signed-request.txt"), "authorization");
  REQUIRE(authorization.has_value());
  CHECK(signature.authorization == *authorization);
}

TEST_CASE("double-encode-path: '@' and an escaped '=' in an API Gateway path") {
  const fs::path dir = kVectorRoot / "double-encode-path";
  const VectorRequest request = parse_request(*read_text(dir / "request.txt"));
  CanonicalInput input{
      .method = request.method,
      .path = request.path,
      .headers = {},
      .payload_hash = std::string(kEmptyPayloadSha256),
      .path_rules = PathRules::general,
  };
  for (const http::Header& header : request.headers) {
    if (header.name != "X-amz-date") input.headers.push_back(header);
  }
  const Credentials credentials{"ANOTREAL", Secret("notrealrnrELgWzOk3IfjzDKtFBhDby"), Secret()};
  const SigningScope scope{.region = "us-east-1", .service = "service"};

  // The canonical request file was made at a later time than the signed request.
  const sys_seconds canonical_time = parse_iso8601("2021-05-11T15:40:45Z");
  input.headers.push_back({"x-amz-date", amz_date(canonical_time)});
  CHECK(sign(input, credentials, scope, canonical_time).canonical_request ==
        *read_text(dir / "header-canonical-request.txt"));

  const sys_seconds signed_time = parse_iso8601("2015-08-30T12:36:00Z");
  input.headers.back().value = amz_date(signed_time);
  const auto authorization =
      header_in(*read_text(dir / "header-signed-request.txt"), "authorization");
  REQUIRE(authorization.has_value());
  CHECK(sign(input, credentials, scope, signed_time).signature == signature_in(*authorization));
}

}  // namespace
}  // namespace erp::s3
