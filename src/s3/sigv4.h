// AWS Signature Version 4 (AWS4-HMAC-SHA256), pure: no clock, no I/O.
//
// S3 rules (what the client uses): the path is URI-encoded exactly once by the
// caller and is never normalised ("a//b/../c" is a different key from "a/c");
// query names and values are given decoded and encoded here with the strict
// RFC 3986 unreserved set. The general rules of other AWS services (normalise the
// path, encode it a second time) exist only for the conformance vectors.
//
// Every function here is pure and thread-safe; results are values the caller owns.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/secret.h"
#include "http/transport.h"

namespace erp::s3 {

struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;  // empty when not using temporary credentials
};

struct SigningScope {
  std::string region;  // "us-east-1", "auto" for GCS
  std::string service = "s3";
};

// Payload hash values for x-amz-content-sha256.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

enum class PathRules {
  s3,       // path used as given (already encoded once), never normalised
  general,  // remove dot segments and duplicate slashes, then encode each segment again
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded name, value

// What gets signed, in the form the signer needs.
struct CanonicalInput {
  std::string method;
  std::string path;                   // as sent on the wire (S3: encoded once by the caller)
  QueryParams query;                  // decoded; encoded and sorted by the signer
  std::vector<http::Header> headers;  // the headers to sign (any case, raw values)
  std::string payload_hash;           // hex SHA-256 or kUnsignedPayload
  PathRules path_rules = PathRules::s3;
};

// Each stage, so tests can compare them with the vectors. canonical_request holds a
// session token in clear text and authorization is a credential for ~15 minutes:
// log neither (debug logs redact them).
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lowercase hex
  std::string authorization;   // full Authorization header value
};

// "20150830T123600Z" and "20150830".
std::string amz_date(std::chrono::sys_seconds time);
std::string amz_day(std::chrono::sys_seconds time);

// The normalisation step of PathRules::general, exposed for the conformance tests:
// removes "." and ".." segments and empty segments ("//"); keeps a leading '/' and a
// trailing '/' (when something is left). "" -> "/", "/a/./b/../c//" -> "/a/c/".
// Never use it on S3 keys: "a//b/../c" is a different key from "a/c".
std::string normalize_path(std::string_view path);

// Canonical request, string to sign, signature of `input` exactly as given (the caller
// has already added x-amz-date and any token header to input.headers). Header names
// are lowercased, values trimmed and inner runs of spaces/tabs collapsed to one
// space, repeated names joined with ',' in order; query pairs are encoded, then
// sorted by encoded name, then value. An empty path signs as "/". The method is
// used as given (callers pass it uppercase).
Signature sign(const CanonicalInput& input, const Credentials& credentials,
               const SigningScope& scope, std::chrono::sys_seconds now);

// Header auth for a request about to be sent: adds x-amz-date, x-amz-content-sha256
// (= payload_hash), x-amz-security-token (when a session token is set) and Authorization.
// Any of these four already present (a retried request) is replaced, not duplicated.
// Signs Host and every header already present except the unsigned ones (User-Agent,
// Accept-Encoding, Expect, Transfer-Encoding, Content-Length): GCS's front end
// rewrites the first two. Host is a Host header already in request.headers, else
// the URL's host exactly as libcurl sends it: userinfo dropped, case kept, port only
// when the URL names one that is not the scheme's default (80 for http, 443 for
// https). `query` must be the decoded form of the query already in request.url.
Signature sign_request(http::HttpRequest& request, const QueryParams& query,
                       std::string_view payload_hash, const Credentials& credentials,
                       const SigningScope& scope, std::chrono::sys_seconds now);

// Query auth (presigned URL) for `method` on `url_without_query` (scheme://host/path,
// path encoded once) with extra `query` parameters; signs only Host, payload
// UNSIGNED-PAYLOAD. Returns the full URL including X-Amz-Signature: url_without_query,
// '?', the canonical (sorted, encoded) query, "&X-Amz-Signature=<hex>". `expires` is
// sent as X-Amz-Expires; S3 accepts 1 s to 7 days (604800 s) and rejects the rest.
std::string presign_url(std::string_view method, std::string_view url_without_query,
                        const QueryParams& query, const Credentials& credentials,
                        const SigningScope& scope, std::chrono::sys_seconds now,
                        std::chrono::seconds expires);

}  // namespace erp::s3
