#include "s3/sigv4.h"

#include "codec/digest.h"
#include "core/time_format.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <span>

#include "s3/uri_encode.h"

namespace erp::s3 {
namespace {

using Digest = std::array<unsigned char, 32>;  // SHA-256 / HMAC-SHA256 output

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

// Headers that hops between us and the server may add, drop or rewrite, so signing
// them would make a correct request fail verification: GCS rewrites User-Agent and
// Accept-Encoding; libcurl owns Expect, Transfer-Encoding and Content-Length.
constexpr std::array<std::string_view, 5> kUnsignedHeaders = {
    "user-agent", "accept-encoding", "expect", "transfer-encoding", "content-length"};

// Headers sign_request() owns: removed before signing so a retried request is
// re-signed instead of carrying two dates or two signatures.
constexpr std::array<std::string_view, 4> kSignerHeaders = {
    "authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"};

// Byte-wise ASCII lowercasing: header names are ASCII, and std::tolower would
// consult the C locale.
char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), ascii_lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<std::string_view, N>& names) {
  return std::ranges::any_of(names, [&](std::string_view n) { return iequals(name, n); });
}

std::string to_hex(std::span<const unsigned char> bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0F]);
  }
  return out;
}

Digest hmac_sha256(std::span<const unsigned char> key, std::string_view message) {
  Digest out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &length);
  return out;
}

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request").
// The intermediate keys are as good as the secret for that day, so they are wiped.
Digest signing_key(const Secret& secret, std::string_view day, const SigningScope& scope) {
  std::string seed = "AWS4";
  seed += secret.reveal();
  const auto seed_bytes =
      std::span(reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  Digest date_key = hmac_sha256(seed_bytes, day);
  OPENSSL_cleanse(seed.data(), seed.size());
  Digest region_key = hmac_sha256(date_key, scope.region);
  Digest service_key = hmac_sha256(region_key, scope.service);
  const Digest key = hmac_sha256(service_key, kTerminator);
  OPENSSL_cleanse(date_key.data(), date_key.size());
  OPENSSL_cleanse(region_key.data(), region_key.size());
  OPENSSL_cleanse(service_key.data(), service_key.size());
  return key;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// SigV4 "Trimall": trim both ends, collapse inner runs of blanks to one space. Tabs
// count as blanks because HTTP treats them as whitespace and so does botocore, which
// our test front uses to verify signatures.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (const char c : value) {
    if (is_blank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

struct CanonicalHeaders {
  std::string block;  // "name:value\n" per distinct name, sorted by name
  std::string names;  // "name1;name2"
};

CanonicalHeaders canonicalize_headers(const std::vector<http::Header>& headers) {
  // std::map sorts by lowercase name; appending keeps the order of repeated names.
  std::map<std::string, std::string> values;
  for (const http::Header& header : headers) {
    const std::string name = to_lower(trim_blanks(header.name));
    const auto [it, inserted] = values.try_emplace(name);
    if (!inserted) it->second.push_back(',');
    it->second += canonical_header_value(header.value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : values) {
    out.block += name + ':' + value + '\n';
    if (!out.names.empty()) out.names.push_back(';');
    out.names += name;
  }
  return out;
}

std::string canonical_query(const QueryParams& query) {
  // Sorted after encoding: the order the server computes, and it differs from the
  // decoded order whenever an escape sorts against a literal ("%E1..." < "P").
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name), uri_encode(value));
  std::ranges::sort(encoded);
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name + '=' + value;
  }
  return out;
}

std::string canonical_uri(std::string_view path, PathRules rules) {
  if (rules == PathRules::general) {
    // Other services sign the path encoded a second time ('%' -> "%25").
    return uri_encode_path(normalize_path(path));
  }
  // S3 signs the wire path itself: the key was encoded once by the caller, and
  // "a//b/../c" is a key of its own, so nothing here may touch it.
  return path.empty() ? std::string("/") : std::string(path);
}

std::string credential_scope(std::string_view day, const SigningScope& scope) {
  std::string out(day);
  out += '/' + scope.region + '/' + scope.service + '/';
  out += kTerminator;
  return out;
}

// scheme://[userinfo@]host[:port]/path?query#fragment, split without validation:
// the URL was built by our own client.
struct UrlParts {
  std::string_view scheme;
  std::string_view authority;
  std::string_view path;  // without query and fragment
};

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  if (const auto colon = url.find("://"); colon != std::string_view::npos) {
    parts.scheme = url.substr(0, colon);
    url.remove_prefix(colon + 3);
  }
  const auto authority_end = url.find_first_of("/?#");
  parts.authority = url.substr(0, authority_end);
  if (authority_end == std::string_view::npos) return parts;
  url.remove_prefix(authority_end);
  parts.path = url.substr(0, url.find_first_of("?#"));
  return parts;
}

// What libcurl puts in its Host header for `url` (checked against curl 7.88): no
// userinfo, case as written, and no port when it is the scheme's default even if the
// URL spells it out. Signing anything else would fail verification on the server.
std::string host_header_for(std::string_view url) {
  const UrlParts parts = split_url(url);
  std::string_view authority = parts.authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  // The port follows the last ':' unless that ':' sits inside an IPv6 literal "[...]".
  const auto colon = authority.rfind(':');
  const auto bracket = authority.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return std::string(authority);
  }
  const std::string_view host = authority.substr(0, colon);
  const std::string_view port = authority.substr(colon + 1);
  const std::string scheme = to_lower(parts.scheme);
  const bool default_port =
      port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  return std::string(default_port ? host : authority);
}

void remove_headers(std::vector<http::Header>& headers,
                    const std::array<std::string_view, 4>& names) {
  std::erase_if(headers, [&](const http::Header& h) { return is_one_of(h.name, names); });
}

// The headers sign_request() signs: Host first (derived unless the caller set one),
// then every header present that no hop rewrites.
std::vector<http::Header> headers_to_sign(const http::HttpRequest& request) {
  std::vector<http::Header> out;
  const bool has_host = std::ranges::any_of(
      request.headers, [](const http::Header& h) { return iequals(h.name, "host"); });
  if (!has_host) out.push_back({"host", host_header_for(request.url)});
  for (const http::Header& header : request.headers) {
    if (!is_one_of(header.name, kUnsignedHeaders)) out.push_back(header);
  }
  return out;
}

}  // namespace

std::string amz_date(std::chrono::sys_seconds time) {
  return format_basic_iso8601_utc(time);
}

std::string amz_day(std::chrono::sys_seconds time) {
  return amz_date(time).substr(0, 8);
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  // Same shape as the AWS SDKs produce: "/example/.." -> "/", "//example//" -> "/example/".
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += segments[i];
  }
  if (!segments.empty() && path.ends_with('/')) out.push_back('/');
  return out;
}

Signature sign(const CanonicalInput& input, const Credentials& credentials,
               const SigningScope& scope, std::chrono::sys_seconds now) {
  const CanonicalHeaders headers = canonicalize_headers(input.headers);
  const std::string day = amz_day(now);
  const std::string credential = credential_scope(day, scope);

  Signature out;
  out.signed_headers = headers.names;
  out.canonical_request = input.method + '\n' + canonical_uri(input.path, input.path_rules) + '\n' +
                          canonical_query(input.query) + '\n' + headers.block + '\n' +
                          headers.names + '\n' + input.payload_hash;
  out.string_to_sign = std::string(kAlgorithm) + '\n' + amz_date(now) + '\n' + credential + '\n' +
                       codec::sha256_hex(out.canonical_request);
  Digest key = signing_key(credentials.secret_access_key, day, scope);
  out.signature = to_hex(hmac_sha256(key, out.string_to_sign));
  OPENSSL_cleanse(key.data(), key.size());
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' +
                      credential + ", SignedHeaders=" + out.signed_headers +
                      ", Signature=" + out.signature;
  return out;
}

Signature sign_request(http::HttpRequest& request, const QueryParams& query,
                       std::string_view payload_hash, const Credentials& credentials,
                       const SigningScope& scope, std::chrono::sys_seconds now) {
  remove_headers(request.headers, kSignerHeaders);
  request.headers.push_back({"x-amz-date", amz_date(now)});
  request.headers.push_back({"x-amz-content-sha256", std::string(payload_hash)});
  if (!credentials.session_token.empty()) {
    request.headers.push_back(
        {"x-amz-security-token", std::string(credentials.session_token.reveal())});
  }
  const CanonicalInput input{
      .method = request.method,
      .path = std::string(split_url(request.url).path),
      .query = query,
      .headers = headers_to_sign(request),
      .payload_hash = std::string(payload_hash),
      .path_rules = PathRules::s3,
  };
  Signature signature = sign(input, credentials, scope, now);
  request.headers.push_back({"Authorization", signature.authorization});
  return signature;
}

std::string presign_url(std::string_view method, std::string_view url_without_query,
                        const QueryParams& query, const Credentials& credentials,
                        const SigningScope& scope, std::chrono::sys_seconds now,
                        std::chrono::seconds expires) {
  const std::string_view base = url_without_query.substr(0, url_without_query.find_first_of("?#"));
  QueryParams all = query;
  all.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  all.emplace_back("X-Amz-Credential",
                   credentials.access_key_id + '/' + credential_scope(amz_day(now), scope));
  all.emplace_back("X-Amz-Date", amz_date(now));
  all.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  all.emplace_back("X-Amz-SignedHeaders", "host");
  if (!credentials.session_token.empty()) {
    all.emplace_back("X-Amz-Security-Token", std::string(credentials.session_token.reveal()));
  }
  const CanonicalInput input{
      .method = std::string(method),
      .path = std::string(split_url(base).path),
      .query = all,
      .headers = {{"host", host_header_for(base)}},
      // A presigned URL is made before anyone knows the body.
      .payload_hash = std::string(kUnsignedPayload),
      .path_rules = PathRules::s3,
  };
  const Signature signature = sign(input, credentials, scope, now);
  // The canonical query is also a valid wire query, and S3 ignores parameter order.
  return std::string(base) + '?' + canonical_query(all) + "&X-Amz-Signature=" + signature.signature;
}

}  // namespace erp::s3
