// URI encoding as S3 and SigV4 define it: every byte outside the RFC 3986
// unreserved set (A-Z a-z 0-9 - _ . ~) becomes %XX with uppercase hex.
//
// Pure functions over bytes: UTF-8 is encoded byte by byte ("é" -> "%C3%A9"), a
// space is always "%20" (never '+'), and '+' itself is data ("%2B"), not a space.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace erp::s3 {

// Encodes every byte except unreserved ones; '/' too. For query names and values.
std::string uri_encode(std::string_view text);
// Same, but keeps '/' as is. For object keys in paths ("/bucket/" + encode_path(key)).
std::string uri_encode_path(std::string_view text);
// Inverse of uri_encode; leaves malformed escapes as literal text. '+' stays '+'
// (this is RFC 3986 decoding, not HTML form decoding).
std::string uri_decode(std::string_view text);
// HTML form decoding, as S3 listings answered with encoding-type=url need it (botocore reads them
// with urllib's unquote_plus): %XX is a byte, '+' a space. nullopt when an escape is malformed
// ("%4", "%zz", a trailing '%'): the text it stands for is unknown.
std::optional<std::string> form_decode(std::string_view text);

}  // namespace erp::s3
